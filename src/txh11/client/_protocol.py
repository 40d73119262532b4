"""
The client side of one HTTP/1.1 connection: :class:`HTTP11ClientProtocol`.

A subclass of the bridge (:class:`txh11.protocol.HTTP11Protocol`) with the
client role.  It carries one request/response exchange at a time
(``request(prepared) -> Deferred[Response]``); the pool
(:mod:`txh11.client._pool`) hands it out again once the core says the cycle
ended cleanly.

Request bodies
    Sent once the head is out: a body with a known length through the
    bridge's passthrough path (``sendBody``), an ``UNKNOWN_LENGTH`` one as
    chunked ``Data`` events with the producer registered as the bridge's
    child producer (paused while the socket's buffer is full).  A producer
    failure fails the request with ``RequestGenerationFailed`` and aborts the
    connection.

``Expect: 100-continue``
    When the caller set it, the head goes out alone and the body waits for
    ``100 Continue``, or for ``expectContinueTimeout`` seconds (on the
    injected reactor), after which it is sent anyway.  A final response that
    arrives first means the body is never sent: a chunked body is ended at
    once with its empty last chunk (the connection stays reusable), a
    ``Content-Length`` one cannot be, so the connection is closed after the
    response.

Responses
    The ``Response`` is fired once its head is parsed, right after the rest
    of the bytes of the same read (so a small body that came with the head
    is complete, and the connection back in the pool, when the caller sees
    the response: a redirect or a next request made from the callback reuses
    it).  Its body is
    read ahead up to ``unclaimedBodyLimit`` bytes until ``deliverBody`` is
    called; beyond that (or at once when ``Content-Length`` says it is
    larger) the socket is paused.  An unclaimed response that is garbage
    collected closes its connection.  The connection goes back to the pool
    before the body protocol is told ``ResponseDone``, so a request made
    from ``connectionLost`` reuses it.

Failures (Twisted's own exception types)
    - no response head and the connection went away: ``ResponseNeverReceived``
      (``RequestTransmissionFailed`` if it went away while the body was being
      sent);
    - the server broke the protocol: ``ResponseFailed`` wrapping the core's
      ``RemoteProtocolError``;
    - the body failed after the head: ``connectionLost(ResponseFailed)``;
    - cancelled: ``CancelledError``; the connection is aborted.

Timeouts: the bridge's ``idleTimeout``, ``headerTimeout`` and ``bodyTimeout``
are off by default on the client (the pool expires idle connections, callers
time requests out by cancelling, as with Twisted's Agent).
"""

from __future__ import annotations

import weakref
from typing import Any, Callable, Optional

from twisted.internet import defer
from twisted.internet.error import TimeoutError as TxTimeoutError
from twisted.internet.interfaces import IConsumer, IDelayedCall, IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.client import (
    PotentialDataLoss,
    RequestGenerationFailed,
    RequestNotSent,
    RequestTransmissionFailed,
    ResponseDone,
    ResponseFailed,
    ResponseNeverReceived,
)
from twisted.web.iweb import UNKNOWN_LENGTH
from zope.interface import implementer

import txh11 as h11
from txh11.client._request import BODY_CHUNKED, BODY_LENGTH, BODY_NONE, PreparedRequest
from txh11.client._response import Response
from txh11.protocol import PAUSE_CONSUMER, HTTP11Protocol

__all__ = ["HTTP11ClientProtocol", "ProtocolSwitchNotSupported", "RequestCancelled", "PAUSE_UNCLAIMED"]

PAUSE_UNCLAIMED = "response-unclaimed"

_log = Logger()

# request body progress
_B_DONE, _B_WAIT100, _B_SENDING, _B_SKIPPED, _B_FAILED = range(5)

_EOM = h11.EndOfMessage()
# Shared, like twisted.internet.main.connectionDone: reasons carry no state.
_RESPONSE_DONE = Failure(ResponseDone())
_DATA_LOSS = Failure(PotentialDataLoss())
_DONE = h11.DONE
_VERSIONS = {b"1.1": (b"HTTP", 1, 1), b"1.0": (b"HTTP", 1, 0)}


