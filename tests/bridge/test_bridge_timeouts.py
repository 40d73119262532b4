"""Every timeout of HTTP11Protocol, driven by task.Clock."""

import pytest

from txh11.protocol import TIMEOUT_BODY, TIMEOUT_HEADER, TIMEOUT_IDLE

from tests._support.bridge import connect, feed, get

SETTINGS = dict(
    idleTimeout=10.0, headerTimeout=5.0, bodyTimeout=3.0, lingerTimeout=2.0, closeTimeout=7.0
)


def timeouts(proto):
    return [e[1] for e in proto.log if isinstance(e, tuple) and e[0] == "timeout"]


def test_idle_timeout_on_a_fresh_connection():
    proto, transport, clock = connect(**SETTINGS)
    clock.advance(9.9)
    assert not transport.disconnecting
    clock.advance(0.2)
    assert timeouts(proto) == [TIMEOUT_IDLE]
    assert transport.disconnecting


def test_idle_timeout_restarts_after_each_cycle():
    proto, transport, clock = connect(respond=True, **SETTINGS)
    clock.advance(9)
    proto.dataReceived(get(1))
    clock.advance(9)
    assert timeouts(proto) == []
    clock.advance(1.1)
    assert timeouts(proto) == [TIMEOUT_IDLE]


@pytest.mark.parametrize("bytewise", [False, True])
def test_header_timeout_slowloris(bytewise):
    proto, transport, clock = connect(**SETTINGS)
    clock.advance(1)
    # a head trickling in, never completed: each byte does not reset the timer
    for i in range(4):
        feed(proto, b"GET / HTTP/1.1\r\n"[i * 4 : i * 4 + 4], bytewise)
        clock.advance(1)
    assert timeouts(proto) == []
    proto.dataReceived(b"Host: a\r\n")
    clock.advance(1.1)
    assert timeouts(proto) == [TIMEOUT_HEADER]


def test_header_timeout_cancelled_by_complete_head():
    proto, transport, clock = connect(**SETTINGS)
    proto.dataReceived(b"GET / HTTP/1.1\r\n")
    clock.advance(4)
    proto.dataReceived(b"Host: a\r\n\r\n")
    clock.advance(100)
    assert timeouts(proto) == []  # waiting for our answer is not a timeout


def test_header_timeout_for_a_partial_pipelined_head():
    proto, transport, clock = connect(**SETTINGS)
    proto.dataReceived(get(1) + b"GET /2 HTTP/1.1\r\n")
    proto.answer()
    clock.advance(0)
    clock.advance(5.1)
    assert timeouts(proto) == [TIMEOUT_HEADER]


def test_header_timeout_for_a_partial_pipelined_head_answered_synchronously():
    # the cycle restarts inside the delivery; the partial head stays buffered
    proto, transport, clock = connect(respond=True, **SETTINGS)
    proto.dataReceived(get(1) + get(2) + b"GET /3 HTTP/1.1\r\n")
    clock.advance(0)
    clock.advance(5.1)
    assert timeouts(proto) == [TIMEOUT_HEADER]


def test_no_header_timeout_after_pipelined_heads_answered_synchronously():
    proto, transport, clock = connect(respond=True, **SETTINGS)
    proto.dataReceived(get(1) + get(2))
    clock.advance(0)
    clock.advance(9.9)
    assert timeouts(proto) == []
    clock.advance(0.2)
    assert timeouts(proto) == [TIMEOUT_IDLE]


def body_request():
    return b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n"


@pytest.mark.parametrize("bytewise", [False, True])
def test_body_inactivity_timeout(bytewise):
    proto, transport, clock = connect(**SETTINGS)
    feed(proto, body_request() + b"abc", bytewise)
    clock.advance(2.5)
    proto.dataReceived(b"def")  # activity resets it
    clock.advance(2.5)
    assert timeouts(proto) == []
    clock.advance(0.6)
    assert timeouts(proto) == [TIMEOUT_BODY]


