"""Input flow control, pipelining and non-reentrancy of HTTP11Protocol."""

import pytest
from twisted.internet.error import ConnectionDone
from twisted.internet.interfaces import IConsumer, IHalfCloseableProtocol, IPushProducer
from twisted.internet.testing import StringTransportWithDisconnection
from twisted.python.failure import Failure
from zope.interface.verify import verifyObject

import txh11 as h11
from txh11.protocol import PAUSE_PIPELINE, HTTP11Protocol

from tests._support.bridge import Recorder, WriteCountingTransport, connect, feed, get


def test_interfaces():
    proto, _, _ = connect()
    verifyObject(IPushProducer, proto)
    verifyObject(IConsumer, proto)
    verifyObject(IHalfCloseableProtocol, proto)


@pytest.mark.parametrize("bytewise", [False, True])
def test_pipelined_bytes_stay_unparsed_until_cycle_ends(bytewise):
    proto, transport, clock = connect()
    feed(proto, get(1) + get(2) + get(3), bytewise)
    # only the first request was parsed; the rest waits in the core
    assert proto.types() == [h11.Request, h11.EndOfMessage]
    assert transport.producerState == "paused"
    assert PAUSE_PIPELINE in proto._readPauses
    proto.answer()
    # delivered from a fresh call stack, not from inside sendEvent
    assert proto.types() == [h11.Request, h11.EndOfMessage]
    clock.advance(0)
    assert proto.types() == [h11.Request, h11.EndOfMessage] * 2
    assert proto.log[2].target == b"/2"
    assert transport.producerState == "paused"
    proto.answer()
    clock.advance(0)
    assert [e.target for e in proto.log if type(e) is h11.Request] == [b"/1", b"/2", b"/3"]
    proto.answer()
    clock.advance(0)
    assert transport.producerState == "producing"
    assert transport.value().count(b"HTTP/1.1 200 OK") == 3


@pytest.mark.parametrize("bytewise", [False, True])
def test_synchronous_answers_are_not_reentrant(bytewise):
    proto, transport, clock = connect(respond=True)
    feed(proto, b"".join(get(i) for i in range(5)), bytewise)
    assert [e.target for e in proto.log if type(e) is h11.Request] == [
        b"/%d" % i for i in range(5)
    ]
    assert proto.maxDepth == 1
    assert transport.value().count(b"HTTP/1.1 200 OK") == 5
    assert transport.producerState == "producing"


def test_reasons_for_pausing_nest():
    proto, transport, clock = connect()
    proto.pauseReading("a")
    proto.pauseReading("b")
    assert transport.producerState == "paused"
    proto.resumeReading("a")
    clock.advance(0)
    assert transport.producerState == "paused"
    proto.resumeReading("b")
    clock.advance(0)
    assert transport.producerState == "producing"
    proto.resumeReading("never-paused")  # harmless


class PausingConsumer(Recorder):
    """Pauses reading on every Data event, like a slow body consumer."""

    def eventReceived(self, event):
        super().eventReceived(event)
        if type(event) is h11.Data:
            self.pauseReading("consumer")


def test_paused_consumer_pauses_transport_and_delivery():
    proto, transport, clock = connect(cls=PausingConsumer)
    proto.dataReceived(
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n"
    )
    assert proto.types() == [h11.Request, h11.Data]
    assert transport.producerState == "paused"
    proto.resumeReading("consumer")
    assert proto.types() == [h11.Request, h11.Data]  # not from inside resumeReading
    clock.advance(0)
    assert proto.types() == [h11.Request, h11.Data, h11.Data]
    proto.resumeReading("consumer")
    clock.advance(0)
    assert proto.types() == [h11.Request, h11.Data, h11.Data, h11.EndOfMessage]
    assert b"".join(e.data for e in proto.log if type(e) is h11.Data) == b"abcdef"


@pytest.mark.parametrize("reason", ["consumer", "other"])
def test_connection_lost_delivers_buffered_events_despite_pauses(reason):
    proto, transport, clock = connect(cls=PausingConsumer)
    proto.dataReceived(
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n"
    )
    proto.pauseReading(reason)
    assert proto.types() == [h11.Request, h11.Data]
    proto.connectionLost(Failure(ConnectionDone()))
    assert proto.types()[:4] == [h11.Request, h11.Data, h11.Data, h11.EndOfMessage]


