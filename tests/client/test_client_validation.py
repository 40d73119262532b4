"""Wrong input fails before anything is connected or sent."""

from __future__ import annotations

import pytest
from twisted.web.error import SchemeNotSupported
from twisted.web.http_headers import Headers

from txh11.client import InvalidRequest

from tests._support.client import URL, Conn, failure, makeAgent


def _rejected(d, reactor, exc=InvalidRequest):
    f = failure(d)
    assert f.check(exc), f
    assert isinstance(f.value, ValueError) or exc is not InvalidRequest
    assert reactor.tcpClients == []  # nothing connected, so nothing sent
    return str(f.value)


@pytest.mark.parametrize(
    "method", [b"GET\r\nX-Injected: 1", b"GET /x", b"GE\nT", b"", b"G\x00T", "GÉT"]
)
def test_bad_method(method):
    agent, reactor, _ = makeAgent()
    msg = _rejected(agent.request(method, URL), reactor)
    assert "method" in msg


@pytest.mark.parametrize(
    "uri",
    [
        b"http://127.0.0.1/a b",
        b"http://127.0.0.1/a\r\nX-Injected: 1",
        b"http://127.0.0.1/a\nb",
        b"http://127.0.0.1/\x00",
        b"http://127.0.0.1/\xff",
        b"http:///nohost",
    ],
)
def test_bad_uri(uri):
    agent, reactor, _ = makeAgent()
    msg = _rejected(agent.request(b"GET", uri), reactor)
    assert "URI" in msg


def test_surrounding_whitespace_is_stripped_like_twisted():
    agent, reactor, _ = makeAgent()
    agent.request(b"GET", b"  " + URL + b"\r\n")
    assert Conn(reactor).sent().startswith(b"GET /path?q=1 HTTP/1.1\r\n")


@pytest.mark.parametrize("uri", [b"ftp://127.0.0.1/x", b"file:///etc/passwd", b"gopher://h/"])
def test_unsupported_scheme(uri):
    agent, reactor, _ = makeAgent()
    d = agent.request(b"GET", uri)
    f = failure(d)
    assert f.check(SchemeNotSupported) or f.check(InvalidRequest)
    assert reactor.tcpClients == []


@pytest.mark.parametrize(
    "headers",
    [
        {b"X-A": b"a\r\nX-Injected: 1"},
        {"X-A": "a\nb"},
        [(b"X-A", b"a\rb")],
        {b"X-A": [b"ok", b"bad\r\n"]},
    ],
)
def test_header_values_with_cr_lf(headers):
    agent, reactor, _ = makeAgent()
    msg = _rejected(agent.request(b"GET", URL, headers), reactor)
    assert "Illegal header value" in msg  # the core's message (h11's words)


@pytest.mark.parametrize(
    "headers", [{b"X A": b"1"}, {b"X-A:": b"1"}, [(b"X-A", b"\x00")], {b"": b"x"}]
)
def test_other_bad_headers(headers):
    agent, reactor, _ = makeAgent()
    _rejected(agent.request(b"GET", URL, headers), reactor)


def test_twisted_headers_never_carry_cr_lf_to_the_wire():
    # Twisted's Headers already replaces CR/LF in values when they are set;
    # whatever it holds, no CR or LF inside a value reaches the wire.
    agent, reactor, _ = makeAgent()
    agent.request(b"GET", URL, Headers({b"X-A": [b"a\r\nX-Injected: 1"]}))
    wire = Conn(reactor).sent()
    assert b"\r\nX-Injected" not in wire and b"\r\nx-injected" not in wire.lower()


def test_caller_framing_headers_are_replaced():
    agent, reactor, _ = makeAgent()
    agent.request(
        b"GET", URL, {b"Content-Length": b"99", b"Transfer-Encoding": b"chunked"}
    )
    wire = Conn(reactor).sent().lower()
    assert b"content-length" not in wire and b"transfer-encoding" not in wire


def test_header_name_types():
    agent, reactor, _ = makeAgent()
    _rejected(agent.request(b"GET", URL, {1: b"x"}), reactor)
    _rejected(agent.request(b"GET", URL, {b"X": 1}), reactor)
    _rejected(agent.request(b"GET", 42), reactor)


def test_validated_heads_are_cached_but_not_credentials():
    from txh11.client import _request as cr

    cr._EVENT_CACHE.clear()
    a = cr.prepareRequest(b"GET", URL, {b"X-A": b"1"})
    b = cr.prepareRequest(b"GET", URL, {b"X-A": b"1"})
    assert a.event is b.event  # validated once
    assert a is not b and a.clientRequest is not b.clientRequest
    cr.prepareRequest(b"GET", URL, {b"Authorization": b"Bearer secret"})
    cr.prepareRequest(b"GET", URL, {b"Cookie": b"s=1"})
    assert not any(b"secret" in repr(k).encode() for k in cr._EVENT_CACHE)
    assert len(cr._EVENT_CACHE) == 1
