"""
Socket-level work behind a Twisted transport: which transports are plain
sockets, writing to them directly while Twisted's buffer is empty, the
unread-bytes check before a full close, ``TCP_NODELAY``, half-close.

Bytes may go to a plain TCP (or UNIX) socket behind its Twisted transport's
back -- ``send``/``sendmsg`` of a response, ``os.sendfile`` of a file body --
only while the transport's own write buffer is empty; and a full close is
safe only when the socket holds no unread byte (``FIONREAD``, or a
``MSG_PEEK`` where there is no ioctl).  What Twisted does not publish about
its transports is read in :mod:`txh11._twisted` (the one module touching
Twisted's private names), re-exported here as :func:`mayBypass` and
:func:`buffered`.  A transport class lacking any of it is simply not
"plain" (:func:`plainSocket` answers ``None``) and gets Twisted's ordinary
``write``.
"""

from __future__ import annotations

import socket
from typing import Any, Optional

from twisted.internet import abstract
from twisted.internet.interfaces import IHalfCloseableDescriptor, ISSLTransport

from txh11._twisted import TRANSPORT_FIELDS, mayBypass
from txh11._twisted import writeBuffered as buffered

try:
    from fcntl import ioctl
    from termios import FIONREAD
except ImportError:  # Windows
    ioctl = None  # type: ignore[assignment]

__all__ = [
    "plainSocket",
    "setNoDelay",
    "isPlain",
    "mayBypass",
    "buffered",
    "sendNow",
    "sendSequenceNow",
    "nothingUnread",
    "canHalfClose",
    "IOV_MAX",
]

_NO_BYTES = bytes(4)  # a C int 0, FIONREAD's answer for an empty buffer

#: most buffers one sendmsg() takes (Linux's IOV_MAX)
IOV_MAX = 1024

#: transport class -> whether its instances are plain socket transports
_plainKinds: dict[type, bool] = {}


def nothingUnread(sock: socket.socket) -> bool:
    """Whether a stream socket holds no unread byte (its peer's EOF aside)."""
    if ioctl is not None:
        # FIONREAD answers without the BlockingIOError (twice the
        # instructions) a peek raises when nothing is there.
        try:
            return ioctl(sock.fileno(), FIONREAD, _NO_BYTES) == _NO_BYTES
        except (OSError, ValueError):  # ValueError: closed (fileno() is -1)
            return False
    try:
        pending = sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except BlockingIOError:
        return True
    except OSError:
        return False
    return not pending  # b"": the peer's EOF is all that is left


def plainSocket(transport: Any) -> Optional[socket.socket]:
    """
    The stream socket under ``transport`` if it is a plain (not TLS) Twisted
    ``FileDescriptor`` with Twisted's own write buffer, ``startTLS`` flag
    (``TLS``) and half-close (see :mod:`txh11._twisted`), as Twisted's TCP and UNIX transports have, else ``None``:
    the transports on which bytes may go to the socket behind the
    transport's back once that buffer is empty.  The answer for a transport
    class is remembered; ``TLS`` is read each time.
    """
    kind = type(transport)
    plain = _plainKinds.get(kind)
    if plain is None:
        plain = _plainKinds[kind] = _plainKind(transport)
    if not plain or transport.TLS:
        return None
    return transport.getHandle()  # type: ignore[no-any-return]


def _plainKind(transport: Any) -> bool:
    """What :func:`plainSocket` remembers for ``transport``'s class: only
    what the class decides (TLS started on one instance is read each time)."""
    kind = type(transport)
    if not issubclass(kind, abstract.FileDescriptor) or ISSLTransport.implementedBy(kind):
        return False
    if not IHalfCloseableDescriptor.implementedBy(kind):
        return False
    for name in TRANSPORT_FIELDS:  # what mayBypass reads
        if not hasattr(transport, name):
            return False
    try:
        handle = transport.getHandle()
    except Exception:
        return False
    return isinstance(handle, socket.socket) and handle.type == socket.SOCK_STREAM


def setNoDelay(transport: Any) -> None:
    """
    ``TCP_NODELAY`` on ``transport``'s socket, if it is TCP (a TLS wrapper
    passes the call on to the TCP transport under it).  A response whose
    head and body leave in two writes, or whose last segment is small, is
    otherwise held back by Nagle's algorithm until the peer acknowledges
    the previous segment, which it delays by ~40 ms: on keep-alive, every
    such response stalled that long.  Everything the bridge sends is
    already coalesced per write (corking), so there is nothing left for
    Nagle to join.
    """
    setTcpNoDelay = getattr(transport, "setTcpNoDelay", None)
    if setTcpNoDelay is not None:
        try:
            setTcpNoDelay(True)
        except OSError:  # not TCP (a UNIX socket), or gone already
            pass


def isPlain(transport: Any, sock: Optional[socket.socket]) -> bool:
    """Whether ``transport`` (whose :func:`plainSocket` was ``sock``) is
    still a plain socket transport: ``startTLS`` may have wrapped it since."""
    return sock is not None and not transport.TLS


def sendNow(sock: socket.socket, data: bytes) -> bytes:
    """``send`` what the socket takes now; the rest (``b""`` if none) is
    for the transport."""
    try:
        sent = sock.send(data)
    except OSError:  # EAGAIN, or an error Twisted's doWrite reports
        return data
    return data[sent:] if sent != len(data) else b""


def sendSequenceNow(sock: socket.socket, parts: list[bytes]) -> list[bytes]:
    """``sendmsg`` what the socket takes now, without joining the parts;
    the rest (an empty list if none) is for the transport."""
    try:
        sent = sock.sendmsg(parts)
    except OSError:
        return parts
    i = 0
    while i < len(parts) and sent >= len(parts[i]):
        sent -= len(parts[i])
        i += 1
    if i == len(parts):
        return []
    rest = parts[i:]
    rest[0] = rest[0][sent:]
    return rest


def canHalfClose(transport: Any, sock: Optional[socket.socket]) -> bool:
    """Whether ``transport`` can shut down its sending side alone (TCP and
    UNIX sockets can; TLS cannot without ending the session)."""
    if isPlain(transport, sock):
        return True
    return (
        IHalfCloseableDescriptor.providedBy(transport)
        and hasattr(transport, "loseWriteConnection")
        and not isTLS(transport)
    )


def isTLS(transport: Any) -> bool:
    """Whether ``transport`` is TLS: it declares ``ISSLTransport``, or is a
    ``TLSMemoryBIOProtocol``-style wrapper that says so with ``TLS``."""
    return ISSLTransport.providedBy(transport) or bool(getattr(transport, "TLS", False))
