"""Every error path of the server, fed whole and one byte at a time."""

import pytest
from twisted.internet import defer
from twisted.logger import globalLogPublisher

import txh11 as h11

from tests._support.server import feed, hello, serve, statuses

BAD = {
    400: b"GET / HTTP/1.1\r\nHost a\r\n\r\n",
    431: b"GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + b"x" * 20000 + b"\r\n\r\n",
    414: b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: a\r\n\r\n",
    501: b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
    505: b"GET / HTTP/2.0\r\nHost: a\r\n\r\n",
}


@pytest.fixture
def logged():
    events = []
    globalLogPublisher.addObserver(events.append)
    yield events
    globalLogPublisher.removeObserver(events.append)


@pytest.mark.parametrize("bytewise", [False, True], ids=["whole", "bytewise"])
@pytest.mark.parametrize("status", sorted(BAD))
def test_remote_protocol_error_answers_hint_and_closes(status, bytewise, logged):
    handled = []
    proto, transport, clock = serve(handled.append)
    feed(proto, BAD[status], bytewise)
    wire = transport.value()
    assert statuses(wire) == [status], wire[:200]
    assert b"connection: close" in wire.lower()
    assert transport.disconnecting
    assert handled == []
    assert any("protocol error" in (e.get("log_format") or "") for e in logged)


@pytest.mark.parametrize("bytewise", [False, True], ids=["whole", "bytewise"])
def test_error_after_a_good_request_in_the_pipeline(bytewise):
    proto, transport, clock = serve(hello)
    feed(proto, b"GET /a HTTP/1.1\r\nHost: a\r\n\r\n" + BAD[400], bytewise)
    clock.advance(0)
    assert statuses(transport.value()) == [200, 400]


@pytest.mark.parametrize("bytewise", [False, True], ids=["whole", "bytewise"])
def test_bad_chunked_body_while_handler_reads(bytewise):
    seen = []

    def handler(request):
        request.readBody().addErrback(seen.append)

    proto, transport, clock = serve(handler)
    feed(
        proto,
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXX",
        bytewise,
    )
    assert statuses(transport.value()) == [400]
    assert seen and seen[0].check(h11.RemoteProtocolError)
    assert transport.disconnecting


@pytest.mark.parametrize("bytewise", [False, True], ids=["whole", "bytewise"])
@pytest.mark.parametrize("length", [b"11", b"123456789012345678901"])
def test_max_body_size_by_content_length(length, bytewise):
    handled = []
    proto, transport, clock = serve(handled.append, maxBodySize=10)
    feed(proto, b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: " + length + b"\r\n\r\n", bytewise)
    assert statuses(transport.value()) == [413]
    assert b"connection: close" in transport.value()
    assert transport.disconnecting
    assert handled == []


@pytest.mark.parametrize("bytewise", [False, True], ids=["whole", "bytewise"])
def test_max_body_size_chunked(bytewise):
    seen = []

    def handler(request):
        request.readBody().addErrback(seen.append)

    proto, transport, clock = serve(handler, maxBodySize=10)
    feed(
        proto,
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n",
        bytewise,
    )
    assert statuses(transport.value()) == [413]
    assert transport.disconnecting
    assert seen


@pytest.mark.parametrize("bytewise", [False, True], ids=["whole", "bytewise"])
def test_exception_before_response_is_500(bytewise, logged):
    def handler(request):
        raise ValueError("oops")

    proto, transport, clock = serve(handler)
    feed(proto, b"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n", bytewise)
    assert statuses(transport.value()) == [500]
    assert transport.disconnecting
    assert any(e.get("log_failure") and e["log_failure"].check(ValueError) for e in logged)


def test_failed_deferred_before_response_is_500(logged):
    d = defer.Deferred()
    proto, transport, clock = serve(lambda request: d)
    proto.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert transport.value() == b""
    d.errback(KeyError("late"))
    assert statuses(transport.value()) == [500]
    assert transport.disconnecting


def test_already_failed_deferred_is_500(logged):
    proto, transport, clock = serve(lambda request: defer.fail(KeyError("at once")))
    proto.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert statuses(transport.value()) == [500]
    assert transport.disconnecting
    assert any(e.get("log_failure") and e["log_failure"].check(KeyError) for e in logged)


def test_coroutine_handler_failure_is_500(logged):
    async def handler(request):
        raise RuntimeError("async oops")

    proto, transport, clock = serve(handler)
    proto.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert statuses(transport.value()) == [500]


@pytest.mark.parametrize("bytewise", [False, True], ids=["whole", "bytewise"])
def test_exception_after_response_head_aborts(logged, bytewise):
    def handler(request):
        request.send(h11.Response(status_code=200, headers=[("transfer-encoding", "chunked")]))
        request.send(h11.Data(data=b"partial"))
        raise ValueError("half way")

    proto, transport, clock = serve(handler)
    get = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
    feed(proto, get + get, bytewise)
    clock.advance(0)
    wire = transport.value()
    # no 500 after a head, no answer to the second request (the head, held
    # until the reactor's next turn, may go down with the abort)
    assert statuses(wire) in ([], [200])
    assert transport.disconnected  # aborted, not a graceful close
    assert not wire.endswith(b"0\r\n\r\n")  # never looks complete
    assert any(e.get("log_failure") for e in logged)


def test_exception_after_complete_response_only_logged(logged):
    def handler(request):
        hello(request)
        raise ValueError("after the fact")

    proto, transport, clock = serve(handler)
    proto.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n")
    assert statuses(transport.value()) == [200, 200]
    assert not transport.disconnecting
    assert any(e.get("log_failure") for e in logged)


def test_local_protocol_error_in_handler_aborts(logged):
    def handler(request):
        request.send(h11.Response(status_code=200, headers=[("content-length", "1")]))
        request.send(h11.Data(data=b"too long"))

    proto, transport, clock = serve(handler)
    proto.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert transport.disconnected


def test_sends_after_connection_lost_are_ignored():
    from twisted.internet.testing import StringTransportWithDisconnection

    requests = []
    proto, transport, clock = serve(requests.append, transport=StringTransportWithDisconnection())
    proto.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    finished = []
    requests[0].notifyFinish().addErrback(finished.append)
    transport.loseConnection()
    assert finished
    hello(requests[0])  # no exception, nothing written
