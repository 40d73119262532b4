"""
Draining a server's connections without losing a request.

:class:`ConnectionSet` holds the open connections of one factory
(:class:`txh11.server.HTTP11ServerFactory`, :class:`txh11.web.Site`) and
drains them when the server shuts down (:meth:`ConnectionSet.drain`):

1. keep-alive goes off on every connection: a response whose head is not
   sent yet says ``Connection: close``; on a connection whose current
   response already promised keep-alive, the next one does (so a request the
   client sends meanwhile is answered, with ``Connection: close``);
2. a connection that has been quiet (no request in progress, no byte of one
   received, nothing unread in its socket) for ``quiet`` seconds is closed:
   at once if it has been quiet that long already; a client that just got a
   response has that long to send its next request, which is then answered;
3. a connection whose response said ``Connection: close`` closes after it,
   as always;
4. at ``timeout``, connections still quiet are closed and busy ones are
   aborted, and the count of those is logged.

The Deferred from :meth:`~ConnectionSet.drain` fires when no connection is
left. Listening ports are the caller's to stop first.
"""

from __future__ import annotations

from typing import Any, Iterator, Optional

from twisted.internet import defer
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

__all__ = ["ConnectionSet", "DRAIN_QUIET", "DRAIN_INTERVAL"]

_log = Logger()

#: a connection quiet this long (seconds) is closed by a drain
DRAIN_QUIET = 1.0
#: how often a drain looks for quiet connections (seconds)
DRAIN_INTERVAL = 0.05


class ConnectionSet:
    """
    The open connections of a factory.

    :ivar draining: a drain has started.
    """

    def __init__(self) -> None:
        self._protocols: set[Any] = set()
        self._waiters: list[defer.Deferred[None]] = []
        self._deadline = float("inf")
        self._clock: Optional[IReactorTime] = None
        self.draining = False

    def __len__(self) -> int:
        return len(self._protocols)

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._protocols))

    def add(self, protocol: Any) -> None:
        """A connection was made (a drain under way tells it at once)."""
        self._protocols.add(protocol)
        if self.draining and self._clock is not None:
            # (made, not yet connected: its connection starts on return)
            self._clock.callLater(0, protocol.startDraining)  # type: ignore[attr-defined]

    def remove(self, protocol: Any) -> None:
        """A connection is gone."""
        protocols = self._protocols
        protocols.discard(protocol)
        if self._waiters and not protocols:
            waiters, self._waiters = self._waiters, []
            for d in waiters:
                d.callback(None)

    def whenEmpty(self) -> "defer.Deferred[None]":
        """Fires once no connection is left."""
        if not self._protocols:
            return defer.succeed(None)
        d: defer.Deferred[None] = defer.Deferred()
        self._waiters.append(d)
        return d

    def hurry(self) -> None:
        """Make the drain under way reach its deadline now."""
        self._deadline = self._clock.seconds() if self._clock is not None else float("-inf")

    def drain(
        self, clock: IReactorTime, timeout: Optional[float] = 30.0, quiet: float = DRAIN_QUIET
    ) -> "defer.Deferred[None]":
        """
        Drain every connection (see the module docstring); ``timeout``
        ``None`` waits for as long as it takes. Fires when none is left.
        """
        self.draining = True
        self._clock = clock
        if not self._protocols:
            return defer.succeed(None)
        _log.info(
            "txh11 stopping: {count} connection(s) open, waiting up to {timeout}s",
            count=len(self._protocols),
            timeout=timeout,
        )
        if timeout is not None:
            self._deadline = min(self._deadline, clock.seconds() + timeout)
        for protocol in self:
            protocol.startDraining()
        done = self.whenEmpty()
        call: list[Any] = [None]

        def check() -> None:
            call[0] = None
            if done.called:
                return
            if clock.seconds() < self._deadline:
                self._closeQuiet(quiet)
                call[0] = clock.callLater(DRAIN_INTERVAL, check)  # type: ignore[attr-defined]
                return
            self._cut(timeout)
            # aborted transports report connectionLost on a later turn; one
            # handed to another protocol (WebSocket, HTTP/2) reports it there
            call[0] = clock.callLater(0, self._forgetAll)  # type: ignore[attr-defined]

        def finished(result: Any) -> Any:
            if call[0] is not None and call[0].active():
                call[0].cancel()
            return result

        check()
        return done.addBoth(finished)

    def _closeQuiet(self, quiet: float) -> None:
        """Close the connections that have been quiet ``quiet`` seconds."""
        for protocol in self:
            quietFor = protocol.quietFor()
            if quietFor is not None and quietFor >= quiet:
                protocol.loseConnection()

    def _cut(self, timeout: Optional[float]) -> None:
        """The deadline: close what is quiet, abort the rest (logged)."""
        busy = []
        for protocol in self:
            if protocol.quietFor() is not None:
                protocol.loseConnection()
            elif not protocol.closing:
                busy.append(protocol)
        if busy:
            _log.warn(
                "txh11: {count} connection(s) still busy after {timeout}s; aborting them",
                count=len(busy),
                timeout=timeout,
            )
        for protocol in busy:
            protocol.abortConnection()

    def _forgetAll(self) -> None:
        for protocol in self:
            self.remove(protocol)
