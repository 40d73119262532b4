"""
An HTTP/1.1 server on the bridge, with a small native handler API at the
event level.

Handler API
===========

A handler provides :class:`IRequestHandler` (or is a plain callable taking
the request).  It is called once per request, in request order, with an
:class:`IServerRequest`, and answers with core events::

    import txh11 as h11
    from txh11.server import HTTP11ServerFactory, IRequestHandler

    @implementer(IRequestHandler)
    class Hello:
        def requestReceived(self, request):
            request.respond(200, [("content-type", "text/plain")], b"hello\\n")

    reactor.listenTCP(8080, HTTP11ServerFactory(Hello()))

The request:

- ``head`` (the core ``Request`` event), ``method``, ``target``,
  ``headers``, ``http_version``; ``trailers`` once the body ended;
  ``getPeer()``, ``getHost()``, ``isSecure()``; ``getClientAddress()`` (the
  peer, or the client a trusted proxy names: ``trustedProxies``, see
  :mod:`txh11.forwarded`, which also decides ``isSecure()`` then).
- Body, streamed with backpressure: ``deliverBody(protocol)`` connects an
  ``IProtocol`` whose transport is an ``IPushProducer`` (pause/resume pause
  the socket; ``stopProducing`` discards the rest), then ``dataReceived`` for
  each piece and ``connectionLost`` with :class:`RequestBodyDone` (a
  ``ConnectionDone``) at the end, or another failure.  Until a handler calls
  ``deliverBody`` (or ``readBody``), the body is not read from the socket,
  and ``100 Continue`` is sent only then, and only if the client waits for
  it.  ``readBody(maxSize)`` collects it into bytes; ``discardBody()`` drops
  it.
- Response: ``send(event)`` for ``InformationalResponse``, ``Response``,
  ``Data``, ``EndOfMessage`` (trailers in its ``headers``);
  ``sendEvents(events)`` (one write); ``sendBody(placeholder) -> Deferred``
  for passthrough bodies such as :class:`txh11.bodies.FileBody` (sendfile on
  plain TCP); ``respond(status, headers, body) -> Deferred`` for the common
  case (``body``: bytes or a placeholder; sets ``Content-Length``);
  ``write``/``registerProducer``/``unregisterProducer`` (``IConsumer``).
  ``notifyFinish()`` fires when the response went out in full and fails if
  the connection was lost first.  After the connection is lost, or after the
  server answered for the handler (protocol error), sends are ignored.
- Protocol switch: ``switchProtocols(protocol)`` then send the ``101``
  ``InformationalResponse`` (Upgrade) or a ``2xx`` ``Response`` (CONNECT);
  ``protocol`` gets the raw transport and every byte after the switch.
- Return ``None``, a ``Deferred`` or a coroutine.  An exception (raised or
  as a failed ``Deferred``) answers ``500`` and closes if no ``Response`` was
  sent yet, and aborts the connection otherwise.

Refusing a body (``417``, ``413``, ``401``...) is just responding without
reading it.  A ``Response`` sent while the body is unclaimed, and the client
waits for ``100 Continue`` or the rest of the body is unannounced (chunked) or
larger than ``maxDiscardSize``, gets ``Connection: close`` and the connection
closes gracefully after the response (unless the handler does read the whole
body meanwhile).  A small announced rest is discarded after the response and
the connection kept.  So a handler that streams its response while reading a
large body should call ``deliverBody`` before sending the ``Response``.

Errors from the client (``RemoteProtocolError``) get the core's
``error_status_hint`` (400, 413, 414, 431, 501, 505...) as a response if no
response was started, then a graceful close; timeouts answer ``408`` where
possible.  Everything is logged with ``twisted.logger``.
"""

from __future__ import annotations

import inspect
from email.utils import formatdate
from typing import Any, Callable, Iterable, Optional, Union

from twisted.internet import defer
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.error import ConnectionDone, ConnectionLost
from twisted.internet.interfaces import (
    IConsumer,
    IProtocol,
    IPushProducer,
    IReactorTime,
    ISSLTransport,
)
from twisted.internet.protocol import Factory
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import Attribute, Interface, implementer

import txh11 as h11
from txh11.forwarded import Forwarded, TrustedProxies, forwardedFor
from txh11.protocol import (
    PAUSE_CONSUMER,
    TIMEOUT_BODY,
    TIMEOUT_HEADER,
    HTTP11Protocol,
)

__all__ = [
    "IRequestHandler",
    "IServerRequest",
    "ServerRequest",
    "HTTP11ServerProtocol",
    "HTTP11ServerFactory",
    "RequestBodyDone",
    "RequestBodyTooLarge",
]

