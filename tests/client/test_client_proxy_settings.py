"""
Proxy settings without sockets: proxy URLs, ``no_proxy`` matching, the
environment's precedence, how a request is prepared for a proxy, and the
CONNECT tunnel's failures on a ``MemoryReactorClock``.
"""

from __future__ import annotations

import base64

import pytest
from twisted.internet.address import IPv4Address
from twisted.internet.defer import CancelledError
from twisted.internet.endpoints import TCP4ClientEndpoint
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.web.client import URI

from tests._support.client import failure, fired, result
from txh11.client import Proxy, ProxyConnectError, ProxySettings, TunnelEndpoint
from txh11.client._request import prepareRequest


def test_proxy_urls():
    p = Proxy("http://us%40er:p%3Ass@proxy.example:3128")
    assert (p.host, p.port) == (b"proxy.example", 3128)
    assert p.authorization == b"Basic " + base64.b64encode(b"us@er:p:ss")
    assert "p:ss" not in repr(p) and "p%3Ass" not in repr(p)
    assert (Proxy("proxy.example").port, Proxy(b"http://[::1]:8").host) == (80, b"::1")
    assert Proxy("http://[::1]:8").authority == b"[::1]:8"
    assert Proxy("http://u@h").authorization == b"Basic " + base64.b64encode(b"u:")
    for bad in ("https://h:1", "socks5://h:1", "http://:8", "http://h:port"):
        with pytest.raises(ValueError) as e:
            Proxy(bad.replace("://", "://user:secret@"))
        assert "secret" not in str(e.value)


@pytest.mark.parametrize(
    "noProxy, url, direct",
    [
        ("", b"http://example.com/", False),
        ("*", b"http://example.com/", True),
        ("example.com", b"http://example.com/", True),
        ("example.com", b"http://api.EXAMPLE.com/", True),
        (".example.com", b"http://example.com/", True),
        ("*.example.com", b"http://a.b.example.com/", True),
        ("example.com", b"http://notexample.com/", False),
        ("localhost,127.0.0.1,::1", b"http://localhost:8080/", True),
        ("localhost,127.0.0.1,::1", b"http://127.0.0.1:8080/", True),
        ("localhost,127.0.0.1,::1", b"http://[::1]:8080/", True),
        ("localhost,127.0.0.1", b"http://127.0.0.2/", False),
        ("127.0.0.0/8", b"http://127.0.0.2/", True),
        ("10.0.0.0/8", b"http://example.com/", False),
        ("::1/128", b"http://[::1]/", True),
        ("[::1]:8080", b"http://[::1]:8080/", True),
        ("[::1]:8080", b"http://[::1]:8081/", False),
        ("example.com:443", b"https://example.com/", True),
        ("example.com:443", b"http://example.com/", False),
        (" a.test , b.test ", b"http://b.test/", True),
    ],
)
def test_no_proxy(noProxy, url, direct):
    settings = ProxySettings("http://proxy:1", "http://proxy:2", noProxy)
    got = settings.proxyFor(URI.fromBytes(url))
    assert (got is None) == direct


def test_environment_precedence():
    env = ProxySettings.fromEnvironment
    s = env({"http_proxy": "http://lower:1", "HTTP_PROXY": "http://upper:1", "HTTPS_PROXY": "upper:2"})
    assert (s.http.host, s.https.host) == (b"lower", b"upper")
    s = env({"HTTP_PROXY": "http://upper:1"})
    assert s.http.host == b"upper"
    # httpoxy: in a CGI script HTTP_PROXY comes from a request header
    s = env({"HTTP_PROXY": "http://evil:1", "REQUEST_METHOD": "GET"})
    assert s.http is None
    s = env({"ALL_PROXY": "http://all:1", "https_proxy": "http://s:2"})
    assert (s.http.host, s.https.host) == (b"all", b"s")
    s = env({"http_proxy": "", "no_proxy": "*"})
    assert s.http is None and s.bypassAll
    assert env({}).proxyFor(URI.fromBytes(b"http://x/")) is None


