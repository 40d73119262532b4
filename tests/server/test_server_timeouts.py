"""Server answers to timeouts: 408 where a response is possible, else close."""

from twisted.internet import defer

import txh11 as h11

from tests._support.server import hello, serve, statuses

SETTINGS = dict(idleTimeout=10, headerTimeout=5, bodyTimeout=3, lingerTimeout=1, closeTimeout=4)


def test_idle_keepalive_connection_closed_quietly():
    proto, transport, clock = serve(hello, **SETTINGS)
    proto.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    transport.clear()
    clock.advance(10.1)
    assert transport.value() == b""
    assert transport.disconnecting


def test_slowloris_gets_408():
    proto, transport, clock = serve(hello, **SETTINGS)
    for b in b"GET / HTTP/1.1\r\nHo":  # 18 bytes, 0.4 s apart: 7.2 s
        proto.dataReceived(bytes([b]))
        clock.advance(0.4)
    assert statuses(transport.value()) == [408]
    assert transport.disconnecting


def test_stalled_body_gets_408_and_reader_fails():
    failures = []

    def handler(request):
        request.readBody().addErrback(failures.append)

    proto, transport, clock = serve(handler, **SETTINGS)
    proto.dataReceived(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc")
    clock.advance(0)
    clock.advance(3.1)
    assert statuses(transport.value()) == [408]
    assert failures
    assert transport.disconnecting


def test_stalled_body_after_response_started_closes():
    def handler(request):
        request.readBody()
        request.send(h11.Response(status_code=200, headers=[("transfer-encoding", "chunked")]))

    proto, transport, clock = serve(handler, **SETTINGS)
    proto.dataReceived(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc")
    clock.advance(0)
    clock.advance(3.1)
    assert statuses(transport.value()) == [200]
    assert transport.disconnected  # aborted: the response cannot be finished


def test_slow_handler_is_not_a_timeout():
    d = defer.Deferred()
    proto, transport, clock = serve(lambda r: d.addCallback(lambda _: hello(r)), **SETTINGS)
    proto.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    clock.advance(1000)
    assert not transport.disconnecting
    d.callback(None)
    assert statuses(transport.value()) == [200]


def test_graceful_close_stall_aborts():
    proto, transport, clock = serve(hello, **SETTINGS)
    proto.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    assert transport.disconnecting and not transport.disconnected
    clock.advance(4.1)
    assert transport.disconnected
