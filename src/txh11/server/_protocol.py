"""
:class:`HTTP11ServerProtocol` (the bridge configured for a server, reporting
to a :class:`~txh11.server._handler.ServerHandler`) and the factory that
builds it.
"""

from __future__ import annotations

from email.utils import formatdate
from typing import Any, Callable, Optional, Union

from twisted.internet import defer
from twisted.internet.interfaces import IProtocol, IReactorTime
from twisted.internet.protocol import Factory

import txh11 as h11
from txh11.forwarded import TrustedProxies
from txh11.protocol import HTTP11Protocol

from ._drain import ConnectionSet
from ._exchange import IRequestHandler, ServerExchange
from ._handler import ServerHandler

__all__ = ["HTTP11ServerProtocol", "HTTP11ServerFactory"]

#: [start, end, Date header value]: the value for times in [start, end),
#: shared by all connections of the process (formatting a date costs about
#: as much as parsing a request head)
_dateCache: list[Any] = [0, 0, b""]


_HELD_CR = 1
_DROPPED = 2


class HTTP11ServerProtocol(HTTP11Protocol):
    """
    One server connection: the bridge, with the server's settings, reporting
    to a :class:`~txh11.server._handler.ServerHandler` that calls ``handler``
    (an :class:`IRequestHandler` or a callable) once per request.

    :ivar handler: the request handler given to the constructor.
    """

    role = h11.SERVER
    #: refuse bodies larger than this with 413 (None: no limit)
    maxBodySize: Optional[int] = None
    #: unread request bodies up to this size are discarded to keep the connection
    maxDiscardSize: int = 64 * 1024
    addDateHeader = True
    #: proxies whose X-Forwarded-For/-Proto and Forwarded headers are believed
    #: (None: nobody's); see txh11.forwarded
    trustedProxies: Optional[TrustedProxies] = None
    #: a client that closes its side before its response is complete is
    #: taken to be gone, and the connection closed (twisted.web does that)
    abandonOnPeerClose = False
    #: the server is shutting down (startDraining)
    shuttingDown = False
    # _HELD_CR or _DROPPED while an empty line before a request line is
    # being dropped (_dropEmptyLine); 0 otherwise
    _emptyLine = 0

    def __init__(self, handler: Any, reactor: Optional[IReactorTime] = None) -> None:
        self.handler = handler
        super().__init__(ServerHandler(self, handler), reactor)

    def dataReceived(self, data: bytes) -> None:
        if self._emptyLine or data[:1] == b"\r":
            data = self._dropEmptyLine(data)
        HTTP11Protocol.dataReceived(self, data)  # (super() costs more)

    def _dropEmptyLine(self, data: bytes) -> bytes:
        """``data`` without one empty line (CRLF) where a request line
        belongs: RFC 9112 2.2 says a server SHOULD ignore at least one, and
        the core, as h11, takes it for an error.  A lone CR is held back
        until the next bytes tell whether an LF follows it; after a read
        that was only an empty line, the next one is left to the core.  (An
        empty line that came in the same read as the end of a body is in
        the core's buffer: the server handler drops it there, with
        ``conn.skip_empty_line()``.)"""
        state, self._emptyLine = self._emptyLine, 0
        if state == _DROPPED:
            return data
        if state == _HELD_CR:
            data = b"\r" + data
        conn = self.conn
        theirs = conn.their_state
        if (theirs is not h11.IDLE and theirs is not h11.DONE) or conn.trailing_data[0]:
            return data
        if data == b"\r":
            self._emptyLine = _HELD_CR
            return b""
        if data.startswith(b"\r\n"):
            data = data[2:]
            if not data:
                self._emptyLine = _DROPPED
        return data

    def date(self) -> bytes:
        """The Date header value for now, on this connection's clock (one
        value per second, shared by every connection)."""
        now = self.clock.seconds()
        cached = _dateCache
        if not cached[0] <= now < cached[1]:
            second = int(now)
            cached[:] = [second, second + 1, formatdate(second, usegmt=True).encode("ascii")]
        return cached[2]

    def handOver(self, protocol: IProtocol, data: bytes = b"") -> None:
        """
        Give the connection to ``protocol`` before any request was read
        (HTTP/2 by ALPN or prior knowledge): it gets ``makeConnection`` with
        the transport, ``data``, every later byte and ``connectionLost``.
        """
        server = self.connectionHandler
        if isinstance(server, ServerHandler):  # (not once the connection is gone)
            server.switchTo(protocol)
            self.switchNow(data)

    def startDraining(self) -> None:
        """
        The server is shutting down (see :mod:`txh11.server._drain`): from
        the next response head that has not promised keep-alive yet on, say
        ``Connection: close``, so that the client sends nothing more and
        whatever it sent before is answered.
        """
        self.shuttingDown = True
        self.keepAliveOff()

    def keepAliveOff(self) -> None:
        """End keep-alive with the current response if its head is not
        sent yet, else with the next (asked again when the cycle ends)."""
        conn = self.conn
        if conn is not None and conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
            conn.disable_keep_alive()

    def takeProtocolError(self, exc: Exception) -> bool:
        """
        Whether the protocol takes the core's error ``exc`` in hand itself
        instead of the server answering it (txh11.web: HTTP/2's preface, an
        HTTP/2.0 request head to the core).  Default: no.
        """
        return False


