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

The request is a :class:`ServerExchange` (also importable as
``ServerRequest``), the one public per-exchange object of the server:

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

from ._drain import ConnectionSet
from ._exchange import (
    IRequestHandler,
    IServerRequest,
    RequestBodyDone,
    RequestBodyTooLarge,
    ServerExchange,
    ServerRequest,
)
from ._protocol import (  # noqa: F401  (configuredProtocol, trackedProtocol: for txh11.web's Site)
    HTTP11ServerFactory,
    HTTP11ServerProtocol,
    configuredProtocol,
    trackedProtocol,
)

__all__ = [
    "IRequestHandler",
    "IServerRequest",
    "ServerExchange",
    "ServerRequest",
    "HTTP11ServerProtocol",
    "HTTP11ServerFactory",
    "RequestBodyDone",
    "RequestBodyTooLarge",
    "ConnectionSet",
]
