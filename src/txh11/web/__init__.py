"""
Unmodified ``twisted.web`` resources on txh11.

:class:`Site` is a drop-in for :class:`twisted.web.server.Site` (it is a
subclass: sessions, ``requestFactory``, ``displayTracebacks``, access logging
through ``site.log(request)``, ``getResourceFor`` ... all keep working) whose
connections are txh11 protocols instead of ``twisted.web.http.HTTPChannel``::

    from twisted.web.static import File
    from txh11.web import Site

    reactor.listenTCP(8080, Site(File("/srv/www")))

Everything that is HTTP/1.1 on the wire -- parsing, framing, keep-alive,
``100 Continue``, error responses to malformed requests, timeouts, graceful
close, pipelining order -- is done once, in :mod:`txh11.server` and the core.
This module only adapts:

- :class:`WebProtocol` is :class:`txh11.server.HTTP11ServerProtocol`; its
  request handler is a per-connection :class:`WebChannel`.
- :class:`WebChannel` is what ``request.channel`` is.  For each
  :class:`txh11.server.ServerRequest` it builds a twisted.web request with
  ``site.requestFactory``, streams the body into ``request.content``, calls
  ``request.requestReceived(...)``, and implements the channel interface a
  ``twisted.web.http.Request`` uses (``writeHeaders``, ``write``,
  ``writeSequence``, ``registerProducer``, ``unregisterProducer``,
  ``requestDone``, ``getPeer``, ``getHost``, ``isSecure``,
  ``loseConnection``, ``site``, ``factory``, ``transport``) by sending core
  events through the ``ServerRequest``.
- :class:`Request` (from ``txh11.web._request``, also importable as ``txh11.webrequest``) is the default
  ``requestFactory``: a ``twisted.web.server.Request`` subclass that
  answers as Twisted's does with less work per request.  Any other
  ``twisted.web.server.Request`` (subclass) may be given instead.

Requests are answered strictly one at a time, in order: the next pipelined
request is not even parsed before the previous response has been completely
handed to the transport (the core keeps it buffered and the transport is
paused), whether a resource finishes synchronously or later.  This is what
makes Twisted's CVE-2023-46137 and CVE-2024-41671 impossible by construction.

Response framing
----------------

``twisted.web.http.Request.write`` chunk-frames the body itself when it
decides on ``Transfer-Encoding: chunked`` (HTTP/1.1 without
``Content-Length``) and then writes ``0\\r\\n\\r\\n`` in ``finish``.  Here the
core does the framing, so :meth:`WebChannel.writeHeaders` keeps the
``Transfer-Encoding: chunked`` header for the core and clears the request's
``chunked`` flag: the request then writes plain body bytes, which become
``Data`` events, and ``requestDone`` sends ``EndOfMessage``.  This works for
any ``Request`` subclass that uses the base class ``write``/``finish``.

Static files without copying
----------------------------

``twisted.web.static.File`` answers a ``GET`` (or a single-range request) by
setting ``Content-Length`` and registering a ``NoRangeStaticProducer`` or
``SingleRangeStaticProducer`` -- pull producers that read the file and call
``request.write``.  ``Request.registerProducer`` hands the producer to
``channel.registerProducer``; there the channel recognises exactly those two
producer types (not subclasses, which may transform the bytes) when the file
is a regular file with a descriptor, the headers have not been written, the
request is not ``HEAD``, the status allows a body and no encoder (gzip) is
active.  It then writes the headers (``request.write(b"")``, the normal
path) and sends a :class:`txh11.bodies.FileBody` for the region with
``ServerRequest.sendBody``: ``os.sendfile()`` on plain TCP, chunked reads
under backpressure on TLS.  When the body is written it does what the static
producer would have done at the end -- ``request.unregisterProducer()``,
``request.finish()``, ``producer.stopProducing()`` (which closes the file) --
and adds the byte count to ``request.sentLength`` for the access log.  Doing
this in the *channel* rather than in a ``Request`` subclass keeps it working
with any ``requestFactory``.

Client disconnects
------------------

As with ``HTTPChannel``, a client that closes its side while its response is
still being produced is taken to be gone: the connection is closed and
``request.connectionLost`` runs (so ``notifyFinish()`` Deferreds fail).

Request bodies
--------------

Bodies are streamed (with the core's bounded buffer) into ``request.content``
as they arrive; :meth:`Site.getContentFile` gives an in-memory file for a
declared length below ``contentMemoryThreshold``, a temporary file for larger
declared lengths, and a spooled temporary file (memory, then disk past the
threshold) for chunked bodies.  ``maxBodySize`` answers ``413``.
"""