class ProtocolSwitchNotSupported(Exception):
    """The server answered ``101 Switching Protocols``; the agent cannot."""


class RequestCancelled(ResponseNeverReceived, defer.CancelledError):
    """
    The request was cancelled after its connection was made: both a
    ``CancelledError`` and Twisted's ``ResponseNeverReceived`` wrapping one
    (what Twisted's agent fails with), so code written for either agent
    recognises it.
    """


class _Exchange:
    """One request/response exchange on a connection."""

    __slots__ = (
        "prepared",
        "deferred",
        "fired",
        "done",
        "response",
        "responseRef",
        "responseEnded",
        "closeDelimited",
        "bodyState",
        "bodyError",
        "continueCall",
        "registered",
        "closeAfter",
        "__weakref__",
    )

    def __init__(self, prepared: PreparedRequest) -> None:
        self.prepared = prepared
        self.deferred: Optional[defer.Deferred[Response]] = None
        self.fired = False
        self.done = False
        self.response: Optional[Response] = None
        self.responseRef: Any = None
        self.responseEnded = False
        self.closeDelimited = False
        self.bodyState = _B_DONE
        self.bodyError: Optional[Failure] = None
        self.continueCall: Optional[IDelayedCall] = None
        self.registered = False
        self.closeAfter = False


def _cancelContinue(ex: _Exchange) -> None:
    """Cancel the wait for ``100 Continue``, if one is pending."""
    call, ex.continueCall = ex.continueCall, None
    if call is not None and call.active():
        call.cancel()


def _responseOf(ex: _Exchange) -> Optional[Response]:
    """The exchange's response: claimed, or unclaimed and still alive."""
    r = ex.response
    if r is None and ex.responseRef is not None:
        r = ex.responseRef()
    return r


@implementer(IConsumer)
class _ChunkedConsumer:
    """The consumer given to an ``UNKNOWN_LENGTH`` body producer."""

    __slots__ = ("_proto", "_ex")

    def __init__(self, proto: "HTTP11ClientProtocol", ex: _Exchange) -> None:
        self._proto = proto
        self._ex = ex

    def write(self, data: bytes) -> None:
        proto, ex = self._proto, self._ex
        if ex.bodyState == _B_SENDING and proto._clExchange is ex and not proto._clGone:
            proto.write(data)

    def writeSequence(self, seq: Any) -> None:
        self.write(b"".join(seq))

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        """The agent registers the body producer itself."""

    def unregisterProducer(self) -> None:
        """See registerProducer."""


