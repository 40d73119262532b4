"""Smoke tests of HTTP11Protocol with StringTransport and Clock."""

from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport

import txh11 as h11
from txh11.protocol import HTTP11Protocol


class Echo(HTTP11Protocol):
    def __init__(self, clock):
        super().__init__(clock)
        self.events = []

    def eventReceived(self, event):
        self.events.append(event)
        if type(event) is h11.Request:
            self.sendEvents(
                [
                    h11.Response(status_code=200, headers=[("content-length", "2")]),
                    h11.Data(data=b"hi"),
                    h11.EndOfMessage(),
                ]
            )


def connect():
    clock = Clock()
    proto = Echo(clock)
    transport = StringTransport()
    proto.makeConnection(transport)
    return proto, transport, clock


def test_pipelined_sync_responses_in_order():
    proto, transport, clock = connect()
    assert transport.producer is proto and transport.streaming
    proto.dataReceived(
        b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n"
    )
    out = transport.value()
    assert out.count(b"HTTP/1.1 200 OK") == 2
    assert [type(e) for e in proto.events] == [
        h11.Request,
        h11.EndOfMessage,
        h11.Request,
        h11.EndOfMessage,
    ]
    assert proto.conn.states == {h11.CLIENT: h11.IDLE, h11.SERVER: h11.IDLE}
