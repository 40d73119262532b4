"""Cancelling the Deferred from request() at every stage aborts the connection."""

from __future__ import annotations

from twisted.internet.defer import CancelledError
from twisted.internet.error import ConnectingCancelledError
from twisted.web.client import readBody
from twisted.web.http_headers import Headers

from tests._support.client import KEY, Conn, ManualProducer, OK, URL, failure, makeAgent, result, startRequest



def _active_calls(reactor):
    return [c for c in reactor.getDelayedCalls() if c.active()]


def test_cancel_while_connecting():
    agent, reactor, pool = makeAgent()
    d = agent.request(b"GET", URL)
    connector = reactor.connectors[0]
    d.cancel()
    # the endpoint's own error, as with Twisted's Agent
    assert failure(d).check(CancelledError, ConnectingCancelledError)
    assert connector.stoppedConnecting


def test_cancel_while_waiting_for_the_response_head():
    agent, reactor, pool, d, c = startRequest(b"GET", URL)
    assert c.sent()
    d.cancel()
    assert failure(d).check(CancelledError)
    assert c.transport.disconnected  # aborted
    c.receive(OK)  # late bytes: ignored
    c.lose()
    assert pool.cachedConnections(KEY) == []


def test_cancel_while_the_body_is_streaming():
    producer = ManualProducer()
    agent, reactor, pool, d, c = startRequest(b"POST", URL, None, producer)
    producer.write(b"abc")
    d.cancel()
    assert failure(d).check(CancelledError)
    assert producer.state == "stopped"
    assert c.transport.disconnected
    c.sent()
    producer.write(b"late")  # ignored
    assert c.sent() == b""
    c.lose()


def test_cancel_while_a_known_length_body_is_streaming():
    producer = ManualProducer(length=10)
    agent, reactor, pool, d, c = startRequest(b"POST", URL, None, producer)
    producer.write(b"abc")
    d.cancel()
    assert failure(d).check(CancelledError)
    assert producer.state == "stopped"
    assert c.transport.disconnected
    c.lose()


def test_cancel_while_waiting_for_100_continue():
    producer = ManualProducer(length=3)
    agent, reactor, pool, d, c = startRequest(
        b"PUT", URL, Headers({b"Expect": [b"100-continue"]}), producer
    )
    assert _active_calls(reactor)  # the 100-continue timer
    d.cancel()
    assert failure(d).check(CancelledError)
    assert c.transport.disconnected
    assert producer.events == []
    assert _active_calls(reactor) == []
    c.receive(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert producer.events == []


def test_cancel_on_a_cached_connection_does_not_return_it():
    agent, reactor, pool, d, c = startRequest(b"GET", URL)
    c.receive(OK)
    result(readBody(result(d)))
    d = agent.request(b"GET", URL)
    assert pool.cachedConnections(KEY) == []
    d.cancel()
    assert failure(d).check(CancelledError)
    assert c.transport.disconnected
    c.lose()
    assert pool.cachedConnections(KEY) == []


def test_cancel_during_the_retry_connect():
    agent, reactor, pool, d, c = startRequest(b"GET", URL)
    c.receive(OK)
    result(readBody(result(d)))
    d = agent.request(b"GET", URL)
    c.lose()  # dead cached connection: the agent reconnects
    connector = reactor.connectors[-1]
    d.cancel()
    assert failure(d).check(CancelledError, ConnectingCancelledError)
    assert connector.stoppedConnecting


def test_cancel_after_the_response_is_a_no_op():
    agent, reactor, pool, d, c = startRequest(b"GET", URL)
    c.receive(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")
    r = result(d)
    d.cancel()
    assert not c.transport.disconnected
    body = readBody(r)
    c.receive(b"hello")
    assert result(body) == b"hello"


def test_cancel_a_treq_style_timeout_on_the_clock():
    agent, reactor, pool = makeAgent()
    d = agent.request(b"GET", URL)
    reactor.callLater(5, d.cancel)
    c = Conn(reactor)
    reactor.advance(5)
    assert failure(d).check(CancelledError)
    assert c.transport.disconnected
