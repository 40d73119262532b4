"""Response bodies: backpressure to the socket, unclaimed bodies, stopping."""

from __future__ import annotations

import gc

import pytest
from twisted.web.client import ResponseDone, ResponseFailed, readBody

from txh11.client import HTTP11ClientProtocol

from tests._support.client import KEY, Collector, Conn, URL, collect, makeAgent, result, startRequest



def _response(agent, reactor, head):
    d = agent.request(b"GET", URL)
    c = Conn(reactor)
    c.receive(head)
    return result(d), c


def test_consumer_pause_pauses_the_socket():
    agent, reactor, pool = makeAgent()
    r, c = _response(agent, reactor, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    col = collect(r, reactor)
    assert c.transport.producerState == "producing"
    c.receive(b"3\r\nabc\r\n")
    assert col.body == b"abc"
    col.transport.pauseProducing()
    assert c.transport.producerState == "paused"
    # bytes already read stay in the core, unparsed, until resumed
    c.receive(b"3\r\ndef\r\n")
    assert col.body == b"abc"
    col.transport.resumeProducing()
    reactor.advance(0)
    assert col.body == b"abcdef"
    assert c.transport.producerState == "producing"
    c.receive(b"0\r\n\r\n")
    assert col.reason.check(ResponseDone)


def test_large_body_before_deliver_body_is_held_with_socket_paused():
    agent, reactor, pool = makeAgent()
    size = HTTP11ClientProtocol.unclaimedBodyLimit * 4
    r, c = _response(
        agent, reactor, b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size
    )
    assert c.transport.producerState == "paused"
    c.receive(b"x" * 1000)
    assert r._body.pending == []  # held in the core, not parsed
    col = collect(r, reactor)
    assert col.body == b"x" * 1000
    assert c.transport.producerState == "producing"
    c.receive(b"y" * (size - 1000))
    assert len(col.body) == size and col.reason.check(ResponseDone)
    assert len(pool.cachedConnections(KEY)) == 1


def test_chunked_body_read_ahead_is_bounded():
    agent, reactor, pool = makeAgent()
    limit = HTTP11ClientProtocol.unclaimedBodyLimit
    r, c = _response(agent, reactor, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    assert c.transport.producerState == "producing"
    chunk = b"%x\r\n%s\r\n" % (16384, b"z" * 16384)
    for _ in range(limit // 16384 + 1):
        c.receive(chunk)
    assert c.transport.producerState == "paused"
    held = r._body.pendingLen
    c.receive(chunk * 4)
    assert r._body.pendingLen == held  # nothing more parsed while paused
    assert held <= limit + 16384
    col = collect(r, reactor)
    assert len(col.body) == 16384 * (limit // 16384 + 5)
    assert c.transport.producerState == "producing"


def test_small_body_read_ahead_frees_the_connection():
    # e.g. the body of a redirect that RedirectAgent never reads
    agent, reactor, pool = makeAgent()
    r, c = _response(agent, reactor, b"HTTP/1.1 302 Found\r\nContent-Length: 4\r\nLocation: /x\r\n\r\nmove")
    assert len(pool.cachedConnections(KEY)) == 1
    assert result(readBody(r)) == b"move"


def test_unclaimed_body_never_returns_connection_and_gc_closes_it():
    agent, reactor, pool, d, c = startRequest(b"GET", URL)
    c.receive(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\nabc")
    seen = []
    d.addCallback(lambda r: seen.append(r.code))  # drops the response
    gc.collect()
    assert seen == [200]
    assert pool.cachedConnections(KEY) == []
    reactor.advance(0)
    assert c.transport.disconnected  # aborted: its body will never be read
    c.lose()
    d2 = agent.request(b"GET", URL)
    assert len(reactor.tcpClients) == 1  # a new connection


def test_stop_producing_aborts_and_reports():
    agent, reactor, pool = makeAgent()
    r, c = _response(agent, reactor, b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
    col = collect(r, reactor)
    c.receive(b"abc")
    col.transport.stopProducing()
    assert c.transport.disconnected
    c.receive(b"more")  # ignored
    c.lose()
    assert col.body == b"abc"
    assert col.reason.check(ResponseFailed)
    assert pool.cachedConnections(KEY) == []


def test_read_body_cancel_aborts_connection():
    agent, reactor, pool = makeAgent()
    r, c = _response(agent, reactor, b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
    body = readBody(r)
    reactor.advance(0)
    body.cancel()
    assert c.transport.disconnected
    body.addErrback(lambda f: None)


def test_deliver_body_twice_raises():
    agent, reactor, pool = makeAgent()
    r, c = _response(agent, reactor, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")
    r.deliverBody(Collector())
    with pytest.raises(RuntimeError):
        r.deliverBody(Collector())


def test_pause_during_held_data_after_connection_lost():
    agent, reactor, pool = makeAgent()
    r, c = _response(agent, reactor, b"HTTP/1.1 200 OK\r\n\r\nabc")
    c.receive(b"def")
    c.lose()  # close-delimited body: everything is now in memory
    col = Collector()

    class Pausing(Collector):
        def connectionMade(self):
            self.transport.pauseProducing()

    col = Pausing()
    r.deliverBody(col)
    assert col.body == b"" and col.reason is None
    col.transport.resumeProducing()
    assert col.body == b"abcdef"
    assert col.reason is not None


def test_deliver_body_after_failure():
    agent, reactor, pool = makeAgent()
    r, c = _response(agent, reactor, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab")
    c.lose()
    col = Collector()
    r.deliverBody(col)
    assert col.body == b"ab"
    assert col.reason.check(ResponseFailed)
    assert r.trailers is None


def test_body_transport_addresses():
    agent, reactor, pool = makeAgent()
    r, c = _response(agent, reactor, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")
    col = Collector()
    r.deliverBody(col)
    assert col.transport.getPeer().port == 8080
    assert col.transport.getHost().port == 50000
