"""Agent basics: IAgent/IResponse, the request on the wire, response framing."""

from __future__ import annotations

import pytest
from twisted.internet.address import IPv4Address
from twisted.internet.endpoints import HostnameEndpoint, TCP4ClientEndpoint, TCP6ClientEndpoint
from twisted.internet.testing import MemoryReactorClock
from twisted.web.client import (
    URI,
    PotentialDataLoss,
    ResponseDone,
    ResponseFailed,
    ResponseNeverReceived,
    readBody,
)
from twisted.web.http_headers import Headers
from twisted.web.iweb import UNKNOWN_LENGTH, IAgent, IAgentEndpointFactory, IClientRequest, IResponse
from zope.interface import implementer
from zope.interface.verify import verifyObject

import txh11 as h11
from txh11.client import Agent, HTTPConnectionPool, StandardEndpointFactory

from tests._support.client import (
    KEY,
    Conn,
    OK,
    URL,
    collect,
    failure,
    fired,
    makeAgent,
    result,
    startRequest,
)


def test_verify_iagent():
    agent, reactor, pool = makeAgent()
    assert verifyObject(IAgent, agent)
    assert verifyObject(IAgent, Agent(MemoryReactorClock()))


def test_get_round_trip_and_iresponse():
    agent, reactor, pool, d, c = startRequest(b"GET", URL, Headers({b"X-Foo": [b"bar"]}))
    assert (c.host, c.port) == ("127.0.0.1", 8080)
    wire = c.sent()
    assert wire == (
        b"GET /path?q=1 HTTP/1.1\r\nhost: 127.0.0.1:8080\r\nx-foo: bar\r\n\r\n"
    ) or wire.lower() == (b"get /path?q=1 http/1.1\r\nhost: 127.0.0.1:8080\r\nx-foo: bar\r\n\r\n")
    assert not fired(d)
    c.receive(b"HTTP/1.1 201 Created\r\nContent-Length: 5\r\nX-Bar: 1\r\nX-Bar: 2\r\n\r\n")
    r = result(d)
    assert verifyObject(IResponse, r)
    assert r.version == (b"HTTP", 1, 1)
    assert r.code == 201 and r.phrase == b"Created"
    assert r.length == 5
    assert r.headers.getRawHeaders(b"x-bar") == [b"1", b"2"]
    assert verifyObject(IClientRequest, r.request)
    assert r.request.method == b"GET" and r.request.absoluteURI == URL
    assert r.request.headers.getRawHeaders(b"host") == [b"127.0.0.1:8080"]
    assert r.request.headers.getRawHeaders(b"x-foo") == [b"bar"]
    assert r.previousResponse is None
    r.setPreviousResponse(r)
    assert r.previousResponse is r
    body = readBody(r)
    c.receive(b"hello")
    assert result(body) == b"hello"
    assert r.trailers is not None and list(r.trailers.getAllRawHeaders()) == []


def test_str_method_uri_and_header_forms():
    agent, reactor, pool = makeAgent()
    agent.request("GET", URL.decode(), {"X-A": "1", b"X-B": [b"2", b"3"]})
    c = Conn(reactor)
    wire = c.sent().lower()
    assert b"x-a: 1\r\n" in wire and b"x-b: 2\r\nx-b: 3\r\n" in wire
    agent2, reactor2, _ = makeAgent()
    agent2.request(b"GET", URL, [(b"X-C", b"4")])
    assert b"x-c: 4\r\n" in Conn(reactor2).sent().lower()


@pytest.mark.parametrize(
    "uri, host",
    [
        (b"http://127.0.0.1/", b"127.0.0.1"),
        (b"http://127.0.0.1:80/", b"127.0.0.1"),
        (b"http://127.0.0.1:81/", b"127.0.0.1:81"),
        (b"https://127.0.0.1:443/", b"127.0.0.1"),
        (b"http://[::1]:8080/", b"[::1]:8080"),
    ],
)
def test_host_header(uri, host):
    from txh11.client._request import prepareRequest

    p = prepareRequest(b"GET", uri)
    assert p.event.headers[0] == (b"host", host)