from __future__ import annotations

import copy
import os
import stat
import tempfile
from io import BytesIO
from typing import Any, Optional

from twisted.internet import defer
from twisted.internet.error import ConnectionDone
from twisted.internet.interfaces import (
    IHandshakeListener,
    IProtocolNegotiationFactory,
    ISSLTransport,
)
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web import http, server, static
from twisted.web.http_headers import Headers
from twisted.web.iweb import INonQueuedRequestFactory
from zope.interface import implementer

import txh11 as h11
from txh11.bodies import FileBody
from txh11.headers import copyToTwistedHeaders
from txh11._twisted import requestDisconnected
from txh11.server import (
    ConnectionSet,
    HTTP11ServerProtocol,
    IRequestHandler,
    RequestBodyDone,
    trackedProtocol,
)
from txh11.web import _http2, _websocket
from txh11.web._request import Request

__all__ = ["Request", "Site", "WebChannel", "WebProtocol"]

_log = Logger()

#: protocol attributes that Site accepts as keyword arguments
_PROTOCOL_SETTINGS = (
    "idleTimeout",
    "headerTimeout",
    "bodyTimeout",
    "lingerTimeout",
    "closeTimeout",
    "maxIncompleteEventSize",
    "maxBodySize",
    "maxDiscardSize",
    "trustedProxies",
    "coalesceLimit",
)

_END = h11.EndOfMessage()  # events are immutable: one will do
_requestInit = Request.__init__
_gotLength = Request.gotLength
_STATIC_PRODUCERS = (static.NoRangeStaticProducer, static.SingleRangeStaticProducer)
#: (items, code, reason, Response) of the last response head made: a site
#: tends to answer with the same head many times over, and events are
#: immutable.  (See WebChannel._writeHead's ``remember``.)
_lastHead: tuple[Any, int, bytes, Any] = (None, 0, b"", None)


class _ContentReceiver:
    """Streams a request body into the twisted.web request's content file."""

    __slots__ = ("channel", "request", "transport")

    def __init__(self, channel: "WebChannel", request: Any) -> None:
        self.channel = channel
        self.request = request
        self.transport: Any = None

    def makeConnection(self, transport: Any) -> None:
        self.transport = transport

    def dataReceived(self, data: bytes) -> None:
        try:
            self.request.handleContentChunk(data)
        except BaseException:
            self.transport.stopProducing()
            self.channel._fail(self.request, Failure())

    def connectionLost(self, reason: Failure) -> None:
        # the type test first: Failure.check walks the class hierarchy by name
        if reason.type is RequestBodyDone or reason.check(RequestBodyDone):
            self.channel._process(self.request)
        else:
            self.channel._lost(reason, self.request)


def _believeProxy(request: Any, sreq: Any) -> None:
    """A trusted proxy names the client: the request's client address (the
    access log's too) and, for a :class:`Request`, ``isSecure()`` follow."""
    request.client = sreq.getClientAddress()
    if isinstance(request, Request):
        request.forwardedSecure = sreq.isSecure()


