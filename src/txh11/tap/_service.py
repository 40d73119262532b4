"""
The services behind ``twistd txh11``: listening, graceful shutdown, threads.

:class:`HTTPServerService` listens on endpoints with a factory and, when
stopped (twistd stops the application from a ``before shutdown`` trigger,
i.e. on ``SIGTERM``/``SIGINT``), shuts down gracefully:

1. stop listening: no new connections;
2. close connections that are idle (no request in progress): kept-alive
   connections go away at once;
3. let connections with a request in progress finish their response; each
   is closed as soon as it is idle again;
4. after ``shutdownTimeout`` seconds, abort what is left.

The Deferred returned by ``stopService`` fires after step 3 or 4, so the
reactor keeps running until then. Connections are tracked by
:class:`TrackingFactory`, which wraps the factory but not the transports (a
wrapped transport would cost the zero-copy file path).

:class:`SequentialMultiService` stops its children one after another, in
reverse order, so that a thread pool (:class:`ThreadPoolService`) stops only
after the HTTP server drained.
"""

from __future__ import annotations

import signal
from typing import Any, Callable, Sequence

from twisted.application.service import MultiService, Service
from twisted.internet import defer, error
from twisted.internet.interfaces import IListeningPort, IReactorTime, IStreamServerEndpoint
from twisted.internet.protocol import Factory
from twisted.logger import Logger
from twisted.protocols.tls import TLSMemoryBIOFactory
from twisted.python.failure import Failure
from twisted.python.threadpool import ThreadPool
from zope.interface import directlyProvides, providedBy

import txh11 as h11
from txh11._twisted import setExitSignal
from txh11.server import ConnectionSet

__all__ = [
    "CannotListen",
    "TrackingFactory",
    "HTTPServerService",
    "SequentialMultiService",
    "SignalGuard",
    "ThreadPoolService",
    "isIdle",
    "formatAddress",
    "closeConnection",
    "abortConnection",
]

_log = Logger()


class CannotListen(SystemExit):
    """
    An endpoint could not listen. A ``SystemExit`` so that twistd prints the
    one-line message and exits with status 1 instead of a traceback.
    """

    def __init__(self, description: str, reason: Any) -> None:
        self.description = description
        self.reason = reason
        super().__init__(f"txh11: cannot listen on {description!r}: {_oneLine(reason)}")


def formatAddress(address: Any) -> str:
    """``127.0.0.1:8080``, ``[::1]:8080``, ``/run/site.sock``, or the repr."""
    host = getattr(address, "host", None)
    port = getattr(address, "port", None)
    if host is not None and port is not None:
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    name = getattr(address, "name", None)
    if name is not None:
        return name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name)
    return repr(address)


def _oneLine(reason: Any) -> str:
    if isinstance(reason, Failure):
        reason = reason.value
    if isinstance(reason, BaseException):
        text = str(reason).strip() or type(reason).__name__
        return " ".join(text.split())
    return str(reason)


class TrackingFactory(Factory):
    """
    Wraps a factory and keeps the set of its protocols that are connected.
    Everything else (``doStart``, ``doStop``, attributes) goes to the
    wrapped factory; transports are left alone.
    """

    def __init__(self, wrappedFactory: Factory) -> None:
        self.wrappedFactory = wrappedFactory
        # e.g. IProtocolNegotiationFactory, which TLS endpoints look for (ALPN)
        directlyProvides(self, providedBy(wrappedFactory))
        #: the connected protocols
        self.protocols = ConnectionSet()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrappedFactory, name)

    def logPrefix(self) -> str:
        return self.wrappedFactory.logPrefix()

    def doStart(self) -> None:
        self.wrappedFactory.doStart()

    def doStop(self) -> None:
        self.wrappedFactory.doStop()

    def buildProtocol(self, addr: Any) -> Any:
        protocol = self.wrappedFactory.buildProtocol(addr)
        if protocol is None:
            return None
        self.protocols.add(protocol)
        original = protocol.connectionLost

        def connectionLost(reason: Failure = Failure(Exception())) -> Any:
            protocol.__dict__.pop("connectionLost", None)
            try:
                return original(reason)
            finally:
                self._forget(protocol)

        protocol.connectionLost = connectionLost
        return protocol

    def _forget(self, protocol: Any) -> None:
        self.protocols.remove(protocol)

    def whenEmpty(self) -> "defer.Deferred[None]":
        """Fires once no connection is left."""
        return self.protocols.whenEmpty()


def _channel(protocol: Any) -> Any:
    # twisted.web's Site builds a proxy around the real HTTPChannel
    return getattr(protocol, "_channel", protocol)


