"""Expect: 100-continue, both ways, and the timeout (on the injected clock)."""

from __future__ import annotations

from twisted.web.client import readBody
from twisted.web.http_headers import Headers

from tests._support.client import (
    KEY,
    BytesProducer,
    Conn,
    ManualProducer,
    OK,
    URL,
    fired,
    makeAgent,
    result,
    startRequest,
)

EXPECT = Headers({b"Expect": [b"100-continue"]})


def test_body_waits_for_100_continue():
    producer = ManualProducer(length=5)
    agent, reactor, pool, d, c = startRequest(b"PUT", URL, EXPECT, producer)
    head = c.sent()
    assert head.endswith(b"\r\n\r\n") and b"expect: 100-continue" in head.lower()
    assert producer.events == []  # not started
    c.receive(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert producer.events == ["start"]
    producer.write(b"12345")
    producer.finish()
    assert c.sent() == b"12345"
    assert not fired(d)
    c.receive(OK)
    assert result(readBody(result(d))) == b"hello"
    assert len(pool.cachedConnections(KEY)) == 1


def test_final_response_first_means_body_never_sent_content_length():
    producer = ManualProducer(length=5)
    agent, reactor, pool, d, c = startRequest(b"PUT", URL, EXPECT, producer)
    c.sent()
    c.receive(b"HTTP/1.1 417 Expectation Failed\r\nContent-Length: 2\r\n\r\nno")
    r = result(d)
    assert r.code == 417
    assert result(readBody(r)) == b"no"
    assert producer.events == []
    assert c.sent() == b""
    reactor.advance(10)  # the timeout no longer sends anything
    assert producer.events == [] and c.sent() == b""
    # a declared Content-Length body cannot be abandoned: close
    assert c.closing
    assert pool.cachedConnections(KEY) == []


def test_final_response_first_chunked_body_ends_empty_and_keeps_connection():
    producer = ManualProducer()
    agent, reactor, pool, d, c = startRequest(b"POST", URL, EXPECT, producer)
    c.sent()
    c.receive(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n")
    r = result(d)
    assert r.code == 401
    assert producer.events == []
    assert c.sent() == b"0\r\n\r\n"  # the empty last chunk, no data
    assert not c.closing
    assert len(pool.cachedConnections(KEY)) == 1


def test_timeout_sends_body_anyway():
    agent, reactor, pool = makeAgent()
    agent.expectContinueTimeout = 2.5
    d = agent.request(b"PUT", URL, EXPECT, BytesProducer(b"abc"))
    c = Conn(reactor)
    assert c.sent().endswith(b"\r\n\r\n")
    reactor.advance(2.4)
    assert c.sent() == b""
    reactor.advance(0.1)
    assert c.sent() == b"abc"
    # a late 100 changes nothing
    c.receive(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert c.sent() == b""
    c.receive(OK)
    assert result(d).code == 200


def test_other_1xx_keep_waiting():
    agent, reactor, pool = makeAgent()
    producer = ManualProducer(length=1)
    agent.request(b"PUT", URL, EXPECT, producer)
    c = Conn(reactor)
    c.receive(b"HTTP/1.1 102 Processing\r\n\r\n")
    assert producer.events == []
    c.receive(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert producer.events == ["start"]


def test_expect_without_body_is_just_a_header():
    agent, reactor, pool, d, c = startRequest(b"GET", URL, EXPECT)
    assert b"expect: 100-continue" in c.sent().lower()
    c.receive(OK)
    assert result(d).code == 200
