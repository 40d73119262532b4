"""
txh11's Agent given Twisted's own ``twisted.web.client.HTTPConnectionPool``:
the pool manages txh11's connections with its own code, so each of its
settings and ``closeCachedConnections()`` mean what they mean with Twisted's
agent.  Unit tests on a ``MemoryReactorClock`` (the test plays the server),
then real loopback sockets with treq on top.
"""

from __future__ import annotations

import inspect

import pytest
from twisted.internet import defer, reactor
from twisted.internet.protocol import Factory
from twisted.internet.testing import MemoryReactorClock
from twisted.trial import unittest
from twisted.web import resource, server
from twisted.web.client import Agent as TwistedAgent
from twisted.web.client import HTTPConnectionPool as TwistedPool
from twisted.web.client import ResponseNeverReceived, readBody

from tests._support.client import OK, URL, BytesProducer, Conn, failure, fired, result
from txh11.client import Agent, StandardEndpointFactory


class CountingPool(TwistedPool):
    """Twisted's pool, counting the agent's calls to getConnection."""

    def __init__(self, reactor, persistent=True):
        super().__init__(reactor, persistent)
        self.keys = []

    def getConnection(self, key, endpoint):
        self.keys.append(key)
        return super().getConnection(key, endpoint)


def _agent(**attrs):
    clock = MemoryReactorClock()
    pool = CountingPool(clock, attrs.pop("persistent", True))
    for name, value in attrs.items():
        setattr(pool, name, value)
    return Agent(clock, pool=pool), clock, pool


def _get(agent, clock):
    d = agent.request(b"GET", URL)
    return d, Conn(clock)


def _answered(agent, clock):
    """A connection that answered one GET completely."""
    d, c = _get(agent, clock)
    assert c.sent().startswith(b"GET /path?q=1 HTTP/1.1\r\n")
    c.receive(OK)
    assert result(readBody(result(d))) == b"hello"
    return c


def test_agent_accepts_every_argument_of_twisteds_agent():
    clock = MemoryReactorClock()
    names = list(inspect.signature(TwistedAgent.__init__).parameters)[1:]
    assert set(names) <= set(inspect.signature(Agent.__init__).parameters)
    Agent(clock, contextFactory=None, connectTimeout=3, bindAddress="127.0.0.1", pool=TwistedPool(clock))
    factory = StandardEndpointFactory(clock, None)
    Agent.usingEndpointFactory(clock, factory, pool=TwistedPool(clock))
    Agent.usingEndpointFactory(clock, endpointFactory=factory, pool=None)


def test_a_pool_without_getConnection_is_refused():
    with pytest.raises(TypeError):
        Agent(MemoryReactorClock(), pool=object())


def test_every_request_asks_the_pool_and_reuses_its_cached_connection():
    agent, clock, pool = _agent()
    c = _answered(agent, clock)
    assert not c.closing
    d = agent.request(b"GET", URL)
    assert clock.tcpClients == []  # the pool handed out the cached one
    assert c.sent().startswith(b"GET /path?q=1 HTTP/1.1\r\n")
    c.receive(OK)
    assert result(readBody(result(d))) == b"hello"
    assert c.proto.requestCount == 2
    assert pool.keys == [(b"txh11", b"http", b"127.0.0.1", 8080)] * 2


def test_not_persistent_sends_connection_close_and_never_reuses():
    agent, clock, pool = _agent(persistent=False)
    d, c = _get(agent, clock)
    assert b"\r\nConnection: close\r\n" in c.sent()
    c.receive(OK)
    result(readBody(result(d)))
    assert c.closing
    agent.request(b"GET", URL)
    assert len(clock.tcpClients) == 1


def test_max_persistent_per_host_closes_the_oldest():
    agent, clock, pool = _agent(maxPersistentPerHost=1)
    d1, c1 = _get(agent, clock)
    d2, c2 = _get(agent, clock)
    for c, d in ((c1, d1), (c2, d2)):
        c.receive(OK)
        result(readBody(result(d)))
    assert c1.closing and not c2.closing


