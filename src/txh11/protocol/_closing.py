"""
How a graceful close ends a connection: at once, or in stages (half-close,
read and discard for ``lingerTimeout``, then close).  It closes at once when
the peer half-closed already, when the transport cannot half-close
(:func:`._socket.canHalfClose`), or when :func:`peerSentAll`.

Closing a socket with unread input resets the connection, which can destroy
the response in flight; the staged close guards against that (RFC 9112
9.6).  When the peer declared its last message and nothing it sent is
unread, a full close is as safe and skips the linger.
"""

from __future__ import annotations

import socket
from typing import Any, Optional

import txh11 as h11

from . import _socket

__all__ = ["peerSentAll", "closeOrHalfClose", "abortTransport"]

_PEER_DONE = (h11.MUST_CLOSE, h11.CLOSED)


def peerSentAll(conn: Any, transport: Any, sock: Optional[socket.socket]) -> bool:
    """
    Whether the peer declared its last message (``Connection: close``, so
    its side is MUST_CLOSE or CLOSED), nothing of its is left unparsed in
    ``conn`` and the socket holds no unread byte.
    """
    if conn.their_state not in _PEER_DONE or conn.trailing_data[0]:
        return False
    if not _socket.isPlain(transport, sock):
        return False
    return _socket.nothingUnread(sock)  # type: ignore[arg-type]


def closeOrHalfClose(conn: Any, transport: Any, sock: Optional[socket.socket], peerEOF: bool) -> bool:
    """Close ``transport`` at once if that is safe (see above), else
    half-close it and answer ``True``: the caller lingers, discarding."""
    if peerEOF or not _socket.canHalfClose(transport, sock) or peerSentAll(conn, transport, sock):
        transport.loseConnection()
        return False
    transport.loseWriteConnection()
    return True


def abortTransport(transport: Any) -> None:
    """Close ``transport`` now, discarding unsent output."""
    abort = getattr(transport, "abortConnection", None)
    if abort is not None:
        abort()
    else:
        transport.loseConnection()
