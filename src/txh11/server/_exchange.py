"""
The server's per-exchange object, :class:`ServerExchange` (also known as
``ServerRequest``): the request head in, the body streamed out with
backpressure, the response out.  Request handlers and ``txh11.web`` use
only its public methods; the server's connection handler
(:mod:`txh11.server._handler`) reports the request's body to it.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Optional

from twisted.internet import defer
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.error import ConnectionDone, ConnectionLost
from twisted.internet.interfaces import IConsumer, IProtocol, IPushProducer, ISSLTransport
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import Attribute, Interface, implementer

import txh11 as h11
from txh11._core._events import STANDARD_REASONS
from txh11.forwarded import Forwarded, forwardedFor
from txh11.protocol import PAUSE_CONSUMER

__all__ = [
    "IRequestHandler",
    "IServerRequest",
    "ServerExchange",
    "ServerRequest",
    "RequestBodyDone",
    "RequestBodyTooLarge",
    "PAUSE_UNCLAIMED",
]

_log = Logger()
_Deferred = defer.Deferred
_Request = h11.Request
_Response = h11.Response


def standardReason(event: Any) -> Any:
    """``event`` (a response head) with its status's standard reason phrase
    when it has no reason: the core writes the reason an event carries (as
    h11 does, ``200`` and a space for none), and txh11's servers say
    ``200 OK``."""
    reason = STANDARD_REASONS.get(event.status_code)
    if event.reason or reason is None:
        return event
    return type(event)(
        status_code=event.status_code, headers=event.headers, reason=reason, http_version=event.http_version
    )
_Data = h11.Data
_EndOfMessage = h11.EndOfMessage
_END = h11.EndOfMessage()  # events are immutable: one will do

PAUSE_UNCLAIMED = "unclaimed-body"

#: (data, Data event) of the last first piece of a body sent by
#: ServerExchange.sendResponse (bytes only, up to _LAST_DATA_SIZE): a
#: resource that answers with the same object every time (a constant,
#: twisted.web.static.Data) gets the same event, the one Data(data=data)
#: would make again (events are immutable and refer to the object).  Not
#: a memoryview: kept here, it would pin its buffer (a bytearray could no
#: longer be resized, an mmap closed) and whatever larger object it slices.
_lastData: tuple[Any, Any] = (None, None)
_LAST_DATA_SIZE = 64 * 1024

# response progress
_NOTHING, _HEAD, _DONE = 0, 1, 2
# body progress
_UNCLAIMED, _STREAMING, _DISCARDING, _BODY_DONE, _BODY_FAILED = range(5)


class RequestBodyDone(ConnectionDone):
    """The request body ended cleanly (``connectionLost`` reason)."""


class RequestBodyTooLarge(Exception):
    """The request body exceeded the server's ``maxBodySize``."""


class IRequestHandler(Interface):
    """Answers requests."""

    def requestReceived(request: "IServerRequest") -> Any:
        """
        Called with each request head, in order.  Return ``None``, a
        ``Deferred`` or a coroutine; failures answer 500 or abort.
        """


class IServerRequest(IConsumer):
    """One request/response exchange on a server connection."""

    head = Attribute("The core Request event.")
    method = Attribute("bytes")
    target = Attribute("bytes")
    headers = Attribute("The core Headers of the request.")
    http_version = Attribute("bytes, e.g. b'1.1'")
    trailers = Attribute("Headers of the request's EndOfMessage, once received.")

    def deliverBody(protocol: IProtocol) -> None:
        """Stream the body into ``protocol`` (sends 100 Continue if awaited)."""

    def readBody(maxSize: Optional[int] = None) -> "defer.Deferred[bytes]":
        """Collect the whole body."""

    def discardBody() -> None:
        """Read and drop the body."""

    def send(event: Any) -> None:
        """Send a response event."""

    def sendEvents(events: Iterable[Any]) -> None:
        """Send response events in one write."""

    def sendBody(body: Any) -> "defer.Deferred[None]":
        """Send a passthrough placeholder as (part of) the response body."""

    def respond(status: int, headers: Iterable[Any] = (), body: Any = b"") -> "defer.Deferred[None]":
        """Send a complete response."""

    def notifyFinish() -> "defer.Deferred[None]":
        """Fires when the response is written in full; fails if lost first."""

    def getPeer() -> Any:
        """The peer's address."""

    def getHost() -> Any:
        """Our address."""

    def isSecure() -> bool:
        """Whether the client used TLS (to us, or to a trusted proxy that says so)."""

    def getClientAddress() -> Any:
        """The client's address: the peer's, or the one a trusted proxy names."""


