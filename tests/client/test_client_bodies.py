"""Request bodies: Content-Length, chunked, passthrough files, backpressure, failures."""

from __future__ import annotations

import io

from twisted.internet.task import Cooperator
from twisted.web.client import FileBodyProducer, RequestGenerationFailed, readBody

from txh11 import bodies
from txh11.bodies import FileBody
from txh11.protocol import BodyLengthError

from tests._support.client import (
    KEY,
    BytesProducer,
    Conn,
    ManualProducer,
    OK,
    URL,
    failure,
    fired,
    makeAgent,
    result,
    startRequest,
)



def test_known_length_body_uses_content_length():
    agent, reactor, pool, d, c = startRequest(b"POST", URL, None, BytesProducer(b"hello body"))
    wire = c.sent()
    head, body = wire.split(b"\r\n\r\n", 1)
    assert b"content-length: 10" in head.lower()
    assert b"transfer-encoding" not in head.lower()
    assert body == b"hello body"
    c.receive(OK)
    assert result(readBody(result(d))) == b"hello"
    assert len(pool.cachedConnections(KEY)) == 1


def test_unknown_length_body_is_chunked():
    producer = ManualProducer()
    agent, reactor, pool, d, c = startRequest(b"PUT", URL, None, producer)
    head = c.sent()
    assert b"transfer-encoding: chunked" in head.lower()
    assert b"content-length" not in head.lower()
    assert producer.state == "producing"
    producer.write(b"abc")
    producer.write(b"")  # nothing for an empty write
    producer.write(b"defgh")
    assert c.sent() == b"3\r\nabc\r\n5\r\ndefgh\r\n"
    producer.finish()
    assert c.sent() == b"0\r\n\r\n"
    c.receive(OK)
    assert result(readBody(result(d))) == b"hello"
    assert len(pool.cachedConnections(KEY)) == 1


def test_chunked_body_backpressure():
    agent, reactor, pool = makeAgent()
    producer = ManualProducer()
    agent.request(b"POST", URL, None, producer)
    c = Conn(reactor)
    # the transport's buffer fills: it pauses its producer (the protocol),
    # which pauses the body producer; and resumes it when drained.
    c.transport.producer.pauseProducing()
    assert producer.state == "paused"
    c.transport.producer.resumeProducing()
    assert producer.state == "producing"


def test_known_length_body_backpressure():
    agent, reactor, pool = makeAgent()
    producer = ManualProducer(length=6)
    agent.request(b"POST", URL, None, producer)
    c = Conn(reactor)
    c.transport.producer.pauseProducing()
    assert producer.state == "paused"
    c.transport.producer.resumeProducing()
    assert producer.state == "producing"
    producer.write(b"abcdef")
    producer.finish()
    assert c.sent().endswith(b"\r\n\r\nabcdef")


def test_post_without_body_sends_content_length_zero():
    agent, reactor, pool = makeAgent()
    agent.request(b"POST", URL)
    assert b"content-length: 0\r\n" in Conn(reactor).sent().lower()
    agent.request(b"GET", b"http://127.0.0.1:8081/")
    assert b"content-length" not in Conn(reactor).sent().lower()


def test_zero_length_producer_is_not_started():
    producer = ManualProducer(length=0)
    agent, reactor, pool, d, c = startRequest(b"POST", URL, None, producer)
    assert b"content-length: 0\r\n" in c.sent().lower()
    assert producer.events == []
    c.receive(OK)
    assert result(d).code == 200


def test_producer_failure_fails_request_and_aborts():
    producer = ManualProducer()
    agent, reactor, pool, d, c = startRequest(b"POST", URL, None, producer)
    producer.write(b"abc")
    producer.fail(ZeroDivisionError("boom"))
    f = failure(d)
    assert f.check(RequestGenerationFailed)
    assert f.value.reasons[0].check(ZeroDivisionError)
    assert c.transport.disconnected  # aborted
    c.lose()
    assert pool.cachedConnections(KEY) == []


