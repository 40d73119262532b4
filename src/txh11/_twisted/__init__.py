"""
The one module that touches Twisted's private names.  Everything else in
txh11 uses Twisted's public API, or one of the accessors here.

Checked against Twisted 23.10 to 26.10 (``twisted.internet.abstract``,
``tcp``, ``unix``, ``base``; ``twisted.web.http_headers``, ``http``): the
names are the same in all of them.  Each use is gated, so a Twisted whose
layout differs gets the public (slower) path, not an error:

- a plain TCP or UNIX transport's write buffer: ``FileDescriptor.dataBuffer``
  from ``offset``, plus ``_tempDataLen``, and a close under way:
  ``disconnecting``, ``_writeDisconnecting`` (:func:`mayBypass`,
  :func:`writeBuffered`); a transport class lacking any of
  :data:`TRANSPORT_FIELDS` is not "plain" (``txh11.protocol._socket``);
- ``Headers._rawHeaders``, the dict of header values (:func:`rawHeaders`,
  :func:`emptyHeaders`); its users probe the layout first
  (``txh11.headers``, ``txh11.web._request``);
- ``Request._disconnected`` (:func:`requestDisconnected`);
- ``ReactorBase._exitSignal`` (:func:`setExitSignal`), what twistd reads to
  exit "killed by" a signal.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any, Callable

from twisted.web.http_headers import Headers

__all__ = [
    "TRANSPORT_FIELDS",
    "mayBypass",
    "writeBuffered",
    "rawHeaders",
    "emptyHeaders",
    "requestDisconnected",
    "setExitSignal",
]

#: what a transport class must have for :func:`mayBypass` to read it
TRANSPORT_FIELDS = ("_tempDataLen", "dataBuffer", "TLS")


def mayBypass(transport: Any) -> bool:
    """Whether a plain transport holds nothing back and is not closing: bytes
    may then go to its socket at once, ahead of nothing."""
    t = transport
    return not (
        t.TLS or t._tempDataLen or t.dataBuffer or t.disconnecting or t._writeDisconnecting
    )


def writeBuffered(transport: Any) -> int:
    """How many bytes a plain transport holds in its write buffer."""
    t = transport
    return len(t.dataBuffer) - t.offset + t._tempDataLen  # type: ignore[no-any-return]


#: ``rawHeaders(headers)``: the ``Headers``' dict of key -> list of values
#: (a C-level getter: the per-request paths call it)
rawHeaders: Callable[[Headers], dict[bytes, list[bytes]]] = attrgetter("_rawHeaders")

_newHeaders = Headers.__new__


def emptyHeaders() -> Headers:
    """``Headers()`` without its ``__init__`` (only when the probe in
    ``txh11.web._request`` found that is all ``__init__`` does)."""
    headers = _newHeaders(Headers)
    headers._rawHeaders = {}
    return headers


def requestDisconnected(request: Any) -> bool:
    """Whether a twisted.web ``Request`` saw its connection go
    (``connectionLost`` ran); ``False`` for a request without the flag."""
    return bool(getattr(request, "_disconnected", False))


def setExitSignal(reactor: Any, signum: int) -> None:
    """Make twistd exit as "killed by" ``signum`` (where the reactor keeps
    the signal it stopped for)."""
    if hasattr(reactor, "_exitSignal"):
        reactor._exitSignal = signum
