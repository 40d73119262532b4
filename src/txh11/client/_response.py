"""
The client's :class:`~twisted.web.iweb.IResponse` and the request it answers.

:class:`Response` is what ``Agent.request()`` fires with.  Its body
(:class:`ResponseBody`) is fed by the exchange
(:mod:`txh11.client._exchange`), which it knows only as an
:class:`~txh11.client._interfaces.IBodySource`, and hands the body to the
protocol given to :meth:`Response.deliverBody`:

- ``dataReceived`` for each piece, then ``connectionLost`` with
  ``ResponseDone`` (complete), ``PotentialDataLoss`` (the body was delimited
  by the server closing the connection, so truncation cannot be detected) or
  ``ResponseFailed`` (the connection failed or the server broke the
  protocol).
- Backpressure: the protocol's ``transport`` is an ``IPushProducer``;
  ``pauseProducing()`` pauses the socket, ``resumeProducing()`` resumes it,
  ``stopProducing()`` (or ``abortConnection()``/``loseConnection()``) drops
  the connection; ``connectionLost(ResponseFailed)`` follows.
- Before ``deliverBody`` is called, at most ``unclaimedBodyLimit`` bytes
  (see :class:`txh11.client.HTTP11ClientProtocol`) are held and the socket is
  paused; a body larger than that stays unread in the kernel.  A response
  garbage collected in that state closes its connection (its body can no
  longer be read): the exchange holds the body (:class:`ResponseBody`), not
  the response, so dropping the response is seen by ``Response.__del__``.
- ``trailers``: ``None`` until the body has ended, then a
  :class:`twisted.web.http_headers.Headers` with the trailer fields of a
  chunked body (empty if there were none).
"""

from __future__ import annotations

from typing import Any, Optional, Union

from twisted.internet.interfaces import IPushProducer
from twisted.python.failure import Failure
from twisted.web.client import URI
from twisted.web.http_headers import Headers
from twisted.web.iweb import UNKNOWN_LENGTH, IClientRequest, IResponse
from zope.interface import implementer

from txh11.client._interfaces import IBodySource
from txh11.headers import toTwistedHeaders

__all__ = ["Response", "ClientRequest", "ResponseBody"]


@implementer(IClientRequest)
class ClientRequest:
    """
    The request a :class:`Response` answers (``response.request``):
    ``method``, ``absoluteURI`` and ``headers`` as given to the agent (plus
    ``Host``; framing headers are the agent's business).
    """

    __slots__ = ("method", "absoluteURI", "headers", "uri")

    def __init__(self, method: bytes, absoluteURI: bytes, headers: Headers, uri: URI) -> None:
        self.method = method
        self.absoluteURI = absoluteURI
        self.headers = headers
        #: the parsed :class:`twisted.web.client.URI`
        self.uri = uri

    def __repr__(self) -> str:
        return f"<ClientRequest {self.method.decode('ascii', 'replace')} {self.absoluteURI!r}>"


