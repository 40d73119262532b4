"""HTTP11Protocol(handler): the bridge reports to an IHTTP11Handler that is
not the protocol; without one, the protocol is its own handler (the
subclass API)."""

from __future__ import annotations

import gc
import weakref
from typing import Any

from twisted.internet.error import ConnectionDone
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure
from zope.interface import implementer
from zope.interface.verify import verifyObject

import txh11 as h11
from txh11.protocol import TIMEOUT_IDLE, HTTP11Protocol, IHTTP11Handler

from tests._support.bridge import Recorder, get


@implementer(IHTTP11Handler)
class Handler:
    """Records what the bridge reports, with the core's states at the time;
    answers each request with ``ok``."""

    def __init__(self) -> None:
        self.protocol: Any = None
        self.log: list[Any] = []

    def eventReceived(self, event: Any) -> None:
        self.log.append(type(event).__name__)
        if type(event) is h11.EndOfMessage:
            self.protocol.sendEvents(
                [
                    h11.Response(status_code=200, headers=[("content-length", "2")]),
                    h11.Data(data=b"ok"),
                    h11.EndOfMessage(),
                ]
            )

    def protocolErrorReceived(self, exc: Exception) -> None:
        self.log.append(("error", exc.error_status_hint))  # type: ignore[attr-defined]
        self.protocol.loseConnection()

    def cycleCompleted(self, reusable: bool) -> None:
        conn = self.protocol.conn
        self.log.append(("cycle", reusable, conn.our_state, self.protocol.closing))

    def timeoutReached(self, kind: str) -> None:
        self.log.append(("timeout", kind))
        self.protocol.loseConnection()

    def connectionClosed(self, reason: Failure) -> None:
        self.log.append(("closed", reason.type))

    def protocolSwitched(self, data: bytes) -> None:
        self.log.append(("switched", data))

    def rawDataReceived(self, data: bytes) -> None:
        self.log.append(("raw", data))


def connected(handler: Any, clock: Clock) -> tuple[HTTP11Protocol, StringTransport]:
    proto = HTTP11Protocol(handler, clock)
    handler.protocol = proto
    transport = StringTransport()
    proto.makeConnection(transport)
    return proto, transport


def test_handler_and_protocol_provide_the_interface():
    assert verifyObject(IHTTP11Handler, Handler())
    assert verifyObject(IHTTP11Handler, HTTP11Protocol())


def test_events_go_to_the_handler_and_the_bridge_starts_the_next_cycle():
    handler, clock = Handler(), Clock()
    proto, transport = connected(handler, clock)
    proto.dataReceived(get(1) + get(2))
    clock.advance(0)
    assert transport.value().count(b"HTTP/1.1 200 ") == 2
    # the next cycle had started (our side IDLE again) when the handler heard of it
    assert handler.log == ["Request", "EndOfMessage", ("cycle", True, h11.IDLE, False)] * 2


def test_a_cycle_that_cannot_be_reused_is_closed_by_the_bridge():
    handler, clock = Handler(), Clock()
    proto, transport = connected(handler, clock)
    proto.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    assert handler.log[-1] == ("cycle", False, h11.MUST_CLOSE, True)
    assert transport.disconnecting


def test_errors_timeouts_and_the_end_go_to_the_handler():
    handler, clock = Handler(), Clock()
    proto, transport = connected(handler, clock)
    proto.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n")
    assert handler.log == [("error", 400)]

    handler, clock = Handler(), Clock()
    proto, transport = connected(handler, clock)
    clock.advance(HTTP11Protocol.idleTimeout)
    assert handler.log == [("timeout", TIMEOUT_IDLE)]
    proto.connectionLost(Failure(ConnectionDone()))
    assert handler.log[-1] == ("closed", ConnectionDone)


def test_the_protocol_lets_go_of_its_handler_when_the_connection_ends():
    handler, clock = Handler(), Clock()
    proto, transport = connected(handler, clock)
    proto.dataReceived(get(1))
    proto.connectionLost(Failure(ConnectionDone()))
    handler.protocol = None
    ref = weakref.ref(handler)
    gc.disable()
    try:
        del handler
        assert ref() is None
        proto.dataReceived(get(2))  # nothing is reported any more
    finally:
        gc.enable()


def test_without_a_handler_the_protocol_is_its_own():
    """The subclass API: hooks overridden on the protocol, and the default
    cycleCompleted starts the next cycle (a subclass decides)."""
    clock = Clock()
    proto = Recorder(clock, respond=True)
    transport = StringTransport()
    proto.makeConnection(transport)
    proto.dataReceived(get(1) + get(2))
    clock.advance(0)
    assert transport.value().count(b"HTTP/1.1 200 ") == 2
    assert proto.types() == [h11.Request, h11.EndOfMessage] * 2


def test_the_reactor_may_still_be_given_first():
    clock = Clock()
    assert HTTP11Protocol(clock).clock is clock
    assert HTTP11Protocol(reactor=clock).clock is clock
