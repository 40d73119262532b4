"""The connection pool: reuse, bounds, expiry, dead cached connections, retry."""

from __future__ import annotations

from twisted.web.client import ResponseFailed, ResponseNeverReceived, readBody

from tests._support.client import (
    KEY,
    BytesProducer,
    Conn,
    OK,
    URL,
    failure,
    fired,
    makeAgent,
    result,
    startRequest,
)


def _get(agent, reactor, conn=None):
    d = agent.request(b"GET", URL)
    c = conn or Conn(reactor)
    return d, c


def _cached(agent, reactor):
    """A connection that answered one GET and went back to the pool."""
    d, c = _get(agent, reactor)
    c.receive(OK)
    result(readBody(result(d)))
    return c


def test_sequential_requests_reuse_one_connection():
    agent, reactor, pool = makeAgent()
    d, c = _get(agent, reactor)
    c.receive(OK)
    assert result(readBody(result(d))) == b"hello"
    for _ in range(3):
        d = agent.request(b"GET", URL)
        assert reactor.tcpClients == []
        assert c.sent().startswith(b"GET /path?q=1 HTTP/1.1\r\n")
        c.receive(OK)
        assert result(readBody(result(d))) == b"hello"
    assert c.proto.requestCount == 4


def test_request_from_connection_lost_reuses_the_connection():
    agent, reactor, pool = makeAgent()
    d, c = _get(agent, reactor)
    c.sent()
    nxt = []

    def again(body):
        nxt.append(agent.request(b"GET", URL))

    d.addCallback(readBody).addCallback(again)
    c.receive(OK)
    assert nxt and reactor.tcpClients == []
    assert c.sent().startswith(b"GET ")


def test_keys_are_per_scheme_host_port():
    agent, reactor, pool = makeAgent()
    _cached(agent, reactor)
    agent.request(b"GET", b"http://127.0.0.1:8081/")
    assert len(reactor.tcpClients) == 1
    agent.request(b"GET", b"http://127.0.0.2:8080/")
    assert len(reactor.tcpClients) == 2


def test_bounded_per_host():
    agent, reactor, pool = makeAgent(maxPersistentPerHost=1)
    d1 = agent.request(b"GET", URL)
    d2 = agent.request(b"GET", URL)
    c1, c2 = Conn(reactor, 0), Conn(reactor, 0)
    c1.receive(OK)
    c2.receive(OK)
    result(readBody(result(d1)))
    result(readBody(result(d2)))
    cached = pool.cachedConnections(KEY)
    assert cached == [c2.proto]
    assert c1.closing and not c2.closing


def test_idle_expiry_on_the_clock():
    agent, reactor, pool = makeAgent(cachedConnectionTimeout=10)
    c = _cached(agent, reactor)
    reactor.advance(9)
    assert not c.closing and pool.cachedConnections(KEY) == [c.proto]
    reactor.advance(1)
    assert c.closing and pool.cachedConnections(KEY) == []
    c.lose()
    assert reactor.getDelayedCalls() == [] or all(not x.active() for x in reactor.getDelayedCalls())


def test_expiry_is_per_connection_idle_time():
    agent, reactor, pool = makeAgent(cachedConnectionTimeout=10, maxPersistentPerHost=2)
    d1, d2 = agent.request(b"GET", URL), agent.request(b"GET", URL)
    c1, c2 = Conn(reactor, 0), Conn(reactor, 0)
    c1.receive(OK)
    result(readBody(result(d1)))
    reactor.advance(6)
    c2.receive(OK)
    result(readBody(result(d2)))
    reactor.advance(4)
    assert c1.closing and not c2.closing
    reactor.advance(6)
    assert c2.closing


def test_server_closing_a_cached_connection():
    agent, reactor, pool = makeAgent()
    c = _cached(agent, reactor)
    assert pool.cachedConnections(KEY) == [c.proto]
    c.lose()  # the server closed it while idle
    assert pool.cachedConnections(KEY) == []
    d2 = agent.request(b"GET", URL)
    c2 = Conn(reactor)
    c2.receive(OK)
    assert result(d2).code == 200


