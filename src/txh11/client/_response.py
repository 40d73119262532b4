"""
The client's :class:`~twisted.web.iweb.IResponse` and the request it answers.

:class:`Response` is what ``Agent.request()`` fires with.  It is fed by the
connection (:mod:`txh11.client._protocol`) and hands the body to the
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
  paused; a body larger than that stays unread in the kernel.
- ``trailers``: ``None`` until the body has ended, then a
  :class:`twisted.web.http_headers.Headers` with the trailer fields of a
  chunked body (empty if there were none).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Union

from twisted.internet.interfaces import IPushProducer
from twisted.python.failure import Failure
from twisted.web.client import URI
from twisted.web.http_headers import Headers
from twisted.web.iweb import UNKNOWN_LENGTH, IClientRequest, IResponse
from zope.interface import implementer

from txh11.headers import toTwistedHeaders

if TYPE_CHECKING:  # pragma: no cover
    from txh11.client._protocol import HTTP11ClientProtocol

__all__ = ["Response", "ClientRequest"]


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
class _BodyTransport:
    """The transport given to the protocol passed to ``deliverBody``."""

    def __init__(self, response: "Response") -> None:
        self._response = response

    def pauseProducing(self) -> None:
        self._response._pauseConsumer()

    def resumeProducing(self) -> None:
        self._response._resumeConsumer()

    def stopProducing(self) -> None:
        self._response._stopConsumer()

    # readBody() cancels with abortConnection; some protocols call these.
    abortConnection = stopProducing
    loseConnection = stopProducing

    def getPeer(self) -> Any:
        return self._response._proto.transport.getPeer()

    def getHost(self) -> Any:
        return self._response._proto.transport.getHost()


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
        proto: "HTTP11ClientProtocol",
        version: tuple[bytes, int, int],
        code: int,
        phrase: bytes,
        rawHeaders: Any,
        length: Union[int, object],
        prepared: Any,
    ) -> None:
        self._proto = proto
        self.version = version
        self.code = code
        self.phrase = phrase
        self._rawHeaders = rawHeaders
        self._headers: Optional[Headers] = None
        self.length = length
        self._prepared = prepared
        self._request: Optional[ClientRequest] = None
        self.previousResponse: Optional[IResponse] = None
        self._rawTrailers: Any = None
        self._trailers: Optional[Headers] = None
        self._bodyProtocol: Any = None
        self._pending: list[bytes] = []
        self._pendingLen = 0
        self._final: Optional[Failure] = None
        self._delivered = False  # connectionLost given to the body protocol
        self._paused = False
        self._stopped = False

    def __repr__(self) -> str:
        return (
            f"<Response {self.code} {self.phrase!r} length="
            f"{'?' if self.length is UNKNOWN_LENGTH else self.length}>"
        )

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
        if t is None and self._rawTrailers is not None:
            t = self._trailers = toTwistedHeaders(self._rawTrailers)
        return t

    @trailers.setter
    def trailers(self, value: Optional[Headers]) -> None:
        self._trailers = value

    def setPreviousResponse(self, response: IResponse) -> None:
        self.previousResponse = response

    # -- body -----------------------------------------------------------

    def deliverBody(self, protocol: Any) -> None:
        """Stream the body into ``protocol`` (an ``IProtocol``)."""
        if self._bodyProtocol is not None:
            raise RuntimeError(f"{self!r}: deliverBody() was already called")
        self._bodyProtocol = protocol
        protocol.makeConnection(_BodyTransport(self))
        self._flush()
        if self._final is None and not self._stopped:
            self._proto._clResponseClaimed(self)

    def _bodyData(self, data: bytes) -> None:
        """From the connection: a piece of the body."""
        protocol = self._bodyProtocol
        if protocol is not None and not self._pending and not self._paused:
            if not self._stopped:
                protocol.dataReceived(data)
            return
        if self._stopped:
            return
        self._pending.append(data)
        self._pendingLen += len(data)

    def _bodyEnd(self, reason: Failure) -> None:
        """From the connection: the body ended (or failed) for ``reason``."""
        if self._final is not None:
            return
        self._final = reason
        self._flush()

    def _flush(self) -> None:
        protocol = self._bodyProtocol
        if protocol is None:
            return
        pending = self._pending
        while pending and not self._paused and not self._stopped:
            data = pending.pop(0)
            self._pendingLen -= len(data)
            protocol.dataReceived(data)
        if self._stopped:
            pending.clear()
            self._pendingLen = 0
        if self._final is not None and not pending and not self._delivered:
            self._delivered = True
            protocol.connectionLost(self._final)

    # -- from _BodyTransport --------------------------------------------

    def _pauseConsumer(self) -> None:
        if self._paused:
            return
        self._paused = True
        if self._final is None:
            self._proto._clPauseResponse(self)

    def _resumeConsumer(self) -> None:
        if not self._paused:
            return
        self._paused = False
        self._flush()
        if not self._paused and self._final is None:
            self._proto._clResumeResponse(self)

    def _stopConsumer(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._pending.clear()
        self._pendingLen = 0
        if self._final is None:
            self._proto._clAbandonResponse(self)
        else:
            self._flush()
