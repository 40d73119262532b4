"""Helpers shared by the bridge and server suites: feeding bytes, a ticking IBodyProducer."""

from twisted.internet import defer
from twisted.web.iweb import IBodyProducer
from zope.interface import implementer


def feed(proto, data, bytewise):
    """Deliver ``data`` to ``proto`` in one piece, or one byte at a time."""
    if bytewise:
        for i in range(len(data)):
            proto.dataReceived(data[i : i + 1])
    else:
        proto.dataReceived(data)


@implementer(IBodyProducer)
class TickingProducer:
    """An IBodyProducer writing ``data`` in ``size`` pieces, one per clock tick."""

    def __init__(self, data, clock, size=4096):
        self.data = data
        self.length = len(data)
        self.clock = clock
        self.size = size
        self.paused = False
        self.call = None

    def startProducing(self, consumer):
        self.consumer = consumer
        self.pos = 0
        self.deferred = defer.Deferred()
        self._schedule()
        return self.deferred

    def _schedule(self):
        if self.call is None and not self.paused and self.deferred is not None:
            self.call = self.clock.callLater(0.001, self._tick)

    def _tick(self):
        self.call = None
        chunk = self.data[self.pos : self.pos + self.size]
        self.pos += len(chunk)
        self.consumer.write(chunk)
        if self.deferred is None:  # stopped from inside write()
            return
        if self.pos >= len(self.data):
            d, self.deferred = self.deferred, None
            d.callback(None)
        else:
            self._schedule()

    def pauseProducing(self):
        self.paused = True
        if self.call is not None:
            self.call.cancel()
            self.call = None

    def resumeProducing(self):
        self.paused = False
        self._schedule()

    def stopProducing(self):
        self.pauseProducing()
        self.deferred = None
