"""
One request/response exchange on a client connection: :class:`Exchange`.

The connection (:class:`txh11.client.HTTP11ClientProtocol`, known here as an
:class:`~txh11.client._interfaces.IClientConnection`) makes one per
request and hands it the events of its response; the exchange sends the
request through the connection's bridge and builds the
:class:`~txh11.client.Response`, whose body (a
:class:`~txh11.client._response.ResponseBody`) knows the exchange only as an
:class:`~txh11.client._interfaces.IBodySource`.

Request bodies
    Sent once the head is out: a body with a known length through the
    bridge's passthrough path (``sendBody``), an ``UNKNOWN_LENGTH`` one as
    chunked data with the producer registered as the bridge's child producer
    (paused while the socket's buffer is full).  A producer failure fails the
    request with ``RequestGenerationFailed`` and aborts the connection.

``Expect: 100-continue``
    When the caller set it, the head goes out alone and the body waits for
    ``100 Continue``, or for the connection's ``expectContinueTimeout``
    seconds, after which it is sent anyway.  A final response that arrives
    first means the body is never sent: a chunked body is ended at once with
    its empty last chunk (the connection stays reusable), a
    ``Content-Length`` one cannot be, so the connection is closed after the
    response.

The response
    Its body length and framing come from the core (``their_framing``).
    The response Deferred is fired through the connection, which holds it
    until the bytes of the current read are parsed.

Failures (Twisted's own exception types)
    - no response head and the connection went away: ``ResponseNeverReceived``
      (``RequestTransmissionFailed`` if it went away while the body was being
      sent);
    - the server broke the protocol: ``ResponseFailed`` wrapping the core's
      ``RemoteProtocolError``;
    - the body failed after the head: the body's ``connectionLost(ResponseFailed)``;
    - cancelled: :class:`RequestCancelled`; the connection is aborted.
"""

from __future__ import annotations

from typing import Any, Optional

from twisted.internet import defer
from twisted.internet.interfaces import IConsumer, IDelayedCall
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.client import (
    PotentialDataLoss,
    RequestGenerationFailed,
    RequestNotSent,
    ResponseDone,
    ResponseFailed,
    ResponseNeverReceived,
)
from twisted.web.iweb import UNKNOWN_LENGTH
from zope.interface import implementer

import txh11 as h11
from txh11.client._interfaces import IBodySource, IClientConnection
from txh11.client._request import BODY_CHUNKED, BODY_LENGTH, BODY_NONE, PreparedRequest
from txh11.client._response import Response, ResponseBody
from txh11.protocol import PAUSE_CONSUMER

__all__ = ["Exchange", "ProtocolSwitchNotSupported", "RequestCancelled"]

_log = Logger()

# request body progress
B_DONE, B_WAIT100, B_SENDING, B_SKIPPED, B_FAILED = range(5)

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


@implementer(IConsumer)
class _ChunkedConsumer:
    """The consumer given to an ``UNKNOWN_LENGTH`` body producer."""

    __slots__ = ("_exchange",)

    def __init__(self, exchange: "Exchange") -> None:
        self._exchange = exchange

    def write(self, data: bytes) -> None:
        ex = self._exchange
        if ex.bodyState == B_SENDING and ex.current():
            ex.bridge.write(data)

    def writeSequence(self, seq: Any) -> None:
        self.write(b"".join(seq))

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        """The agent registers the body producer itself."""

    def unregisterProducer(self) -> None:
        """See registerProducer."""


