"""Shared pieces for the server tests: connect a handler to a StringTransport."""

import re

from twisted.internet.protocol import Protocol
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport, StringTransportWithDisconnection

from txh11.server import HTTP11ServerFactory
from tests._support.testlib import TickingProducer, feed  # noqa: F401  (re-exported for the tests)


def serve(handler, transport=None, **settings):
    clock = Clock()
    factory = HTTP11ServerFactory(handler, clock, **settings)
    proto = factory.buildProtocol(None)
    transport = transport if transport is not None else StringTransport()
    if isinstance(transport, StringTransportWithDisconnection):
        transport.protocol = proto
    proto.makeConnection(transport)
    return proto, transport, clock


def statuses(wire):
    """Status codes of the responses in ``wire`` (heads only, rough)."""
    return [int(m.group(1)) for m in re.finditer(rb"HTTP/1\.1 (\d\d\d) [^\r\n]*\r\n", wire)]


def hello(request):
    request.respond(200, [("content-type", "text/plain")], b"hello " + request.target)


class Collect(Protocol):
    """A body consumer that keeps what it is given and why it ended."""

    def __init__(self):
        self.data = []
        self.reason = None

    def dataReceived(self, data):
        self.data.append(data)

    def connectionLost(self, reason):
        self.reason = reason
