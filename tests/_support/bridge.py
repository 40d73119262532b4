"""Shared pieces for the bridge tests: a recording protocol and feeders."""

from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport, StringTransportWithDisconnection


import txh11 as h11
from txh11.protocol import HTTP11Protocol
from tests._support.testlib import TickingProducer, feed  # noqa: F401  (re-exported for the tests)

GET = b"GET /%d HTTP/1.1\r\nHost: a\r\n\r\n"


def get(n):
    return GET % n


class WriteCountingTransport(StringTransport):
    """A StringTransport that also remembers each write call."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.calls = []

    def write(self, data):
        self.calls.append([data])
        super().write(data)

    def writeSequence(self, seq):
        seq = list(seq)
        self.calls.append(seq)
        for data in seq:
            StringTransport.write(self, data)


class Recorder(HTTP11Protocol):
    """Records every hook call; answers nothing unless told to."""

    def __init__(self, clock, respond=False):
        super().__init__(clock)
        self.log = []
        self.respond = respond
        self.depth = 0
        self.maxDepth = 0

    def eventReceived(self, event):
        self.depth += 1
        self.maxDepth = max(self.maxDepth, self.depth)
        try:
            self.log.append(event)
            if self.respond and type(event) is h11.Request:
                self.answer()
        finally:
            self.depth -= 1

    def answer(self, body=b"ok"):
        self.sendEvents(
            [
                h11.Response(status_code=200, headers=[("content-length", str(len(body)))], reason=b"OK"),
                h11.Data(data=body),
                h11.EndOfMessage(),
            ]
        )

    def protocolErrorReceived(self, exc):
        self.log.append(("error", exc))
        super().protocolErrorReceived(exc)

    def timeoutReached(self, kind):
        self.log.append(("timeout", kind))
        super().timeoutReached(kind)

    def connectionClosed(self, reason):
        self.log.append(("closed", reason))

    def types(self):
        return [type(e) if not isinstance(e, tuple) else e[0] for e in self.log]


def connect(respond=False, transport=None, cls=Recorder, **attrs):
    clock = Clock()
    proto = cls(clock, respond=respond) if cls is Recorder else cls(clock)
    for k, v in attrs.items():
        setattr(proto, k, v)
    transport = transport if transport is not None else StringTransport()
    if isinstance(transport, StringTransportWithDisconnection):
        transport.protocol = proto
    proto.makeConnection(transport)
    return proto, transport, clock