def isIdle(protocol: Any) -> bool:
    """
    Whether ``protocol`` has no request in progress, so that closing it
    loses nothing the client sent in full. Unknown protocols are busy.
    """
    conn = getattr(protocol, "conn", None)
    if conn is not None and hasattr(conn, "our_state"):  # txh11 bridge
        return conn.our_state is h11.IDLE and conn.their_state is h11.IDLE
    requests = getattr(_channel(protocol), "requests", None)
    if isinstance(requests, list):  # twisted.web.http.HTTPChannel
        return not requests
    return False


def closeConnection(protocol: Any) -> None:
    """Close gracefully (the protocol's own way if it has one)."""
    close = getattr(protocol, "loseConnection", None)
    if callable(close):
        close()
    elif protocol.transport is not None:
        protocol.transport.loseConnection()


def abortConnection(protocol: Any) -> None:
    """Close now."""
    abort = getattr(protocol, "abortConnection", None)
    if callable(abort):
        abort()
        return
    transport = getattr(protocol, "transport", None)
    if transport is None:
        return
    abort = getattr(transport, "abortConnection", None)
    if callable(abort):
        abort()
    else:
        transport.loseConnection()


class HTTPServerService(Service):
    """Listens with ``factory`` on ``endpoints``; shuts down gracefully."""

    #: how often idle connections are looked for while draining (seconds)
    drainInterval = 0.05

    def __init__(
        self,
        factory: Factory,
        endpoints: Sequence[tuple[str, IStreamServerEndpoint]],
        reactor: IReactorTime,
        shutdownTimeout: float = 30.0,
        onStart: Sequence[Callable[[], Any]] = (),
        onStop: Sequence[Callable[[], Any]] = (),
    ) -> None:
        self.factory = TrackingFactory(factory)
        self.endpoints = list(endpoints)
        self.reactor = reactor
        self.shutdownTimeout = shutdownTimeout
        self.ports: list[tuple[str, IListeningPort]] = []
        self._onStart = list(onStart)
        self._onStop = list(onStop)
        self._listening = False
        self._deadline = float("inf")

    def hurry(self) -> None:
        """Abort the connections that are still busy now, not at the deadline."""
        self._deadline = self.reactor.seconds()
        connections = getattr(self.factory.wrappedFactory, "openConnections", None)
        if connections is not None:
            connections.hurry()

    def privilegedStartService(self) -> None:
        """Listen now (before twistd sheds privileges); fail loudly."""
        super().privilegedStartService()
        self._listen()

    def startService(self) -> None:
        super().startService()
        self._listen()

    def _listen(self) -> None:
        if self._listening:
            return
        self._listening = True
        self._deadline = float("inf")
        for hook in self._onStart:
            hook()
        for description, endpoint in self.endpoints:
            results: list[Any] = []
            d = endpoint.listen(self.factory)
            # see the result if it is there now, and pass it on if it is not
            d.addBoth(lambda result: results.append(result) or result)
            if not results:  # an endpoint that listens later
                d.addCallback(self._listened, description)
                d.addErrback(self._listenFailed, description)
                continue
            d.addErrback(lambda _: None)  # reported right here
            result = results[0]
            if isinstance(result, Failure):
                self._stopPorts()
                raise CannotListen(description, result)
            self._listened(result, description)

    def _listened(self, port: IListeningPort, description: str) -> None:
        self.ports.append((description, port))
        _log.info(
            "txh11 listening on {description} ({address})",
            description=description,
            address=formatAddress(port.getHost()),
        )
        tls = getattr(port, "factory", None)
        if isinstance(tls, TLSMemoryBIOFactory):
            offered = getattr(tls.wrappedFactory, "acceptableProtocols", lambda: [])()
            _log.info(
                "txh11 on {description} offers ALPN {protocols}",
                description=description,
                protocols=", ".join(p.decode("ascii", "replace") for p in offered) or "nothing",
            )

    def _listenFailed(self, failure: Failure, description: str) -> None:
        _log.critical(
            "txh11: cannot listen on {description!r}: {reason}",
            description=description,
            reason=_oneLine(failure),
        )
        if self.reactor.running:  # type: ignore[attr-defined]
            self.reactor.stop()  # type: ignore[attr-defined]

    def _stopPorts(self) -> "defer.Deferred[Any]":
        ports, self.ports = self.ports, []
        return defer.gatherResults(
            [defer.maybeDeferred(port.stopListening) for _, port in ports],
            consumeErrors=True,
        )

    def stopService(self) -> "defer.Deferred[None]":
        super().stopService()
        self._listening = False
        d = self._stopPorts()
        d.addBoth(lambda _: self.drain())
        d.addBoth(self._stopped)
        return d

    def _stopped(self, result: Any) -> Any:
        for hook in self._onStop:
            try:
                hook()
            except Exception:
                _log.failure("error while stopping")
        return None

    def drain(self) -> "defer.Deferred[None]":
        """
        A txh11 factory drains itself (``drain(timeout)``: see
        :mod:`txh11.server._drain`); for any other, close idle connections
        now and busy ones once idle; abort what is left after
        ``shutdownTimeout``. Fires when no connection is left.
        """
        own = getattr(self.factory.wrappedFactory, "drain", None)
        if own is not None:
            return own(self.shutdownTimeout)
        tracked = self.factory.protocols
        if not tracked:
            return defer.succeed(None)
        _log.info(
            "txh11 stopping: {count} connection(s) open, waiting up to {timeout}s",
            count=len(tracked),
            timeout=self.shutdownTimeout,
        )
        # (a hurry() that came first still counts)
        self._deadline = min(self._deadline, self.reactor.seconds() + self.shutdownTimeout)
        closing: set[Any] = set()
        done = self.factory.whenEmpty()
        state: dict[str, Any] = {"call": None}

        def check() -> None:
            state["call"] = None
            if done.called:
                return
            for protocol in list(tracked):
                if protocol not in closing and isIdle(protocol):
                    closing.add(protocol)
                    closeConnection(protocol)
            if not tracked or done.called:
                return
            if self.reactor.seconds() >= self._deadline:
                _log.warn(
                    "txh11: {count} connection(s) still busy after {timeout}s; aborting them",
                    count=len(tracked),
                    timeout=self.shutdownTimeout,
                )
                for protocol in list(tracked):
                    abortConnection(protocol)
                # aborted transports report connectionLost on a later turn
                self.reactor.callLater(0, _forgetAll)  # type: ignore[attr-defined]
                return
            state["call"] = self.reactor.callLater(  # type: ignore[attr-defined]
                self.drainInterval, check
            )

        def _forgetAll() -> None:
            for protocol in list(tracked):
                self.factory._forget(protocol)

        def finished(result: Any) -> Any:
            call = state["call"]
            if call is not None and call.active():
                call.cancel()
            return result

        check()
        done.addBoth(finished)
        return done