def test_producer_writing_too_much_aborts():
    producer = ManualProducer(length=3)
    agent, reactor, pool, d, c = startRequest(b"POST", URL, None, producer)
    producer.write(b"abcd")
    f = failure(d)
    assert f.check(RequestGenerationFailed)
    assert f.value.reasons[0].check(BodyLengthError)
    assert c.transport.disconnected


def test_producer_writing_too_little_aborts():
    producer = ManualProducer(length=3)
    agent, reactor, pool, d, c = startRequest(b"POST", URL, None, producer)
    producer.write(b"ab")
    producer.finish()
    f = failure(d)
    assert f.value.reasons[0].check(BodyLengthError)
    assert c.transport.disconnected


def test_file_body_goes_through_passthrough(tmp_path):
    path = tmp_path / "f.bin"
    data = bytes(range(256)) * 1000
    path.write_bytes(data)
    agent, reactor, pool = makeAgent()
    bodies.stats.reset()
    with open(path, "rb") as f:
        d = agent.request(b"PUT", URL, None, FileBody(f, reactor=reactor))
        c = Conn(reactor)
        for _ in range(100):
            reactor.advance(0)
        wire = c.sent()
    head, body = wire.split(b"\r\n\r\n", 1)
    assert b"content-length: %d" % len(data) in head.lower()
    assert body == data
    # StringTransport is not a socket: the read-and-write fallback was used
    assert bodies.stats.fallback_bytes == len(data)
    c.receive(OK)
    assert result(d).code == 200


def test_file_body_producer_over_a_real_file_becomes_a_file_body(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"0123456789" * 100)
    agent, reactor, pool = makeAgent()
    f = open(path, "rb")
    f.seek(10)
    coop = Cooperator(scheduler=lambda x: reactor.callLater(0, x), started=True)
    producer = FileBodyProducer(f, cooperator=coop)
    assert producer.length == 990
    bodies.stats.reset()
    d = agent.request(b"POST", URL, None, producer)
    c = Conn(reactor)
    for _ in range(20):
        reactor.advance(0)
    head, body = c.sent().split(b"\r\n\r\n", 1)
    assert body == (b"0123456789" * 100)[10:]
    assert bodies.stats.fallback_bytes == 990  # FileBody's path, not the cooperator
    assert f.closed  # like FileBodyProducer
    c.receive(OK)
    assert result(d).code == 200


def test_file_body_producer_over_bytesio_is_wrapped():
    agent, reactor, pool = makeAgent()
    coop = Cooperator(scheduler=lambda x: reactor.callLater(0, x), started=True)
    producer = FileBodyProducer(io.BytesIO(b"x" * 100), cooperator=coop)
    d = agent.request(b"POST", URL, None, producer)
    c = Conn(reactor)
    for _ in range(20):
        reactor.advance(0)
    assert c.sent().split(b"\r\n\r\n", 1)[1] == b"x" * 100
    c.receive(OK)
    assert result(d).code == 200


def test_early_response_while_body_streams_then_reuse():
    producer = ManualProducer()
    agent, reactor, pool, d, c = startRequest(b"POST", URL, None, producer)
    c.sent()
    producer.write(b"abc")
    c.receive(OK)
    r = result(d)
    assert result(readBody(r)) == b"hello"
    assert pool.cachedConnections(KEY) == []  # our body is not finished
    producer.write(b"def")
    producer.finish()
    assert c.sent() == b"3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n"
    assert len(pool.cachedConnections(KEY)) == 1
    d2 = agent.request(b"GET", URL)
    assert reactor.tcpClients == []
    assert c.sent().startswith(b"GET ")
    c.receive(OK)
    assert fired(d2)


def test_connection_lost_while_sending_body():
    from twisted.web.client import RequestTransmissionFailed

    producer = ManualProducer(length=10)
    agent, reactor, pool, d, c = startRequest(b"POST", URL, None, producer)
    producer.write(b"abc")
    c.lose()
    f = failure(d)
    assert f.check(RequestTransmissionFailed)
