"""Twisted's agent wrappers on top of txh11's Agent; sensitive headers on redirects."""

from __future__ import annotations

import gzip
from http.cookiejar import CookieJar

from twisted.web.client import (
    BrowserLikeRedirectAgent,
    ContentDecoderAgent,
    CookieAgent,
    GzipDecoder,
    RedirectAgent,
    readBody,
)
from twisted.web.http_headers import Headers

from tests._support.client import OK, URL, Conn, makeAgent, result

SECRET = Headers(
    {
        b"Authorization": [b"Bearer s3cret"],
        b"Cookie": [b"session=abc"],
        b"Proxy-Authorization": [b"Basic eA=="],
        b"X-Other": [b"kept"],
    }
)


def _wire_headers(wire: bytes) -> dict:
    lines = wire.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]
    return {k.strip().lower(): v.strip() for k, v in (l.split(b":", 1) for l in lines)}


def test_redirect_same_origin_keeps_headers_and_connection():
    agent, reactor, pool = makeAgent()
    d = RedirectAgent(agent).request(b"GET", URL, SECRET)
    c = Conn(reactor)
    c.sent()
    c.receive(b"HTTP/1.1 302 Found\r\nLocation: /next\r\nContent-Length: 3\r\n\r\nbye")
    assert reactor.tcpClients == []  # the redirect body was read ahead: reused
    wire = c.sent()
    assert wire.startswith(b"GET /next HTTP/1.1\r\n")
    h = _wire_headers(wire)
    assert h[b"authorization"] == b"Bearer s3cret" and h[b"cookie"] == b"session=abc"
    c.receive(OK)
    r = result(d)
    assert r.code == 200 and r.previousResponse.code == 302
    assert result(readBody(r)) == b"hello"


def _cross_origin(agent_cls, status=b"301 Moved Permanently", method=b"GET"):
    agent, reactor, pool = makeAgent()
    d = agent_cls(agent).request(method, URL, SECRET)
    c = Conn(reactor)
    c.receive(
        b"HTTP/1.1 " + status + b"\r\nLocation: http://127.0.0.2:8080/elsewhere\r\n"
        b"Content-Length: 0\r\n\r\n"
    )
    c2 = Conn(reactor)
    assert c2.host == "127.0.0.2"
    wire = c2.sent()
    h = _wire_headers(wire)
    c2.receive(OK)
    assert result(d).code == 200
    return wire, h


def test_sensitive_headers_never_follow_a_cross_origin_redirect():
    wire, h = _cross_origin(RedirectAgent)
    assert b"authorization" not in h
    assert b"cookie" not in h
    assert b"proxy-authorization" not in h
    assert h[b"x-other"] == b"kept"
    assert b"s3cret" not in wire


def test_browser_like_redirect_agent_cross_origin_and_303():
    wire, h = _cross_origin(BrowserLikeRedirectAgent, b"303 See Other", b"POST")
    assert wire.startswith(b"GET /elsewhere HTTP/1.1\r\n")
    assert b"authorization" not in h and b"cookie" not in h


def test_cross_port_and_cross_scheme_are_other_origins():
    agent, reactor, pool = makeAgent()
    d = RedirectAgent(agent).request(b"GET", URL, SECRET)
    c = Conn(reactor)
    c.receive(
        b"HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:8081/\r\n"
        b"Content-Length: 0\r\n\r\n"
    )
    c2 = Conn(reactor)
    assert c2.port == 8081
    assert b"authorization" not in _wire_headers(c2.sent())


def test_extra_sensitive_header_names():
    agent, reactor, pool = makeAgent()
    ra = RedirectAgent(agent, sensitiveHeaderNames=[b"X-Api-Key"])
    ra.request(b"GET", URL, Headers({b"X-Api-Key": [b"k"], b"X-Other": [b"o"]}))
    c = Conn(reactor)
    c.receive(
        b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.2/\r\nContent-Length: 0\r\n\r\n"
    )
    h = _wire_headers(Conn(reactor).sent())
    assert b"x-api-key" not in h and h[b"x-other"] == b"o"


def test_content_decoder_agent_gzip():
    agent, reactor, pool = makeAgent()
    d = ContentDecoderAgent(agent, [(b"gzip", GzipDecoder)]).request(b"GET", URL)
    c = Conn(reactor)
    assert b"accept-encoding: gzip" in c.sent().lower()
    payload = gzip.compress(b"decoded text " * 100)
    c.receive(
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n"
        % len(payload)
        + payload
    )
    r = result(d)
    assert result(readBody(r)) == b"decoded text " * 100


def test_cookie_agent():
    agent, reactor, pool = makeAgent()
    jar = CookieJar()
    ca = CookieAgent(agent, jar)
    d = ca.request(b"GET", URL)
    c = Conn(reactor)
    c.sent()
    c.receive(b"HTTP/1.1 200 OK\r\nSet-Cookie: a=1; Path=/\r\nContent-Length: 0\r\n\r\n")
    result(d)
    assert [ck.name for ck in jar] == ["a"]
    d = ca.request(b"GET", URL)
    assert _wire_headers(c.sent())[b"cookie"] == b"a=1"
    c.receive(OK)
    assert result(d).code == 200