def _dechunked(request: Any) -> None:
    """
    A chunked request body is complete in ``request.content``: the request
    now reads as what arrived, as RFC 9112 7.1.3 decodes chunked
    (``Content-Length`` set to the length received; ``Transfer-Encoding`` and
    ``Trailer`` removed).  Then WSGI applications under twisted.web's
    ``WSGIResource`` get the body (``CONTENT_LENGTH``), where twisted.web's
    own channel gives them an empty one.
    """
    headers = request.requestHeaders
    headers.removeHeader(b"transfer-encoding")
    headers.removeHeader(b"trailer")
    headers.setRawHeaders(b"content-length", [b"%d" % request.content.tell()])


@implementer(IRequestHandler)
class WebChannel:
    """
    ``request.channel`` of twisted.web requests served by txh11, and the
    :class:`~txh11.server.IRequestHandler` of one :class:`WebProtocol`.
    """

    #: the request being answered proposes a protocol switch and a resource
    #: asked for the transport (txh11.web._websocket)
    _switch: Optional[_websocket.Switch] = None

    def __init__(self, protocol: "WebProtocol", site: "Site") -> None:
        self.protocol = protocol
        self.site = site
        self.factory = site
        self.requestFactory = site.requestFactory
        self._nonQueued = INonQueuedRequestFactory.providedBy(self.requestFactory)
        self._peer: Any = None
        self._host: Any = None
        self._secure: Optional[bool] = None
        self._request: Any = None  # the twisted.web request being answered
        self._sreq: Any = None  # its txh11.server.ServerRequest
        # requestReceived returned and the request is still being answered:
        # a failure now goes to the server's _handlerFailed
        self._pending = False
        self._syncFailure: Optional[Failure] = None
        self._dead = False  # failed: ignore what the request still writes
        self._staticProducer: Any = None
        #: (peer, host, transport) for txh11.webrequest.Request, from the
        #: first request on (none of them changes during a connection)
        self._requestFacts: Optional[tuple[Any, Any, Any]] = None
        # request.connectionLost must not run while the request is inside
        # one of its methods that calls us (it clears request.channel under
        # its feet): then it runs on the next reactor turn
        self._calls = 0

    def __repr__(self) -> str:
        return f"<WebChannel {self.protocol.transport and self.getPeer()}>"

    # -- connection facts ------------------------------------------------

    @property
    def transport(self) -> Any:
        """The connection's transport; while the request proposes a protocol
        switch, a view of it that sees the switch (txh11.web._websocket)."""
        switch = self._switch
        if switch is None:
            if self._sreq is None or not self.protocol.conn.switch_proposed:
                return self.protocol.transport
            switch = self._switchFor()
        return None if switch.taken else switch.transport

    @transport.setter
    def transport(self, value: Any) -> None:
        # Autobahn's WebSocketResource takes the connection this way
        switch = self._switch
        if value is not None or switch is None:
            raise AttributeError(
                "request.channel.transport can only be set to None, by a resource"
                " that takes over a request proposing a protocol switch"
            )
        switch.taken = True

    def _switchFor(self) -> _websocket.Switch:
        request = self._request
        switch = _websocket.Switch(self._sreq, self.protocol, lambda: self._done(request))
        self._switch = switch
        return switch

    def _protocolUpgradeForWebsockets(self, protocol: Any) -> None:
        """What twisted.web's HTTPChannel offers Twisted's WebSocketResource:
        ``protocol`` is connected now, and gets the connection with the 101."""
        switch = self._switch
        if switch is None:
            if self._sreq is None or not self.protocol.conn.switch_proposed:
                raise RuntimeError("no request proposing a protocol switch is being answered")
            switch = self._switchFor()
        switch.upgrade(protocol)

    def getPeer(self) -> Any:
        # Addresses are fixed once requests arrive (a PROXY header, if any,
        # comes first): asked for by every request, computed once.
        if self._peer is None:
            self._peer = self.protocol.transport.getPeer()
        return self._peer

    def getHost(self) -> Any:
        if self._host is None:
            self._host = self.protocol.transport.getHost()
        return self._host

    def isSecure(self) -> bool:
        # asked for by every request of some applications (Klein, sessions,
        # prePathURL); a connection does not become TLS half-way
        if self._secure is None:
            self._secure = ISSLTransport(self.protocol.transport, None) is not None
        return self._secure

    def loseConnection(self) -> None:
        self.protocol.loseConnection()

    # -- IRequestHandler -------------------------------------------------

    def requestReceived(self, sreq: Any) -> Any:
        if self._requestFacts is None:
            self._requestFacts = (self.getPeer(), self.getHost(), self.protocol.transport)
        if self._nonQueued:
            request = self.requestFactory(self)
        else:
            request = self.requestFactory(self, False)
        if self.protocol.trustedProxies is not None:
            _believeProxy(request, sreq)
        self._request = request
        self._sreq = sreq
        self._pending = False
        self._syncFailure = None
        self._dead = False
        self._staticProducer = None

        fields = sreq.headers
        # (the default requestFactory's requests are told apart first: the
        # other tests cost a lookup each)
        plain = type(request) is Request
        if plain or isinstance(request, Request):
            # requestHeaders and received_cookies are made from the fields
            # when first used.  Only an __init__ of a subclass can have made
            # them already: then they are filled now.  (Reading __dict__
            # costs: CPython 3.11 then gives the instance a real dict.)
            request.coreFields = fields
            if not plain:
                if type(request).__init__ is not _requestInit:
                    made = request.__dict__
                    if "requestHeaders" in made:
                        copyToTwistedHeaders(fields, made["requestHeaders"])
                    if "received_cookies" in made:
                        request.parseCookies()
                plain = type(request).gotLength is _gotLength
        else:
            copyToTwistedHeaders(fields, request.requestHeaders)
            request.parseCookies()
        length: Optional[int] = None if fields.chunked else (fields.content_length or 0)
        if length == 0 and plain:
            request.lazyContent = True  # content made if read
        else:
            request.gotLength(length)
        if length == 0:
            self._process(request)  # no body to wait for
        else:
            sreq.deliverBody(_ContentReceiver(self, request))

        if self._request is request:
            # Not answered synchronously: learn if the server or the
            # connection ends it first (sreq.notifyFinish().addErrback(
            # self._lost, request), without the Deferred).
            sreq.whenAbandoned(self._lost, request)
        if self._syncFailure is not None:
            f, self._syncFailure = self._syncFailure, None
            return defer.fail(f)  # the server answers 500 or aborts
        if self._request is request:
            self._pending = True  # a later failure goes to _handlerFailed
        return None

    def _process(self, request: Any) -> None:
        """The body is complete: hand the request to twisted.web."""
        if request is not self._request or self._dead:
            return
        sreq = self._sreq
        try:
            if sreq.headers.chunked:
                _dechunked(request)
            request.requestReceived(
                sreq.method, sreq.target, b"HTTP/" + sreq.http_version
            )
        except BaseException:
            self._fail(request, Failure())

    def _done(self, request: Any) -> None:
        if request is not self._request:
            return
        if self._switch is not None:
            self._switch = None
        self._request = None
        self._sreq = None
        self._staticProducer = None
        self._pending = False

    def _fail(self, request: Any, failure: Failure) -> None:
        """
        Something went wrong outside of the resource's own error handling
        (invalid response headers, a body of the wrong length, ...): the
        server answers 500 if nothing was sent, or aborts, and logs it.
        """
        if request is not self._request or self._dead:
            _log.failure("error after the response to {request} ended", failure, request=request)
            return
        self._dead = True
        if self._pending:
            # what errbacking the Deferred requestReceived returned did
            self._pending = False
            self._sreq.fail(failure)
        else:
            self._syncFailure = failure

    def _lost(self, reason: Failure, request: Any) -> None:
        """The connection (or the server, refusing the body) ended the exchange
        before the request finished."""
        if request is self._request:
            self._dead = True
            self._done(request)
        if self._calls:
            self.protocol.clock.callLater(0, self._requestLost, request, reason)
        else:
            self._requestLost(request, reason)

    @staticmethod
    def _requestLost(request: Any, reason: Failure) -> None:
        if not requestDisconnected(request) and not request.finished:
            request.connectionLost(reason)

    # -- the channel interface used by twisted.web.http.Request -----------

    def writeHeaders(self, version: bytes, code: bytes, reason: bytes, headers: Any) -> None:
        request = self._request
        if getattr(request, "chunked", False):
            # The core frames the body (it sees Transfer-Encoding: chunked);
            # the request must write plain bytes and no last-chunk.
            # (txh11.webrequest.Request does not set the flag here.)
            request.chunked = 0
        if isinstance(headers, Headers):
            items = [(n, v) for n, vs in headers.getAllRawHeaders() for v in vs]
            self.writeHead(int(code), reason, items)
        else:  # pairs of any kind, perhaps mutable: not to be remembered
            self.writeHead(int(code), reason, list(headers), remember=False)

    def writeHead(
        self,
        code: int,
        reason: bytes,
        items: list[Any],
        data: bytes = b"",
        dated: bool = False,
        remember: bool = True,
    ) -> None:
        """writeHeaders with the status as a number and the headers as a
        list of pairs (the core copies it), then write(data).  ``dated``:
        the pairs are known to include a Date header.  ``remember``: the
        pairs are (bytes, bytes) tuples in a list no one else has, so the
        Response made of them may serve again (see _lastHead)."""
        global _lastHead
        request = self._request
        if self._dead or request is None:
            return
        self._calls += 1
        try:
            last = _lastHead
            if items == last[0] and code == last[1] and reason == last[2]:
                response = last[3]
            else:
                response = h11.Response(status_code=code, headers=items, reason=reason)
                if remember:
                    _lastHead = (items, code, reason, response)
            # (sends nothing once the exchange is abandoned)
            self._sreq.sendResponse(response, dated, data)
        except h11.LocalProtocolError:
            self._fail(request, Failure())
        finally:
            self._calls -= 1

    def write(self, data: bytes) -> None:
        sreq = self._sreq
        if sreq is None or self._dead:
            return
        self._calls += 1
        try:
            sreq.write(data)  # nothing for b"" or once the exchange is abandoned
        except h11.LocalProtocolError:
            self._fail(self._request, Failure())
        finally:
            self._calls -= 1

    def writeSequence(self, iovec: Any) -> None:
        self.write(b"".join(iovec))

    def requestDone(self, request: Any) -> None:
        """``Request.finish`` was called: end the response."""
        if request is not self._request:
            return
        if not self._dead:
            self._calls += 1
            try:
                self._sreq.sendEndOfMessage()
            except h11.LocalProtocolError:
                self._fail(request, Failure())
                return
            finally:
                self._calls -= 1
        self._done(request)

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        request = self._request
        if self._dead or request is None:
            producer.stopProducing()
            return
        body = self._staticFileBody(request, producer)
        if body is not None:
            self._sendStaticFile(request, producer, body)
            return
        self._sreq.registerProducer(producer, streaming)

    def unregisterProducer(self) -> None:
        if self._staticProducer is not None:
            self._staticProducer = None
            return
        if self._sreq is not None:
            self._sreq.unregisterProducer()

    def _respondToBadRequestAndDisconnect(self) -> None:
        """twisted.web found the request unacceptable (e.g. a broken
        multipart body): 400 and close."""
        request, sreq = self._request, self._sreq
        if request is None or self._dead:
            return
        self._dead = True
        body = b"bad request\n"
        sreq.respond(
            400,
            [(b"content-type", b"text/plain"), (b"connection", b"close")],
            body,
        )
        self._done(request)
        request.connectionLost(Failure(ConnectionDone("bad request")))

    # -- static.File through the passthrough path ------------------------

    def _staticFileBody(self, request: Any, producer: Any) -> Optional[FileBody]:
        """A FileBody for the region ``producer`` would write, or None if the
        normal path must be taken."""
        if type(producer) not in _STATIC_PRODUCERS or producer.request is not request:
            return None
        if (
            request.startedWriting
            or request.method == b"HEAD"
            or request.code in http.NO_BODY_CODES
            or getattr(request, "_encoder", None) is not None
            or getattr(request, "_inFakeHead", False)
        ):
            return None
        f = producer.fileObject
        try:
            st = os.fstat(f.fileno())
        except (AttributeError, OSError, ValueError):
            return None
        if not stat.S_ISREG(st.st_mode):
            return None
        declared = request.responseHeaders.getRawHeaders(b"content-length")
        if not declared or len(declared) != 1:
            return None
        try:
            count = int(declared[0])
        except ValueError:
            return None
        if type(producer) is static.SingleRangeStaticProducer:
            offset = producer.offset
            if producer.size != count:
                return None
        else:
            offset = f.tell()
        if count < 0 or offset < 0 or offset + count > st.st_size:
            return None
        return FileBody(f, offset, count, reactor=self.protocol.clock)

    def _sendStaticFile(self, request: Any, producer: Any, body: FileBody) -> None:
        self._staticProducer = producer
        if len(body) < body.sendfileMinimum:
            # small: read at once and written with the head like any answer,
            # without the passthrough body's Deferreds and consumer
            data = os.pread(body.file.fileno(), len(body), body.offset)
            if len(data) == len(body):
                request.write(data)
                _staticDone(request, producer)
                return
        request.write(b"")  # the headers, through the normal path
        if self._dead or self._sreq is None:
            producer.stopProducing()
            return
        d = self._sreq.sendBody(body)

        def sent(_: Any) -> None:
            request.sentLength += len(body)
            _staticDone(request, producer)

        def failed(f: Failure) -> None:
            _log.info(
                "static file body for {request} not completed: {reason}",
                request=request,
                reason=f.getErrorMessage(),
            )
            if producer.request is not None:
                producer.stopProducing()
            if request is self._request:
                self._dead = True
                self._done(request)

        d.addCallbacks(sent, failed)
        d.addErrback(lambda f: _log.failure("finishing {request} failed", f, request=request))


