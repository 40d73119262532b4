"""Pipelining order, request bodies, 100-continue, responses of every shape."""

import pytest
from twisted.internet import defer
from twisted.internet.interfaces import IConsumer, IPushProducer
from twisted.internet.protocol import Protocol
from zope.interface import implementer
from zope.interface.verify import verifyObject

import txh11 as h11
from txh11.server import IRequestHandler, IServerRequest, RequestBodyDone

from tests._support.server import Collect, feed, hello, serve, statuses

PIPELINE = b"".join(b"GET /%d HTTP/1.1\r\nHost: a\r\n\r\n" % i for i in range(4))


def bodies(wire):
    return [line for line in wire.split(b"\r\n") if line.startswith(b"hello")]


def test_interfaces():
    requests = []

    @implementer(IRequestHandler)
    class Handler:
        def requestReceived(self, request):
            requests.append(request)
            hello(request)

    verifyObject(IRequestHandler, Handler())
    proto, transport, clock = serve(Handler())
    proto.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    verifyObject(IServerRequest, requests[0])
    verifyObject(IConsumer, requests[0])
    assert statuses(transport.value()) == [200]


@pytest.mark.parametrize("bytewise", [False, True], ids=["whole", "bytewise"])
def test_pipelined_synchronous(bytewise):
    proto, transport, clock = serve(hello)
    feed(proto, PIPELINE, bytewise)
    clock.advance(0)
    wire = transport.value()
    assert statuses(wire) == [200] * 4
    assert [wire.index(b"hello /%d" % i) for i in range(4)] == sorted(
        wire.index(b"hello /%d" % i) for i in range(4)
    )


@pytest.mark.parametrize("bytewise", [False, True], ids=["whole", "bytewise"])
def test_pipelined_delayed_in_reverse_order(bytewise):
    """Handlers that finish late, and out of order, still answer in order."""
    pending = []

    def handler(request):
        d = defer.Deferred()
        d.addCallback(lambda _: hello(request))
        pending.append(d)
        return d

    proto, transport, clock = serve(handler)
    feed(proto, PIPELINE, bytewise)
    # the next request is not even parsed before this one is answered
    assert len(pending) == 1
    for i in range(4):
        pending[i].callback(None)
        clock.advance(0)
    wire = transport.value()
    assert statuses(wire) == [200] * 4
    positions = [wire.index(b"hello /%d" % i) for i in range(4)]
    assert positions == sorted(positions)


def test_pipelined_mixed_sync_and_clock_delayed():
    def handler(request):
        n = int(request.target[1:])
        if n % 2:
            hello(request)
        else:
            clock.callLater(3 - n, hello, request)

    proto, transport, clock = serve(handler)
    proto.dataReceived(PIPELINE)
    for _ in range(10):
        clock.advance(1)
    wire = transport.value()
    positions = [wire.index(b"hello /%d" % i) for i in range(4)]
    assert positions == sorted(positions)


def test_body_not_read_until_handler_asks_and_100_continue_then():
    requests = []
    proto, transport, clock = serve(requests.append)
    proto.dataReceived(
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nExpect: 100-continue\r\n\r\n"
    )
    assert transport.value() == b""
    assert transport.producerState == "paused"  # unclaimed body stays in the socket
    collect = Collect()
    requests[0].deliverBody(collect)
    assert transport.value() == b"HTTP/1.1 100 Continue\r\n\r\n"
    clock.advance(0)
    assert transport.producerState == "producing"
    proto.dataReceived(b"abc")
    proto.dataReceived(b"def")
    assert b"".join(collect.data) == b"abcdef"
    assert collect.reason.check(RequestBodyDone)
    verifyObject(IPushProducer, collect.transport)