@implementer(IPushProducer)
class _BodyProducer:
    """The transport given to a request body protocol."""

    def __init__(self, request: "ServerRequest") -> None:
        self._request = request

    def pauseProducing(self) -> None:
        self._request._pauseBody()

    def resumeProducing(self) -> None:
        self._request._resumeBody()

    def stopProducing(self) -> None:
        self._request._stopBody()

    def getPeer(self) -> Any:
        return self._request.getPeer()

    def getHost(self) -> Any:
        return self._request.getHost()


class _Collector:
    """Protocol for readBody."""

    def __init__(self, maxSize: Optional[int]) -> None:
        self.maxSize = maxSize
        self.parts: list[bytes] = []
        self.size = 0
        self.deferred: defer.Deferred[bytes] = defer.Deferred()
        self.transport: Any = None

    def makeConnection(self, transport: Any) -> None:
        self.transport = transport

    def dataReceived(self, data: bytes) -> None:
        self.size += len(data)
        if self.maxSize is not None and self.size > self.maxSize:
            if not self.deferred.called:
                self.deferred.errback(RequestBodyTooLarge(f"body larger than {self.maxSize}"))
            self.transport.stopProducing()
            return
        self.parts.append(data)

    def connectionLost(self, reason: Failure) -> None:
        if self.deferred.called:
            return
        if reason.check(RequestBodyDone):
            self.deferred.callback(b"".join(self.parts))
        else:
            self.deferred.errback(reason)


