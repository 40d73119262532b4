"""
Output held until the start of the reactor's next turn, for every connection
of that reactor at once.

Sent one by one as each answer is made, responses would each wake their
peer and interleave the kernel's work with ours: under wrk that cost a
third of the requests per second.  Sent together after the turn's reads,
they need a third of the system time.  A protocol that holds output asks
:func:`flushAtNextTurn`; at the next turn each such protocol's
:meth:`~txh11.protocol.HTTP11Protocol.turnEnded` runs (it uncorks and
writes).
"""

from __future__ import annotations

from typing import Any, Protocol

from twisted.internet.interfaces import IDelayedCall
from twisted.logger import Logger

__all__ = ["flushAtNextTurn", "NEXT_TURN"]

#: Delay for "the next reactor turn" in repeating loops.  Not 0: a task.Clock
#: runs calls scheduled at the current time from inside advance(), so a
#: self-rescheduling callLater(0) would never let a test regain control.
NEXT_TURN = 1e-6

_log = Logger()


class _Holding(Protocol):
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