def test_no_100_continue_without_expect():
    requests = []
    proto, transport, clock = serve(requests.append)
    proto.dataReceived(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc")
    d = requests[0].readBody()
    clock.advance(0)
    assert transport.value() == b""
    assert d.result == b"abc"


@pytest.mark.parametrize("bytewise", [False, True], ids=["whole", "bytewise"])
def test_refusing_a_100_continue_body_closes(bytewise):
    def handler(request):
        request.respond(417, [], b"no thanks")

    proto, transport, clock = serve(handler)
    feed(
        proto,
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\nExpect: 100-continue\r\n\r\n",
        bytewise,
    )
    wire = transport.value()
    assert statuses(wire) == [417]
    assert b"100 Continue" not in wire
    assert b"connection: close" in wire
    assert transport.disconnecting


@pytest.mark.parametrize("via", ["respond", "send"])
def test_refusing_a_body_with_its_own_connection_close_adds_no_second_one(via):
    def handler(request):
        headers = [(b"Connection", b"keep-alive, Close"), (b"content-length", b"2")]
        if via == "respond":
            request.respond(413, headers, b"no")
        else:
            request.sendEvents(
                [
                    h11.Response(status_code=413, headers=headers),
                    h11.Data(data=b"no"),
                    h11.EndOfMessage(),
                ]
            )

    proto, transport, clock = serve(handler)
    proto.dataReceived(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n")
    wire = transport.value()
    assert statuses(wire) == [413]
    assert wire.lower().count(b"close") == 1
    assert transport.disconnecting


def test_refusing_a_small_body_discards_it_and_keeps_the_connection():
    def handler(request):
        request.respond(401, [], b"who are you")

    proto, transport, clock = serve(handler)
    proto.dataReceived(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n")
    proto.dataReceived(b"12345GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    clock.advance(0)
    assert statuses(transport.value()) == [401, 401]
    assert b"connection: close" not in transport.value()
    assert not transport.disconnecting


def test_refusing_a_large_body_closes():
    def handler(request):
        request.respond(403, [], b"")

    proto, transport, clock = serve(handler)
    proto.dataReceived(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10000000\r\n\r\nabc")
    assert statuses(transport.value()) == [403]
    assert b"connection: close" in transport.value()
    assert transport.disconnecting


def test_body_backpressure_from_the_handler():
    requests = []
    proto, transport, clock = serve(requests.append)
    proto.dataReceived(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
    collect = Collect()
    requests[0].deliverBody(collect)
    clock.advance(0)
    proto.dataReceived(b"3\r\nabc\r\n")
    collect.transport.pauseProducing()
    assert transport.producerState == "paused"
    proto.dataReceived(b"3\r\ndef\r\n0\r\nx-sum: 6\r\n\r\n")  # in flight already
    assert b"".join(collect.data) == b"abc"
    collect.transport.resumeProducing()
    clock.advance(0)
    assert b"".join(collect.data) == b"abcdef"
    assert collect.reason.check(RequestBodyDone)
    assert list(requests[0].trailers) == [(b"x-sum", b"6")]
    assert transport.producerState == "producing"


def test_stop_producing_discards_the_rest():
    requests = []
    proto, transport, clock = serve(requests.append)
    proto.dataReceived(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\nabc")
    collect = Collect()
    requests[0].deliverBody(collect)
    clock.advance(0)
    collect.transport.stopProducing()
    proto.dataReceived(b"def")
    assert b"".join(collect.data) == b"abc"
    hello(requests[0])
    proto.dataReceived(b"GET /2 HTTP/1.1\r\nHost: a\r\n\r\n")
    clock.advance(0)
    assert len(requests) == 2


def test_echo_streaming_while_reading():
    def handler(request):
        request.send(h11.Response(status_code=200, headers=[("transfer-encoding", "chunked")]))

        class Echo(Protocol):
            def dataReceived(self, data):
                request.send(h11.Data(data=data.upper()))

            def connectionLost(self, reason):
                request.send(h11.EndOfMessage(headers=[("x-done", "yes")]))

        request.deliverBody(Echo())

    proto, transport, clock = serve(handler)
    proto.dataReceived(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nab")
    clock.advance(0)
    proto.dataReceived(b"cd")
    wire = transport.value()
    assert b"2\r\nAB\r\n2\r\nCD\r\n0\r\nx-done: yes\r\n\r\n" in wire


def test_informational_responses_then_final():
    def handler(request):
        request.send(h11.InformationalResponse(status_code=103, headers=[("link", "</s.css>")]))
        request.respond(200, [], b"ok")

    proto, transport, clock = serve(handler)
    proto.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert statuses(transport.value()) == [103, 200]


def test_head_request_gets_no_body():
    proto, transport, clock = serve(hello)
    proto.dataReceived(b"HEAD /x HTTP/1.1\r\nHost: a\r\n\r\nGET /y HTTP/1.1\r\nHost: a\r\n\r\n")
    clock.advance(0)
    wire = transport.value()
    assert statuses(wire) == [200, 200]
    assert b"hello /x" not in wire and b"hello /y" in wire


def test_http10_client_gets_close_delimited_body():
    def handler(request):
        request.send(h11.Response(status_code=200, headers=[]))
        request.send(h11.Data(data=b"old school"))
        request.send(h11.EndOfMessage())

    proto, transport, clock = serve(handler)
    proto.dataReceived(b"GET / HTTP/1.0\r\n\r\n")
    assert transport.value().endswith(b"\r\n\r\nold school")
    assert transport.disconnecting


def test_connection_close_request_closes_after_response():
    proto, transport, clock = serve(hello)
    proto.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    assert b"connection: close" in transport.value().lower()
    assert transport.disconnecting


def test_notify_finish_and_write_api():
    requests = []
    proto, transport, clock = serve(requests.append)
    proto.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    request = requests[0]
    done = []
    request.notifyFinish().addCallback(done.append)
    request.send(h11.Response(status_code=200, headers=[]))
    request.write(b"written")
    request.send(h11.EndOfMessage())
    assert done == [None]
    assert b"7\r\nwritten\r\n0\r\n\r\n" in transport.value()
    assert request.notifyFinish().result is None


def test_handler_without_body_read_gets_eom_trailers():
    requests = []
    proto, transport, clock = serve(requests.append)
    proto.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    d = requests[0].readBody()
    assert d.result == b""


class RawEcho(Protocol):
    def dataReceived(self, data):
        self.transport.write(b"echo:" + data)


def test_upgrade_accepted_hands_over_raw_bytes():
    def handler(request):
        request.switchProtocols(RawEcho())
        request.send(
            h11.InformationalResponse(
                status_code=101, headers=[("upgrade", "echo"), ("connection", "upgrade")]
            )
        )

    proto, transport, clock = serve(handler)
    proto.dataReceived(
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: echo\r\n\r\nearly"
    )
    assert transport.value().startswith(b"HTTP/1.1 101 ")
    assert transport.value().endswith(b"\r\n\r\necho:early")
    assert transport.producer is None  # the raw protocol may register its own
    proto.dataReceived(b"later")
    assert transport.value().endswith(b"echo:later")
    clock.advance(1000)
    assert not transport.disconnecting  # no HTTP timeouts any more


def test_upgrade_accepted_later_while_reading_is_paused():
    requests = []
    proto, transport, clock = serve(requests.append)
    proto.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: echo\r\n\r\n")
    assert transport.producerState == "paused"  # core: PAUSED until we decide
    requests[0].switchProtocols(RawEcho())
    requests[0].send(h11.InformationalResponse(status_code=101, headers=[("upgrade", "echo")]))
    assert transport.producerState == "producing"
    proto.dataReceived(b"x")
    assert transport.value().endswith(b"echo:x")


@pytest.mark.parametrize(
    "head",
    [
        b"GET /a HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n",
        b"OPTIONS * HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n",
    ],
)
def test_upgrade_declined_keeps_http(head):
    proto, transport, clock = serve(hello)
    proto.dataReceived(head + b"GET /b HTTP/1.1\r\nHost: a\r\n\r\n")
    clock.advance(0)
    assert statuses(transport.value()) == [200, 200]


def test_connect_accepted_without_switch_target_aborts():
    def handler(request):
        request.send(h11.Response(status_code=200, headers=[]))

    proto, transport, clock = serve(handler)
    proto.dataReceived(b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
    assert transport.disconnected


def test_connect_accepted_after_a_plain_request_hands_over_raw_bytes():
    # the switch is noticed on the 2xx of the request that proposed it
    def handler(request):
        if request.method == b"CONNECT":
            request.switchProtocols(RawEcho())
            request.send(h11.Response(status_code=200, headers=[]))
        else:
            hello(request)

    proto, transport, clock = serve(handler)
    proto.dataReceived(
        b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
        b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\ntunnel"
    )
    clock.advance(0)
    assert statuses(transport.value()) == [200, 200]
    assert transport.value().endswith(b"\r\n\r\necho:tunnel")
    assert not transport.disconnecting
