"""
The bridge's timeouts: one read timeout at a time (idle, header, body or
linger) and the close deadline, all served by one ``DelayedCall`` on an
injected ``IReactorTime``.

Which read timeout applies is the protocol's decision (it knows the core's
states and its own pauses); this part only keeps the deadlines and the one
call that wakes the protocol when one of them may be due.
"""

from __future__ import annotations

import socket
from typing import AbstractSet, Any, Callable, Optional

from twisted.internet.interfaces import IDelayedCall, IReactorTime

import txh11 as h11

from . import _socket
from ._interfaces import TIMEOUT_BODY, TIMEOUT_HEADER, TIMEOUT_IDLE

__all__ = [
    "Deadlines",
    "readTimeoutFor",
    "firstReadTimeout",
    "globalReactor",
    "NEVER",
    "TIMEOUT_LINGER",
    "TIMEOUT_CLOSE",
]

_IDLE = h11.IDLE
_SEND_BODY = h11.SEND_BODY
_SEND_RESPONSE = h11.SEND_RESPONSE

NEVER = float("inf")

#: read timeout while discarding input after a half-close
TIMEOUT_LINGER = "linger"
#: from the start of a graceful close to a forced abort
TIMEOUT_CLOSE = "close"


def readTimeoutFor(conn: Any, paused: AbstractSet[str]) -> Optional[str]:
    """
    The read timeout that fits ``conn``'s state while delivery is paused
    for the reasons in ``paused``: idle (both sides idle, nothing received,
    not paused), header (part of a head received) or body (reading a body,
    not paused) -- they exclude each other, so at most one runs -- or none.
    """
    theirs = conn.their_state
    if theirs is _SEND_BODY:
        return None if paused else TIMEOUT_BODY
    if (theirs is _IDLE or theirs is _SEND_RESPONSE) and conn.trailing_data[0]:
        # part of a head is buffered (the core holds only that while it
        # waits for a head): the slowloris deadline
        return TIMEOUT_HEADER
    if theirs is _IDLE and conn.our_state is _IDLE and not paused:
        return TIMEOUT_IDLE
    return None


def firstReadTimeout(settings: Any, tls: bool) -> str:
    """
    The read timeout of a fresh connection: on a TLS server connection the
    first head is due within ``headerTimeout`` of the accept (unless the
    idle timeout is shorter), since the handshake's bytes never reach
    dataReceived and a stalled handshake would otherwise last the idle
    timeout; else the idle timeout.
    """
    header, idle = settings.headerTimeout, settings.idleTimeout
    if tls and header is not None and (idle is None or header < idle) and settings.role is h11.SERVER:
        return TIMEOUT_HEADER
    return TIMEOUT_IDLE


def globalReactor() -> IReactorTime:
    """Twisted's global reactor, imported when first needed (a protocol
    made without a reactor)."""
    from twisted.internet import reactor

    return reactor  # type: ignore[return-value]