_log = Logger()
_Deferred = defer.Deferred
_Request = h11.Request
_Response = h11.Response
_Data = h11.Data
_EndOfMessage = h11.EndOfMessage
_END = h11.EndOfMessage()  # events are immutable: one will do

PAUSE_UNCLAIMED = "unclaimed-body"

#: (data, Data event) of the last first piece of a body sent by
#: ServerRequest._sendResponse (bytes only, up to _LAST_DATA_SIZE): a
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
class ServerRequest:
    """The request object handed to handlers; see the module docstring."""

    # Starting values of what a request seldom reads, as class attributes:
    # a request sets only what differs.  (What every response reads is set
    # in __init__: a read that finds the class's value is a slow lookup.)
    trailers: Any = None
    _received = 0
    _bodyProtocol: Any = None
    _bodyReason: Optional[Failure] = None
    _response = _NOTHING
    _closeAfter = False
    _lostReason: Optional[Failure] = None

    def __init__(self, proto: "HTTP11ServerProtocol", head: Any) -> None:
        self.channel = proto
        self.head = head
        self.method = head.method
        self.target = head.target
        headers = self.headers = head.headers
        self.http_version = head.http_version
        # the core's Headers know the framing of a validated head
        length = headers.content_length
        self._length: Optional[int] = length
        # _BODY_DONE: EndOfMessage seen, or no body at all
        self._bodyState = _UNCLAIMED if headers.chunked or length else _BODY_DONE
        self._abandoned = False
        #: notifyFinish() Deferreds (a list of its own once there is one)
        self._finishDeferreds: "list[defer.Deferred[None]] | tuple[()]" = ()
        #: (fn, args) from _whenAbandoned
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
            ch.sendEvent(h11.InformationalResponse(status_code=100, headers=[]))
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

    def _dataReceived(self, data: bytes) -> None:
        self._received += len(data)
        limit = self.channel.maxBodySize
        if limit is not None and self._received > limit:
            self._bodyFailed(
                Failure(RequestBodyTooLarge(f"request body larger than {limit} bytes"))
            )
            self.channel._refuse(self, 413, "request body too large")
            return
        if self._bodyState == _STREAMING:
            self._bodyProtocol.dataReceived(data)
        # _DISCARDING: dropped; _UNCLAIMED: only when the connection is lost

    def _endOfMessage(self, trailers: Any) -> None:
        # (a request without a body: eventReceived only stores the trailers)
        self.trailers = trailers
        state = self._bodyState
        if state == _UNCLAIMED or state == _DISCARDING:
            self._bodyState = _BODY_DONE
        elif state == _STREAMING:
            self._bodyState = _BODY_DONE
            protocol, self._bodyProtocol = self._bodyProtocol, None
            protocol.connectionLost(Failure(RequestBodyDone()))
        self.channel.resumeReading(PAUSE_CONSUMER)

    def _bodyFailed(self, reason: Failure) -> None:
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

    def _sendResponse(self, response: Any, dated: bool, data: bytes = b"") -> None:
        """
        ``send(response)`` then ``write(data)``, for txh11.web: ``dated``
        true says the head has a Date header (false: it is looked for).
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

    def _sendEndOfMessage(self) -> None:
        """``send(EndOfMessage())``, for txh11.web."""
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
        response = _Response(status_code=status, headers=headers, reason=reason)
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
        self.channel._switchTarget = protocol

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

    def _whenAbandoned(self, fn: Callable[..., Any], *args: Any) -> None:
        """
        ``notifyFinish().addErrback(fn, *args)`` without a Deferred, for one
        watcher (txh11.web): ``fn(reason, *args)`` runs if the server or the
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
            extra.append((b"date", ch._date()))
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
        if ch._lost or self._bodyState == _BODY_DONE or self._bodyState == _STREAMING:
            return  # the cycle ends (or closes) when the body has ended
        if not self._closeAfter and self._smallRest():
            self.discardBody()
            return
        ch.loseConnection()

    def _fireFinished(self) -> None:
        """The exchange completed (response sent, or protocol switched):
        fire notifyFinish(); nothing can abandon it any more."""
        self._abandonWatch = None
        finished = self._finishDeferreds
        if finished:
            self._finishDeferreds = ()
            for d in finished:
                d.callback(None)

    def _abandon(self, reason: Failure) -> None:
        """The server answers/closes instead of the handler from now on."""
        self._abandoned = True
        if self._lostReason is None:
            self._lostReason = reason
        self._bodyFailed(reason)
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


#: [start, end, Date header value]: the value for times in [start, end),
#: shared by all connections of the process (formatting a date costs about
#: as much as parsing a request head)
_dateCache: list[Any] = [0, 0, b""]


