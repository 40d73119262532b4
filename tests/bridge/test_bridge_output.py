"""Output side: child producers, passthrough bodies, length enforcement."""

import pytest
from twisted.internet import defer
from twisted.internet.error import ConnectionDone
from twisted.internet.interfaces import IPullProducer, IPushProducer
from twisted.python.failure import Failure
from twisted.internet.testing import StringTransportWithDisconnection
from twisted.web.iweb import IBodyProducer
from zope.interface import implementer
from zope.interface.verify import verifyObject

import txh11 as h11
from txh11.bodies import FileBody, ProducerBody, stats
from txh11.protocol import BodyLengthError, IZeroCopyConsumer

from tests._support.bridge import TickingProducer, connect, get


@implementer(IPushProducer)
class PushRecorder:
    def __init__(self):
        self.calls = []

    def pauseProducing(self):
        self.calls.append("pause")

    def resumeProducing(self):
        self.calls.append("resume")

    def stopProducing(self):
        self.calls.append("stop")


@implementer(IPullProducer)
class PullCounter:
    def __init__(self, consumer, n):
        self.consumer = consumer
        self.n = n
        self.calls = 0

    def resumeProducing(self):
        self.calls += 1
        if self.calls <= self.n:
            self.consumer.write(b"%d;" % self.calls)

    def stopProducing(self):
        self.calls = -1


def streaming_response(proto):
    proto.dataReceived(get(1))
    proto.sendEvent(h11.Response(status_code=200, headers=[("transfer-encoding", "chunked")]))


def test_push_child_follows_transport_pressure():
    proto, transport, clock = connect()
    streaming_response(proto)
    child = PushRecorder()
    proto.registerProducer(child, True)
    # the transport's buffer is full: it pauses us, we pause the child
    transport.producer.pauseProducing()
    transport.producer.resumeProducing()
    assert child.calls == ["pause", "resume"]
    proto.unregisterProducer()
    transport.producer.pauseProducing()
    assert child.calls == ["pause", "resume"]


def test_child_registered_while_paused_starts_paused():
    proto, transport, clock = connect()
    streaming_response(proto)
    proto.pauseProducing()
    child = PushRecorder()
    proto.registerProducer(child, True)
    assert child.calls == ["pause"]
    with pytest.raises(RuntimeError):
        proto.registerProducer(PushRecorder(), True)


def test_pull_child_adapted_to_push():
    proto, transport, clock = connect()
    streaming_response(proto)
    pull = PullCounter(proto, 1000)
    proto.registerProducer(pull, False)
    clock.advance(0.001)
    clock.advance(0.001)
    assert pull.calls == 2
    proto.pauseProducing()
    clock.advance(0.001)
    assert pull.calls == 2
    proto.resumeProducing()
    clock.advance(0.001)
    assert pull.calls == 3
    proto.unregisterProducer()
    clock.advance(0.001)
    assert pull.calls == 3
    assert b"1;" in transport.value() and b"3;" in transport.value()


def test_connection_lost_stops_child():
    proto, transport, clock = connect(transport=StringTransportWithDisconnection())
    streaming_response(proto)
    child = PushRecorder()
    proto.registerProducer(child, True)
    transport.producer.stopProducing()  # what a FileDescriptor does on loss
    assert child.calls == ["stop"]


@implementer(IBodyProducer)
class ListProducer:
    """Writes the given chunks synchronously and fires."""

    def __init__(self, chunks, length):
        self.chunks = chunks
        self.length = length
        self.stopped = False

    def startProducing(self, consumer):
        for c in self.chunks:
            consumer.write(c)
        return defer.succeed(None)

    def pauseProducing(self):
        pass

    def resumeProducing(self):
        pass

    def stopProducing(self):
        self.stopped = True


def body_response(proto, framing):
    proto.dataReceived(get(1))
    if framing == "chunked":
        headers = [("transfer-encoding", "chunked")]
    else:
        headers = [("content-length", "6")]
    proto.sendEvent(h11.Response(status_code=200, headers=headers))


@pytest.mark.parametrize("framing", ["chunked", "length"])
def test_exact_body_then_framing(framing):
    proto, transport, clock = connect()
    body_response(proto, framing)
    results = []
    proto.sendBody(ProducerBody(ListProducer([b"abc", b"def"], 6))).addBoth(results.append)
    assert results == [None]
    proto.sendEvent(h11.EndOfMessage())
    wire = transport.value().split(b"\r\n\r\n", 1)[1]
    assert wire == (b"6\r\nabcdef\r\n0\r\n\r\n" if framing == "chunked" else b"abcdef")


@pytest.mark.parametrize("framing", ["chunked", "length"])
def test_short_body_aborts_without_closing_framing(framing):
    proto, transport, clock = connect()
    body_response(proto, framing)
    results = []
    proto.sendBody(ProducerBody(ListProducer([b"abc"], 6))).addBoth(results.append)
    assert results[0].check(BodyLengthError)
    assert transport.disconnected
    wire = transport.value().split(b"\r\n\r\n", 1)[1]
    assert wire == (b"6\r\nabc" if framing == "chunked" else b"abc")
    assert proto.conn.our_state is h11.ERROR


