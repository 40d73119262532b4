"""
The bridge's producer side.  The protocol is its transport's one streaming
producer and has at most one child producer for the message body it sends
(an application's producer, or a passthrough body); the transport's
pause/resume go to the child.  A zero-copy body may take the transport over
for its duration.  Pull producers are driven as push producers
(:class:`PullToPush`).
"""

from __future__ import annotations

from typing import Any, Optional

from twisted.internet.interfaces import IDelayedCall, IPullProducer, IPushProducer, IReactorTime
from twisted.logger import Logger
from zope.interface import implementer

from ._output import NEXT_TURN

__all__ = ["PullToPush", "Producers"]

_log = Logger()


@implementer(IPushProducer)
class PullToPush:
    """Drive a pull producer as a push producer, one call per reactor turn."""

    def __init__(self, producer: IPullProducer, clock: IReactorTime) -> None:
        self._producer = producer
        self._clock = clock
        self._paused = False
        self._stopped = False
        self._call: Optional[IDelayedCall] = None

    def start(self) -> None:
        self._schedule()

    def _schedule(self) -> None:
        if self._call is None and not self._paused and not self._stopped:
            self._call = self._clock.callLater(NEXT_TURN, self._tick)

    def _tick(self) -> None:
        self._call = None
        if self._paused or self._stopped:
            return
        self._producer.resumeProducing()
        self._schedule()

    def pauseProducing(self) -> None:
        self._paused = True
        if self._call is not None:
            self._call.cancel()
            self._call = None

    def resumeProducing(self) -> None:
        self._paused = False
        self._schedule()

    def halt(self) -> None:
        """Stop scheduling, without telling the producer (unregistered)."""
        self._stopped = True
        if self._call is not None:
            self._call.cancel()
            self._call = None

    def stopProducing(self) -> None:
        self.halt()
        self._producer.stopProducing()


class Producers:
    """
    The producer state of one connection.

    :ivar child: the producer of the body being sent, or ``None``.
    :ivar pullAdapter: the :class:`PullToPush` driving a pull ``child``.
    :ivar writePaused: the transport asked us to pause.
    :ivar registered: the protocol is the transport's producer.  Tracked
        here, not read from ``transport.producer``: under TLS that is
        Twisted's ``_ProducerMembrane`` around the protocol.
    :ivar driver: the zero-copy driver the transport is lent to, or ``None``.
    """

    # Class attributes as the starting values: made for every connection,
    # the object then costs no __init__ call.
    child: Any = None
    pullAdapter: Optional[PullToPush] = None
    writePaused = False
    registered = False
    driver: Any = None

    def registerWith(self, transport: Any, protocol: IPushProducer) -> None:
        """Make ``protocol`` the transport's streaming producer."""
        transport.registerProducer(protocol, True)
        self.registered = True

    def unregisterFrom(self, transport: Any) -> None:
        """Stop being the transport's producer, if we are (TLS holds back
        its close_notify while a producer is registered)."""
        if self.registered:
            self.registered = False
            transport.unregisterProducer()

    def adopt(self, producer: Any, streaming: bool, clock: IReactorTime, lost: bool) -> None:
        """Make ``producer`` the child (``IConsumer.registerProducer``)."""
        if self.child is not None:
            raise RuntimeError(f"cannot register {producer!r}: {self.child!r} is active")
        if streaming:
            self.child = producer
        else:
            adapter = self.pullAdapter = PullToPush(producer, clock)
            self.child = adapter
            adapter.start()
        if lost:
            self.child.stopProducing()
        elif self.writePaused:
            self.child.pauseProducing()

    def release(self, keepChild: bool) -> None:
        """``IConsumer.unregisterProducer``; a passthrough body stays the
        child until it ends (``keepChild``)."""
        if self.pullAdapter is not None:
            self.pullAdapter.halt()
            self.pullAdapter = None
        if not keepChild:
            self.child = None

    def pause(self) -> None:
        self.writePaused = True
        if self.child is not None:
            self.child.pauseProducing()

    def resume(self) -> None:
        self.writePaused = False
        if self.child is not None:
            self.child.resumeProducing()

    def stop(self) -> None:
        child = self.child
        if child is not None:
            self.child = None
            try:
                child.stopProducing()
            except Exception:
                _log.failure("stopProducing of {child!r} failed", child=child)

    def lost(self) -> None:
        """The connection is gone: stop the child and its adapter."""
        if self.pullAdapter is not None:
            self.pullAdapter.halt()
        if self.child is not None:
            self.stop()

    def lend(self, transport: Any, driver: IPullProducer) -> None:
        """Lend ``transport`` to a zero-copy ``driver`` (its pull producer)."""
        self.driver = driver
        self.unregisterFrom(transport)
        transport.registerProducer(driver, False)

    def takeBack(self, transport: Any, protocol: IPushProducer, lost: bool) -> None:
        """The zero-copy driver is done: ``protocol`` is the transport's
        producer again."""
        if self.driver is None:
            return
        self.driver = None
        if lost:
            return
        transport.unregisterProducer()
        self.writePaused = False
        self.registerWith(transport, protocol)
