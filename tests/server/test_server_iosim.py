"""
A bridge client (role CLIENT) talking to the server through twisted.test.iosim:
both ends of the bridge, flow control across a fake connection, no sockets.
"""

from twisted.internet import task
from twisted.test import iosim

import txh11 as h11
from txh11.bodies import FileBody, ProducerBody, stats
from txh11.protocol import HTTP11Protocol
from txh11.server import HTTP11ServerFactory

from tests._support.server import TickingProducer


class Client(HTTP11Protocol):
    role = h11.CLIENT

    def __init__(self, clock):
        super().__init__(clock)
        self.events = []

    def eventReceived(self, event):
        self.events.append(event)

    def body(self):
        return b"".join(e.data for e in self.events if type(e) is h11.Data)


def pair(handler, **settings):
    clock = task.Clock()
    server = HTTP11ServerFactory(handler, clock, **settings).buildProtocol(None)
    client = Client(clock)
    pump = iosim.connect(
        server,
        iosim.makeFakeServer(server),
        client,
        iosim.makeFakeClient(client),
        clock=clock,
    )
    return server, client, pump, clock


def run(pump, clock, n=50):
    for _ in range(n):
        pump.pump()
        clock.advance(0.001)


def test_upload_and_echo_through_iosim():
    def handler(request):
        d = request.readBody()
        d.addCallback(lambda body: request.respond(200, [], body[::-1]))

    server, client, pump, clock = pair(handler)
    payload = bytes(range(256)) * 400
    client.sendEvent(
        h11.Request(
            method="POST",
            target="/",
            headers=[("host", "x"), ("content-length", str(len(payload)))],
        )
    )
    done = []
    client.sendBody(ProducerBody(TickingProducer(payload, clock))).addCallback(
        lambda _: client.sendEvent(h11.EndOfMessage())
    ).addBoth(done.append)
    run(pump, clock)
    assert done == [None]
    assert [type(e) for e in client.events] == [h11.Response] + [h11.Data] * (
        len(client.events) - 2
    ) + [h11.EndOfMessage]
    assert client.body() == payload[::-1]
    # and the connection is reusable
    assert client.conn.states == {h11.CLIENT: h11.IDLE, h11.SERVER: h11.IDLE}


def test_file_body_through_iosim_uses_fallback(tmp_path):
    path = tmp_path / "f"
    data = b"0123456789" * 100_000
    path.write_bytes(data)

    def handler(request):
        f = open(path, "rb")
        request.respond(200, [], FileBody(f, reactor=clock)).addBoth(lambda r: f.close())

    server, client, pump, clock = pair(handler)
    stats.reset()
    client.sendEvents([h11.Request(method="GET", target="/", headers=[("host", "x")]), h11.EndOfMessage()])
    run(pump, clock, 200)
    assert client.body() == data
    assert stats.sendfile_calls == 0 and stats.fallback_bytes == len(data)


def test_connection_close_request_answered_then_closed():
    server, client, pump, clock = pair(lambda r: r.respond(200, [], b"bye"))
    client.sendEvents(
        [
            h11.Request(method="GET", target="/", headers=[("host", "x"), ("connection", "close")]),
            h11.EndOfMessage(),
        ]
    )
    run(pump, clock, 5)
    assert client.body() == b"bye"
    assert server.transport.disconnecting or server.transport.disconnected