def test_no_body_timeout_while_we_pause_reading():
    proto, transport, clock = connect(**SETTINGS)
    proto.dataReceived(body_request() + b"abc")
    proto.pauseReading("consumer")
    clock.advance(100)
    assert timeouts(proto) == []
    proto.resumeReading("consumer")
    clock.advance(0)
    clock.advance(3.1)
    assert timeouts(proto) == [TIMEOUT_BODY]


def test_body_timeout_cancelled_at_end_of_body():
    proto, transport, clock = connect(**SETTINGS)
    proto.dataReceived(body_request() + b"0123456789")
    clock.advance(100)
    assert timeouts(proto) == []


def test_close_timeout_aborts_a_stalled_graceful_close():
    proto, transport, clock = connect(**SETTINGS)
    proto.loseConnection()
    assert transport.disconnecting  # StringTransport cannot half-close
    assert not transport.disconnected
    clock.advance(6.9)
    assert not transport.disconnected
    clock.advance(0.2)
    assert transport.disconnected  # abortConnection


def test_timeouts_can_be_disabled():
    proto, transport, clock = connect(
        idleTimeout=None, headerTimeout=None, bodyTimeout=None, closeTimeout=None
    )
    clock.advance(1e6)
    proto.dataReceived(b"POST / HTTP/1.1\r\n")
    clock.advance(1e6)
    proto.dataReceived(b"Host: a\r\nContent-Length: 3\r\n\r\n")
    clock.advance(1e6)
    assert timeouts(proto) == []
    assert clock.getDelayedCalls() == []


def test_no_timers_left_after_connection_lost():
    from twisted.internet.testing import StringTransportWithDisconnection

    proto, transport, clock = connect(transport=StringTransportWithDisconnection(), **SETTINGS)
    proto.dataReceived(b"GET / HTTP/1.1\r\n")
    transport.loseConnection()
    assert clock.getDelayedCalls() == []


def half_closeable():
    from twisted.internet.interfaces import IHalfCloseableDescriptor
    from twisted.internet.testing import StringTransport
    from zope.interface import implementer

    @implementer(IHalfCloseableDescriptor)
    class HalfCloseable(StringTransport):
        writeClosed = False

        def loseWriteConnection(self):
            self.writeClosed = True

    return HalfCloseable()


def test_linger_timeout_closes_a_half_closed_connection():
    proto, transport, clock = connect(transport=half_closeable(), **SETTINGS)
    proto.dataReceived(b"GET / HTTP/1.1\r\n")  # the peer is not done
    proto.loseConnection()
    assert transport.writeClosed and not transport.disconnecting
    clock.advance(1.9)
    proto.dataReceived(b"Host: a\r\n\r\n")  # discarded: does not extend the linger
    assert not transport.disconnecting
    clock.advance(0.2)
    assert transport.disconnecting and not transport.disconnected
    clock.advance(4.8)  # the close timeout (7) counts from the start of the close
    assert not transport.disconnected
    clock.advance(0.2)
    assert transport.disconnected
    assert timeouts(proto) == []


def test_a_connection_per_request_arms_one_delayed_call():
    proto, transport, clock = connect(respond=True, **SETTINGS)
    made = []
    callLater = clock.callLater

    def counting(*args, **kwargs):
        made.append(args[0])
        return callLater(*args, **kwargs)

    clock.callLater = counting
    first = clock.getDelayedCalls()
    assert len(first) == 1  # the idle timeout's, due no later than the close timeout's
    assert first[0].getTime() == SETTINGS["closeTimeout"]
    clock.advance(1)
    proto.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    assert transport.disconnecting
    assert made == []  # the close deadline (8) is after the call (7): no new one
    clock.advance(5.9)
    assert not transport.disconnected
    clock.advance(0.1)  # the call finds the close deadline not due yet
    assert made == [1.0]
    clock.advance(1)
    assert transport.disconnected  # closed at 8, the close timeout after the close began


def test_the_first_call_runs_early_only_once():
    # the idle deadline (10) stays exact after the early call (7) found it not due
    proto, transport, clock = connect(**SETTINGS)
    clock.advance(7)
    assert [c.getTime() for c in clock.getDelayedCalls()] == [10.0]
    clock.advance(2.9)
    assert timeouts(proto) == []
    clock.advance(0.1)
    assert timeouts(proto) == [TIMEOUT_IDLE]