def _staticDone(request: Any, producer: Any) -> None:
    """What a static producer does once its region is written."""
    if request.producer is producer:
        request.unregisterProducer()
    if not request.finished and not requestDisconnected(request):
        request.finish()
    producer.stopProducing()


@implementer(IHandshakeListener)
class WebProtocol(HTTP11ServerProtocol):
    """
    A :class:`txh11.server.HTTP11ServerProtocol` answering with a
    :class:`Site`'s resources; ``webChannel`` is ``request.channel``.
    HTTP/2 connections are handed to Twisted's (txh11.web._http2).
    """

    #: like HTTPChannel: a client that closes its side before its response
    #: is complete is gone (request.connectionLost runs)
    abandonOnPeerClose = True

    def __init__(self, site: "Site", reactor: Any = None) -> None:
        self.site = site
        self.webChannel = WebChannel(self, site)
        super().__init__(self.webChannel, reactor)

    def handshakeCompleted(self) -> None:
        """TLS is up: an ``h2`` connection goes to HTTP/2 (txh11.web._http2)."""
        _http2.alpnChosen(self, self.site)

    def takeProtocolError(self, exc: Exception) -> bool:
        # the HTTP/2 preface is a request head of HTTP/2.0 to the core
        return _http2.prefaceReceived(self, self.site, exc)

    def connectionLost(self, reason: Failure = Failure(ConnectionDone())) -> None:
        super().connectionLost(reason)
        # The channel outlives the connection only for requests still
        # holding it (request.channel); the protocol lets go of it, so that
        # the two are not a reference cycle left for the garbage collector.
        self.webChannel = self.handler = None