class HTTP11ServerFactory(Factory):
    """Builds :class:`HTTP11ServerProtocol` for ``handler``."""

    protocol = HTTP11ServerProtocol  # type: ignore[assignment]
    #: (key, class) of configuredProtocol
    configured: Any = (None, None)

    def __init__(
        self,
        handler: Union[IRequestHandler, Callable[[ServerExchange], Any]],
        reactor: Optional[IReactorTime] = None,
        **settings: Any,
    ) -> None:
        """
        ``settings`` override protocol attributes: ``idleTimeout``,
        ``headerTimeout``, ``bodyTimeout``, ``lingerTimeout``,
        ``closeTimeout``, ``maxIncompleteEventSize``, ``maxBodySize``,
        ``maxDiscardSize``, ``addDateHeader``, ``trustedProxies`` (a
        :class:`txh11.forwarded.TrustedProxies`).
        """
        self.handler = handler
        self.reactor = reactor
        for name in settings:
            if not hasattr(self.protocol, name):
                raise TypeError(f"unknown setting {name!r}")
        self.settings = settings
        #: the open connections
        self.openConnections = ConnectionSet()

    def buildProtocol(self, addr: Any) -> HTTP11ServerProtocol:
        return trackedProtocol(self, self.settings, self.handler, self.reactor)  # type: ignore[no-any-return]

    def drain(self, timeout: Optional[float] = 30.0) -> "defer.Deferred[None]":
        """
        Shut down without losing a request (stop listening first): keep-alive
        off, what arrived answered, quiet connections closed, busy ones
        aborted after ``timeout`` seconds. Fires when every connection is
        closed. See :mod:`txh11.server._drain`.
        """
        return self.openConnections.drain(_clock(self.reactor), timeout)


def _clock(reactor: Optional[IReactorTime]) -> IReactorTime:
    if reactor is None:
        from twisted.internet import reactor as _reactor

        return _reactor  # type: ignore[return-value]
    return reactor


def trackedProtocol(factory: Any, settings: dict[str, Any], *args: Any) -> Any:
    """
    A protocol for ``factory`` (an HTTP11ServerFactory, txh11.web's Site):
    its ``protocol`` class with ``settings`` (see :func:`configuredProtocol`),
    built with ``args``, its ``factory`` set, and kept in the factory's
    ``openConnections`` for :meth:`HTTP11ServerFactory.drain`.
    """
    cls = configuredProtocol(factory, factory.protocol, settings) if settings else factory.protocol
    p = cls(*args)
    p.factory = factory
    factory.openConnections.add(p)
    return p


def configuredProtocol(factory: Any, cls: type, settings: dict[str, Any]) -> type:
    """
    ``cls`` with ``settings`` as class attributes, for the protocols
    ``factory`` builds (an HTTP11ServerFactory, txh11.web's Site): made once,
    kept in ``factory.configured``, and made again if ``cls`` or
    ``settings`` change.  Set on each instance instead, they would be more
    per-connection attributes, and past 29 of them CPython 3.11 keeps an
    instance's attributes in a dict of its own, where every read is slower.
    """
    key = (cls, tuple(settings.items()))
    made = factory.configured
    if made[0] != key:
        namespace = dict(settings, __module__=cls.__module__, __qualname__=cls.__qualname__)
        made = factory.configured = (key, type(cls.__name__, (cls,), namespace))
    return made[1]
