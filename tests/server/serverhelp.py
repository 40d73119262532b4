"""Shared pieces for the server tests: connect a handler to a StringTransport."""

import re

from twisted.internet import defer
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport, StringTransportWithDisconnection

from twisted.web.iweb import IBodyProducer
from zope.interface import implementer

from txh11.server import HTTP11ServerFactory


def serve(handler, transport=None, **settings):
    clock = Clock()
    factory = HTTP11ServerFactory(handler, clock, **settings)
    proto = factory.buildProtocol(None)
    transport = transport if transport is not None else StringTransport()
    if isinstance(transport, StringTransportWithDisconnection):
        transport.protocol = proto
    proto.makeConnection(transport)
    return proto, transport, clock


def feed(proto, data, bytewise):
    if bytewise:
        for i in range(len(data)):
            proto.dataReceived(data[i : i + 1])
    else:
        proto.dataReceived(data)


def statuses(wire):
    """Status codes of the responses in ``wire`` (heads only, rough)."""
    return [int(m.group(1)) for m in re.finditer(rb"HTTP/1\.1 (\d\d\d) [^\r\n]*\r\n", wire)]


def hello(request):
    request.respond(200, [("content-type", "text/plain")], b"hello " + request.target)


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
