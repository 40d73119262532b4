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
                    h11.Response(status_code=200, headers=[("content-length", "2")], reason=b"OK"),
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


class Restarter(Echo):
    """Echo, doing ``then(self)`` right after the cycle restarted inside
    the delivery (where the bridge may end the delivery without asking the
    core for another event)."""

    then = None

    def cycleCompleted(self, reusable):
        super().cycleCompleted(reusable)
        then, self.then = self.then, None
        if then is not None:
            then(self)


def restarter(then):
    clock = Clock()
    proto = Restarter(clock)
    proto.then = then
    transport = StringTransport()
    proto.makeConnection(transport)
    return proto, transport, clock


GET = b"GET /%d HTTP/1.1\r\nHost: a\r\n\r\n"


def test_bytes_arriving_inside_the_restart_hook_are_delivered():
    proto, transport, clock = restarter(lambda p: p.dataReceived(GET % 2))
    proto.dataReceived(GET % 1)
    assert [e.target for e in proto.events if type(e) is h11.Request] == [b"/1", b"/2"]
    assert transport.value().count(b"HTTP/1.1 200 OK") == 2


def test_eof_arriving_inside_the_restart_hook_is_delivered():
    proto, transport, clock = restarter(lambda p: p.readConnectionLost())
    proto.dataReceived(GET % 1)
    assert type(proto.events[-1]) is h11.ConnectionClosed
    assert transport.disconnecting


def test_connection_lost_inside_the_restart_hook_is_delivered():
    from twisted.internet.error import ConnectionDone
    from twisted.python.failure import Failure

    proto, transport, clock = restarter(lambda p: p.connectionLost(Failure(ConnectionDone())))
    proto.dataReceived(GET % 1)
    assert type(proto.events[-1]) is h11.ConnectionClosed


def test_pause_inside_the_restart_hook_holds_the_next_request():
    proto, transport, clock = restarter(lambda p: p.pauseReading("test"))
    proto.dataReceived(GET % 1)
    proto.dataReceived(GET % 2)
    assert [e.target for e in proto.events if type(e) is h11.Request] == [b"/1"]
    assert transport.producerState == "paused"
    proto.resumeReading("test")
    clock.advance(0)
    assert [e.target for e in proto.events if type(e) is h11.Request] == [b"/1", b"/2"]
