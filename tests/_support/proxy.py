"""
Forward proxies on 127.0.0.1 for the client's proxy tests, both written with
Twisted and both recording what they were asked (``factory.seen``: a list of
``(method, target, headers)`` with header names in lower case):

- :func:`httpProxy`: Twisted's own ``twisted.web.proxy`` (plain HTTP
  requests in absolute form), answering 407 when ``credentials`` (a
  ``Proxy-Authorization`` value) are required and not given;
- :func:`connectProxy`: a small ``CONNECT`` proxy that opens a TCP tunnel
  (``twisted.protocols.portforward`` relays the bytes, with backpressure
  both ways), answering 407 the same way and 502 when the origin cannot be
  reached; ``hosts`` maps names to addresses, so a test can reach an origin
  on 127.0.0.1 by a name of its own (``origin.test``).
"""

from __future__ import annotations

from typing import Any, Optional

from twisted.internet import reactor
from twisted.internet.endpoints import TCP4ClientEndpoint
from twisted.internet.protocol import Factory
from twisted.protocols import portforward
from twisted.web import http, proxy

_DENIED = (
    b"HTTP/1.1 407 Proxy Authentication Required\r\n"
    b'Proxy-Authenticate: Basic realm="tests"\r\nContent-Length: 0\r\n\r\n'
)


def _wanted(factory: Any, authorization: Optional[bytes]) -> bool:
    return factory.credentials is None or authorization == factory.credentials


class _RecordingProxyRequest(proxy.ProxyRequest):
    def process(self) -> None:
        factory = self.channel.factory
        headers = {k.lower(): v for k, v in self.requestHeaders.getAllRawHeaders()}
        factory.seen.append((self.method, self.uri, headers))
        if not _wanted(factory, (headers.get(b"proxy-authorization") or [None])[0]):
            self.setResponseCode(407)
            self.setHeader(b"Proxy-Authenticate", b'Basic realm="tests"')
            self.finish()
            return
        super().process()


class _RecordingProxy(proxy.Proxy):
    requestFactory = _RecordingProxyRequest


class HTTPProxyFactory(http.HTTPFactory):
    protocol = _RecordingProxy

    def __init__(self, credentials: Optional[bytes] = None) -> None:
        super().__init__()
        self.credentials = credentials
        self.seen: list[tuple[bytes, bytes, dict]] = []


class _Outbound(portforward.ProxyClient):
    """The proxy's connection to the origin; tells the client the tunnel
    is open once it is connected."""

    def connectionMade(self) -> None:
        self.peer.transport.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        super().connectionMade()
        early, self.peer.early = self.peer.early, b""
        if early:
            self.transport.write(early)


class _ConnectRequest(portforward.Proxy):
    """Reads one CONNECT head, then relays bytes both ways."""

    def connectionMade(self) -> None:
        self.head = b""
        self.early = b""

    def dataReceived(self, data: bytes) -> None:
        if self.peer is not None:
            super().dataReceived(data)
            return
        if self.head is None:  # waiting for the origin
            self.early += data
            return
        self.head += data
        if b"\r\n\r\n" in self.head:
            head, self.early = self.head.split(b"\r\n\r\n", 1)
            self.head = None
            self._connect(head)

    def _connect(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        method, target, _ = lines[0].split(b" ", 2)
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers.setdefault(name.strip().lower(), []).append(value.strip())
        factory = self.factory
        factory.seen.append((method, target, headers))
        if method != b"CONNECT":
            self.transport.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            self.transport.loseConnection()
            return
        if not _wanted(factory, (headers.get(b"proxy-authorization") or [None])[0]):
            self.transport.write(_DENIED)
            self.transport.loseConnection()
            return
        host, _, port = target.rpartition(b":")
        name = host.strip(b"[]").decode("ascii")
        client = portforward.ProxyClientFactory()
        client.protocol = _Outbound
        client.setServer(self)
        self.transport.pauseProducing()
        endpoint = TCP4ClientEndpoint(reactor, factory.hosts.get(name, name), int(port), timeout=5)
        endpoint.connect(client).addErrback(self._unreachable)

    def _unreachable(self, _: Any) -> None:
        self.transport.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
        self.transport.resumeProducing()
        self.transport.loseConnection()


class ConnectProxyFactory(Factory):
    protocol = _ConnectRequest
    noisy = False

    def __init__(self, credentials: Optional[bytes] = None, hosts: Optional[dict] = None) -> None:
        self.credentials = credentials
        self.hosts = hosts or {}
        self.seen: list[tuple[bytes, bytes, dict]] = []


def listen(factory: Factory) -> tuple[Any, int]:
    """Listen on 127.0.0.1 (a free port): (listening port, its number)."""
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    return port, port.getHost().port


def httpProxy(credentials: Optional[bytes] = None) -> tuple[Any, int, HTTPProxyFactory]:
    factory = HTTPProxyFactory(credentials)
    port, number = listen(factory)
    return port, number, factory


def connectProxy(
    credentials: Optional[bytes] = None, hosts: Optional[dict] = None
) -> tuple[Any, int, ConnectProxyFactory]:
    factory = ConnectProxyFactory(credentials, hosts)
    port, number = listen(factory)
    return port, number, factory


__all__ = ["httpProxy", "connectProxy", "HTTPProxyFactory", "ConnectProxyFactory"]