class HTTP11ClientProtocol(HTTP11Protocol):
    """
    One client connection; one exchange at a time.  ``onQuiescent(proto)``
    is called when a cycle ended cleanly and the connection can be reused,
    ``onClosed(proto)`` when the transport is gone.
    """

    role = h11.CLIENT
    idleTimeout: Optional[float] = None
    headerTimeout: Optional[float] = None
    bodyTimeout: Optional[float] = None

    #: seconds to wait for ``100 Continue`` before sending the body anyway
    expectContinueTimeout: float = 1.0
    #: bytes of a response body read ahead before ``deliverBody``
    unclaimedBodyLimit: int = 64 * 1024

    _log = _log

    def __init__(
        self,
        reactor: Optional[IReactorTime] = None,
        onQuiescent: Optional[Callable[["HTTP11ClientProtocol"], None]] = None,
        onClosed: Optional[Callable[["HTTP11ClientProtocol"], None]] = None,
    ) -> None:
        super().__init__(reactor)
        self._clExchange: Optional[_Exchange] = None
        self._clOnQuiescent = onQuiescent
        self._clOnClosed = onClosed
        self._clUsable = True
        self._clClosedWaiters: list[defer.Deferred[None]] = []
        self._clClosed = False
        self._clGone = False
        self._clInInput = False
        self._clToFire: list[tuple[defer.Deferred[Response], Response]] = []
        #: requests started on this connection
        self.requestCount = 0

    def __repr__(self) -> str:
        return f"<HTTP11ClientProtocol #{id(self):x} requests={self.requestCount}>"

    # -- for the pool ---------------------------------------------------

    def isReusable(self) -> bool:
        """Idle, connected, both sides IDLE: a new request can go out."""
        conn = self.conn
        return (
            self._clUsable
            and self._clExchange is None
            and not self._clGone
            and conn is not None
            and conn.our_state is h11.IDLE
            and conn.their_state is h11.IDLE
        )

    @property
    def state(self) -> str:
        """``"QUIESCENT"`` when :meth:`isReusable`, as Twisted's pool expects
        of a connection it caches; else ``"CONNECTION_LOST"`` once the
        transport is gone, ``"BUSY"`` before."""
        if self.isReusable():
            return "QUIESCENT"
        return "CONNECTION_LOST" if self._clGone else "BUSY"

    def abort(self) -> "defer.Deferred[None]":
        """Abort the connection; the Deferred fires once it is closed (what
        Twisted's pool calls in ``closeCachedConnections``)."""
        d = self.whenClosed()
        self._clUsable = False
        self.abortConnection()
        return d

    def whenClosed(self) -> "defer.Deferred[None]":
        """A Deferred that fires once the transport is gone."""
        if self._clClosed:
            return defer.succeed(None)
        d: defer.Deferred[None] = defer.Deferred()
        self._clClosedWaiters.append(d)
        return d

    # -- sending --------------------------------------------------------

    def request(self, prepared: PreparedRequest) -> "defer.Deferred[Response]":
        """Send ``prepared``; fire with the :class:`Response` once its head
        arrives."""
        if self._clExchange is not None or not self._clUsable or self._clGone:
            return defer.fail(RequestNotSent())
        ex = _Exchange(prepared)
        self._clExchange = ex
        self.requestCount += 1
        d: defer.Deferred[Response] = defer.Deferred(lambda _: self._clCancel(ex))
        ex.deferred = d
        try:
            # corked: the head and what follows it now leave in one write,
            # straight to the socket when it can take them
            with self.corked():
                self.sendEvent(prepared.event)
                if prepared.bodyKind == BODY_NONE:
                    self.sendEvent(_EOM)
                elif prepared.expectContinue:
                    ex.bodyState = _B_WAIT100
                    ex.continueCall = self.clock.callLater(
                        self.expectContinueTimeout, self._clContinueTimedOut, ex
                    )
                else:
                    self._clStartBody(ex)
        except Exception:
            f = Failure()
            _log.failure("sending the request failed", failure=f)
            self._clFailExchange(ex, f, RequestNotSent)
            self._clUsable = False
            self.abortConnection()
        return d

    def _clStartBody(self, ex: _Exchange) -> None:
        ex.bodyState = _B_SENDING
        p = ex.prepared
        if p.bodyKind == BODY_LENGTH:
            try:
                d = self.sendBody(p.placeholder)
            except Exception:
                d = defer.fail()
        else:
            producer = p.bodyProducer
            try:
                d = producer.startProducing(_ChunkedConsumer(self, ex))  # type: ignore[union-attr]
            except Exception:
                d = defer.fail()
            if ex.bodyState == _B_SENDING and not self._clGone and not d.called:
                self.registerProducer(producer, True)
                ex.registered = True
        d.addCallbacks(
            self._clBodySent, self._clBodyFailed, callbackArgs=(ex,), errbackArgs=(ex,)
        )

    def _clBodySent(self, _: Any, ex: _Exchange) -> None:
        if ex.bodyState != _B_SENDING:
            return
        ex.bodyState = _B_DONE
        self._clBodyCleanup(ex)
        if self._clExchange is ex and not self._clGone:
            self.sendEvent(_EOM)

    def _clBodyFailed(self, f: Failure, ex: _Exchange) -> None:
        if ex.bodyState != _B_SENDING:
            return None
        ex.bodyState = _B_FAILED
        ex.bodyError = f
        self._clBodyCleanup(ex)
        if self._clGone or ex.done:
            return None  # connectionClosed reports it
        _log.failure("request body producer failed; aborting the connection", failure=f)
        self._clFailExchange(ex, f, RequestGenerationFailed)
        self._clUsable = False
        self.abortConnection()
        return None

    def _clBodyCleanup(self, ex: _Exchange) -> None:
        if ex.registered:
            ex.registered = False
            self.unregisterProducer()
        f = ex.prepared.closeFile
        if f is not None:
            try:
                f.close()
            except Exception:
                pass

    def _clStopBody(self, ex: _Exchange) -> None:
        """Stop a body still being produced (cancel/failure)."""
        _cancelContinue(ex)
        if ex.bodyState == _B_SENDING:
            ex.bodyState = _B_FAILED
            p = ex.prepared
            producer = p.placeholder if p.bodyKind == BODY_LENGTH else p.bodyProducer
            try:
                producer.stopProducing()  # type: ignore[union-attr]
            except Exception:
                _log.failure("stopProducing of {p!r} failed", p=producer)
            self._clBodyCleanup(ex)
        elif ex.bodyState == _B_WAIT100:
            ex.bodyState = _B_SKIPPED
            self._clBodyCleanup(ex)

    def _clContinueTimedOut(self, ex: _Exchange) -> None:
        ex.continueCall = None
        if ex.bodyState == _B_WAIT100 and self._clExchange is ex and not self._clGone:
            _log.debug("no 100 Continue after {t}s; sending the body", t=self.expectContinueTimeout)
            self._clStartBody(ex)

    # -- receiving ------------------------------------------------------

    def eventReceived(self, event: Any) -> None:
        t = type(event)
        ex = self._clExchange
        if t is h11.Data:
            if ex is None:
                return
            r = ex.response
            if r is not None:
                r._bodyData(event.data)
                return
            ref = ex.responseRef
            r = ref() if ref is not None else None
            if r is not None:
                r._bodyData(event.data)
                if r._pendingLen > self.unclaimedBodyLimit:
                    self.pauseReading(PAUSE_UNCLAIMED)
            return
        if ex is None and t is not h11.ConnectionClosed:
            # An unsolicited response on an idle connection (a server saying
            # 408 before it closes, or a broken one): never reuse it.
            if self._clUsable:
                _log.info(
                    "unsolicited {event!r} on idle connection to {peer}; closing",
                    event=event,
                    peer=self.transport.getPeer(),
                )
                self._clUsable = False
                self.abortConnection()
            return
        if t is h11.Response:
            self._clGotResponse(ex, event)
        elif t is h11.EndOfMessage:
            self._clGotEnd(ex, event)
        elif t is h11.InformationalResponse:
            self._clGotInformational(ex, event)
        elif t is h11.ConnectionClosed:
            self._clUsable = False
            if ex is None or ex.responseEnded:
                self.loseConnection()

    def _clGotInformational(self, ex: Optional[_Exchange], event: Any) -> None:
        if ex is None:
            return
        code = event.status_code
        if code == 100:
            if ex.bodyState == _B_WAIT100:
                _cancelContinue(ex)
                self._clStartBody(ex)
        elif code == 101:
            self._clUsable = False
            self._clFailExchange(
                ex,
                Failure(ProtocolSwitchNotSupported("the server switched protocols (101)")),
                ResponseFailed,
            )
            self.loseConnection()

    def _clGotResponse(self, ex: Optional[_Exchange], event: Any) -> None:
        if ex is None or ex.fired:  # cannot happen: the core checks the states
            return
        p = ex.prepared
        code = event.status_code
        raw = event.headers
        # the core framed the body already (None: a CONNECT it switched on)
        kind, length = self.conn.their_framing or ("length", 0)
        closeDelimited = kind == "close"
        if kind != "length":
            length = UNKNOWN_LENGTH
        version = _VERSIONS.get(event.http_version)
        if version is None:
            v = event.http_version
            version = (b"HTTP", v[0] - 48, v[2] - 48)
        response = Response(self, version, code, event.reason, raw, length, p)
        ex.closeDelimited = closeDelimited
        if ex.bodyState == _B_WAIT100:
            self._clSkipBody(ex)
        if length == 0:
            ex.response = response
        else:
            ex.responseRef = weakref.ref(response, self._clDropper(ex))
            if length is not UNKNOWN_LENGTH and length > self.unclaimedBodyLimit:
                self.pauseReading(PAUSE_UNCLAIMED)
        ex.fired = True
        d, ex.deferred = ex.deferred, None
        if self._clInInput:
            # Fire once the bytes already read are parsed: a small body that
            # came with the head is then complete and the connection back in
            # the pool before the caller sees the response (so a redirect
            # or a next request from the callback can reuse it).
            self._clToFire.append((d, response))
        else:
            d.callback(response)  # type: ignore[union-attr]

    def _clSkipBody(self, ex: _Exchange) -> None:
        """A final response arrived while the body waited for 100 Continue."""
        _cancelContinue(ex)
        ex.bodyState = _B_SKIPPED
        self._clBodyCleanup(ex)
        if ex.prepared.bodyKind == BODY_CHUNKED:
            self.sendEvent(_EOM)  # an empty chunked body keeps the connection
        else:
            ex.closeAfter = True

    def _clGotEnd(self, ex: Optional[_Exchange], event: Any) -> None:
        if ex is None:
            return
        ex.responseEnded = True
        r = _responseOf(ex)
        conn = self.conn
        if conn.our_state is _DONE and conn.their_state is _DONE:
            self._clEndExchange(ex)
            self.startNextCycle()
            self._clRelease()
        elif ex.closeAfter:
            self._clEndExchange(ex)
            self._clUsable = False
            self.loseConnection()
        if r is not None:
            r._rawTrailers = event.headers
            r._bodyEnd(_DATA_LOSS if ex.closeDelimited else _RESPONSE_DONE)

    def cycleCompleted(self, reusable: bool) -> None:
        ex = self._clExchange
        if ex is not None:
            self._clEndExchange(ex)
        if reusable and self._clUsable:
            self.startNextCycle()
            self._clRelease()
        else:
            self._clUsable = False
            self.loseConnection()

    def _clEndExchange(self, ex: _Exchange) -> None:
        ex.done = True
        if self._clExchange is ex:
            self._clExchange = None
        self.resumeReading(PAUSE_UNCLAIMED)
        self.resumeReading(PAUSE_CONSUMER)

    def _clRelease(self) -> None:
        if self._clOnQuiescent is not None and self.isReusable():
            self._clOnQuiescent(self)

    # -- the response's consumer ----------------------------------------

    def _clCurrent(self, response: Response) -> Optional[_Exchange]:
        ex = self._clExchange
        if ex is None or ex.done:
            return None
        if ex.response is response:
            return ex
        ref = ex.responseRef
        if ref is not None and ref() is response:
            return ex
        return None

    def _clResponseClaimed(self, response: Response) -> None:
        ex = self._clCurrent(response)
        if ex is not None:
            ex.response = response
            self.resumeReading(PAUSE_UNCLAIMED)

    def _clPauseResponse(self, response: Response) -> None:
        if self._clCurrent(response) is not None:
            self.pauseReading(PAUSE_CONSUMER)

    def _clResumeResponse(self, response: Response) -> None:
        if self._clCurrent(response) is not None:
            self.resumeReading(PAUSE_CONSUMER)

    def _clAbandonResponse(self, response: Response) -> None:
        if self._clCurrent(response) is not None:
            self._clUsable = False
            self.abortConnection()

    def _clDropper(self, ex: _Exchange) -> Callable[[Any], None]:
        selfRef = weakref.ref(self)
        exRef = weakref.ref(ex)

        def dropped(_: Any) -> None:
            proto, exchange = selfRef(), exRef()
            if proto is None or exchange is None or exchange.done:
                return
            if exchange.response is None and not exchange.responseEnded:
                proto.clock.callLater(0, proto._clDroppedUnread, exchange)

        return dropped

    def _clDroppedUnread(self, ex: _Exchange) -> None:
        if self._clExchange is ex and not ex.done and not ex.responseEnded:
            _log.info(
                "response to {m} {u!r} dropped with its body unread; closing the connection",
                m=ex.prepared.method.decode("ascii", "replace"),
                u=ex.prepared.uri,
            )
            self._clUsable = False
            self.abortConnection()

    # -- failures -------------------------------------------------------

    def _clFailExchange(self, ex: _Exchange, reason: Failure, wrap: Any = None) -> None:
        """End ``ex`` with ``reason``: fail the request Deferred (wrapped in
        ``wrap``) or, after the head, the response body (ResponseFailed)."""
        if ex.done:
            return
        ex.done = True
        if self._clExchange is ex:
            self._clExchange = None
        self._clStopBody(ex)
        if not ex.fired:
            ex.fired = True
            d, ex.deferred = ex.deferred, None
            err = reason if wrap is None else Failure(wrap([reason]))
            d.errback(err)  # type: ignore[union-attr]
            return
        r = _responseOf(ex)
        if r is not None and not ex.responseEnded:
            ex.responseEnded = True
            r._bodyEnd(Failure(ResponseFailed([reason])))

    def _clCancel(self, ex: _Exchange) -> None:
        if ex.done:
            return
        ex.done = True
        ex.fired = True
        d, ex.deferred = ex.deferred, None
        if self._clExchange is ex:
            self._clExchange = None
        self._clStopBody(ex)
        self._clUsable = False
        self.abortConnection()
        if d is not None:
            d.errback(Failure(RequestCancelled([Failure(defer.CancelledError())])))

    # -- input: fire response Deferreds after the read was parsed ---------

    def dataReceived(self, data: bytes) -> None:
        # (no try/finally: the bridge catches what its hooks raise)
        self._clInInput = True
        HTTP11Protocol.dataReceived(self, data)
        self._clInInput = False
        if self._clToFire:
            self._clFire()

    def readConnectionLost(self) -> None:
        self._clInInput = True
        try:
            super().readConnectionLost()
        finally:
            self._clInInput = False
        if self._clToFire:
            self._clFire()

    def _clFire(self) -> None:
        toFire, self._clToFire = self._clToFire, []
        for d, response in toFire:
            d.callback(response)

    def close(self) -> None:
        """Close gracefully (the pool expiring an idle connection)."""
        self._clUsable = False
        self.loseConnection()

    def connectionLost(self, reason: Failure = Failure(Exception())) -> None:
        self._clGone = True
        self._clInInput = True
        try:
            super().connectionLost(reason)
        finally:
            self._clInInput = False
        if self._clToFire:
            self._clFire()

    def protocolErrorReceived(self, exc: Exception) -> None:
        self._clUsable = False
        ex = self._clExchange
        if ex is not None and not ex.fired:
            data, eof = self.conn.trailing_data
            if eof and not data:
                # Closed before a single byte of the response: not a broken
                # response but none at all (ResponseNeverReceived, retryable),
                # which connectionClosed reports.
                self.abortConnection()
                return
        if ex is not None:
            self._clFailExchange(ex, Failure(exc), ResponseFailed)
        else:
            _log.info("protocol error on an idle connection: {exc}", exc=exc)
        self.abortConnection()

    def timeoutReached(self, kind: str) -> None:
        self._clUsable = False
        ex = self._clExchange
        if ex is not None:
            self._clFailExchange(ex, Failure(TxTimeoutError(f"{kind} timeout")), ResponseFailed)
        self.abortConnection()

    def connectionClosed(self, reason: Failure) -> None:
        self._clUsable = False
        ex = self._clExchange
        if ex is not None:
            if ex.fired:
                self._clFailExchange(ex, reason)
            elif ex.bodyState in (_B_SENDING, _B_FAILED):
                self._clFailExchange(ex, ex.bodyError or reason, RequestTransmissionFailed)
            else:
                self._clFailExchange(ex, reason, ResponseNeverReceived)
        self._clClosed = True
        if self._clOnClosed is not None:
            self._clOnClosed(self)
        waiters, self._clClosedWaiters = self._clClosedWaiters, []
        for d in waiters:
            d.callback(None)