class HTTP11ServerProtocol(HTTP11Protocol):
    """One server connection: requests in, handler calls, responses out."""

    role = h11.SERVER
    #: refuse bodies larger than this with 413 (None: no limit)
    maxBodySize: Optional[int] = None
    #: unread request bodies up to this size are discarded to keep the connection
    maxDiscardSize: int = 64 * 1024
    addDateHeader = True
    #: proxies whose X-Forwarded-For/-Proto and Forwarded headers are believed
    #: (None: nobody's); see txh11.forwarded
    trustedProxies: Optional[TrustedProxies] = None

    _log = Logger()
    # set only around a protocol switch
    _switchTarget: Any = None
    _rawTarget: Any = None

    def __init__(self, handler: Any, reactor: Optional[IReactorTime] = None) -> None:
        super().__init__(reactor)
        self.handler = handler
        self._handle = (
            handler.requestReceived if IRequestHandler.providedBy(handler) else handler
        )
        self._current: Optional[ServerRequest] = None

    def _date(self) -> bytes:
        """The Date header value for now."""
        now = self.clock.seconds()
        cached = _dateCache
        if not cached[0] <= now < cached[1]:
            second = int(now)
            cached[:] = [second, second + 1, formatdate(second, usegmt=True).encode("ascii")]
        return cached[2]

    # -- events ------------------------------------------------------------

    def eventReceived(self, event: Any) -> None:
        t = type(event)
        request = self._current
        if t is _Data:
            if request is not None:
                request._dataReceived(event.data)
        elif t is _Request:
            self._requestReceived(event)
        elif t is _EndOfMessage:
            if request is None:
                pass
            elif request._bodyState == _BODY_DONE:
                request.trailers = event.headers  # no body: nothing else to do
            else:
                request._endOfMessage(event.headers)
        elif t is h11.ConnectionClosed:
            # (no log line: even a filtered-out debug event costs as much
            # as a whole keep-alive request, on every connection)
            self._peerClosed()

    def _peerClosed(self) -> None:
        """The peer closed its side (after the ConnectionClosed event was
        handled); subclasses may take that as the client being gone."""

    def _requestReceived(self, head: Any) -> None:
        request = ServerRequest(self, head)
        self._current = request
        if (
            request._length is not None
            and self.maxBodySize is not None
            and request._length > self.maxBodySize
        ):
            self._refuse(request, 413, "request body too large")
            return
        if request._bodyState == _UNCLAIMED:
            self.pauseReading(PAUSE_UNCLAIMED)
        try:
            result = self._handle(request)
            if result is None:
                return
            # (a Deferred, the common answer, is recognised before asking
            # inspect.iscoroutine)
            if type(result) is not _Deferred and inspect.iscoroutine(result):
                result = defer.Deferred.fromCoroutine(result)
        except BaseException:
            self._handlerFailed(request, Failure())
            return
        if isinstance(result, defer.Deferred):
            if result.called and not isinstance(result.result, Failure):
                return  # answered synchronously (respond() returns such a Deferred)
            result.addErrback(self._resultFailed, request)

    def _resultFailed(self, failure: Failure, request: ServerRequest) -> None:
        self._handlerFailed(request, failure)

    def _handlerFailed(self, request: ServerRequest, failure: Failure) -> None:
        self._log.failure(
            "request handler failed for {request} from {peer}",
            failure,
            request=request,
            peer=self._peer(),
        )
        if self._lost or request._abandoned:
            return
        if request._response == _NOTHING and self.conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
            self._refuse(request, 500, "internal server error")
        elif request._response != _DONE:
            # Part of the response is out: the client can only learn of the
            # failure from the connection ending early.  (A failure after the
            # whole response was sent is only logged.)
            self.abortConnection()

    def _refuse(self, request: Optional[ServerRequest], status: int, message: str) -> None:
        """Answer ``status`` for the handler (if nothing was sent) and close."""
        if request is not None:
            request._abandon(Failure(ConnectionLost(f"server answered {status}")))
            started = request._response != _NOTHING
        else:
            started = False
        if not started and self.conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
            self._sendError(status, message)
            self.loseConnection()
        else:
            self.abortConnection()

    def _sendError(self, status: int, message: str) -> None:
        body = (message + "\n").encode("utf-8", "replace")
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", b"%d" % len(body)),
            (b"connection", b"close"),
        ]
        if self.addDateHeader:
            headers.append((b"date", self._date()))
        try:
            self.sendEvents(
                [
                    h11.Response(status_code=status, headers=headers),
                    h11.Data(data=body),
                    h11.EndOfMessage(),
                ]
            )
        except h11.LocalProtocolError:
            self._log.failure("could not send the {status} response", status=status)

    def protocolErrorReceived(self, exc: Exception) -> None:
        status = getattr(exc, "error_status_hint", 400)
        if not 400 <= status < 600:
            status = 400
        request = self._current
        if request is not None:
            request._bodyFailed(Failure(exc))
        self._refuse(request, status, str(exc) or "bad request")

    def timeoutReached(self, kind: str) -> None:
        request = self._current
        self._log.info("{kind} timeout for {peer}", kind=kind, peer=self._peer())
        if kind == TIMEOUT_HEADER and not self.conn.trailing_data[0] and request is None:
            # not one byte of a request since the accept (or a TLS handshake
            # that stalled): nobody to answer, nothing to lose
            self.abortConnection()
        elif kind == TIMEOUT_HEADER:
            self._refuse(None, 408, "request header timeout")
        elif kind == TIMEOUT_BODY:
            if request is not None:
                request._bodyFailed(Failure(ConnectionLost("request body timeout")))
            self._refuse(request, 408, "request body timeout")
        else:  # TIMEOUT_IDLE: nothing to answer
            self.loseConnection()

    def cycleCompleted(self, reusable: bool) -> None:
        self._current = None
        HTTP11Protocol.cycleCompleted(self, reusable)  # (super() costs 1k more per request)

    def protocolSwitched(self, data: bytes) -> None:
        request, self._current = self._current, None
        if request is not None:
            request._response = _DONE
            request._fireFinished()
        target, self._switchTarget = self._switchTarget, None
        if target is None:
            self._log.warn("protocol switched but no protocol to switch to; closing")
            self.abortConnection()
            return
        self._rawTarget = target
        target.makeConnection(self.transport)
        if data:
            target.dataReceived(data)

    def handOver(self, protocol: IProtocol, data: bytes = b"") -> None:
        """
        Give the connection to ``protocol`` before any request was read
        (HTTP/2 by ALPN or prior knowledge): it gets ``makeConnection`` with
        the transport, ``data``, every later byte and ``connectionLost``.
        """
        self._switchTarget = protocol
        self.switchNow(data)

    def rawDataReceived(self, data: bytes) -> None:
        if self._rawTarget is not None:
            self._rawTarget.dataReceived(data)

    def connectionClosed(self, reason: Failure) -> None:
        target = self._rawTarget
        if target is not None:
            self._rawTarget = None
            target.connectionLost(reason)
        request, self._current = self._current, None
        if request is not None and request._response != _DONE:
            request._abandon(reason)
        elif request is not None:
            request._bodyFailed(reason)


