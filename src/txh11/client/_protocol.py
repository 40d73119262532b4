"""
The client side of one HTTP/1.1 connection: :class:`HTTP11ClientProtocol`.

The ``IProtocol`` a client connection's transport talks to.  It owns a
bridge (:class:`txh11.protocol.HTTP11Protocol` with the client role, made
with this object as its :class:`~txh11.protocol.IHTTP11Handler`), passes
the transport's calls on to it, and hears from it about the response's
events, errors, the end of a cycle and the end of the connection.  It
carries one request/response exchange (:class:`txh11.client._exchange.Exchange`)
at a time (``request(prepared) -> Deferred[Response]``); the pool
(:mod:`txh11.client._pool`) hands it out again once the core says the cycle
ended cleanly.

Responses
    The ``Response`` Deferred fires once the head is parsed, right after the
    rest of the bytes of the same read (this object sees the read end, as
    the transport's protocol), so a small body that came with the head is
    complete, and the connection back in the pool, when the caller sees the
    response: a redirect or a next request made from the callback reuses
    it.  The connection goes back to the pool before the body's consumer is
    told ``ResponseDone``, so a request made from its ``connectionLost``
    reuses it too.  A body is read ahead up to ``unclaimedBodyLimit`` bytes
    until ``deliverBody`` is called; an unclaimed response that is garbage
    collected closes its connection.

Timeouts: the bridge's ``idleTimeout``, ``headerTimeout`` and ``bodyTimeout``
(copied from this class's attributes when the connection is made) are off
by default on the client (the pool expires idle connections, callers time
requests out by cancelling, as with Twisted's Agent).
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from twisted.internet import defer
from twisted.internet.error import TimeoutError as TxTimeoutError
from twisted.internet.interfaces import IHalfCloseableProtocol, IReactorTime
from twisted.internet.protocol import Protocol
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.client import (
    RequestNotSent,
    RequestTransmissionFailed,
    ResponseFailed,
    ResponseNeverReceived,
)
from zope.interface import implementer

import txh11 as h11
from txh11.client._exchange import (
    B_FAILED,
    B_SENDING,
    Exchange,
    ProtocolSwitchNotSupported,
    RequestCancelled,
)
from txh11.client._interfaces import IClientConnection
from txh11.client._request import PreparedRequest
from txh11.client._response import Response
from txh11.protocol import PAUSE_CONSUMER, HTTP11Protocol, IHTTP11Handler

__all__ = ["HTTP11ClientProtocol", "ProtocolSwitchNotSupported", "RequestCancelled"]

_log = Logger()

_Data = h11.Data
_IDLE = h11.IDLE


@implementer(IHalfCloseableProtocol, IHTTP11Handler, IClientConnection)
class HTTP11ClientProtocol(Protocol):
    """
    One client connection; one exchange at a time.  ``onQuiescent(proto)``
    is called when a cycle ended cleanly and the connection can be reused,
    ``onClosed(proto)`` when the transport is gone.

    :ivar bridge: the :class:`~txh11.protocol.HTTP11Protocol` it drives.
    :ivar exchange: the exchange in progress, or ``None``.
    :ivar requestCount: requests started on this connection.
    """

    idleTimeout: Optional[float] = None
    headerTimeout: Optional[float] = None
    bodyTimeout: Optional[float] = None

    #: seconds to wait for ``100 Continue`` before sending the body anyway
    expectContinueTimeout: float = 1.0
    #: bytes of a response body read ahead before ``deliverBody``
    unclaimedBodyLimit: int = 64 * 1024

    def __init__(
        self,
        reactor: Optional[IReactorTime] = None,
        onQuiescent: Optional[Callable[["HTTP11ClientProtocol"], None]] = None,
        onClosed: Optional[Callable[["HTTP11ClientProtocol"], None]] = None,
    ) -> None:
        bridge = self.bridge = HTTP11Protocol(self, reactor)
        bridge.role = h11.CLIENT
        self.exchange: Optional[Exchange] = None
        self._onQuiescent = onQuiescent
        self._onClosed = onClosed
        self._usable = True
        self._closedWaiters: list[defer.Deferred[None]] = []
        self._closed = False
        self._inInput = False
        self._toFire: list[tuple[defer.Deferred[Response], Response]] = []
        self.requestCount = 0

    def __repr__(self) -> str:
        return f"<HTTP11ClientProtocol #{id(self):x} requests={self.requestCount}>"

    # -- the transport's calls, passed on to the bridge -------------------

    def makeConnection(self, transport: Any) -> None:
        """Connect the bridge first (a subclass's ``connectionMade`` then
        finds the transport set up, e.g. ``TCP_NODELAY``)."""
        bridge = self.bridge
        bridge.idleTimeout = self.idleTimeout
        bridge.headerTimeout = self.headerTimeout
        bridge.bodyTimeout = self.bodyTimeout
        self.connected = 1
        self.transport = transport
        bridge.makeConnection(transport)
        self.connectionMade()

    def dataReceived(self, data: bytes) -> None:
        # (no try/finally: the bridge catches what the handler raises)
        self._inInput = True
        self.bridge.dataReceived(data)
        self._inInput = False
        if self._toFire:
            self._fire()

    def readConnectionLost(self) -> None:
        self._inInput = True
        try:
            self.bridge.readConnectionLost()
        finally:
            self._inInput = False
        if self._toFire:
            self._fire()

    def writeConnectionLost(self) -> None:
        self.bridge.writeConnectionLost()

    def connectionLost(self, reason: Failure = Failure(Exception())) -> None:
        self.connected = 0
        self._inInput = True
        try:
            self.bridge.connectionLost(reason)
        finally:
            self._inInput = False
        if self._toFire:
            self._fire()

    def _fire(self) -> None:
        toFire, self._toFire = self._toFire, []
        for d, response in toFire:
            d.callback(response)

    # -- for the pool -----------------------------------------------------

    def isReusable(self) -> bool:
        """Idle, connected, both sides IDLE: a new request can go out."""
        conn = self.bridge.conn
        return (
            self._usable
            and self.exchange is None
            and not self.bridge.lost
            and conn is not None
            and conn.our_state is _IDLE
            and conn.their_state is _IDLE
        )

    def abort(self) -> "defer.Deferred[None]":
        """Abort the connection; the Deferred fires once it is closed (what
        Twisted's pool calls in ``closeCachedConnections``)."""
        d = self.whenClosed()
        self.abortConnection()
        return d

    def whenClosed(self) -> "defer.Deferred[None]":
        """A Deferred that fires once the transport is gone."""
        if self._closed:
            return defer.succeed(None)
        d: defer.Deferred[None] = defer.Deferred()
        self._closedWaiters.append(d)
        return d

    def close(self) -> None:
        """Close gracefully (the pool expiring an idle connection); never
        reused."""
        self._usable = False
        self.bridge.loseConnection()

    def abortConnection(self) -> None:
        """Close now; never reused."""
        self._usable = False
        self.bridge.abortConnection()

    # -- for the agent and the exchanges ------------------------------------

    def request(self, prepared: PreparedRequest) -> "defer.Deferred[Response]":
        """Send ``prepared``; fire with the :class:`Response` once its head
        arrives."""
        if self.exchange is not None or not self._usable or self.bridge.lost:
            return defer.fail(RequestNotSent())
        ex = self.exchange = Exchange(self, prepared)
        self.requestCount += 1
        d: defer.Deferred[Response] = ex.deferred  # type: ignore[assignment]
        try:
            ex.start()
        except Exception:
            ex.notSent(Failure())
            self.abortConnection()
        return d

    def deliverResponse(self, d: "defer.Deferred[Response]", response: Response) -> None:
        """Fire ``d`` with ``response``: at once, or, during a read, once
        the bytes already read are parsed (see the module docstring)."""
        if self._inInput:
            self._toFire.append((d, response))
        else:
            d.callback(response)

    def exchangeEnded(self, ex: Exchange, resume: bool = False) -> None:
        """``ex`` is over; with ``resume``, read again if its body's
        consumer had paused the connection."""
        ex.done = True
        if self.exchange is ex:
            self.exchange = None
        if resume:
            self.bridge.resumeReading(PAUSE_CONSUMER)

    def release(self) -> None:
        """Back to the pool, if it can be reused."""
        if self._onQuiescent is not None and self.isReusable():
            self._onQuiescent(self)

    # -- IHTTP11Handler: what the bridge reports ----------------------------

    def eventReceived(self, event: Any) -> None:
        ex = self.exchange
        t = type(event)
        if t is _Data:
            if ex is not None:
                ex.body.dataReceived(event.data)  # type: ignore[union-attr]
            return
        if t is h11.ConnectionClosed:
            self._usable = False
            if ex is None or ex.responseEnded:
                self.bridge.loseConnection()
        elif ex is None:
            self._unsolicited(event)
        elif t is h11.Response:
            ex.gotResponse(event)
        elif t is h11.EndOfMessage:
            ex.gotEnd(event)
        elif t is h11.InformationalResponse:
            ex.gotInformational(event)

    def _unsolicited(self, event: Any) -> None:
        # A response on an idle connection (a server saying 408 before it
        # closes, or a broken one): never reuse it.
        if self._usable:
            _log.info(
                "unsolicited {event!r} on idle connection to {peer}; closing",
                event=event,
                peer=self.bridge.peerName(),
            )
            self.abortConnection()

    def cycleCompleted(self, reusable: bool) -> None:
        # the bridge started the next cycle (reusable) or is closing
        ex = self.exchange
        if ex is not None:
            self.exchangeEnded(ex, True)
        if reusable and self._usable:
            self.release()
        else:
            self._usable = False
            if reusable:
                self.bridge.loseConnection()

    def protocolErrorReceived(self, exc: Exception) -> None:
        self._usable = False
        ex = self.exchange
        if ex is not None and not ex.fired:
            data, eof = self.bridge.conn.trailing_data
            if eof and not data:
                # Closed before a single byte of the response: not a broken
                # response but none at all (ResponseNeverReceived, retryable),
                # which connectionClosed reports.
                self.abortConnection()
                return
        if ex is not None:
            ex.fail(Failure(exc), ResponseFailed)
        else:
            _log.info("protocol error on an idle connection: {exc}", exc=exc)
        self.abortConnection()

    def timeoutReached(self, kind: str) -> None:
        ex = self.exchange
        if ex is not None:
            ex.fail(Failure(TxTimeoutError(f"{kind} timeout")), ResponseFailed)
        self.abortConnection()

    def protocolSwitched(self, data: bytes) -> None:
        # (a 101 already failed its request: see Exchange.gotInformational)
        self.close()

    def rawDataReceived(self, data: bytes) -> None:
        """Bytes after a switch: dropped (the connection is closing)."""

    def connectionClosed(self, reason: Failure) -> None:
        self._usable = False
        ex = self.exchange
        if ex is not None:
            if ex.fired:
                ex.fail(reason)
            elif ex.bodyState in (B_SENDING, B_FAILED):
                ex.fail(ex.bodyError or reason, RequestTransmissionFailed)
            else:
                ex.fail(reason, ResponseNeverReceived)
        self._closed = True
        if self._onClosed is not None:
            self._onClosed(self)
        waiters, self._closedWaiters = self._closedWaiters, []
        for d in waiters:
            d.callback(None)