def test_given_host_header_wins():
    agent, reactor, pool = makeAgent()
    agent.request(b"GET", URL, Headers({b"Host": [b"example.com"]}))
    wire = Conn(reactor).sent().lower()
    assert wire.count(b"host:") == 1 and b"host: example.com\r\n" in wire


def test_non_persistent_pool_sends_connection_close_and_closes():
    agent, reactor, pool = makeAgent(persistent=False)
    d = agent.request(b"GET", URL)
    c = Conn(reactor)
    assert b"connection: close\r\n" in c.sent().lower()
    c.receive(OK)
    assert result(readBody(result(d))) == b"hello"
    assert c.closing


def test_default_agent_is_not_persistent():
    reactor = MemoryReactorClock()
    agent = Agent(reactor)
    assert agent.pool.persistent is False
    with pytest.raises(TypeError):  # not a pool at all
        Agent(reactor, pool=object())


def test_standard_endpoints():
    reactor = MemoryReactorClock()
    f = StandardEndpointFactory(reactor, None, connectTimeout=7, bindAddress="127.0.0.2")
    assert verifyObject(IAgentEndpointFactory, f)
    e4 = f.endpointForURI(URI.fromBytes(b"http://127.0.0.1:81/"))
    assert isinstance(e4, TCP4ClientEndpoint)
    assert isinstance(f.endpointForURI(URI.fromBytes(b"http://[::1]:81/")), TCP6ClientEndpoint)
    assert isinstance(f.endpointForURI(URI.fromBytes(b"http://example.com/")), HostnameEndpoint)
    e4.connect(None)
    host, port, factory, timeout, bind = reactor.tcpClients[0]
    assert (host, port, timeout, bind) == ("127.0.0.1", 81, 7, ("127.0.0.2", 0))


def test_connect_timeout_and_bind_address_reach_the_reactor():
    reactor = MemoryReactorClock()
    agent = Agent(reactor, connectTimeout=3, bindAddress=("127.0.0.3", 0))
    agent.request(b"GET", URL)
    c = Conn(reactor)
    assert c.timeout == 3 and c.bindAddress == ("127.0.0.3", 0)


def test_using_endpoint_factory():
    reactor = MemoryReactorClock()

    @implementer(IAgentEndpointFactory)
    class ToPort9:
        def __init__(self):
            self.uris = []

        def endpointForURI(self, uri):
            self.uris.append(uri.toBytes())
            return TCP4ClientEndpoint(reactor, "127.0.0.9", 9)

    factory = ToPort9()
    agent = Agent.usingEndpointFactory(reactor, factory, HTTPConnectionPool(reactor))
    assert verifyObject(IAgent, agent)
    d = agent.request(b"GET", b"http://unix.example/x")
    c = Conn(reactor)
    assert (c.host, c.port) == ("127.0.0.9", 9)
    assert factory.uris == [b"http://unix.example/x"]
    assert b"host: unix.example\r\n" in c.sent().lower()
    c.receive(OK)
    assert result(d).code == 200