@implementer(IBodySource)
class Exchange:
    """
    One request and its response on ``connection`` (an
    :class:`IClientConnection`).

    :ivar prepared: the :class:`PreparedRequest`.
    :ivar deferred: the request's Deferred until it fired.
    :ivar fired: whether it fired (or was cancelled).
    :ivar done: the exchange is over (no event or body call reaches it).
    :ivar body: the response's :class:`ResponseBody`, once the head came.
    :ivar responseEnded: the response's end (or failure) was seen.
    :ivar bodyState: the request body's progress (``B_*``).
    """

    __slots__ = (
        "connection", "bridge", "prepared", "deferred", "fired", "done", "body",
        "responseEnded", "closeDelimited", "bodyState", "bodyError", "continueCall",
        "registered", "closeAfter",
    )

    def __init__(self, connection: IClientConnection, prepared: PreparedRequest) -> None:
        self.connection = connection
        self.bridge = connection.bridge
        self.prepared = prepared
        self.deferred: Optional[defer.Deferred[Response]] = defer.Deferred(self._cancel)
        self.fired = False
        self.done = False
        self.body: Optional[ResponseBody] = None
        self.responseEnded = False
        self.closeDelimited = False
        self.bodyState = B_DONE
        self.bodyError: Optional[Failure] = None
        self.continueCall: Optional[IDelayedCall] = None
        self.registered = False
        self.closeAfter = False

    def current(self) -> bool:
        """Whether this is the connection's exchange and the connection is up."""
        return self.connection.exchange is self and not self.done and not self.bridge.lost

    # -- sending ----------------------------------------------------------

    def start(self) -> None:
        """Send the request (``deferred`` fires with the response)."""
        prepared = self.prepared
        bridge = self.bridge
        # corked: the head and what follows it now leave in one write,
        # straight to the socket when it can take them
        with bridge.corked():
            bridge.sendEvent(prepared.event)
            if prepared.bodyKind == BODY_NONE:
                bridge.sendEvent(_EOM)
            elif prepared.expectContinue:
                self.bodyState = B_WAIT100
                self.continueCall = bridge.clock.callLater(
                    self.connection.expectContinueTimeout, self._continueTimedOut
                )
            else:
                self._startBody()

    def notSent(self, reason: Failure) -> None:
        """Sending the head failed."""
        _log.failure("sending the request failed", failure=reason)
        self.fail(reason, RequestNotSent)

    def _startBody(self) -> None:
        self.bodyState = B_SENDING
        p = self.prepared
        if p.bodyKind == BODY_LENGTH:
            try:
                d = self.bridge.sendBody(p.placeholder)
            except Exception:
                d = defer.fail()
        else:
            producer = p.bodyProducer
            try:
                d = producer.startProducing(_ChunkedConsumer(self))  # type: ignore[union-attr]
            except Exception:
                d = defer.fail()
            if self.bodyState == B_SENDING and not self.bridge.lost and not d.called:
                self.bridge.registerProducer(producer, True)
                self.registered = True
        d.addCallbacks(self._bodySent, self._bodyFailed)

    def _bodySent(self, _: Any) -> None:
        if self.bodyState != B_SENDING:
            return
        self.bodyState = B_DONE
        self._bodyCleanup()
        if self.connection.exchange is self and not self.bridge.lost:
            self.bridge.sendEvent(_EOM)

    def _bodyFailed(self, f: Failure) -> None:
        if self.bodyState != B_SENDING:
            return None
        self.bodyState = B_FAILED
        self.bodyError = f
        self._bodyCleanup()
        if self.bridge.lost or self.done:
            return None  # connectionClosed reports it
        _log.failure("request body producer failed; aborting the connection", failure=f)
        self.fail(f, RequestGenerationFailed)
        self.connection.abortConnection()
        return None

    def _bodyCleanup(self) -> None:
        if self.registered:
            self.registered = False
            self.bridge.unregisterProducer()
        f = self.prepared.closeFile
        if f is not None:
            try:
                f.close()
            except Exception:
                pass

    def _stopBody(self) -> None:
        """Stop a body still being produced (cancel/failure)."""
        self._cancelContinue()
        if self.bodyState == B_SENDING:
            self.bodyState = B_FAILED
            p = self.prepared
            producer = p.placeholder if p.bodyKind == BODY_LENGTH else p.bodyProducer
            try:
                producer.stopProducing()  # type: ignore[union-attr]
            except Exception:
                _log.failure("stopProducing of {p!r} failed", p=producer)
            self._bodyCleanup()
        elif self.bodyState == B_WAIT100:
            self.bodyState = B_SKIPPED
            self._bodyCleanup()

    def _cancelContinue(self) -> None:
        call, self.continueCall = self.continueCall, None
        if call is not None and call.active():
            call.cancel()

    def _continueTimedOut(self) -> None:
        self.continueCall = None
        if self.bodyState == B_WAIT100 and self.current():
            _log.debug(
                "no 100 Continue after {t}s; sending the body",
                t=self.connection.expectContinueTimeout,
            )
            self._startBody()

    def _skipBody(self) -> None:
        """A final response arrived while the body waited for 100 Continue."""
        self._cancelContinue()
        self.bodyState = B_SKIPPED
        self._bodyCleanup()
        if self.prepared.bodyKind == BODY_CHUNKED:
            self.bridge.sendEvent(_EOM)  # an empty chunked body keeps the connection
        else:
            self.closeAfter = True

    # -- receiving ----------------------------------------------------------

    def gotInformational(self, event: Any) -> None:
        code = event.status_code
        if code == 100:
            if self.bodyState == B_WAIT100:
                self._cancelContinue()
                self._startBody()
        elif code == 101:
            self.fail(
                Failure(ProtocolSwitchNotSupported("the server switched protocols (101)")),
                ResponseFailed,
            )
            self.connection.close()

    def gotResponse(self, event: Any) -> None:
        if self.fired:  # cannot happen: the core checks the states
            return
        # the core framed the body already (None: a CONNECT it switched on)
        kind, length = self.bridge.conn.their_framing or ("length", 0)
        self.closeDelimited = kind == "close"
        if kind != "length":
            length = UNKNOWN_LENGTH
        version = _VERSIONS.get(event.http_version)
        if version is None:
            v = event.http_version
            version = (b"HTTP", v[0] - 48, v[2] - 48)
        body = self.body = ResponseBody(self, self.connection.unclaimedBodyLimit, length)
        response = Response(body, version, event.status_code, event.reason, event.headers, length, self.prepared)
        if self.bodyState == B_WAIT100:
            self._skipBody()
        self.fired = True
        d, self.deferred = self.deferred, None
        self.connection.deliverResponse(d, response)  # type: ignore[arg-type]

    def gotEnd(self, event: Any) -> None:
        self.responseEnded = True
        connection = self.connection
        conn = self.bridge.conn
        if conn.our_state is _DONE and conn.their_state is _DONE:
            connection.exchangeEnded(self, True)
            self.bridge.startNextCycle()
            connection.release()
        elif self.closeAfter:
            connection.exchangeEnded(self, True)
            connection.close()
        body = self.body
        if body is not None:
            body.end(_DATA_LOSS if self.closeDelimited else _RESPONSE_DONE, event.headers)

    # -- failures -------------------------------------------------------------

    def fail(self, reason: Failure, wrap: Any = None) -> None:
        """End with ``reason``: fail the request Deferred (wrapped in
        ``wrap``) or, after the head, the response body (``ResponseFailed``)."""
        if self.done:
            return
        self.connection.exchangeEnded(self)
        self._stopBody()
        if not self.fired:
            self.fired = True
            d, self.deferred = self.deferred, None
            err = reason if wrap is None else Failure(wrap([reason]))
            d.errback(err)  # type: ignore[union-attr]
            return
        body = self.body
        if body is not None and not self.responseEnded:
            self.responseEnded = True
            body.end(Failure(ResponseFailed([reason])))

    def _cancel(self, d: "defer.Deferred[Response]") -> None:
        if self.done:
            return
        self.fired = True
        self.deferred = None
        self.connection.exchangeEnded(self)
        self._stopBody()
        self.connection.abortConnection()
        d.errback(Failure(RequestCancelled([Failure(defer.CancelledError())])))

    # -- IBodySource, for the response body -----------------------------------

    def pause(self) -> None:
        if self.current():
            self.bridge.pauseReading(PAUSE_CONSUMER)

    def resume(self) -> None:
        if self.current():
            self.bridge.resumeReading(PAUSE_CONSUMER)

    def abort(self) -> None:
        if self.current():
            self.connection.abortConnection()

    def dropped(self) -> None:
        if self.current() and not self.responseEnded:
            self.bridge.clock.callLater(0, self._droppedUnread)

    def _droppedUnread(self) -> None:
        if self.current() and not self.responseEnded:
            p = self.prepared
            _log.info(
                "response to {m} {u!r} dropped with its body unread; closing the connection",
                m=p.method.decode("ascii", "replace"),
                u=p.uri,
            )
            self.connection.abortConnection()

    def getPeer(self) -> Any:
        return self.bridge.transport.getPeer()

    def getHost(self) -> Any:
        return self.bridge.transport.getHost()
