"""
A connection's output (:class:`Output`: held while corked, written in one
go, straight to the socket when Twisted's buffer is empty), and output held
until the start of the reactor's next turn, for every connection of that
reactor at once (:func:`flushAtNextTurn`).

Sent one by one as each answer is made, responses would each wake their
peer and interleave the kernel's work with ours: under wrk that cost a
third of the requests per second.  Sent together after the turn's reads,
they need a third of the system time.  A protocol that holds output asks
:func:`flushAtNextTurn`; at the next turn each such protocol's
:meth:`~txh11.protocol.HTTP11Protocol.turnEnded` runs (it uncorks and
writes).
"""

from __future__ import annotations

import socket
from typing import Any, Optional, Protocol

from twisted.internet.interfaces import IDelayedCall
from twisted.logger import Logger

from txh11._twisted import mayBypass

from . import _socket

__all__ = ["Output", "flushAtNextTurn", "NEXT_TURN"]

#: Delay for "the next reactor turn" in repeating loops.  Not 0: a task.Clock
#: runs calls scheduled at the current time from inside advance(), so a
#: self-rescheduling callLater(0) would never let a test regain control.
NEXT_TURN = 1e-6

_log = Logger()


class _Holding(Protocol):
    clock: Any

    def turnEnded(self) -> None: ...

    def abortConnection(self) -> None: ...


#: reactor -> (the call at its next turn, the protocols whose output waits for it)
_nextTurn: dict[Any, tuple[IDelayedCall, list[_Holding]]] = {}


def flushAtNextTurn(clock: Any, holder: _Holding) -> None:
    """Call ``holder.turnEnded()`` at the start of ``clock``'s next turn,
    with every other holder of this turn."""
    turn = _nextTurn.get(clock)
    if turn is not None and turn[0].active():
        turn[1].append(holder)
        return
    # none yet, or its call was cancelled (a stopped reactor, a test's
    # clean-up): a new call takes over whatever still waits
    waiting = turn[1] if turn is not None else []
    waiting.append(holder)
    _nextTurn[clock] = (clock.callLater(0, _flushTurn, clock), waiting)


def _flushTurn(clock: Any) -> None:
    for holder in _nextTurn.pop(clock)[1]:
        try:
            holder.turnEnded()
        except Exception:  # the other connections' output still goes
            _log.failure("writing to {holder!r} failed; aborting", holder=holder)
            holder.abortConnection()


class Output:
    """
    One connection's outgoing bytes.  The protocol appends to :attr:`out`
    while :attr:`cork` is held (or while bytes wait already) and counts them
    down from :attr:`room`; :meth:`flush` writes what waits in one transport
    call.  On a plain TCP transport whose own buffer is empty the bytes go to
    the socket at once (:meth:`write`): a response that fits the socket's
    buffer costs one ``send()``, not a write buffer, an epoll registration,
    a wake-up and a deregistration in the reactor.  What the socket does not
    take goes to the transport, so order, buffering and producer pauses stay
    Twisted's.

    :ivar sock: the socket bytes may bypass the transport to, or ``None``
        (not a plain transport; or delivery stopped: then the transport takes
        the last output, and its close writes and closes in one go).
    :ivar plain: the plain socket, if the transport is one.
    :ivar lost: the transport is gone: nothing is written.
    """

    lost = False

    def __init__(self, transport: Any, sock: Optional[socket.socket], limit: int) -> None:
        self.out: list[bytes] = []
        self.room = limit
        self.cork = 0
        self.transport = transport
        self.sock = self.plain = sock
        self.limit = limit

    def flushSoon(self, holder: _Holding) -> None:
        """:meth:`flush`; on a plain TCP transport at the start of the
        reactor's next turn instead, with every other connection's output
        of this turn (:func:`flushAtNextTurn`; corked until
        ``holder.turnEnded()``, past ``limit`` flushed at once)."""
        if self.plain is None or not self.out:
            self.flush()
            return
        self.cork += 1
        flushAtNextTurn(holder.clock, holder)

    def writeRaw(self, data: Any) -> None:
        """Bytes not framed by the core (a passthrough body's): held with
        the rest while corked (a small body then leaves with its head)."""
        if type(data) is not bytes:
            data = bytes(data)
        self.out.append(data)
        self.room -= len(data)
        if self.cork == 0 or self.room <= 0:
            self.flush()

    def flush(self) -> None:
        """Write what waits, in one call."""
        out = self.out
        if out:
            self.out = []
            small = self.room > 0
            self.room = self.limit
            if not self.lost:
                if len(out) == 1:
                    self.write(out[0])
                elif small:
                    # one buffer: a transport's writeSequence checks and
                    # counts each part in Python
                    self.write(b"".join(out))
                else:
                    self.writeSequence(out)

    def discard(self) -> None:
        """Drop what waits, write nothing more directly (an abort)."""
        self.out = []
        self.room = self.limit
        self.sock = None

    def write(self, data: bytes) -> None:
        """``transport.write(data)``, to the socket at once if it may."""
        sock = self.sock
        if sock is not None and mayBypass(self.transport):
            data = _socket.sendNow(sock, data)
            if not data:
                return
        self.transport.write(data)

    def writeSequence(self, parts: list[bytes]) -> None:
        """``transport.writeSequence(parts)``, with ``sendmsg()`` (no join)
        where :meth:`write` would write to the socket."""
        sock = self.sock
        if sock is not None and len(parts) <= _socket.IOV_MAX and mayBypass(self.transport):
            parts = _socket.sendSequenceNow(sock, parts)
            if not parts:
                return
        self.transport.writeSequence(parts)
