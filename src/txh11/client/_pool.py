"""
The client's connection pool: :class:`HTTPConnectionPool`.

Same public surface as Twisted's ``twisted.web.client.HTTPConnectionPool``
(``persistent``, ``maxPersistentPerHost``, ``cachedConnectionTimeout``,
``retryAutomatically``, ``getConnection(key, endpoint)``,
``closeCachedConnections()``), for txh11's :class:`HTTP11ClientProtocol`.

- Connections are cached per key (the agent uses ``(scheme, host, port)``)
  once the core says their cycle ended cleanly: both sides ``DONE``, so no
  byte of the previous exchange can be left on the wire.  A response whose
  body was not read to the end never gets there; its connection is closed.
- At most ``maxPersistentPerHost`` idle connections are kept per key (the
  oldest is closed to make room).  The number of connections in use is not
  limited, as with Twisted.
- An idle connection is closed after ``cachedConnectionTimeout`` seconds, on
  the pool's reactor (one sweeping timer per pool, not one per request);
  one found past its time when taken is closed instead of used.  One the
  server closed is dropped as soon as that is seen.
- The most recently used connection is handed out first.
- Retrying a request once on a fresh connection when a cached one turns out
  dead is the agent's job (it knows the request); ``retryAutomatically``
  switches it off.

With ``persistent=False`` (what ``Agent`` uses when no pool is given, like
Twisted) every request gets a new connection and sends ``Connection: close``.
"""

from __future__ import annotations

from typing import Any, Hashable, Optional

from twisted.internet import defer
from twisted.internet.interfaces import IDelayedCall, IReactorTime, IStreamClientEndpoint
from twisted.internet.protocol import Factory
from twisted.logger import Logger

from txh11.client._protocol import HTTP11ClientProtocol

__all__ = ["HTTPConnectionPool"]

_log = Logger()


class _ClientFactory(Factory):
    """Builds one HTTP11ClientProtocol wired to the pool under ``key``."""

    noisy = False

    def __init__(self, pool: "HTTPConnectionPool", key: Hashable) -> None:
        self._pool = pool
        self._key = key

    def buildProtocol(self, addr: Any) -> HTTP11ClientProtocol:
        pool, key = self._pool, self._key
        return pool.protocolClass(
            pool._reactor,
            onQuiescent=lambda proto: pool._putConnection(key, proto),
            onClosed=lambda proto: pool._removeConnection(key, proto),
        )


class HTTPConnectionPool:
    """
    A pool of persistent HTTP/1.1 client connections.

    :param reactor: provides ``IReactorTime`` (idle expiry); also given to
        the protocols (100-continue timeout, read scheduling).
    :param persistent: keep connections for reuse.
    """

    maxPersistentPerHost: int = 2
    cachedConnectionTimeout: float = 240
    retryAutomatically: bool = True
    protocolClass = HTTP11ClientProtocol

    _log = _log

    def __init__(self, reactor: IReactorTime, persistent: bool = True) -> None:
        self._reactor = reactor
        self.persistent = persistent
        # key -> idle connections, oldest first; proto -> (key, idle since)
        self._connections: dict[Hashable, list[HTTP11ClientProtocol]] = {}
        self._idle: dict[HTTP11ClientProtocol, tuple[Hashable, float]] = {}
        self._sweeper: Optional[IDelayedCall] = None

    def getConnection(
        self, key: Hashable, endpoint: IStreamClientEndpoint
    ) -> "defer.Deferred[HTTP11ClientProtocol]":
        """A cached connection for ``key`` if one is usable, else a new one
        from ``endpoint``."""
        proto = self.cachedConnection(key)
        if proto is not None:
            return defer.succeed(proto)
        return self.newConnection(key, endpoint)

    def cachedConnection(self, key: Hashable) -> Optional[HTTP11ClientProtocol]:
        """Take a usable idle connection for ``key`` out of the cache."""
        conns = self._connections.get(key)
        if not conns:
            return None
        idle = self._idle
        deadline = self._reactor.seconds() - self.cachedConnectionTimeout
        while conns:
            proto = conns.pop()
            since = idle.pop(proto)[1]
            if since > deadline and proto.isReusable():
                if not conns:
                    del self._connections[key]
                return proto
            proto.close()
        del self._connections[key]
        return None

    def newConnection(
        self, key: Hashable, endpoint: IStreamClientEndpoint
    ) -> "defer.Deferred[HTTP11ClientProtocol]":
        """Connect a new protocol through ``endpoint`` (cancellable)."""
        return endpoint.connect(_ClientFactory(self, key))

    def _putConnection(self, key: Hashable, proto: HTTP11ClientProtocol) -> None:
        if not self.persistent or self.maxPersistentPerHost <= 0:
            proto.close()
            return
        if proto in self._idle:
            return
        conns = self._connections.get(key)
        if conns is None:
            conns = self._connections[key] = []
        while len(conns) >= self.maxPersistentPerHost:
            oldest = conns.pop(0)
            del self._idle[oldest]
            oldest.close()
        conns.append(proto)
        self._idle[proto] = (key, self._reactor.seconds())
        if self._sweeper is None:
            self._sweeper = self._reactor.callLater(self.cachedConnectionTimeout, self._sweep)

    def _sweep(self) -> None:
        """Close connections idle for cachedConnectionTimeout; reschedule."""
        self._sweeper = None
        now = self._reactor.seconds()
        timeout = self.cachedConnectionTimeout
        oldest: Optional[float] = None
        for proto, (key, since) in list(self._idle.items()):
            if now - since >= timeout:
                _log.debug("closing idle connection {proto!r} to {key!r}", proto=proto, key=key)
                self._removeConnection(key, proto)
                proto.close()
            elif oldest is None or since < oldest:
                oldest = since
        if oldest is not None:
            self._sweeper = self._reactor.callLater(oldest + timeout - now, self._sweep)

    def _removeConnection(self, key: Hashable, proto: HTTP11ClientProtocol) -> None:
        if self._idle.pop(proto, None) is None:
            return
        conns = self._connections.get(key)
        if conns and proto in conns:
            conns.remove(proto)
            if not conns:
                del self._connections[key]
        if not self._idle and self._sweeper is not None:
            if self._sweeper.active():
                self._sweeper.cancel()
            self._sweeper = None

    def cachedConnections(self, key: Hashable) -> list[HTTP11ClientProtocol]:
        """The idle connections cached for ``key`` (a copy; for tests)."""
        return list(self._connections.get(key, ()))

    def closeCachedConnections(self) -> "defer.Deferred[None]":
        """Close every idle connection; fires once they are all closed."""
        waits = []
        for conns in list(self._connections.values()):
            for proto in conns:
                waits.append(proto.whenClosed())
                proto.close()
        self._connections.clear()
        self._idle.clear()
        if self._sweeper is not None:
            if self._sweeper.active():
                self._sweeper.cancel()
            self._sweeper = None
        return defer.gatherResults(waits).addCallback(lambda _: None)