def test_head_and_small_body_coalesced_into_one_write():
    proto, transport, clock = connect(respond=True, transport=WriteCountingTransport())
    proto.dataReceived(get(1))
    assert len(transport.calls) == 1
    # one buffer: the transport need not look at each part
    assert len(transport.calls[0]) == 1
    assert transport.calls[0][0].startswith(b"HTTP/1.1 200 OK")
    assert transport.calls[0][0].endswith(b"\r\n\r\nok")
    # outside of delivery, a single sendEvent goes out at once
    proto.dataReceived(b"GET /2 HTTP/1.1\r\nHost: a\r\n\r\n")
    assert len(transport.calls) == 2


def test_async_answer_written_at_once_per_send():
    proto, transport, clock = connect(transport=WriteCountingTransport())
    proto.dataReceived(get(1))
    proto.sendEvent(h11.Response(status_code=200, headers=[("transfer-encoding", "chunked")], reason=b"OK"))
    assert transport.value().startswith(b"HTTP/1.1 200 OK")
    proto.sendEvent(h11.Data(data=b"x" * 10))
    assert transport.value().endswith(b"a\r\nxxxxxxxxxx\r\n")
    proto.sendEvent(h11.EndOfMessage())
    assert transport.value().endswith(b"0\r\n\r\n")
    assert len(transport.calls) == 3


def test_large_data_flushed_immediately_even_when_corked():
    proto, transport, clock = connect(transport=WriteCountingTransport())
    proto.dataReceived(get(1))
    with proto.corked():
        proto.sendEvent(h11.Response(status_code=200, headers=[("content-length", "70000")]))
        assert transport.calls == []
        proto.sendEvent(h11.Data(data=b"x" * 70000))
        assert len(transport.calls) == 1  # head + body in one writeSequence
        assert len(transport.calls[0]) == 2
        proto.sendEvent(h11.EndOfMessage())


def test_connection_lost_delivers_eof_then_notifies():
    proto, transport, clock = connect(transport=StringTransportWithDisconnection())
    proto.dataReceived(get(1) + b"GET /2 HTTP/1.1\r\n")
    proto.answer()
    clock.advance(0)
    transport.loseConnection()
    assert proto.types() == [
        h11.Request,
        h11.EndOfMessage,
        "error",  # EOF in the middle of the second head
        "closed",
    ]


def test_connection_lost_when_idle_gives_connection_closed_event():
    proto, transport, clock = connect(transport=StringTransportWithDisconnection())
    transport.loseConnection()
    assert proto.types() == [h11.ConnectionClosed, "closed"]
    assert clock.getDelayedCalls() == []


def test_half_close_from_peer_still_lets_us_answer():
    proto, transport, clock = connect()
    proto.dataReceived(get(1))
    proto.readConnectionLost()
    assert proto.types() == [h11.Request, h11.EndOfMessage, h11.ConnectionClosed]
    proto.answer()
    assert transport.value().startswith(b"HTTP/1.1 200 OK")
    # cycle over and the peer is gone: we close (no half-close dance needed)
    assert transport.disconnecting


@pytest.mark.parametrize("bytewise", [False, True])
def test_protocol_error_stops_parsing_and_discards(bytewise):
    proto, transport, clock = connect()
    feed(proto, b"GET / HTTP/1.1\r\nHost a\r\n\r\n", bytewise)
    assert proto.types() == ["error"]
    assert isinstance(proto.log[0][1], h11.RemoteProtocolError)
    assert transport.disconnecting  # default: graceful close
    proto.dataReceived(b"more garbage")
    assert proto.types() == ["error"]


class Exploding(Recorder):
    def eventReceived(self, event):
        raise ZeroDivisionError("boom")


def test_exception_in_hook_aborts(caplog):
    proto, transport, clock = connect(cls=Exploding)
    proto.dataReceived(get(1))
    assert transport.disconnected  # abortConnection


def test_start_next_cycle_requires_both_done():
    proto, transport, clock = connect()
    proto.dataReceived(get(1))
    with pytest.raises(h11.LocalProtocolError):
        proto.startNextCycle()


class Subclassed(HTTP11Protocol):
    """The minimal subclass: nothing overridden but the role."""

    role = h11.SERVER


def test_default_hooks():
    proto, transport, clock = connect(cls=Subclassed)
    proto.dataReceived(get(1))
    proto.sendEvents(
        [
            h11.Response(status_code=204, headers=[]),
            h11.EndOfMessage(),
        ]
    )
    # default cycleCompleted: startNextCycle
    assert proto.conn.states == {h11.CLIENT: h11.IDLE, h11.SERVER: h11.IDLE}
    proto.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    proto.sendEvents([h11.Response(status_code=204, headers=[]), h11.EndOfMessage()])
    assert transport.disconnecting