def test_max_persistent_zero_keeps_nothing():
    agent, clock, pool = _agent(maxPersistentPerHost=0)
    c = _answered(agent, clock)
    assert c.closing


def test_cached_connection_timeout_expires_idle_connections():
    agent, clock, pool = _agent(cachedConnectionTimeout=10)
    c = _answered(agent, clock)
    clock.advance(9)
    assert not c.closing
    clock.advance(1)
    assert c.closing


def test_close_cached_connections_fires_when_txh11s_connections_are_closed():
    agent, clock, pool = _agent()
    c = _answered(agent, clock)
    d = pool.closeCachedConnections()
    assert c.transport.disconnecting or c.transport.disconnected
    assert not fired(d)
    c.lose()
    assert fired(d) and result(d) is None


def test_dead_cached_connection_is_retried_once_on_a_new_one():
    agent, clock, pool = _agent()
    c = _answered(agent, clock)
    d = agent.request(b"GET", URL)
    c.lose()  # the server had closed it: no byte of a response
    fresh = Conn(clock)
    assert fresh.sent().startswith(b"GET /path?q=1 HTTP/1.1\r\n")
    fresh.receive(OK)
    assert result(readBody(result(d))) == b"hello"


def test_retry_automatically_off_gives_the_failure():
    agent, clock, pool = _agent(retryAutomatically=False)
    c = _answered(agent, clock)
    d = agent.request(b"GET", URL)
    c.lose()
    assert failure(d).check(ResponseNeverReceived)
    assert clock.tcpClients == []


def test_a_request_with_a_body_is_not_retried():
    agent, clock, pool = _agent()
    c = _answered(agent, clock)
    d = agent.request(b"POST", URL, None, BytesProducer(b"data"))
    c.lose()
    assert failure(d)
    assert clock.tcpClients == []


def test_twisteds_agent_on_the_same_pool_gets_its_own_connections():
    agent, clock, pool = _agent()
    c = _answered(agent, clock)
    TwistedAgent(clock, pool=pool).request(b"GET", URL)
    assert len(clock.tcpClients) == 1  # not txh11's cached connection
    assert c.sent() == b""


# -- real sockets ---------------------------------------------------------


class _Hello(resource.Resource):
    isLeaf = True

    def render_GET(self, request):
        return b"hello"


class _Counting(Factory):
    """Wraps a Site's protocols to count accepted connections."""

    def __init__(self, site):
        self.site = site
        self.accepted = 0

    def buildProtocol(self, addr):
        self.accepted += 1
        return self.site.buildProtocol(addr)


class TwistedPoolLoopbackTests(unittest.TestCase):
    def setUp(self):
        self.counting = _Counting(server.Site(_Hello()))
        self.port = reactor.listenTCP(0, self.counting, interface="127.0.0.1")
        self.url = b"http://127.0.0.1:%d/" % self.port.getHost().port
        self.pool = TwistedPool(reactor)

    @defer.inlineCallbacks
    def tearDown(self):
        yield self.pool.closeCachedConnections()
        yield self.port.stopListening()

    @defer.inlineCallbacks
    def test_keep_alive_through_twisteds_pool(self):
        agent = Agent(reactor, pool=self.pool)
        for _ in range(5):
            r = yield agent.request(b"GET", self.url)
            self.assertEqual((yield readBody(r)), b"hello")
        self.assertEqual(self.counting.accepted, 1)

    @defer.inlineCallbacks
    def test_treq_with_twisteds_pool(self):
        from treq.client import HTTPClient

        http = HTTPClient(Agent(reactor, pool=self.pool))
        for _ in range(3):
            r = yield http.get(self.url.decode())
            self.assertEqual((yield r.content()), b"hello")
        self.assertEqual(self.counting.accepted, 1)
        closed = []
        d = self.pool.closeCachedConnections().addCallback(closed.append)
        self.assertEqual(closed, [])  # fires only once the socket is closed
        yield d
        self.assertEqual(closed, [None])