def test_server_half_closing_a_cached_connection():
    agent, reactor, pool = makeAgent()
    c = _cached(agent, reactor)
    c.wrapper.readConnectionLost()  # FIN seen, socket not yet gone
    assert c.closing
    agent.request(b"GET", URL)
    assert len(reactor.tcpClients) == 1  # not handed out again


def test_garbage_on_an_idle_connection_closes_it():
    agent, reactor, pool = makeAgent()
    c = _cached(agent, reactor)
    c.receive(b"HTTP/1.1 200 OK\r\n\r\n")
    assert c.transport.disconnected
    agent.request(b"GET", URL)
    assert len(reactor.tcpClients) == 1


def test_dead_cached_connection_retries_idempotent_once():
    agent, reactor, pool = makeAgent()
    c = _cached(agent, reactor)
    d = agent.request(b"GET", URL)
    assert c.sent().startswith(b"GET ")
    c.lose()  # the server had closed it: no byte of a response
    assert not fired(d)
    c2 = Conn(reactor)  # the retry, on a fresh connection
    assert c2.sent().startswith(b"GET /path?q=1 HTTP/1.1\r\n")
    c2.receive(OK)
    assert result(readBody(result(d))) == b"hello"


def test_retry_happens_only_once():
    agent, reactor, pool = makeAgent()
    c = _cached(agent, reactor)
    d = agent.request(b"GET", URL)
    c.lose()
    c2 = Conn(reactor)
    c2.lose()
    assert failure(d).check(ResponseNeverReceived)
    assert reactor.tcpClients == []


def test_no_retry_for_requests_with_a_body_or_non_idempotent():
    for method, body in [(b"POST", None), (b"PUT", BytesProducer(b"x")), (b"PATCH", None)]:
        agent, reactor, pool = makeAgent()
        c = _cached(agent, reactor)
        d = agent.request(method, URL, None, body)
        c.lose()
        assert failure(d).check(ResponseNeverReceived, ResponseFailed)
        assert reactor.tcpClients == []


def test_no_retry_when_disabled_or_on_a_fresh_connection():
    agent, reactor, pool = makeAgent(retryAutomatically=False)
    c = _cached(agent, reactor)
    d = agent.request(b"GET", URL)
    c.lose()
    assert failure(d).check(ResponseNeverReceived)
    agent, reactor, pool = makeAgent()
    d, c = _get(agent, reactor)
    c.lose()
    assert failure(d).check(ResponseNeverReceived)
    assert reactor.tcpClients == []


def test_no_retry_once_the_response_started():
    agent, reactor, pool = makeAgent()
    c = _cached(agent, reactor)
    d = agent.request(b"GET", URL)
    c.receive(b"HTTP/1.1 200 O")
    c.lose()
    f = failure(d)
    assert f.check(ResponseFailed) and not f.check(ResponseNeverReceived)
    assert reactor.tcpClients == []


def test_connection_close_response_is_not_reused():
    agent, reactor, pool = makeAgent()
    d, c = _get(agent, reactor)
    c.receive(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi")
    assert result(readBody(result(d))) == b"hi"
    assert c.closing
    assert pool.cachedConnections(KEY) == []


def test_caller_connection_close_is_honoured():
    agent, reactor, pool, d, c = startRequest(b"GET", URL, {b"Connection": b"close"})
    c.receive(OK)
    result(readBody(result(d)))
    assert c.closing and pool.cachedConnections(KEY) == []


def test_close_cached_connections():
    agent, reactor, pool = makeAgent()
    d1, d2 = agent.request(b"GET", URL), agent.request(b"GET", b"http://127.0.0.1:9/")
    c1, c2 = Conn(reactor, 0), Conn(reactor, 0)
    c1.receive(OK)
    c2.receive(OK)
    result(readBody(result(d1)))
    result(readBody(result(d2)))
    closed = pool.closeCachedConnections()
    assert c1.closing and c2.closing and not fired(closed)
    c1.lose()
    assert not fired(closed)
    c2.lose()
    assert fired(closed)
    assert pool.cachedConnections(KEY) == []


def test_non_persistent_pool_closes_after_each_request():
    agent, reactor, pool = makeAgent(persistent=False)
    d, c = _get(agent, reactor)
    c.receive(OK)  # a server that ignores Connection: close
    result(readBody(result(d)))
    assert c.closing
    agent.request(b"GET", URL)
    assert len(reactor.tcpClients) == 1
