"""
The handler methods a protocol has when it is its own handler: the defaults
of the subclass API (``class Echo(HTTP11Protocol)`` overrides some of them),
and the handler of a connection that is gone.
"""

from __future__ import annotations

from typing import Any

from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from ._interfaces import IHTTP11Handler

__all__ = ["OwnHandler", "DETACHED"]

_log = Logger()


class OwnHandler:
    """
    The default :class:`IHTTP11Handler` methods of
    :class:`~txh11.protocol.HTTP11Protocol`, which a subclass overrides.
    They drive the protocol through its public methods only
    (``loseConnection``, ``startNextCycle``, ``peerName``).
    """

    loseConnection: Any
    startNextCycle: Any
    peerName: Any

    def eventReceived(self, event: Any) -> None:
        """An event from the peer, in wire order."""

    def protocolErrorReceived(self, exc: Exception) -> None:
        """The peer broke the protocol; the core's their_state is ERROR.
        Default: graceful close."""
        self.loseConnection()

    def cycleCompleted(self, reusable: bool) -> None:
        """Both sides finished their message (DONE/MUST_CLOSE/CLOSED).
        Default: the next cycle if ``reusable``, else a graceful close."""
        if reusable:
            self.startNextCycle()
        else:
            self.loseConnection()

    def timeoutReached(self, kind: str) -> None:
        """An idle/header/body timeout fired.  Default: graceful close."""
        _log.info("{kind} timeout on {peer}", kind=kind, peer=self.peerName())
        self.loseConnection()

    def connectionClosed(self, reason: Failure) -> None:
        """The transport is gone."""

    def protocolSwitched(self, data: bytes) -> None:
        """
        Both sides switched protocols (Upgrade + 101, or CONNECT + 2xx).  The
        bridge stopped parsing HTTP and no longer is the transport's
        producer; ``data`` are the bytes already received after the switch,
        later bytes go to :meth:`rawDataReceived`.  Default: close.
        """
        self.loseConnection()

    def rawDataReceived(self, data: bytes) -> None:
        """Bytes received after a protocol switch.  Default: dropped."""


@implementer(IHTTP11Handler)
class _Detached:
    """The handler of a protocol whose connection is gone: nothing more is
    reported (and the protocol no longer keeps its handler alive)."""

    def eventReceived(self, event: Any) -> None:
        pass

    def protocolErrorReceived(self, exc: Exception) -> None:
        pass

    def cycleCompleted(self, reusable: bool) -> None:
        pass

    def timeoutReached(self, kind: str) -> None:
        pass

    def connectionClosed(self, reason: Failure) -> None:
        pass

    def protocolSwitched(self, data: bytes) -> None:
        pass

    def rawDataReceived(self, data: bytes) -> None:
        pass


DETACHED = _Detached()