class HTTP11ServerFactory(Factory):
    """Builds :class:`HTTP11ServerProtocol` for ``handler``."""

    protocol = HTTP11ServerProtocol  # type: ignore[assignment]
    #: (key, class) of _configuredProtocol
    _configured: Any = (None, None)

    def __init__(
        self,
        handler: Union[IRequestHandler, Callable[[ServerRequest], Any]],
        reactor: Optional[IReactorTime] = None,
        **settings: Any,
    ) -> None:
        """
        ``settings`` override protocol attributes: ``idleTimeout``,
        ``headerTimeout``, ``bodyTimeout``, ``lingerTimeout``,
        ``closeTimeout``, ``maxIncompleteEventSize``, ``maxBodySize``,
        ``maxDiscardSize``, ``addDateHeader``, ``trustedProxies`` (a
        :class:`txh11.forwarded.TrustedProxies`).
        """
        self.handler = handler
        self.reactor = reactor
        for name in settings:
            if not hasattr(self.protocol, name):
                raise TypeError(f"unknown setting {name!r}")
        self.settings = settings

    def buildProtocol(self, addr: Any) -> HTTP11ServerProtocol:
        settings = self.settings
        cls = _configuredProtocol(self, self.protocol, settings) if settings else self.protocol
        p = cls(self.handler, self.reactor)
        p.factory = self
        return p


def _configuredProtocol(factory: Any, cls: type, settings: dict[str, Any]) -> type:
    """
    ``cls`` with ``settings`` as class attributes, for the protocols
    ``factory`` builds (an HTTP11ServerFactory, txh11.web's Site): made once,
    kept in ``factory._configured``, and made again if ``cls`` or
    ``settings`` change.  Set on each instance instead, they would be more
    per-connection attributes, and past 29 of them CPython 3.11 keeps an
    instance's attributes in a dict of its own, where every read is slower.
    """
    key = (cls, tuple(settings.items()))
    made = factory._configured
    if made[0] != key:
        namespace = dict(settings, __module__=cls.__module__, __qualname__=cls.__qualname__)
        made = factory._configured = (key, type(cls.__name__, (cls,), namespace))
    return made[1]