@implementer(IProtocolNegotiationFactory)
class Site(server.Site):
    """
    :class:`twisted.web.server.Site` on txh11.

    Takes the same arguments as ``twisted.web.server.Site`` (``resource``,
    ``requestFactory``, ``logPath``, ``timeout``, ``logFormatter``,
    ``reactor``, ``parsePOSTFormSubmission``), plus keyword-only txh11
    protocol settings: ``maxBodySize`` (413 beyond it; default no limit),
    ``idleTimeout``, ``headerTimeout``, ``bodyTimeout``, ``lingerTimeout``,
    ``closeTimeout``, ``maxIncompleteEventSize``, ``maxDiscardSize``,
    ``coalesceLimit``, ``trustedProxies`` (believe their ``X-Forwarded-For``,
    ``X-Forwarded-Proto`` and ``Forwarded`` headers for ``getClientAddress()``,
    ``isSecure()`` and the access log; see :mod:`txh11.forwarded`), and
    ``contentMemoryThreshold``.  An explicit
    ``timeout`` (twisted.web's idle timeout) sets ``idleTimeout``.
    ``requestFactory`` defaults to :class:`txh11.web.Request`.

    Over TLS it offers ``h2, http/1.1`` in ALPN when Twisted's HTTP/2 is
    importable (``twisted[http2]``), else ``http/1.1``; an ``h2``
    connection, or one that begins with the HTTP/2 preface, is served by
    Twisted's ``H2Connection`` with the same resources.
    """

    protocol = WebProtocol  # type: ignore[assignment]
    requestFactory = Request  # type: ignore[assignment]
    #: (key, class) of txh11.server.configuredProtocol
    configured: Any = (None, None)

    #: request bodies up to this size are kept in memory
    contentMemoryThreshold = 100_000

    def __init__(
        self,
        resource: Any,
        requestFactory: Any = None,
        *args: Any,
        contentMemoryThreshold: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        settings = {k: kwargs.pop(k) for k in list(kwargs) if k in _PROTOCOL_SETTINGS}
        explicitTimeout = "timeout" in kwargs or len(args) >= 2
        super().__init__(resource, requestFactory, *args, **kwargs)
        if explicitTimeout:
            settings.setdefault("idleTimeout", self.timeOut)
        self.protocolSettings = settings
        if contentMemoryThreshold is not None:
            self.contentMemoryThreshold = contentMemoryThreshold
        #: the open connections
        self.openConnections = ConnectionSet()

    def buildProtocol(self, addr: Any) -> WebProtocol:
        return trackedProtocol(self, self.protocolSettings, self, self.reactor)  # type: ignore[no-any-return]

    def drain(self, timeout: Optional[float] = 30.0) -> "defer.Deferred[None]":
        """Shut down without losing a request, as
        :meth:`txh11.server.HTTP11ServerFactory.drain` does."""
        return self.openConnections.drain(self.reactor, timeout)

    def acceptableProtocols(self) -> list[bytes]:
        """ALPN: ``h2, http/1.1`` if Twisted's HTTP/2 is importable, else
        ``http/1.1`` (see :mod:`txh11.web._http2`)."""
        return _http2.protocols()

    def getResourceFor(self, request: Any) -> Any:
        """The resource for ``request``: from the root, a child for each
        segment of ``request.postpath`` until a leaf (as twisted.web's
        ``Site``)."""
        request.site = self
        prepath = request.prepath
        # (sessions name their cookie after sitepath)
        request.sitepath = prepath[:] if type(prepath) is list else copy.copy(prepath)
        # twisted.web.resource.getChildForRequest, without the call.  The
        # lists are read at each step: a resource may replace them (rewrite).
        found = self.resource
        while request.postpath and not found.isLeaf:
            segment = request.postpath.pop(0)
            request.prepath.append(segment)
            found = found.getChildWithDefault(segment, request)
        return found

    def getContentFile(self, length: Optional[int]) -> Any:
        """
        The file a request body is written to (``twisted.web.server.Request``
        asks its site for it): memory below ``contentMemoryThreshold``, a
        temporary file above, a spooled one when the length is unknown.
        """
        threshold = self.contentMemoryThreshold
        if length is not None:
            if length < threshold:
                return BytesIO()
            return tempfile.TemporaryFile()
        return tempfile.SpooledTemporaryFile(max_size=threshold)