class Deadlines:
    """
    The read timeout and the close deadline of one connection.

    :ivar kind: the read timeout running (``"idle"``, ``"header"``,
        ``"body"``, ``"linger"``) or ``None``.
    :ivar readDeadline: when ``kind`` fires (``NEVER`` if it is disabled).
    :ivar startedAt: when ``kind`` started.
    :ivar closeDeadline: when a stalled graceful close is aborted.
    :ivar call: the one ``DelayedCall`` serving both deadlines, or ``None``.
    :ivar callAt: when ``call`` runs.
    """

    # Class attributes as the starting values: made for every connection,
    # the object then costs no __init__ call.  (``clock`` is set by the
    # protocol once its reactor is known.)
    clock: IReactorTime
    kind: Optional[str] = None
    readDeadline = NEVER
    startedAt = 0.0
    closeDeadline = NEVER
    call: Optional[IDelayedCall] = None
    callAt = NEVER

    def startRead(self, kind: Optional[str], settings: Any, wake: Callable[[], None]) -> None:
        """
        Run the read timeout ``kind`` from now (``None``: none), for as
        many seconds as ``settings`` (the protocol) says: its
        ``idleTimeout``, ``headerTimeout``, ``bodyTimeout`` or
        ``lingerTimeout`` (``None``: it never fires).  ``wake`` is called
        when a deadline may be due.
        """
        self.kind = kind
        if kind is None:
            return
        now = self.startedAt = self.clock.seconds()
        if kind is TIMEOUT_IDLE:
            seconds = settings.idleTimeout
        elif kind is TIMEOUT_HEADER:
            seconds = settings.headerTimeout
        elif kind is TIMEOUT_BODY:
            seconds = settings.bodyTimeout
        else:
            seconds = settings.lingerTimeout
        if seconds is None:
            self.readDeadline = NEVER
            return
        deadline = self.readDeadline = now + seconds
        if deadline < self.callAt:
            closeTimeout = settings.closeTimeout
            if closeTimeout is not None and now + closeTimeout < deadline:
                # A new call (not a re-arm) runs no later than closeTimeout
                # from now: a close starting before then finds a call early
                # enough (a connection per request arms one DelayedCall,
                # not two).
                deadline = now + closeTimeout
            self._wakeBy(deadline, now, wake)

    def closing(self, settings: Any, wake: Callable[[], None]) -> None:
        """A graceful close began: no read timeout; the close deadline
        (``settings.closeTimeout``) unless it is ``None``."""
        self.kind = None
        if settings.closeTimeout is not None:
            self.startClose(settings.closeTimeout, wake)

    def startClose(self, seconds: float, wake: Callable[[], None]) -> None:
        """Abort a graceful close that takes more than ``seconds``."""
        now = self.clock.seconds()
        deadline = self.closeDeadline = now + seconds
        if deadline < self.callAt:
            self._wakeBy(deadline, now, wake)

    def _wakeBy(self, deadline: float, now: float, wake: Callable[[], None]) -> None:
        """
        Have the call run by ``deadline``.  A deadline moved later leaves it
        to run early, find nothing due and re-arm, so a keep-alive
        connection does not create and cancel a DelayedCall per request.
        """
        call = self.call
        if call is not None:
            # Never DelayedCall.reset() to an earlier time: the reactor does
            # that with a linear search of all its pending calls, so every
            # connection would pay for every other one.  A cancel is O(1) and
            # a new call O(log n).
            call.cancel()
        call = self.call = self.clock.callLater(deadline - now, wake)
        self.callAt = call.getTime()

    def due(self, wake: Callable[[], None]) -> list[str]:
        """The call ran: what is due now (``TIMEOUT_CLOSE`` and/or the read
        timeout's kind), re-arming for what is not."""
        self.call = None
        self.callAt = NEVER
        now = self.clock.seconds()
        due = []
        if self.closeDeadline <= now:
            self.closeDeadline = NEVER
            due.append(TIMEOUT_CLOSE)
        read = self.kind
        if read is None:
            nextDeadline = self.closeDeadline
        elif self.readDeadline <= now:
            self.readDeadline = NEVER
            nextDeadline = self.closeDeadline
            due.append(read)
        else:
            nextDeadline = min(self.readDeadline, self.closeDeadline)
        if nextDeadline != NEVER:
            self._wakeBy(nextDeadline, now, wake)
        return due

    def cancel(self) -> None:
        """Stop every timeout."""
        self.kind = None
        self.closeDeadline = NEVER
        call = self.call
        if call is not None:
            call.cancel()
            self.call = None
            self.callAt = NEVER

    def quietFor(self, conn: Any, sock: Optional[socket.socket]) -> Optional[float]:
        """Seconds since the idle timeout started (or a TLS connection's
        first header timeout, no byte of the head received), if no byte of
        a request waits in ``sock`` either; else ``None``."""
        kind = self.kind
        if kind is TIMEOUT_HEADER and not conn.trailing_data[0] and conn.their_state is _IDLE:
            pass  # a TLS connection's first head, not begun (firstReadTimeout)
        elif kind is not TIMEOUT_IDLE:
            return None
        if sock is not None and not _socket.nothingUnread(sock):
            return None  # a request is arriving: the reactor reads it next
        return self.clock.seconds() - self.startedAt

    def __repr__(self) -> str:
        return f"<Deadlines {self.kind} read={self.readDeadline} close={self.closeDeadline}>"
