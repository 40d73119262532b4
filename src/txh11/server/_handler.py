"""
The server's connection logic, as the bridge's handler: requests in, one
:class:`~txh11.server.ServerExchange` per request handed to the request
handler, the server's own answers (400, 408, 413, 500 ...) when the client
or the handler fails, and the hand-over after a protocol switch.
"""

from __future__ import annotations

import inspect
from typing import Any, Optional

from twisted.internet import defer
from twisted.internet.error import ConnectionLost
from twisted.internet.interfaces import IProtocol
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

import txh11 as h11
from txh11.protocol import TIMEOUT_BODY, TIMEOUT_HEADER, IHTTP11Handler

from ._exchange import PAUSE_UNCLAIMED, IRequestHandler, ServerExchange, standardReason

__all__ = ["ServerHandler"]

_log = Logger()
_Deferred = defer.Deferred
_Request = h11.Request
_Data = h11.Data
_EndOfMessage = h11.EndOfMessage
_ConnectionClosed = h11.ConnectionClosed
_CAN_ANSWER = (h11.IDLE, h11.SEND_RESPONSE)
_RESPONDING = (h11.SEND_RESPONSE, h11.SEND_BODY)



@implementer(IHTTP11Handler)
class ServerHandler:
    """
    The :class:`~txh11.protocol.IHTTP11Handler` of one server connection.

    :ivar protocol: the connection's
        :class:`~txh11.server.HTTP11ServerProtocol` (its settings:
        ``maxBodySize``, ``addDateHeader``, ``abandonOnPeerClose`` ...).
    :ivar current: the exchange being answered, or ``None``.
    """

    # the current exchange's request has no body
    _bodyless = False
    # whether a request/response cycle was completed on the connection
    _cycles = False
    # set only around a protocol switch
    _switchTarget: Any = None
    _rawTarget: Any = None

    def __init__(self, protocol: Any, requestHandler: Any) -> None:
        self.protocol = protocol
        self._handle = (
            requestHandler.requestReceived
            if IRequestHandler.providedBy(requestHandler)
            else requestHandler
        )
        self.current: Optional[ServerExchange] = None

    # -- IHTTP11Handler ----------------------------------------------------

    def eventReceived(self, event: Any) -> None:
        t = type(event)
        exchange = self.current
        if t is _Data:
            if exchange is not None and not exchange.bodyReceived(event.data):
                self.refuse(exchange, 413, "request body too large")
        elif t is _Request:
            self._requestReceived(event)
        elif t is _EndOfMessage:
            # RFC 9112 2.2: a server SHOULD ignore an empty line before a
            # request line (an extra CRLF after a body, in the same read);
            # the core, as h11, would take it for an error
            self.protocol.conn.skip_empty_line()
            if exchange is None:
                pass
            elif self._bodyless:
                exchange.trailers = event.headers  # nothing else to do
            else:
                exchange.bodyEnded(event.headers)
        elif t is _ConnectionClosed:
            # (no log line: even a filtered-out debug event costs as much
            # as a whole keep-alive request, on every connection)
            self._peerClosed()

    def _peerClosed(self) -> None:
        """The peer closed its side.  Where the protocol says so (twisted.web
        does it: ``abandonOnPeerClose``), take the client as gone if its
        response is not complete."""
        protocol = self.protocol
        if protocol.abandonOnPeerClose and protocol.conn.our_state in _RESPONDING:
            _log.info(
                "{peer} closed the connection before its response was complete",
                peer=protocol.peerName(),
            )
            protocol.loseConnection()

    def _requestReceived(self, head: Any) -> None:
        protocol = self.protocol
        if head.http_version[:1] != b"1":
            # The core parses any HTTP/d.d request line (a server may look
            # for the HTTP/2 preface, PRI * HTTP/2.0); this one speaks 1.x.
            exc = h11.RemoteProtocolError(
                f"unsupported HTTP version {head.http_version.decode('ascii')}: only HTTP/1.x", 505
            )
            # (only a connection's first request may be the HTTP/2 preface,
            # which the protocol may take: txh11.web hands it to HTTP/2)
            if self._cycles or not protocol.takeProtocolError(exc):
                _log.info("protocol error from {peer}: {exc!r}", peer=protocol.peerName(), exc=exc)
                self.refuse(None, 505, str(exc))
            return
        # the body's framing, as the core decided it from the head it
        # validated (the framing facts of its Headers; conn.their_framing
        # says the same with two calls more per request)
        headers = head.headers
        length = None if headers.chunked else (headers.content_length or 0)
        exchange = ServerExchange(self, head, length)
        self.current = exchange
        self._bodyless = length == 0
        limit = protocol.maxBodySize
        if length is not None and limit is not None and length > limit:
            self.refuse(exchange, 413, "request body too large")
            return
        if length is None or length:
            protocol.pauseReading(PAUSE_UNCLAIMED)  # until the handler claims it
        try:
            result = self._handle(exchange)
            if result is None:
                return
            # (a Deferred, the common answer, is recognised before asking
            # inspect.iscoroutine)
            if type(result) is not _Deferred and inspect.iscoroutine(result):
                result = defer.Deferred.fromCoroutine(result)
        except BaseException:
            self.handlerFailed(exchange, Failure())
            return
        if isinstance(result, defer.Deferred):
            if result.called and not isinstance(result.result, Failure):
                return  # answered synchronously (respond() returns such a Deferred)
            result.addErrback(self._resultFailed, exchange)

    def _resultFailed(self, failure: Failure, exchange: ServerExchange) -> None:
        self.handlerFailed(exchange, failure)

    def protocolErrorReceived(self, exc: Exception) -> None:
        if self.protocol.takeProtocolError(exc):
            return
        status = getattr(exc, "error_status_hint", 400)
        if not 400 <= status < 600:
            status = 400
        exchange = self.current
        if exchange is not None:
            exchange.bodyFailed(Failure(exc))
        self.refuse(exchange, status, str(exc) or "bad request")

    def timeoutReached(self, kind: str) -> None:
        exchange = self.current
        _log.info("{kind} timeout for {peer}", kind=kind, peer=self.protocol.peerName())
        if kind == TIMEOUT_HEADER and exchange is None and not self.protocol.conn.trailing_data[0]:
            # not one byte of a request since the accept (or a TLS handshake
            # that stalled): nobody to answer, nothing to lose
            self.protocol.abortConnection()
        elif kind == TIMEOUT_HEADER:
            self.refuse(None, 408, "request header timeout")
        elif kind == TIMEOUT_BODY:
            if exchange is not None:
                exchange.bodyFailed(Failure(ConnectionLost("request body timeout")))
            self.refuse(exchange, 408, "request body timeout")
        else:  # TIMEOUT_IDLE: nothing to answer
            self.protocol.loseConnection()

    def cycleCompleted(self, reusable: bool) -> None:
        self.current = None
        self._cycles = True
        protocol = self.protocol
        if protocol.shuttingDown:
            protocol.keepAliveOff()  # the response just done promised keep-alive

    def protocolSwitched(self, data: bytes) -> None:
        exchange, self.current = self.current, None
        target, self._switchTarget = self._switchTarget, None
        if exchange is not None:
            exchange.switched()
            target = exchange.switchTarget or target
        if target is None:
            _log.warn("protocol switched but no protocol to switch to; closing")
            self.protocol.abortConnection()
            return
        self._rawTarget = target
        target.makeConnection(self.protocol.transport)
        if data:
            target.dataReceived(data)

    def rawDataReceived(self, data: bytes) -> None:
        if self._rawTarget is not None:
            self._rawTarget.dataReceived(data)

    def connectionClosed(self, reason: Failure) -> None:
        connections = getattr(self.protocol.factory, "openConnections", None)
        if connections is not None:
            connections.remove(self.protocol)
        target = self._rawTarget
        if target is not None:
            self._rawTarget = None
            target.connectionLost(reason)
        exchange, self.current = self.current, None
        if exchange is not None and not exchange.responseComplete:
            exchange.abandon(reason)
        elif exchange is not None:
            exchange.bodyFailed(reason)

    # -- what exchanges and the protocol ask of the server -------------------

    def switchTo(self, protocol: IProtocol) -> None:
        """Give the connection to ``protocol`` once it switches protocols
        without an exchange asking for it (``handOver``: HTTP/2)."""
        self._switchTarget = protocol

    def handlerFailed(self, exchange: ServerExchange, failure: Failure) -> None:
        """The request handler failed on ``exchange``: answer 500 if nothing
        was sent, else abort (a failure after the whole response was sent is
        only logged)."""
        protocol = self.protocol
        _log.failure(
            "request handler failed for {request} from {peer}",
            failure,
            request=exchange,
            peer=protocol.peerName(),
        )
        if protocol.lost or exchange.abandoned:
            return
        if not exchange.responseStarted and protocol.conn.our_state in _CAN_ANSWER:
            self.refuse(exchange, 500, "internal server error")
        elif not exchange.responseComplete:
            # Part of the response is out: the client can only learn of the
            # failure from the connection ending early.
            protocol.abortConnection()

    def refuse(self, exchange: Optional[ServerExchange], status: int, message: str) -> None:
        """Answer ``status`` for the handler (if nothing was sent) and close."""
        protocol = self.protocol
        if exchange is not None:
            exchange.abandon(Failure(ConnectionLost(f"server answered {status}")))
            started = exchange.responseStarted
        else:
            started = False
        if not started and protocol.conn.our_state in _CAN_ANSWER:
            self._sendError(status, message)
            protocol.loseConnection()
        else:
            protocol.abortConnection()

    def _sendError(self, status: int, message: str) -> None:
        body = (message + "\n").encode("utf-8", "replace")
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", b"%d" % len(body)),
            (b"connection", b"close"),
        ]
        if self.protocol.addDateHeader:
            headers.append((b"date", self.protocol.date()))
        try:
            self.protocol.sendEvents(
                [
                    standardReason(h11.Response(status_code=status, headers=headers)),
                    h11.Data(data=body),
                    h11.EndOfMessage(),
                ]
            )
        except h11.LocalProtocolError:
            _log.failure("could not send the {status} response", status=status)
