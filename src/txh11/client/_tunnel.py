"""
A TCP tunnel through a forward proxy's ``CONNECT``: :class:`TunnelEndpoint`.

``TunnelEndpoint(proxyEndpoint, host, port, ...)`` is an
``IStreamClientEndpoint``: ``connect(factory)`` connects to the proxy, sends
``CONNECT host:port`` (with ``Proxy-Authorization`` when given), and once the
proxy answers 2xx hands the connection to the protocol ``factory`` builds,
with any bytes that came after the proxy's answer.  Wrapped in TLS
(``wrapClientTLS(creator, TunnelEndpoint(...))``), the handshake runs
end to end with the origin through the tunnel, and the certificate is
checked against the origin's name, not the proxy's.

The proxy's answer is parsed by txh11's core (a client ``Connection`` that
sees the ``CONNECT`` accepted as a protocol switch).  A non-2xx answer fails
the connection with :class:`ProxyConnectError` (``status`` 407 when the
proxy wants credentials); no answer within ``timeout`` seconds, a broken
one, or the proxy closing first fail it too.  Cancelling the Deferred stops
the attempt at any stage.
"""

from __future__ import annotations

from typing import Any, Optional

from twisted.internet import defer
from twisted.internet.error import ConnectError
from twisted.internet.interfaces import IDelayedCall, IReactorTime, IStreamClientEndpoint
from twisted.internet.protocol import Factory, Protocol
from twisted.python.failure import Failure
from zope.interface import implementer

import txh11 as h11

__all__ = ["TunnelEndpoint", "ProxyConnectError"]


class ProxyConnectError(ConnectError):
    """
    The proxy did not open the tunnel.

    :ivar status: the status code it answered (``None`` if it answered
        nothing usable).
    """

    def __init__(self, status: Optional[int] = None, reason: str = "") -> None:
        self.status = status
        super().__init__(string=reason)


def _authority(host: bytes, port: int) -> bytes:
    if b":" in host and not host.startswith(b"["):
        host = b"[" + host + b"]"
    return b"%s:%d" % (host, port)


class _TunnelProtocol(Protocol):
    """Speaks to the proxy until the tunnel is open, then relays to the
    protocol built for the origin."""

    def __init__(self, endpoint: "TunnelEndpoint", factory: Any, done: "defer.Deferred[Any]") -> None:
        self._endpoint = endpoint
        self._factory = factory
        self._done = done
        self._conn = h11.Connection(h11.CLIENT)
        self._inner: Any = None
        self._timer: Optional[IDelayedCall] = None

    def connectionMade(self) -> None:
        ep = self._endpoint
        target = _authority(ep.host, ep.port)
        headers = [(b"Host", target)]
        if ep.authorization is not None:
            headers.append((b"Proxy-Authorization", ep.authorization))
        conn = self._conn
        self.transport.write(
            conn.send(h11.Request(method=b"CONNECT", target=target, headers=headers))
            + conn.send(h11.EndOfMessage())
        )
        self._timer = ep.clock.callLater(ep.timeout, self._timedOut)

    def dataReceived(self, data: bytes) -> None:
        if self._inner is not None:
            self._inner.dataReceived(data)
            return
        if self._done.called:
            return
        conn = self._conn
        conn.receive_data(data)
        try:
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA or event is h11.PAUSED:
                    break
                if type(event) is h11.Response:
                    self._answered(event)
                    return
        except h11.RemoteProtocolError as e:
            self._fail(ProxyConnectError(None, f"the proxy's answer to CONNECT is broken: {e}"))

    def _answered(self, response: Any) -> None:
        code = response.status_code
        if not 200 <= code < 300:
            reason = response.reason.decode("latin-1")
            self._fail(ProxyConnectError(code, f"the proxy answered CONNECT with {code} {reason}"))
            return
        self._stopTimer()
        leftover = self._conn.trailing_data[0]
        inner = self._factory.buildProtocol(self.transport.getPeer())
        if inner is None:
            self._fail(ProxyConnectError(None, "the protocol factory built no protocol"))
            return
        self._inner = inner
        inner.makeConnection(self.transport)
        self._done.callback(inner)
        if leftover:
            inner.dataReceived(leftover)

    def connectionLost(self, reason: Failure = Failure(Exception())) -> None:
        self._stopTimer()
        if self._inner is not None:
            self._inner.connectionLost(reason)
        elif not self._done.called:
            self._done.errback(
                Failure(ProxyConnectError(None, "the proxy closed the connection before opening the tunnel"))
            )

    def _timedOut(self) -> None:
        self._timer = None
        t = self._endpoint.timeout
        self._fail(ProxyConnectError(None, f"no answer to CONNECT within {t} seconds"))

    def _fail(self, exc: Exception) -> None:
        self._stopTimer()
        if not self._done.called:
            self._done.errback(Failure(exc))
        self.transport.abortConnection()

    def _stopTimer(self) -> None:
        timer, self._timer = self._timer, None
        if timer is not None and timer.active():
            timer.cancel()

    def cancel(self) -> None:
        self._stopTimer()
        self.transport.abortConnection()


class _TunnelFactory(Factory):
    noisy = False

    def __init__(self, endpoint: "TunnelEndpoint", factory: Any, done: "defer.Deferred[Any]") -> None:
        self.endpoint = endpoint
        self.factory = factory
        self.done = done
        self.protocol_: Optional[_TunnelProtocol] = None

    def buildProtocol(self, addr: Any) -> _TunnelProtocol:
        proto = self.protocol_ = _TunnelProtocol(self.endpoint, self.factory, self.done)
        return proto


@implementer(IStreamClientEndpoint)
class TunnelEndpoint:
    """
    Connections to ``host:port`` through the proxy reached by
    ``proxyEndpoint``.  See the module docstring.

    :param authorization: the ``Proxy-Authorization`` value, or ``None``.
    :param clock: for the wait for the proxy's answer.
    :param timeout: seconds to wait for it.
    """

    def __init__(
        self,
        proxyEndpoint: IStreamClientEndpoint,
        host: bytes,
        port: int,
        authorization: Optional[bytes],
        clock: IReactorTime,
        timeout: float = 30.0,
    ) -> None:
        self.proxyEndpoint = proxyEndpoint
        self.host = host
        self.port = port
        self.authorization = authorization
        self.clock = clock
        self.timeout = timeout

    def connect(self, protocolFactory: Any) -> "defer.Deferred[Any]":
        tunnel: Optional[_TunnelFactory] = None
        connecting: Optional[defer.Deferred[Any]] = None

        def cancel(d: "defer.Deferred[Any]") -> None:
            proto = tunnel.protocol_ if tunnel is not None else None
            if proto is not None and proto.transport is not None:
                proto.cancel()
            elif connecting is not None:
                connecting.cancel()

        done: defer.Deferred[Any] = defer.Deferred(cancel)
        tunnel = _TunnelFactory(self, protocolFactory, done)
        connecting = self.proxyEndpoint.connect(tunnel)

        def failed(f: Failure) -> None:
            if not done.called:
                done.errback(f)

        connecting.addErrback(failed)
        return done

    def __repr__(self) -> str:
        return f"<TunnelEndpoint to {_authority(self.host, self.port).decode()} via {self.proxyEndpoint!r}>"