@implementer(IPushProducer)
class ResponseBody:
    """
    A response body on its way from the exchange to the consumer: what the
    exchange writes into (:meth:`dataReceived`, :meth:`end`), and the
    ``transport`` (an ``IPushProducer``) of the protocol given to
    ``deliverBody``.  Until that protocol is given, the body is held here,
    and the source is paused once more than ``limit`` bytes are held (at
    once when ``length`` says there will be more).

    :ivar source: the :class:`IBodySource` it comes from.
    :ivar protocol: the consumer, once claimed.
    :ivar pending: held pieces not yet given to the consumer.
    :ivar pendingLen: their total size.
    :ivar final: why the body ended (``ResponseDone``, ...), once it has.
    :ivar rawTrailers: the core's trailer fields, once it has.
    """

    __slots__ = (
        "source", "limit", "protocol", "pending", "pendingLen", "final", "rawTrailers",
        "_delivered", "_paused", "_heldBack", "_stopped", "_sourcePaused",
    )

    def __init__(self, source: IBodySource, limit: int, length: Union[int, object]) -> None:
        self.source = source
        self.limit = limit
        self.protocol: Any = None
        self.pending: list[bytes] = []
        self.pendingLen = 0
        self.final: Optional[Failure] = None
        self.rawTrailers: Any = None
        self._delivered = False  # connectionLost given to the consumer
        self._paused = False  # by the consumer
        self._heldBack = False  # unclaimed, enough held
        self._stopped = False  # by the consumer: no more data wanted
        self._sourcePaused = False
        if length is not UNKNOWN_LENGTH and length > limit:  # type: ignore[operator]
            self._holdBack()

    # -- from the exchange -----------------------------------------------

    def dataReceived(self, data: bytes) -> None:
        """A piece of the body."""
        protocol = self.protocol
        if protocol is not None and not self.pending and not self._paused:
            if not self._stopped:
                protocol.dataReceived(data)
            return
        if self._stopped:
            return
        self.pending.append(data)
        self.pendingLen += len(data)
        if protocol is None and self.pendingLen > self.limit and not self._heldBack:
            self._holdBack()

    def end(self, reason: Failure, rawTrailers: Any = None) -> None:
        """The body ended (or failed) for ``reason``."""
        if self.final is not None:
            return
        self.final = reason
        self.rawTrailers = rawTrailers
        self._flush()

    @property
    def unclaimed(self) -> bool:
        """Nobody took the body and it has not ended: it can never be read
        if its response is dropped."""
        return self.protocol is None and self.final is None

    # -- from the response -------------------------------------------------

    def deliverTo(self, protocol: Any) -> None:
        """Start giving the body to ``protocol`` (an ``IProtocol``)."""
        self.protocol = protocol
        protocol.makeConnection(self)
        self._flush()
        self._heldBack = False
        self._sync()

    # -- IPushProducer, for the consumer -----------------------------------

    def pauseProducing(self) -> None:
        if not self._paused:
            self._paused = True
            self._sync()

    def resumeProducing(self) -> None:
        if self._paused:
            self._paused = False
            self._flush()
            self._sync()

    def stopProducing(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.pending.clear()
        self.pendingLen = 0
        if self.final is None:
            self.source.abort()
        else:
            self._flush()

    # readBody() cancels with abortConnection; some protocols call these.
    abortConnection = stopProducing
    loseConnection = stopProducing

    def getPeer(self) -> Any:
        return self.source.getPeer()

    def getHost(self) -> Any:
        return self.source.getHost()

    # -- internals ---------------------------------------------------------

    def _holdBack(self) -> None:
        self._heldBack = True
        self._sync()

    def _sync(self) -> None:
        """Pause the source while held back or paused by the consumer."""
        want = (self._heldBack or self._paused) and self.final is None and not self._stopped
        if want is not self._sourcePaused:
            self._sourcePaused = want
            if want:
                self.source.pause()
            else:
                self.source.resume()

    def _flush(self) -> None:
        protocol = self.protocol
        if protocol is None:
            return
        pending = self.pending
        while pending and not self._paused and not self._stopped:
            data = pending.pop(0)
            self.pendingLen -= len(data)
            protocol.dataReceived(data)
        if self._stopped:
            pending.clear()
            self.pendingLen = 0
        if self.final is not None and not pending and not self._delivered:
            self._delivered = True
            protocol.connectionLost(self.final)


@implementer(IResponse)
class Response:
    """
    An HTTP response (``IResponse``).  See the module docstring for how the
    body is delivered.

    ``headers`` is built from the wire headers on first access.
    ``trailers`` is ``None`` until the body has ended.
    """

    def __init__(
        self,
        body: ResponseBody,
        version: tuple[bytes, int, int],
        code: int,
        phrase: bytes,
        rawHeaders: Any,
        length: Union[int, object],
        prepared: Any,
    ) -> None:
        self._body = body
        self.version = version
        self.code = code
        self.phrase = phrase
        self._rawHeaders = rawHeaders
        self._headers: Optional[Headers] = None
        self.length = length
        self._prepared = prepared
        self._request: Optional[ClientRequest] = None
        self.previousResponse: Optional[IResponse] = None
        self._trailers: Optional[Headers] = None

    def __repr__(self) -> str:
        return (
            f"<Response {self.code} {self.phrase!r} length="
            f"{'?' if self.length is UNKNOWN_LENGTH else self.length}>"
        )

    def __del__(self) -> None:
        body = self._body
        if body.unclaimed:
            body.source.dropped()

    @property
    def headers(self) -> Headers:
        h = self._headers
        if h is None:
            h = self._headers = toTwistedHeaders(self._rawHeaders)
        return h

    @headers.setter
    def headers(self, value: Headers) -> None:
        self._headers = value

    @property
    def request(self) -> ClientRequest:
        """The ``IClientRequest`` this answers (built on first access)."""
        r = self._request
        if r is None:
            r = self._request = self._prepared.clientRequest
        return r

    @request.setter
    def request(self, value: ClientRequest) -> None:
        self._request = value

    @property
    def trailers(self) -> Optional[Headers]:
        """Trailer fields once the body has ended (empty ``Headers`` if
        none came); ``None`` before."""
        t = self._trailers
        if t is None and self._body.rawTrailers is not None:
            t = self._trailers = toTwistedHeaders(self._body.rawTrailers)
        return t

    @trailers.setter
    def trailers(self, value: Optional[Headers]) -> None:
        self._trailers = value

    def setPreviousResponse(self, response: IResponse) -> None:
        self.previousResponse = response

    def deliverBody(self, protocol: Any) -> None:
        """Stream the body into ``protocol`` (an ``IProtocol``)."""
        if self._body.protocol is not None:
            raise RuntimeError(f"{self!r}: deliverBody() was already called")
        self._body.deliverTo(protocol)