def test_request_prepared_for_the_proxy():
    settings = ProxySettings(Proxy("http://u:p@proxy:3128"), Proxy("http://u:p@proxy:3128"))
    p = prepareRequest(b"GET", b"http://origin.test/a?b#frag", proxies=settings)
    assert p.event.target == b"http://origin.test/a?b"
    assert p.key == (b"http-proxy", b"proxy", 3128)
    assert (b"proxy-authorization", b"Basic dTpw") in list(p.event.headers)
    again = prepareRequest(b"GET", b"http://origin.test/a?b#frag", proxies=settings)
    assert again.event is not None and again.key == p.key
    p = prepareRequest(b"GET", b"https://origin.test/a?b", proxies=settings)
    assert p.event.target == b"/a?b"
    assert p.key == (b"https", b"origin.test", 443, b"via", b"proxy", 3128, b"Basic dTpw")
    assert b"proxy-authorization" not in dict(p.event.headers)
    direct = prepareRequest(b"GET", b"http://origin.test/a?b")
    assert direct.event.target == b"/a?b" and direct.proxy is None


# -- the tunnel on a memory reactor ----------------------------------------


class _Inner(Protocol):
    def __init__(self):
        self.data = b""
        self.lost = None

    def dataReceived(self, data):
        self.data += data

    def connectionLost(self, reason):
        self.lost = reason


def _tunnel(authorization=None):
    clock = MemoryReactorClock()
    endpoint = TunnelEndpoint(
        TCP4ClientEndpoint(clock, "127.0.0.1", 3128), b"origin.test", 443, authorization, clock, 10
    )
    inner = _Inner()
    d = endpoint.connect(Factory.forProtocol(lambda: inner))
    host, port, factory, _, _ = clock.tcpClients[-1]
    wrapper = factory.buildProtocol(IPv4Address("TCP", host, port))
    transport = StringTransport()
    wrapper.makeConnection(transport)
    return clock, d, wrapper, transport, inner


def test_tunnel_opens_and_hands_over_early_bytes():
    clock, d, wrapper, transport, inner = _tunnel(b"Basic eA==")
    assert transport.value() == (
        b"CONNECT origin.test:443 HTTP/1.1\r\nHost: origin.test:443\r\n"
        b"Proxy-Authorization: Basic eA==\r\n\r\n"
    )
    assert not fired(d)
    wrapper.dataReceived(b"HTTP/1.1 200 Connection established\r\n\r\nearly")
    assert result(d) is inner and inner.data == b"early"
    wrapper.dataReceived(b" and later")
    assert inner.data == b"early and later"
    clock.advance(60)  # the answer's timer is gone
    assert not transport.disconnecting


@pytest.mark.parametrize(
    "answer, status",
    [
        (b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n", 407),
        (b"HTTP/1.1 502 Bad Gateway\r\n\r\n", 502),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", None),
        (b"garbage\r\n\r\n", None),
    ],
)
def test_tunnel_refused_or_broken(answer, status):
    clock, d, wrapper, transport, inner = _tunnel()
    wrapper.dataReceived(answer)
    f = failure(d)
    assert f.check(ProxyConnectError) and f.value.status == status
    assert transport.disconnecting or transport.disconnected
    assert inner.lost is None


def test_tunnel_times_out():
    clock, d, wrapper, transport, inner = _tunnel()
    clock.advance(9)
    assert not fired(d)
    clock.advance(1)
    assert "within 10" in str(failure(d).value)


def test_tunnel_closed_before_the_answer():
    from twisted.internet.error import ConnectionDone
    from twisted.python.failure import Failure

    clock, d, wrapper, transport, inner = _tunnel()
    wrapper.connectionLost(Failure(ConnectionDone()))
    assert failure(d).check(ProxyConnectError)


def test_tunnel_cancelled_while_waiting_for_the_answer():
    clock, d, wrapper, transport, inner = _tunnel()
    d.cancel()
    assert failure(d).check(CancelledError)
    assert transport.disconnected or transport.disconnecting
