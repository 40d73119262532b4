"""
The agent on a ``twisted.web.client.HTTPConnectionPool``: :class:`TwistedPoolConnector`.

``Agent(reactor, pool=twisted.web.client.HTTPConnectionPool(reactor))`` hands
the caller's pool txh11's connections, and the pool manages them with its
own code, so every setting and method means what it means with Twisted's
agent:

- the agent asks ``pool.getConnection(key, endpoint)`` for every request (a
  pool subclass that overrides it sees each request, as with Twisted's
  agent); ``endpoint`` connects a txh11 :class:`HTTP11ClientProtocol`
  whatever factory the pool passes to it;
- the pool holds each connection as a :class:`PooledConnection` (the few
  members its code uses); one whose cycle ended cleanly is given back with
  the pool's ``_putConnection(key, connection)`` (what Twisted's own protocol calls when
  it becomes quiescent); the pool then keeps at most ``maxPersistentPerHost``
  of them per key, expires them after ``cachedConnectionTimeout`` seconds,
  and ``closeCachedConnections()`` aborts them through their ``abort()``
  (its Deferred fires once they are closed); its ``transport.loseConnection()``
  closes the txh11 connection gracefully (also on TLS);
- ``persistent=False`` sends ``Connection: close`` (never given back), and
  ``retryAutomatically`` makes the pool wrap a cached connection in Twisted's
  retrying wrapper, which retries an idempotent request without a body once
  on a new connection; the agent does not retry on top of it;
- keys start with ``b"txh11"``: a pool shared with Twisted's agent never
  hands one agent's connection to the other.

A pool object that only has ``getConnection`` (no ``_putConnection``) gets
connections that are closed after their response instead of cached.
"""

from __future__ import annotations

from typing import Any, Callable, Hashable, Optional

from twisted.internet import defer
from twisted.internet.interfaces import IStreamClientEndpoint
from twisted.internet.protocol import Factory
from zope.interface import implementer

from txh11.client._protocol import HTTP11ClientProtocol

__all__ = ["TwistedPoolConnector"]

_Quiescent = Callable[["PooledConnection"], None]


class _Closer:
    """The ``transport`` Twisted's pool sees: its ``loseConnection`` (idle
    expiry, too many idle connections) closes the txh11 connection the way
    it closes itself (the bridge stops producing first; on TLS the
    transport's own ``loseConnection`` would wait for that forever)."""

    __slots__ = ("_proto",)

    def __init__(self, proto: HTTP11ClientProtocol) -> None:
        self._proto = proto

    def loseConnection(self) -> None:
        self._proto.close()

    def abortConnection(self) -> None:
        self._proto.abortConnection()


class PooledConnection:
    """
    What Twisted's pool holds for one txh11 connection: the members its code
    uses (``state``, ``abort()``, ``transport.loseConnection()``) and
    ``request(prepared)``, which the agent (or Twisted's retrying wrapper)
    calls.

    :ivar proto: the :class:`HTTP11ClientProtocol`.
    """

    __slots__ = ("proto", "transport")

    def __init__(self, proto: HTTP11ClientProtocol) -> None:
        self.proto = proto
        self.transport = _Closer(proto)

    @property
    def state(self) -> str:
        """``"QUIESCENT"`` when the connection can take a request (what
        Twisted's pool checks), ``"CONNECTION_LOST"`` once it is gone,
        ``"BUSY"`` otherwise."""
        proto = self.proto
        if proto.isReusable():
            return "QUIESCENT"
        return "CONNECTION_LOST" if proto.bridge.lost else "BUSY"

    def abort(self) -> "defer.Deferred[None]":
        """Abort; fires once closed (``closeCachedConnections``)."""
        return self.proto.abort()

    def request(self, prepared: Any) -> "defer.Deferred[Any]":
        return self.proto.request(prepared)

    def __repr__(self) -> str:
        return f"<PooledConnection {self.proto!r}>"


class _ConnectionFactory(Factory):
    """Builds the one txh11 client protocol of a connection the pool asked
    for, reporting to the pool as a :class:`PooledConnection`."""

    noisy = False

    def __init__(self, reactor: Any, onQuiescent: _Quiescent, expectContinueTimeout: float) -> None:
        self.reactor = reactor
        self.onQuiescent = onQuiescent
        self.expectContinueTimeout = expectContinueTimeout
        self.connection: Optional[PooledConnection] = None

    def buildProtocol(self, addr: Any) -> HTTP11ClientProtocol:
        onQuiescent = self.onQuiescent
        proto = HTTP11ClientProtocol(
            self.reactor, onQuiescent=lambda _: onQuiescent(connection)
        )
        connection = self.connection = PooledConnection(proto)
        proto.expectContinueTimeout = self.expectContinueTimeout
        return proto


@implementer(IStreamClientEndpoint)
class _PoolEndpoint:
    """
    The endpoint given to ``pool.getConnection``: connects a txh11 protocol
    through the real endpoint, whatever factory the pool passes (Twisted's
    pool passes one that builds its own protocol), and fires with its
    :class:`PooledConnection`.
    """

    def __init__(self, endpoint: IStreamClientEndpoint, factory: _ConnectionFactory) -> None:
        self._endpoint = endpoint
        self._factory = factory

    def connect(self, protocolFactory: Any) -> "defer.Deferred[PooledConnection]":
        factory = self._factory
        return self._endpoint.connect(factory).addCallback(lambda _: factory.connection)

    def __repr__(self) -> str:
        return f"<txh11 connection through {self._endpoint!r}>"


class TwistedPoolConnector:
    """
    How the agent gets connections from a Twisted-style pool (an object with
    ``getConnection(key, endpoint)``, normally a
    ``twisted.web.client.HTTPConnectionPool``).  See the module docstring.
    """

    def __init__(self, reactor: Any, pool: Any) -> None:
        self.reactor = reactor
        self.pool = pool

    @property
    def persistent(self) -> bool:
        return bool(getattr(self.pool, "persistent", True))

    def getConnection(
        self, key: Hashable, endpoint: IStreamClientEndpoint, expectContinueTimeout: float
    ) -> "defer.Deferred[Any]":
        """A connection (or the pool's retrying wrapper of one) for ``key``."""
        poolKey = (b"txh11",) + (key if isinstance(key, tuple) else (key,))
        factory = _ConnectionFactory(
            self.reactor, self._quiescent(poolKey), expectContinueTimeout
        )
        try:
            return self.pool.getConnection(poolKey, _PoolEndpoint(endpoint, factory))
        except Exception:
            return defer.fail()

    def _quiescent(self, poolKey: Hashable) -> _Quiescent:
        pool = self.pool
        # Twisted's HTTP11ClientProtocol gives itself back through this
        # method of the pool (checked with Twisted 26.10); a
        # pool without it cannot cache.
        put: Optional[Callable[[Hashable, Any], None]] = getattr(pool, "_putConnection", None)

        def quiescent(connection: PooledConnection) -> None:
            if put is None or getattr(pool, "maxPersistentPerHost", 1) <= 0:
                connection.proto.close()
            else:
                put(poolKey, connection)

        return quiescent
