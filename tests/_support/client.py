"""
Helpers for the client tests: an Agent on a ``MemoryReactorClock`` whose
connections are completed by hand with a ``StringTransport`` (the test plays
the server byte by byte), plus small body producers.
"""

from __future__ import annotations

from typing import Any, Optional

from twisted.internet import defer
from twisted.internet.address import IPv4Address
from twisted.internet.error import ConnectionDone
from twisted.internet.protocol import Protocol
from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.python.failure import Failure
from twisted.web.iweb import UNKNOWN_LENGTH, IBodyProducer
from zope.interface import implementer

from txh11.client import Agent, HTTPConnectionPool

URL = b"http://127.0.0.1:8080/path?q=1"
#: the pool key of URL
KEY = (b"http", b"127.0.0.1", 8080)
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"


class Conn:
    """One client connection made by the agent, played by the test."""

    def __init__(self, reactor: MemoryReactorClock, index: int = -1) -> None:
        host, port, factory, timeout, bind = reactor.tcpClients.pop(index)
        self.host, self.port, self.timeout, self.bindAddress = host, port, timeout, bind
        self.wrapper = factory.buildProtocol(IPv4Address("TCP", host, port))
        self.transport = StringTransport(
            peerAddress=IPv4Address("TCP", host, port),
            hostAddress=IPv4Address("TCP", "127.0.0.1", 50000),
        )
        self.wrapper.makeConnection(self.transport)
        self.proto = self.wrapper._wrappedProtocol

    def sent(self) -> bytes:
        """Bytes the client wrote since the last call."""
        data = self.transport.value()
        self.transport.clear()
        return data

    def receive(self, data: bytes) -> None:
        self.wrapper.dataReceived(data)

    def lose(self, reason: Any = None) -> None:
        self.wrapper.connectionLost(Failure(reason or ConnectionDone()))

    @property
    def closing(self) -> bool:
        return bool(self.transport.disconnecting)


def makeAgent(persistent: bool = True, **poolAttrs: Any) -> tuple[Agent, MemoryReactorClock, HTTPConnectionPool]:
    reactor = MemoryReactorClock()
    pool = HTTPConnectionPool(reactor, persistent=persistent)
    for k, v in poolAttrs.items():
        setattr(pool, k, v)
    return Agent(reactor, pool=pool), reactor, pool


def startRequest(
    *args: Any,
) -> tuple[Agent, MemoryReactorClock, HTTPConnectionPool, "defer.Deferred[Any]", Conn]:
    """``makeAgent()``, ``agent.request(*args)`` and the connection it made:
    ``(agent, reactor, pool, d, c)``."""
    agent, reactor, pool = makeAgent()
    d = agent.request(*args)
    return agent, reactor, pool, d, Conn(reactor)


def collect(response: Any, reactor: MemoryReactorClock) -> "Collector":
    """Deliver ``response``'s body into a new :class:`Collector`."""
    col = Collector()
    response.deliverBody(col)
    reactor.advance(0)
    return col


def result(d: "defer.Deferred[Any]") -> Any:
    """The result of a fired Deferred (raises its failure)."""
    out: list[Any] = []
    d.addBoth(out.append)
    assert out, "Deferred has not fired"
    r = out[0]
    if isinstance(r, Failure):
        r.raiseException()
    return r


def failure(d: "defer.Deferred[Any]") -> Failure:
    out: list[Any] = []
    d.addBoth(out.append)
    assert out, "Deferred has not fired"
    assert isinstance(out[0], Failure), f"expected a failure, got {out[0]!r}"
    return out[0]


def fired(d: "defer.Deferred[Any]") -> bool:
    """Whether ``d`` has a result (also when chained to another Deferred)."""
    out: list[Any] = []

    def peek(r: Any) -> Any:
        out.append(r)
        return r

    d.addBoth(peek)
    return bool(out)


class Collector(Protocol):
    """Body protocol recording data and the end reason."""

    def __init__(self) -> None:
        self.data: list[bytes] = []
        self.reason: Optional[Failure] = None
        self.transport: Any = None

    def makeConnection(self, transport: Any) -> None:
        self.transport = transport
        self.connectionMade()

    def dataReceived(self, data: bytes) -> None:
        self.data.append(data)

    def connectionLost(self, reason: Failure) -> None:  # type: ignore[override]
        self.reason = reason

    @property
    def body(self) -> bytes:
        return b"".join(self.data)


@implementer(IBodyProducer)
class ManualProducer:
    """An IBodyProducer the test drives: write(), finish(), fail()."""

    def __init__(self, length: Any = UNKNOWN_LENGTH) -> None:
        self.length = length
        self.consumer: Any = None
        self.deferred: Optional[defer.Deferred[None]] = None
        self.state = "new"
        self.events: list[str] = []

    def startProducing(self, consumer: Any) -> "defer.Deferred[None]":
        self.consumer = consumer
        self.state = "producing"
        self.events.append("start")
        self.deferred = defer.Deferred()
        return self.deferred

    def write(self, data: bytes) -> None:
        self.consumer.write(data)

    def finish(self) -> None:
        self.deferred.callback(None)  # type: ignore[union-attr]

    def fail(self, exc: Exception) -> None:
        self.deferred.errback(exc)  # type: ignore[union-attr]

    def pauseProducing(self) -> None:
        self.state = "paused"
        self.events.append("pause")

    def resumeProducing(self) -> None:
        self.state = "producing"
        self.events.append("resume")

    def stopProducing(self) -> None:
        self.state = "stopped"
        self.events.append("stop")


@implementer(IBodyProducer)
class BytesProducer:
    """Writes its bytes at once; known length."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.length = len(data)
        self.stopped = False

    def startProducing(self, consumer: Any) -> "defer.Deferred[None]":
        consumer.write(self.data)
        return defer.succeed(None)

    def pauseProducing(self) -> None:
        pass

    def resumeProducing(self) -> None:
        pass

    def stopProducing(self) -> None:
        self.stopped = True