@implementer(IServerRequest)
class ServerExchange:
    """
    One request/response exchange on a server connection: the object handed
    to request handlers (see :mod:`txh11.server`), and the only way
    ``txh11.web`` reaches the server.  Made by the server for each request.

    :ivar channel: the connection's :class:`~txh11.server.HTTP11ServerProtocol`.
    :ivar head: the core ``Request`` event; ``method``, ``target``,
        ``headers`` and ``http_version`` are its fields.
    :ivar trailers: the request's trailers once its body ended, else ``None``.
    """

    # Starting values of what a request seldom reads, as class attributes:
    # a request sets only what differs.  (What every response reads is set
    # in __init__: a read that finds the class's value is a slow lookup.)
    trailers: Any = None
    #: the protocol given to switchProtocols (the server hands it the
    #: connection if the switch happens)
    switchTarget: Any = None
    _received = 0
    _bodyProtocol: Any = None
    _bodyReason: Optional[Failure] = None
    _response = _NOTHING
    _closeAfter = False
    _lostReason: Optional[Failure] = None

    def __init__(self, server: Any, head: Any, length: Optional[int]) -> None:
        """``server``: the connection's ``ServerHandler``; ``length``: the
        body's length as the core framed it (``None``: chunked)."""
        self.channel = server.protocol
        self._server = server
        self.head = head
        self.method = head.method
        self.target = head.target
        self.headers = head.headers
        self.http_version = head.http_version
        self._length = length
        # _BODY_DONE: EndOfMessage seen, or no body at all
        self._bodyState = _UNCLAIMED if length is None or length else _BODY_DONE
        self._abandoned = False
        #: notifyFinish() Deferreds (a list of its own once there is one)
        self._finishDeferreds: "list[defer.Deferred[None]] | tuple[()]" = ()
        #: (fn, args) from whenAbandoned
        self._abandonWatch: Any = None

    def __repr__(self) -> str:
        return f"<ServerRequest {self.method.decode()} {self.target!r}>"

    # -- addresses -------------------------------------------------------

    def getPeer(self) -> Any:
        return self.channel.transport.getPeer()

    def getHost(self) -> Any:
        return self.channel.transport.getHost()

    def isSecure(self) -> bool:
        forwarded = self._forwarded()
        if forwarded is not None and forwarded.secure is not None:
            return forwarded.secure
        return ISSLTransport.providedBy(self.channel.transport)

    def getClientAddress(self) -> Any:
        forwarded = self._forwarded()
        if forwarded is None or forwarded.host is None:
            return self.getPeer()
        kind = IPv6Address if ":" in forwarded.host else IPv4Address
        return kind("TCP", forwarded.host, forwarded.port)

    def _forwarded(self) -> Optional[Forwarded]:
        """What a trusted proxy's headers say about the client (None: nothing)."""
        trusted = self.channel.trustedProxies
        if trusted is None:
            return None
        return forwardedFor(trusted, getattr(self.getPeer(), "host", None), self.headers)

    # -- body ------------------------------------------------------------

    def deliverBody(self, protocol: Any) -> None:
        if self._bodyProtocol is not None:
            raise RuntimeError("the body is already being delivered")
        self._bodyProtocol = protocol
        protocol.makeConnection(_BodyProducer(self))
        if self._bodyState == _BODY_DONE:
            protocol.connectionLost(Failure(RequestBodyDone()))
            return
        if self._bodyState in (_BODY_FAILED, _DISCARDING) or self._lostReason is not None:
            protocol.connectionLost(
                self._bodyReason or self._lostReason or Failure(ConnectionLost("body discarded"))
            )
            return
        self._bodyState = _STREAMING
        self._claim()

    def readBody(self, maxSize: Optional[int] = None) -> "defer.Deferred[bytes]":
        collector = _Collector(maxSize)
        self.deliverBody(collector)
        return collector.deferred

    def discardBody(self) -> None:
        if self._bodyState == _UNCLAIMED:
            self._bodyState = _DISCARDING
            self.channel.resumeReading(PAUSE_UNCLAIMED)

    def _claim(self) -> None:
        ch = self.channel
        if self._abandoned:
            return
        if ch.conn.they_are_waiting_for_100_continue and self._response == _NOTHING:
            ch.sendEvent(h11.InformationalResponse(status_code=100, headers=[], reason=b"Continue"))
        ch.resumeReading(PAUSE_UNCLAIMED)

    def _pauseBody(self) -> None:
        if self._bodyState == _STREAMING:
            self.channel.pauseReading(PAUSE_CONSUMER)

    def _resumeBody(self) -> None:
        self.channel.resumeReading(PAUSE_CONSUMER)

    def _stopBody(self) -> None:
        if self._bodyState == _STREAMING:
            self._bodyState = _DISCARDING
            self._bodyProtocol = None
        self.channel.resumeReading(PAUSE_CONSUMER)
        if self._response == _DONE:
            self._afterResponse()

    # -- what the server reports (txh11.server's handler calls these) ------

    def bodyReceived(self, data: bytes) -> bool:
        """The server read ``data`` of the request body.  ``False``: the
        body grew past ``maxBodySize`` and failed (the server answers 413)."""
        self._received += len(data)
        limit = self.channel.maxBodySize
        if limit is not None and self._received > limit:
            self.bodyFailed(
                Failure(RequestBodyTooLarge(f"request body larger than {limit} bytes"))
            )
            return False
        if self._bodyState == _STREAMING:
            self._bodyProtocol.dataReceived(data)
        # _DISCARDING: dropped; _UNCLAIMED: only when the connection is lost
        return True

    def bodyEnded(self, trailers: Any) -> None:
        """The request's EndOfMessage arrived with ``trailers``."""
        self.trailers = trailers
        state = self._bodyState
        if state == _BODY_DONE:
            return  # a request without a body: nothing else to do
        if state == _UNCLAIMED or state == _DISCARDING:
            self._bodyState = _BODY_DONE
        elif state == _STREAMING:
            self._bodyState = _BODY_DONE
            protocol, self._bodyProtocol = self._bodyProtocol, None
            protocol.connectionLost(Failure(RequestBodyDone()))
        self.channel.resumeReading(PAUSE_CONSUMER)

    def bodyFailed(self, reason: Failure) -> None:
        """The request body cannot be read to its end (``reason``); its
        protocol's ``connectionLost`` gets it."""
        if self._bodyState in (_BODY_DONE, _BODY_FAILED):
            return
        protocol, self._bodyProtocol = self._bodyProtocol, None
        self._bodyState = _BODY_FAILED
        self._bodyReason = reason
        if protocol is not None:
            protocol.connectionLost(reason)

    # -- response --------------------------------------------------------

    def send(self, event: Any) -> None:
        if self._abandoned:
            _log.debug("{request}: {event} dropped (connection gone)", request=self, event=event)
            return
        t = type(event)
        if t is h11.Response:
            self._sendResponseHead(event, False)
        elif t is h11.EndOfMessage:
            self._sendEnd(event)
        elif t is h11.InformationalResponse:
            self.channel.sendEvent(standardReason(event))
        else:
            self.channel.sendEvent(event)

    def _sendHead(self, response: Any) -> None:
        self.channel.sendEvent(response)
        self._response = _HEAD

    def _sendResponseHead(self, response: Any, dated: bool) -> None:
        """Send ``response`` with what _extraHeaders adds; as it is when
        that is nothing (the body is not being refused, and Date is there
        or not wanted).  ``dated`` true says it has a Date header; false,
        that it is to be looked for."""
        state = self._bodyState
        if not response.reason:
            response = standardReason(response)
        headers = response.headers
        # (looked for only when one would be added; names are lowercase)
        undated = (
            not dated
            and self.channel.addDateHeader
            and not any(n == b"date" for n, _ in headers)
        )
        if undated or state == _UNCLAIMED or state == _DISCARDING:
            extra = self._extraHeaders(not undated, headers.connection)
            if extra:
                response = h11.Response(
                    status_code=response.status_code,
                    headers=list(headers.raw_items()) + extra,
                    reason=response.reason,
                )
        self._sendHead(response)

    def sendResponse(self, response: Any, dated: bool, data: bytes = b"") -> None:
        """
        ``send(response)`` then ``write(data)`` in one go (txh11.web's
        whole answer to a simple resource): ``dated`` true says the head
        has a Date header (false: it is looked for and added if wanted).
        """
        global _lastData
        if self._abandoned:
            return  # as send() and write() would: nothing once abandoned
        self._sendResponseHead(response, dated)
        if data:
            last = _lastData
            if data is last[0]:
                event = last[1]
            else:
                event = _Data(data=data)
                if type(data) is bytes and len(data) <= _LAST_DATA_SIZE:
                    _lastData = (data, event)
            self.channel.sendEvent(event)

    def _sendEnd(self, end: Any) -> None:
        self.channel.sendEvent(end)
        self._response = _DONE
        if self._bodyState != _BODY_DONE or self._finishDeferreds or self._abandonWatch is not None:
            self._afterResponse()  # else it has nothing to do

    def sendEndOfMessage(self) -> None:
        """``send(EndOfMessage())`` without building the event."""
        if not self._abandoned:
            self._sendEnd(_END)

    def sendEvents(self, events: Iterable[Any]) -> None:
        with self.channel.corked():
            for event in events:
                self.send(event)

    def sendBody(self, body: Any) -> "defer.Deferred[None]":
        if self._abandoned:
            return defer.fail(self._lostReason or Failure(ConnectionLost()))
        return self.channel.sendBody(body)

    def respond(
        self, status: int, headers: Iterable[Any] = (), body: Any = b"", reason: bytes = b""
    ) -> "defer.Deferred[None]":
        if self._abandoned:
            return defer.succeed(None)  # like send(): ignored, nothing built
        headers = list(headers)
        framed = dated = tokens = False
        for name, _ in headers:
            name = name.lower() if type(name) is bytes else _lower(name)
            if name == b"content-length" or name == b"transfer-encoding":
                framed = True
            elif name == b"date":
                dated = True
            elif name == b"connection":
                tokens = True
        if not framed:
            headers.append((b"content-length", b"%d" % len(body)))
        extra = self._extraHeaders(dated, _connectionTokens(headers) if tokens else ())
        if extra:
            headers += extra
        channel = self.channel
        response = _Response(status_code=status, headers=headers, reason=reason or STANDARD_REASONS.get(status, b""))
        sendBody = len(body) > 0 and self.method != b"HEAD" and status != 204 and status != 304
        if not sendBody or isinstance(body, (bytes, bytearray, memoryview)):
            with channel.corked():
                channel.sendEvent(response)
                self._response = _HEAD
                if sendBody:
                    channel.sendEvent(_Data(data=body if type(body) is bytes else bytes(body)))
                self._sendEnd(_END)
            return defer.succeed(None)
        self._sendHead(response)
        d = self.sendBody(body)
        d.addCallback(lambda _: self.send(_END))
        return d

    def write(self, data: bytes) -> None:
        if not self._abandoned:
            self.channel.write(data)

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        if self._abandoned:
            producer.stopProducing()
            return
        self.channel.registerProducer(producer, streaming)

    def unregisterProducer(self) -> None:
        self.channel.unregisterProducer()

    def switchProtocols(self, protocol: Any) -> None:
        """
        Hand the connection to ``protocol`` if this request's protocol switch
        is accepted: call this, then send the ``101`` (Upgrade) or ``2xx``
        (CONNECT) response.  ``protocol`` then gets ``makeConnection`` with
        the raw transport and every byte after the switch.
        """
        self.switchTarget = protocol

    def notifyFinish(self) -> "defer.Deferred[None]":
        if self._response == _DONE:
            return defer.succeed(None)
        if self._lostReason is not None:
            return defer.fail(self._lostReason)
        d: defer.Deferred[None] = defer.Deferred()
        if self._finishDeferreds:
            self._finishDeferreds.append(d)  # type: ignore[union-attr]
        else:
            self._finishDeferreds = [d]
        return d

    def whenAbandoned(self, fn: Callable[..., Any], *args: Any) -> None:
        """
        ``notifyFinish().addErrback(fn, *args)`` without a Deferred, for one
        watcher (txh11.web uses it): ``fn(reason, *args)`` runs if the server or the
        connection ends this exchange before the response is complete.
        """
        if self._response == _DONE:
            return
        if self._lostReason is not None:
            fn(self._lostReason, *args)
            return
        self._abandonWatch = (fn, args)

    def _smallRest(self) -> bool:
        """Whether the unread rest of the body is announced and small."""
        if self._length is None:
            return False
        return self._length - self._received <= self.channel.maxDiscardSize

    def _extraHeaders(self, dated: bool, connection: Any) -> list[tuple[bytes, bytes]]:
        """
        Headers to add to a response (from respond() or send()) that has a
        Date header if ``dated`` and whose Connection tokens (lowercase) are
        ``connection``: Date,
        and Connection: close if an unclaimed body will force a close.
        """
        state = self._bodyState
        if state == _UNCLAIMED or state == _DISCARDING:
            extra = self._refusalHeaders(connection)
        else:
            extra = []
        ch = self.channel
        if not dated and ch.addDateHeader:
            extra.append((b"date", ch.date()))
        return extra

    def _refusalHeaders(self, connection: Iterable[bytes]) -> list[tuple[bytes, bytes]]:
        """
        For a response while the body is unclaimed (a refusal of the body):
        whether the connection must close after it, and if so the
        Connection: close to add unless ``connection`` (the response's
        Connection tokens) has it.
        """
        if self.channel.conn.they_are_waiting_for_100_continue or not self._smallRest():
            self._closeAfter = True
            if b"close" not in connection:
                return [(b"connection", b"close")]
        return []

    def _afterResponse(self) -> None:
        if self._finishDeferreds or self._abandonWatch is not None:
            self._fireFinished()
        ch = self.channel
        if ch.lost or self._bodyState == _BODY_DONE or self._bodyState == _STREAMING:
            return  # the cycle ends (or closes) when the body has ended
        if not self._closeAfter and self._smallRest():
            self.discardBody()
            return
        ch.loseConnection()

    def switched(self) -> None:
        """The connection switched protocols after this exchange's 101 (or
        2xx to CONNECT): the exchange is complete."""
        self._response = _DONE
        self._fireFinished()

    @property
    def abandoned(self) -> bool:
        """Whether :meth:`abandon` ran: nothing the handler sends goes out."""
        return self._abandoned

    @property
    def responseStarted(self) -> bool:
        """Whether a final response head was sent."""
        return self._response != _NOTHING

    @property
    def responseComplete(self) -> bool:
        """Whether the response was sent in full (or the protocol switched)."""
        return self._response == _DONE

    def date(self) -> bytes:
        """The ``Date`` header value for now (the server's clock; one value
        per second, shared by every connection)."""
        return self.channel.date()

    def fail(self, failure: Failure) -> None:
        """The handler failed on this exchange after it returned (what a
        failed Deferred from ``requestReceived`` does): the server logs it
        and answers 500 if nothing was sent yet, else aborts."""
        self._server.handlerFailed(self, failure)

    def _fireFinished(self) -> None:
        """The exchange completed (response sent, or protocol switched):
        fire notifyFinish(); nothing can abandon it any more."""
        self._abandonWatch = None
        finished = self._finishDeferreds
        if finished:
            self._finishDeferreds = ()
            for d in finished:
                d.callback(None)

    def abandon(self, reason: Failure) -> None:
        """The server answers/closes instead of the handler from now on (or
        the connection is gone): sends are ignored, ``notifyFinish()``
        Deferreds and the :meth:`whenAbandoned` watcher get ``reason``."""
        self._abandoned = True
        if self._lostReason is None:
            self._lostReason = reason
        self.bodyFailed(reason)
        finished, self._finishDeferreds = self._finishDeferreds, ()
        for d in finished:
            d.errback(reason)
        watch, self._abandonWatch = self._abandonWatch, None
        if watch is not None:
            watch[0](reason, *watch[1])


def _lower(name: Any) -> bytes:
    return (name if type(name) is bytes else str(name).encode("ascii")).lower()


def _connectionTokens(headers: Iterable[Any]) -> set[bytes]:
    """The Connection tokens of a header list not yet normalised by the core
    (the core's Headers carry them as ``.connection``)."""
    out: set[bytes] = set()
    for n, v in headers:
        if _lower(n) == b"connection":
            if not isinstance(v, bytes):
                v = str(v).encode("latin-1")
            out.update(t.strip().lower() for t in v.split(b","))
    return out


#: the name handlers knew the exchange by
ServerRequest = ServerExchange
