"""
An HTTP/1.1 client for Twisted on txh11's core: :class:`Agent`, an
``IAgent`` that treq and Twisted's agent wrappers use unchanged::

    from treq.client import HTTPClient
    from twisted.internet import reactor
    from txh11.client import Agent, HTTPConnectionPool

    agent = Agent(reactor, pool=HTTPConnectionPool(reactor))
    http = HTTPClient(agent)
    response = await http.get("https://example.com/")

``Agent(reactor, contextFactory=BrowserLikePolicyForHTTPS(), pool=None,
connectTimeout=None, bindAddress=None)`` takes the arguments of
``twisted.web.client.Agent``; ``Agent.usingEndpointFactory(reactor,
endpointFactory, pool=None)`` connects through any ``IAgentEndpointFactory``
(unix sockets, proxies, tests).

What it does
============

Requests (:mod:`txh11.client._request`)
    ``request(method, uri, headers=None, bodyProducer=None)``.  The method,
    URI and headers are checked before anything is connected or sent; a bad
    one (CR, LF, space, control characters, a non-token method, a header
    value with CR/LF) gives a failed Deferred with :class:`InvalidRequest`
    (a ``ValueError``), an unsupported scheme ``SchemeNotSupported``.
    ``headers`` may be a Twisted ``Headers``, a mapping or a list of pairs.
    Body framing comes from ``bodyProducer.length``: ``Content-Length`` when
    known (through the passthrough path, zero-copy ``sendfile`` for
    :class:`txh11.bodies.FileBody` and for ``FileBodyProducer`` over a
    regular file on plain TCP), ``Transfer-Encoding: chunked`` for
    ``UNKNOWN_LENGTH``.  ``Expect: 100-continue`` set by the caller makes the
    body wait for ``100 Continue`` (at most ``expectContinueTimeout``
    seconds, then it is sent anyway); a final response arriving first means
    the body is never sent.

Responses (:mod:`txh11.client._response`)
    ``IResponse``; the Deferred fires when the head arrives.  The body
    streams into ``deliverBody(protocol)`` with backpressure (the protocol's
    transport pauses the socket) and ends with ``ResponseDone``,
    ``PotentialDataLoss`` (body delimited by the connection closing) or
    ``ResponseFailed``.  ``response.trailers`` holds the trailer fields
    (a ``Headers``) once the body has ended, ``None`` before.  Until
    ``deliverBody`` is called at most ``unclaimedBodyLimit`` (64 KiB) bytes
    are read ahead, then the socket is paused.

Connections (:mod:`txh11.client._pool`, :mod:`txh11.client._endpoints`)
    ``HTTPConnectionPool(reactor, persistent=True)`` like Twisted's.  A
    connection is reused only after a clean cycle, one whose body was not
    read to the end is closed.  A request that is idempotent
    (``GET HEAD OPTIONS DELETE TRACE``) and has no body is retried once on a
    fresh connection when a cached connection turns out to be dead before
    any byte of a response arrived.  Without a pool the agent uses a
    non-persistent one (``Connection: close``), as Twisted's does.
    Twisted's own ``twisted.web.client.HTTPConnectionPool`` is accepted
    too and manages txh11's connections with its own code
    (:mod:`txh11.client._twistedpool`).  TLS
    through the ``IPolicyForHTTPS`` (default ``BrowserLikePolicyForHTTPS``:
    certificate and host name verified), ALPN offering ``http/1.1`` only.

Proxies (:mod:`txh11.client._proxy`, :mod:`txh11.client._tunnel`)
    ``Agent.usingProxy(reactor, "http://user:pw@proxy:3128", ...)`` and
    ``Agent.fromEnvironment(reactor, ...)`` (``http_proxy``,
    ``https_proxy``, ``all_proxy``, ``no_proxy``): plain ``http`` goes to
    the proxy in absolute form, ``https`` through a ``CONNECT`` tunnel with
    TLS to the origin (certificate checked against the origin's name);
    credentials in the proxy URL go to the proxy only, as
    ``Proxy-Authorization: Basic``.

Cancelling
    The Deferred from ``request()`` can be cancelled at any point before it
    fired: while connecting (the connection attempt is stopped), while the
    request or its body is being sent, while waiting for ``100 Continue`` or
    for the response head (the connection is aborted).  It fails with
    ``ConnectingCancelledError`` from the endpoint while connecting, later
    with :class:`RequestCancelled`, both a ``CancelledError`` and a
    ``ResponseNeverReceived`` (what Twisted's Agent fails with).
    Afterwards, abort the body with ``protocol.transport.stopProducing()``
    (what cancelling
    ``twisted.web.client.readBody`` does).

Wrappers
    ``RedirectAgent``, ``BrowserLikeRedirectAgent``, ``ContentDecoderAgent``
    and ``CookieAgent`` work on top of this agent.  Twisted's redirect agents
    already drop ``Authorization``, ``Cookie``, ``Cookie2``,
    ``Proxy-Authorization`` and ``WWW-Authenticate`` (plus any names given as
    ``sensitiveHeaderNames``) when a redirect leaves the origin (scheme,
    host, port); treq puts its ``auth=`` header outside the redirect agent,
    so it is dropped too.  The tests check this with this agent.

Where this agent differs from Twisted's
=======================================

- Bad input fails the returned Deferred (``InvalidRequest``) instead of
  raising from ``request()``.
- Before ``deliverBody`` at most 64 KiB of a body is read ahead, then the
  socket is paused (Twisted buffers without limit); a body that fits is
  complete and its connection reusable at once (redirect bodies), a larger
  one keeps its connection until it is read, and is closed if the response
  is garbage collected unread.
- The response Deferred fires after the rest of the bytes of the same read
  were parsed, and the connection goes back to the pool before the body
  protocol hears ``ResponseDone``: a request made from either callback
  reuses it.
- ``response.trailers``; ``Expect: 100-continue``; request bodies that must
  produce exactly ``length`` bytes (else the connection is aborted and the
  request fails with ``RequestGenerationFailed``).

Logging goes to ``twisted.logger``.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Union

from twisted.internet import defer
from twisted.internet.interfaces import IStreamClientEndpoint
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.client import (
    BrowserLikePolicyForHTTPS,
    RequestNotSent,
    RequestTransmissionFailed,
    ResponseNeverReceived,
)
from twisted.web.error import SchemeNotSupported
from twisted.web.iweb import IAgent, IAgentEndpointFactory, IBodyProducer, IPolicyForHTTPS, IResponse
from zope.interface import implementer

from txh11.client._endpoints import ALPN_PROTOCOLS, HTTP11OnlyCreator, StandardEndpointFactory
from txh11.client._pool import HTTPConnectionPool
from txh11.client._proxy import Proxy, ProxySettings
from txh11.client._exchange import ProtocolSwitchNotSupported, RequestCancelled
from txh11.client._protocol import HTTP11ClientProtocol
from txh11.client._request import HeadersLike, InvalidRequest, PreparedRequest, prepareRequest
from txh11.client._response import ClientRequest, Response
from txh11.client._tunnel import ProxyConnectError, TunnelEndpoint
from txh11.client._twistedpool import TwistedPoolConnector

__all__ = [
    "Agent",
    "HTTPConnectionPool",
    "HTTP11ClientProtocol",
    "Response",
    "ClientRequest",
    "InvalidRequest",
    "ProtocolSwitchNotSupported",
    "RequestCancelled",
    "StandardEndpointFactory",
    "Proxy",
    "ProxySettings",
    "ProxyConnectError",
    "TunnelEndpoint",
    "HTTP11OnlyCreator",
    "ALPN_PROTOCOLS",
]

_log = Logger()

_RETRY_ON = (RequestNotSent, RequestTransmissionFailed, ResponseNeverReceived)
_NOT_SENT = (RequestNotSent,)


@implementer(IAgent)
class Agent:
    """
    An ``IAgent`` on txh11.  See the module docstring.

    :param reactor: the reactor to connect with (and the clock for the pool's
        idle expiry and the 100-continue timeout).
    :param contextFactory: the ``IPolicyForHTTPS`` for ``https`` URIs.
    :param pool: an :class:`HTTPConnectionPool`, or Twisted's
        ``twisted.web.client.HTTPConnectionPool`` (see
        :mod:`txh11.client._twistedpool`); ``None`` for a private
        non-persistent one.
    :param connectTimeout: seconds to wait for a TCP connection (default 30).
    :param bindAddress: local address to bind to.
    """

    #: seconds a body with ``Expect: 100-continue`` waits for ``100 Continue``
    expectContinueTimeout: float = 1.0

    def __init__(
        self,
        reactor: Any,
        contextFactory: IPolicyForHTTPS = BrowserLikePolicyForHTTPS(),
        connectTimeout: Optional[float] = None,
        bindAddress: Any = None,
        pool: Any = None,
    ) -> None:
        # (Twisted's order of arguments, for callers passing them by position)
        self._init(
            reactor,
            StandardEndpointFactory(reactor, contextFactory, connectTimeout, bindAddress),
            pool,
        )

    def _init(
        self,
        reactor: Any,
        endpointFactory: IAgentEndpointFactory,
        pool: Any,
    ) -> None:
        self._reactor = reactor
        self._endpointFactory = endpointFactory
        self._proxies: Optional[ProxySettings] = None
        self._twistedPool: Optional[TwistedPoolConnector] = None
        if pool is None:
            pool = HTTPConnectionPool(reactor, persistent=False)
        elif not isinstance(pool, HTTPConnectionPool):
            if not callable(getattr(pool, "getConnection", None)):
                raise TypeError(
                    "pool must be a txh11.client.HTTPConnectionPool or a "
                    f"twisted.web.client.HTTPConnectionPool, not {type(pool).__name__}"
                )
            self._twistedPool = TwistedPoolConnector(reactor, pool)
        self._pool = pool

    @classmethod
    def usingEndpointFactory(
        cls,
        reactor: Any,
        endpointFactory: IAgentEndpointFactory,
        pool: Any = None,
    ) -> "Agent":
        """An agent that connects through ``endpointFactory.endpointForURI``."""
        agent = cls.__new__(cls)
        agent._init(reactor, endpointFactory, pool)
        return agent

    @classmethod
    def usingProxy(
        cls,
        reactor: Any,
        proxy: Union[ProxySettings, Proxy, str, bytes],
        contextFactory: IPolicyForHTTPS = BrowserLikePolicyForHTTPS(),
        connectTimeout: Optional[float] = None,
        bindAddress: Any = None,
        pool: Any = None,
        noProxy: Union[str, list[str], tuple[str, ...]] = (),
    ) -> "Agent":
        """
        An agent whose requests go through a forward proxy: ``proxy`` is a
        URL (``"http://user:password@proxy:3128"``) or a :class:`Proxy` used
        for both ``http`` and ``https`` URIs, except the hosts ``noProxy``
        lists; or a :class:`ProxySettings` saying it all.  ``http`` requests
        go to the proxy in absolute form, ``https`` ones through a
        ``CONNECT`` tunnel with TLS end to end (the certificate checked
        against the origin's name).  Credentials in the URL are sent as
        ``Proxy-Authorization: Basic``, to the proxy only.
        """
        if not isinstance(proxy, ProxySettings):
            proxy = ProxySettings(proxy, proxy, noProxy)
        agent = cls(reactor, contextFactory, connectTimeout, bindAddress, pool)
        agent._proxies = proxy
        return agent

    @classmethod
    def usingProxyEndpoint(
        cls,
        endpoint: IStreamClientEndpoint,
        reactor: Any = None,
        pool: Any = None,
        contextFactory: IPolicyForHTTPS = BrowserLikePolicyForHTTPS(),
        authorization: Optional[bytes] = None,
    ) -> "Agent":
        """
        Every request through the proxy ``endpoint`` connects to, with the
        arguments of Twisted's ``ProxyAgent(endpoint, reactor=None,
        pool=None)`` first, so ``ProxyAgent = Agent.usingProxyEndpoint``
        replaces it; beyond it, ``https`` goes through a ``CONNECT`` tunnel
        with TLS to the origin (Twisted's sends it to the proxy in the
        clear).  ``authorization`` is the ``Proxy-Authorization`` value.
        """
        if reactor is None:
            from twisted.internet import reactor as globalReactor

            reactor = globalReactor
        proxy = Proxy.atEndpoint(endpoint, authorization)
        return cls.usingProxy(reactor, ProxySettings(proxy, proxy), contextFactory, pool=pool)

    @classmethod
    def fromEnvironment(
        cls,
        reactor: Any,
        contextFactory: IPolicyForHTTPS = BrowserLikePolicyForHTTPS(),
        connectTimeout: Optional[float] = None,
        bindAddress: Any = None,
        pool: Any = None,
        environ: Optional[Mapping[str, str]] = None,
    ) -> "Agent":
        """:meth:`usingProxy` with the proxies ``http_proxy``,
        ``https_proxy``, ``all_proxy`` and ``no_proxy`` name in ``environ``
        (default ``os.environ``), as curl, requests and httpx read them
        (see :class:`ProxySettings`).  With none set, a plain agent."""
        settings = ProxySettings.fromEnvironment(environ)
        return cls.usingProxy(reactor, settings, contextFactory, connectTimeout, bindAddress, pool)

    @property
    def proxies(self) -> Optional[ProxySettings]:
        """The :class:`ProxySettings` in use, or ``None``."""
        return self._proxies

    @property
    def pool(self) -> Any:
        """The pool given (or the private non-persistent one)."""
        return self._pool

    def request(
        self,
        method: Union[bytes, str],
        uri: Union[bytes, str],
        headers: HeadersLike = None,
        bodyProducer: Optional[IBodyProducer] = None,
    ) -> "defer.Deferred[IResponse]":
        """Issue a request; fires with an ``IResponse`` once its head
        arrived.  See the module docstring."""
        pool = self._pool
        twistedPool = self._twistedPool
        try:
            prepared = prepareRequest(
                method,
                uri,
                headers,
                bodyProducer,
                pool.persistent if twistedPool is None else twistedPool.persistent,
                self._reactor,
                self._proxies,
            )
        except (InvalidRequest, SchemeNotSupported):
            return defer.fail()
        key = prepared.key
        if twistedPool is None:
            proto = pool.cachedConnection(key)
            if proto is not None:
                return self._send(proto, prepared, True)
        try:
            endpoint = self._endpoint(prepared)
        except Exception:
            return defer.fail()
        if twistedPool is not None:
            d = twistedPool.getConnection(key, endpoint, self.expectContinueTimeout)
            return d.addCallback(lambda proto: proto.request(prepared))
        d = pool.newConnection(key, endpoint)
        return d.addCallback(self._send, prepared, False)

    def _endpoint(self, prepared: PreparedRequest) -> IStreamClientEndpoint:
        proxy = prepared.proxy
        if proxy is None:
            return self._endpointFactory.endpointForURI(prepared.parsedURI)
        return self._endpointFactory.endpointThroughProxy(prepared.parsedURI, proxy)  # type: ignore[attr-defined]

    def _send(
        self, proto: HTTP11ClientProtocol, prepared: PreparedRequest, cached: bool
    ) -> "defer.Deferred[IResponse]":
        proto.expectContinueTimeout = self.expectContinueTimeout
        d: defer.Deferred[Any] = proto.request(prepared)
        if cached and self._pool.retryAutomatically:
            # a request that may have reached the server is retried only
            # when it is idempotent and has no body
            d.addErrback(self._retry, prepared, _RETRY_ON if prepared.retryable else _NOT_SENT)
        return d

    def _retry(self, f: Failure, prepared: PreparedRequest, retryOn: tuple[type, ...]) -> Any:
        if not f.check(*retryOn) or f.check(defer.CancelledError):
            return f
        return self._fresh(f, prepared)

    def _fresh(self, f: Failure, prepared: PreparedRequest) -> Any:
        _log.info(
            "cached connection failed ({why}); retrying {m} {u!r} on a new connection",
            why=f.getErrorMessage() or f.type.__name__,
            m=prepared.method.decode("ascii", "replace"),
            u=prepared.uri,
        )
        try:
            endpoint = self._endpoint(prepared)
        except Exception:
            return Failure()
        d = self._pool.newConnection(prepared.key, endpoint)
        return d.addCallback(self._send, prepared, False)
