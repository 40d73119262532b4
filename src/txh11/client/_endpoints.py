"""
Where the agent connects: :class:`StandardEndpointFactory`.

- ``http``: TCP.  An IPv4/IPv6 literal host gets a ``TCP4ClientEndpoint`` /
  ``TCP6ClientEndpoint`` (no name resolution); a name gets a
  ``HostnameEndpoint`` (happy eyeballs), as with Twisted's Agent.
- ``https``: the same wrapped in TLS with the connection creator the
  ``IPolicyForHTTPS`` gives for the host and port (``creatorForNetloc``);
  the default ``BrowserLikePolicyForHTTPS`` verifies the certificate chain
  against the platform trust store and the host name with
  ``service_identity``.  ALPN offers exactly ``http/1.1``: this client
  speaks nothing else.
- Any other scheme: ``SchemeNotSupported``.
- Through a proxy (:meth:`StandardEndpointFactory.endpointThroughProxy`):
  ``http`` to the proxy, ``https`` as TLS with the origin inside a
  ``CONNECT`` tunnel (:mod:`txh11.client._tunnel`).
"""

from __future__ import annotations

from typing import Any, Optional

from twisted.internet.abstract import isIPAddress, isIPv6Address
from twisted.internet.endpoints import (
    HostnameEndpoint,
    TCP4ClientEndpoint,
    TCP6ClientEndpoint,
    wrapClientTLS,
)
from twisted.internet.interfaces import IOpenSSLClientConnectionCreator, IStreamClientEndpoint
from twisted.logger import Logger
from twisted.web.client import URI
from twisted.web.error import SchemeNotSupported
from twisted.web.iweb import IAgentEndpointFactory, IPolicyForHTTPS
from zope.interface import implementer

from txh11.client._proxy import Proxy
from txh11.client._tunnel import TunnelEndpoint

__all__ = ["StandardEndpointFactory", "HTTP11OnlyCreator", "ALPN_PROTOCOLS"]

_log = Logger()

#: What the client offers in the TLS handshake (ALPN).
ALPN_PROTOCOLS = [b"http/1.1"]


@implementer(IOpenSSLClientConnectionCreator)
class HTTP11OnlyCreator:
    """
    Wrap a policy's connection creator so that the handshake offers ALPN
    ``http/1.1`` only (whatever the policy's options offered).
    """

    def __init__(self, creator: IOpenSSLClientConnectionCreator) -> None:
        self._creator = creator

    def clientConnectionForTLS(self, tlsProtocol: Any) -> Any:
        connection = self._creator.clientConnectionForTLS(tlsProtocol)
        try:
            connection.set_alpn_protos(ALPN_PROTOCOLS)
        except (AttributeError, NotImplementedError):  # pragma: no cover
            _log.warn("this OpenSSL cannot offer ALPN; connecting without it")
        return connection

    def __getattr__(self, name: str) -> Any:
        return getattr(self._creator, name)


def _bindAddress(bindAddress: Any) -> Any:
    if isinstance(bindAddress, (bytes, str)):
        host = bindAddress.decode("ascii") if isinstance(bindAddress, bytes) else bindAddress
        return (host, 0)
    return bindAddress


@implementer(IAgentEndpointFactory)
class StandardEndpointFactory:
    """TCP for ``http``, TCP + TLS for ``https``."""

    def __init__(
        self,
        reactor: Any,
        contextFactory: IPolicyForHTTPS,
        connectTimeout: Optional[float] = None,
        bindAddress: Any = None,
    ) -> None:
        self._reactor = reactor
        self._policy = contextFactory
        self._connectTimeout = connectTimeout
        self._bindAddress = _bindAddress(bindAddress)

    def endpointForURI(self, uri: URI) -> IStreamClientEndpoint:
        scheme = uri.scheme
        if scheme not in (b"http", b"https"):
            raise SchemeNotSupported(f"Unsupported scheme: {scheme!r}")
        endpoint = self._tcp(uri.host, uri.port, uri)
        if scheme == b"http":
            return endpoint
        return self._tls(uri, endpoint)

    def endpointThroughProxy(self, uri: URI, proxy: Proxy) -> IStreamClientEndpoint:
        """The connection for ``uri`` through ``proxy``: to the proxy itself
        for ``http``, TLS with the origin through a ``CONNECT`` tunnel for
        ``https`` (the tunnel waits for the proxy's answer as long as for a
        TCP connection)."""
        toProxy = proxy.endpoint
        if toProxy is None:
            toProxy = self._tcp(proxy.host, proxy.port, uri)
        if uri.scheme == b"http":
            return toProxy
        if uri.scheme != b"https":
            raise SchemeNotSupported(f"Unsupported scheme: {uri.scheme!r}")
        tunnel = TunnelEndpoint(
            toProxy, uri.host, uri.port, proxy.authorization, self._reactor, self._timeout()
        )
        return self._tls(uri, tunnel)

    def _timeout(self) -> float:
        return 30.0 if self._connectTimeout is None else self._connectTimeout

    def _tcp(self, rawHost: bytes, port: int, uri: URI) -> IStreamClientEndpoint:
        try:
            host = rawHost.decode("ascii")
        except UnicodeDecodeError:
            raise ValueError(f"the host of {uri.toBytes()!r} is not ASCII") from None
        timeout = self._timeout()
        bind = self._bindAddress
        if isIPAddress(host):
            return TCP4ClientEndpoint(self._reactor, host, port, timeout, bind)
        if isIPv6Address(host):
            return TCP6ClientEndpoint(self._reactor, host, port, timeout, bind)
        return HostnameEndpoint(self._reactor, host, port, timeout=timeout, bindAddress=bind)

    def _tls(self, uri: URI, endpoint: IStreamClientEndpoint) -> IStreamClientEndpoint:
        creator = self._policy.creatorForNetloc(uri.host, uri.port)
        if IOpenSSLClientConnectionCreator.providedBy(creator):
            creator = HTTP11OnlyCreator(creator)
        return wrapClientTLS(creator, endpoint)
