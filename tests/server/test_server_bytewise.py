"""
The flow-control, timeout and error-path scenarios that the bridge and
server suites feed only whole (or only one byte at a time), fed both ways:
a paused body consumer pauses the transport, the idle keep-alive, header,
body-inactivity and stalled-graceful-close timeouts, a failed Deferred after
the response head, a short / long body producer.
"""


import pytest
from twisted.internet import defer

import txh11 as h11
from txh11.bodies import ProducerBody
from txh11.protocol import BodyLengthError
from txh11.server import RequestBodyDone

from tests._support.server import Collect, TickingProducer, feed, hello, serve, statuses


BOTH = pytest.mark.parametrize("bytewise", [False, True], ids=["whole", "bytewise"])
SETTINGS = dict(idleTimeout=10, headerTimeout=5, bodyTimeout=3, lingerTimeout=1, closeTimeout=4)
GET = b"GET /a HTTP/1.1\r\nHost: a\r\n\r\n"


# -- flow control ----------------------------------------------------------


class PausingBody(Collect):
    """A body consumer that pauses its producer after every piece."""

    def dataReceived(self, data):
        super().dataReceived(data)
        self.transport.pauseProducing()


@BOTH
def test_paused_body_consumer_pauses_the_transport(bytewise):
    requests = []
    proto, transport, clock = serve(requests.append)
    body = PausingBody()
    head = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
    feed(proto, head, bytewise)
    requests[0].deliverBody(body)
    clock.advance(0)
    assert transport.producerState == "producing"
    # the whole body arrives (already in flight) while the consumer pauses
    feed(proto, b"3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n" + GET, bytewise)
    assert len(body.data) == 1
    assert transport.producerState == "paused"
    assert len(requests) == 1  # the pipelined GET stays unparsed
    turns = 0
    while body.reason is None:
        turns += 1
        assert turns < 20
        before = len(body.data)
        body.transport.resumeProducing()
        clock.advance(0)
        assert len(body.data) <= before + 1  # one piece per resume
    assert b"".join(body.data) == b"abcdef"
    assert body.reason.check(RequestBodyDone)
    hello(requests[0])
    clock.advance(0)
    assert [r.target for r in requests] == [b"/", b"/a"]
    assert transport.producerState == "producing"


# -- timeouts --------------------------------------------------------------


@BOTH
def test_idle_keepalive_timeout_after_a_request(bytewise):
    proto, transport, clock = serve(hello, **SETTINGS)
    feed(proto, GET, bytewise)
    clock.advance(0)
    assert statuses(transport.value()) == [200]
    transport.clear()
    clock.advance(9.9)
    assert not transport.disconnecting
    clock.advance(0.2)
    assert transport.value() == b""  # closed quietly, no 408
    assert transport.disconnecting


@BOTH
def test_header_timeout_gets_408(bytewise):
    handled = []
    proto, transport, clock = serve(handled.append, **SETTINGS)
    feed(proto, b"GET / HTTP/1.1\r\nHost: a\r\n", bytewise)
    clock.advance(4.9)
    assert transport.value() == b""
    clock.advance(0.2)
    assert statuses(transport.value()) == [408]
    assert transport.disconnecting
    assert handled == []


@BOTH
def test_body_inactivity_timeout_gets_408_and_reader_fails(bytewise):
    failures = []

    def handler(request):
        request.readBody().addErrback(failures.append)

    proto, transport, clock = serve(handler, **SETTINGS)
    feed(proto, b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nab", bytewise)
    clock.advance(0)
    clock.advance(2.5)
    feed(proto, b"cd", bytewise)  # activity resets the timer
    clock.advance(2.5)
    assert transport.value() == b""
    clock.advance(0.6)
    assert statuses(transport.value()) == [408]
    assert failures
    assert transport.disconnecting


@BOTH
def test_stalled_graceful_close_is_aborted(bytewise):
    proto, transport, clock = serve(hello, **SETTINGS)
    feed(proto, b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", bytewise)
    assert statuses(transport.value()) == [200]
    assert transport.disconnecting and not transport.disconnected
    clock.advance(3.9)
    assert not transport.disconnected
    clock.advance(0.2)
    assert transport.disconnected  # abortConnection


# -- error paths -----------------------------------------------------------


@BOTH
def test_failed_deferred_after_response_head_aborts(bytewise):
    pending = []

    def handler(request):
        request.send(h11.Response(status_code=200, headers=[("content-length", "10")]))
        request.send(h11.Data(data=b"abc"))
        d = defer.Deferred()
        pending.append(d)
        return d

    proto, transport, clock = serve(handler)
    feed(proto, GET, bytewise)
    assert not transport.disconnecting
    pending[0].errback(KeyError("late"))
    assert statuses(transport.value()) == [200]
    assert transport.disconnected


def producing_handler(framing, data, size, results):
    def handler(request):
        if framing == "chunked":
            headers = [("transfer-encoding", "chunked")]
        else:
            headers = [("content-length", "6")]
        request.send(h11.Response(status_code=200, headers=headers))
        body = ProducerBody(TickingProducer(data, request.channel.clock, size=size), length=6)
        d = request.sendBody(body)

        def done(result):
            results.append(result)
            if result is None:
                request.send(h11.EndOfMessage())

        d.addBoth(done)
        return d

    return handler


# (data produced, piece size, what reaches the wire after the head): six
# bytes are promised; too few end without the closing framing, too many
# are cut at the promise
WRONG_LENGTHS = {"short": (b"abc", 2, b"abc"), "long": (b"abcdefgh", 4, b"abcd")}


@pytest.mark.parametrize("framing", ["chunked", "length"])
@pytest.mark.parametrize("wrong", sorted(WRONG_LENGTHS))
@BOTH
def test_wrong_length_body_producer_aborts(framing, wrong, bytewise):
    data, size, sent = WRONG_LENGTHS[wrong]
    results = []
    proto, transport, clock = serve(producing_handler(framing, data, size, results))
    feed(proto, GET + GET, bytewise)
    for _ in range(10):
        clock.advance(0.001)
    assert results and results[0].check(BodyLengthError)
    assert transport.disconnected
    wire = transport.value().split(b"\r\n\r\n", 1)[1]
    # what was produced up to the promise, never the closing framing,
    # never a second response
    assert wire == (b"6\r\n" + sent if framing == "chunked" else sent)
    assert statuses(transport.value()) == [200]