@pytest.mark.parametrize("framing", ["chunked", "length"])
def test_long_body_aborts_and_stops_producer(framing):
    proto, transport, clock = connect()
    body_response(proto, framing)
    results = []
    producer = ListProducer([b"abc", b"defg"], 6)
    proto.sendBody(ProducerBody(producer)).addBoth(results.append)
    assert results[0].check(BodyLengthError)
    assert producer.stopped
    assert transport.disconnected
    assert b"defg" not in transport.value()


def test_failing_producer_aborts():
    proto, transport, clock = connect()
    body_response(proto, "chunked")

    @implementer(IBodyProducer)
    class Failing(ListProducer):
        def startProducing(self, consumer):
            consumer.write(b"ab")
            return defer.fail(OSError("disk on fire"))

    results = []
    proto.sendBody(ProducerBody(Failing([], 6))).addBoth(results.append)
    assert results[0].check(OSError)
    assert transport.disconnected


def test_sendEvent_refused_while_body_active():
    proto, transport, clock = connect()
    body_response(proto, "chunked")
    proto.sendBody(ProducerBody(TickingProducer(b"x" * 10, clock)))
    with pytest.raises(RuntimeError):
        proto.sendEvent(h11.EndOfMessage())


def test_file_body_fallback_on_string_transport(tmp_path):
    path = tmp_path / "f"
    data = bytes(range(256)) * 1024  # 256 KiB
    path.write_bytes(data)
    proto, transport, clock = connect()
    proto.dataReceived(get(1))
    proto.sendEvent(h11.Response(status_code=200, headers=[("transfer-encoding", "chunked")]))
    stats.reset()
    with open(path, "rb") as f:
        body = FileBody(f, 1000, 200_000, reactor=clock)
        verifyObject(IBodyProducer, body)
        assert len(body) == 200_000
        results = []
        proto.sendBody(body).addBoth(results.append)
        while not results:
            clock.advance(0.001)
    assert results == [None]
    proto.sendEvent(h11.EndOfMessage())
    assert stats.sendfile_calls == 0 and stats.fallback_bytes == 200_000
    wire = transport.value().split(b"\r\n\r\n", 1)[1]
    assert wire == b"30d40\r\n" + data[1000:201000] + b"\r\n0\r\n\r\n"


def test_file_body_fallback_respects_pause(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"y" * (1024 * 1024))
    proto, transport, clock = connect()
    body_response(proto, "chunked")
    with open(path, "rb") as f:
        body = FileBody(f, reactor=clock)
        proto.pauseProducing()  # transport buffer full before we start
        results = []
        proto.sendBody(body).addBoth(results.append)
        before = len(transport.value())
        for _ in range(10):
            clock.advance(0.001)
        assert len(transport.value()) - before <= FileBody.chunkSize * FileBody.chunksPerTurn
        proto.resumeProducing()
        while not results:
            clock.advance(0.001)
    assert results == [None]


def test_file_body_shorter_than_promised(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"z" * 100)
    proto, transport, clock = connect()
    body_response(proto, "chunked")
    with open(path, "rb") as f:
        results = []
        proto.sendBody(FileBody(f, 0, 200, reactor=clock)).addBoth(results.append)
        clock.advance(0.001)
    assert results[0].check(EOFError)
    assert transport.disconnected
    assert not transport.value().endswith(b"\r\n0\r\n\r\n")


def test_zero_length_body(tmp_path):
    proto, transport, clock = connect()
    body_response(proto, "chunked")
    results = []
    proto.sendBody(ProducerBody(ListProducer([], 0))).addBoth(results.append)
    assert results == [None]
    proto.sendEvent(h11.EndOfMessage())
    assert transport.value().endswith(b"\r\n\r\n0\r\n\r\n")


def test_passthrough_consumer_interface():
    proto, transport, clock = connect()
    body_response(proto, "chunked")
    seen = []

    @implementer(IBodyProducer)
    class Keep(ListProducer):
        def startProducing(self, consumer):
            seen.append(consumer)
            return super().startProducing(consumer)

    proto.sendBody(ProducerBody(Keep([b"x"], 1)))
    verifyObject(IZeroCopyConsumer, seen[0])
    assert seen[0].zeroCopyTransport() is None  # StringTransport: no socket


def test_write_after_body_finished_aborts_without_failing_the_next():
    proto, transport, clock = connect()
    body_response(proto, "chunked")
    late = []

    @implementer(IBodyProducer)
    class Late(ListProducer):
        def startProducing(self, consumer):
            late.append(consumer)
            consumer.write(b"abcdef")
            return defer.succeed(None)

    first = []
    proto.sendBody(ProducerBody(Late([], 6))).addBoth(first.append)
    assert first == [None]
    second = []
    d = proto.sendBody(ProducerBody(ListProducer([b"x"], 1)))
    d.addBoth(second.append)
    late[0].write(b"sneaky")
    assert transport.disconnected
    assert b"sneaky" not in transport.value()
    assert second == [None]


def test_child_stopped_when_lost_after_we_unregistered():
    proto, transport, clock = connect()
    streaming_response(proto)
    child = PushRecorder()
    proto.registerProducer(child, True)
    proto.loseConnection()  # unregisters the protocol from the transport
    assert transport.producer is None
    assert child.calls == []
    proto.connectionLost(Failure(ConnectionDone()))
    assert child.calls == ["stop"]