def test_head_and_204_304_have_no_body():
    agent, reactor, pool, d, c = startRequest(b"HEAD", URL)
    c.receive(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
    r = result(d)
    assert r.length == 0
    assert result(readBody(r)) == b""
    assert pool.cachedConnections(KEY) == [c.proto]  # the HEAD cycle ended cleanly
    for status in (204, 304):
        d = agent.request(b"GET", URL)
        assert not reactor.tcpClients  # reused
        c.receive(b"HTTP/1.1 %d X\r\n\r\n" % status)
        r = result(d)
        assert r.length == 0 and r.code == status
        assert result(readBody(r)) == b""


def test_chunked_response_with_trailers():
    agent, reactor, pool, d, c = startRequest(b"GET", URL)
    c.receive(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    r = result(d)
    assert r.length is UNKNOWN_LENGTH
    col = collect(r, reactor)
    assert r.trailers is None
    c.receive(b"3\r\nabc\r\n2\r\nde\r\n0\r\nX-Checksum: 42\r\n\r\n")
    assert col.body == b"abcde"
    assert col.reason.check(ResponseDone)
    assert r.trailers.getRawHeaders(b"x-checksum") == [b"42"]


def test_close_delimited_body_is_potential_data_loss():
    agent, reactor, pool, d, c = startRequest(b"GET", URL)
    c.receive(b"HTTP/1.1 200 OK\r\n\r\nsome")
    r = result(d)
    assert r.length is UNKNOWN_LENGTH
    col = collect(r, reactor)
    c.receive(b" data")
    c.lose()
    assert col.body == b"some data"
    assert col.reason.check(PotentialDataLoss)


def test_http10_response():
    agent, reactor, pool, d, c = startRequest(b"GET", URL)
    c.receive(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi")
    r = result(d)
    assert r.version == (b"HTTP", 1, 0)
    assert result(readBody(r)) == b"hi"
    assert c.closing  # HTTP/1.0: not reused
    assert pool.cachedConnections(KEY) == []


def test_truncated_body_is_response_failed():
    agent, reactor, pool, d, c = startRequest(b"GET", URL)
    c.receive(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
    r = result(d)
    col = collect(r, reactor)
    c.lose()
    assert col.body == b"abc"
    assert col.reason.check(ResponseFailed)


def test_protocol_error_before_head_is_response_failed():
    agent, reactor, pool, d, c = startRequest(b"GET", URL)
    c.receive(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")
    f = failure(d)
    assert f.check(ResponseFailed)
    assert isinstance(f.value.reasons[0].value, h11.RemoteProtocolError)
    assert c.transport.disconnecting


def test_protocol_error_in_body_fails_the_body():
    agent, reactor, pool, d, c = startRequest(b"GET", URL)
    c.receive(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    col = collect(result(d), reactor)
    c.receive(b"zz\r\n")
    assert col.reason.check(ResponseFailed)
    assert isinstance(col.reason.value.reasons[0].value, h11.RemoteProtocolError)


def test_connection_lost_before_response():
    agent, reactor, pool, d, c = startRequest(b"GET", URL)
    c.lose()
    f = failure(d)
    assert f.check(ResponseNeverReceived)


def test_informational_responses_are_skipped():
    agent, reactor, pool, d, c = startRequest(b"GET", URL)
    c.receive(b"HTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n")
    assert not fired(d)
    c.receive(OK)
    assert result(d).code == 200


def test_response_headers_are_twisted_headers_and_settable():
    agent, reactor, pool, d, c = startRequest(b"GET", URL)
    c.receive(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n")
    r = result(d)
    assert isinstance(r.headers, Headers)
    assert r.headers.getRawHeaders("content-type") == ["text/plain"]
    r.headers = Headers({b"a": [b"b"]})
    assert r.headers.getRawHeaders(b"a") == [b"b"]
    assert repr(r).startswith("<Response 200")
    assert isinstance(c.transport.getPeer(), IPv4Address)


def test_protocol_switch_is_refused_clearly():
    from txh11.client import ProtocolSwitchNotSupported

    agent, reactor, pool, d, c = startRequest(
        b"GET", URL, {b"Connection": b"upgrade", b"Upgrade": b"websocket"}
    )
    c.receive(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n")
    f = failure(d)
    assert f.check(ResponseFailed)
    assert f.value.reasons[0].check(ProtocolSwitchNotSupported)
    assert c.closing


def test_optional_body_timeout_on_the_clock():
    from twisted.internet.error import TimeoutError

    from txh11.client import HTTP11ClientProtocol

    class Impatient(HTTP11ClientProtocol):
        bodyTimeout = 5.0

    agent, reactor, pool = makeAgent()
    pool.protocolClass = Impatient
    d = agent.request(b"GET", URL)
    c = Conn(reactor)
    c.receive(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab")
    col = collect(result(d), reactor)
    reactor.advance(4)
    c.receive(b"cd")
    reactor.advance(4.9)
    assert col.reason is None
    reactor.advance(0.2)
    assert col.reason.check(ResponseFailed)
    assert col.reason.value.reasons[0].check(TimeoutError)
    assert c.transport.disconnected