class SignalGuard(Service):
    """
    Takes over ``SIGTERM`` and ``SIGINT`` once the reactor runs: the first
    stops the reactor (and so starts the graceful shutdown, as twistd's own
    handler would); a repeated ``SIGTERM`` -- the supervisor and a service
    manager may both send one -- is only logged, instead of twistd's handler
    failing with ``ReactorNotRunning``; a second ``SIGINT`` (Ctrl-C twice)
    calls ``hurry``.
    """

    def __init__(self, reactor: Any, hurry: Callable[[], Any] | None = None) -> None:
        self.reactor = reactor
        self.hurry = hurry
        self.stopping = False

    def startService(self) -> None:
        super().startService()
        self.reactor.callWhenRunning(self.install)

    def install(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._signalled)

    def _signalled(self, signum: int, frame: Any) -> None:
        self.reactor.callFromThread(self.signalReceived, signum)

    def signalReceived(self, signum: int) -> None:
        name = signal.Signals(signum).name
        if not self.stopping:
            _log.info("received {signal}, shutting down", signal=name)
            setExitSignal(self.reactor, signum)  # twistd then exits "killed by" it
            self.stop()
        elif signum == signal.SIGINT and self.hurry is not None:
            _log.warn("received {signal} again, closing busy connections now", signal=name)
            self.hurry()
        else:
            _log.info("received {signal} again, already shutting down", signal=name)

    def stop(self) -> None:
        """Stop the reactor, once."""
        if self.stopping:
            return
        self.stopping = True
        try:
            self.reactor.stop()
        except error.ReactorNotRunning:
            pass


class SequentialMultiService(MultiService):
    """A MultiService that stops its children one at a time, last first."""

    def stopService(self) -> "defer.Deferred[None]":
        Service.stopService(self)
        children = list(self)[::-1]

        @defer.inlineCallbacks
        def stopAll() -> Any:
            for child in children:
                try:
                    yield defer.maybeDeferred(child.stopService)
                except Exception:
                    _log.failure("error stopping {child}", child=child)

        return stopAll()


class ThreadPoolService(Service):
    """Starts a thread pool with the service, stops it with the service."""

    def __init__(self, pool: ThreadPool) -> None:
        self.pool = pool

    def startService(self) -> None:
        super().startService()
        self.pool.start()

    def stopService(self) -> None:
        super().stopService()
        self.pool.stop()
