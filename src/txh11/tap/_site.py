"""
The HTTP factory that ``twistd txh11`` serves a resource tree with.

:func:`makeSite` is the one place that names the ``Site`` class and maps the
command line's limits and timeouts onto it. :class:`AccessLog` writes the
Combined Log Format lines of ``--access-log``, :class:`TwistdAccessLog` puts
them in twistd's log when there is none.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import IO, Any, Callable, Optional, Union

from twisted.internet.protocol import Factory
from twisted.logger import Logger
from twisted.web.http import combinedLogFormatter, datetimeToLogString
from twisted.web.resource import IResource

from txh11.forwarded import TrustedProxies
from txh11.web import Site as _Site

__all__ = ["SiteSettings", "AccessLog", "TwistdAccessLog", "makeSite"]

_log = Logger()
_access = Logger(namespace="txh11.access")


@dataclass(frozen=True)
class SiteSettings:
    """Limits and timeouts from the command line (``None``: no limit)."""

    idleTimeout: Optional[float] = 60.0
    headerTimeout: Optional[float] = 20.0
    bodyTimeout: Optional[float] = 60.0
    maxHeaderSize: int = 16 * 1024
    maxBodySize: Optional[int] = None
    #: whose proxy headers to believe (None: nobody's)
    trustedProxies: Optional[TrustedProxies] = None


class _Lines:
    """
    Access log lines held until the reactor's next turn, then handed on
    together: one write (or one log event) per turn instead of one per
    response.  Going through twistd's log observers cost more per request
    than serving a small hello world (17 us a line against ~30 us); under
    load a turn finishes many responses, so the cost is shared, while a
    line still leaves within the turn of its response.
    """

    def __init__(self, emit: Callable[[str], None], reactor: Any = None) -> None:
        self._emit = emit
        self._reactor = reactor
        self._lines: list[str] = []
        self._call: Any = None
        self._second = -1
        self._stamp = ""

    def add(self, request: Any) -> None:
        """Format the Combined Log Format line of a finished ``request``."""
        clock = self._clock()
        now = int(clock.seconds())
        if now != self._second:  # the time stamp has a resolution of a second
            self._second, self._stamp = now, datetimeToLogString(now)
        self._lines.append(combinedLogFormatter(self._stamp, request))
        if self._call is None:
            self._call = clock.callLater(0, self.flush)

    def _clock(self) -> Any:
        if self._reactor is None:
            from twisted.internet import reactor

            self._reactor = reactor
        return self._reactor

    def flush(self) -> None:
        """Hand on every line held, now."""
        call, self._call = self._call, None
        if call is not None and call.active():
            call.cancel()
        if self._lines:
            lines, self._lines = self._lines, []
            self._emit("\n".join(lines))


class AccessLog:
    """
    One Combined Log Format line per response, to a file (appended) or to
    standard output (``"-"``), written and flushed once per reactor turn
    with every line of that turn.
    """

    def __init__(self, path: str, reactor: Any = None) -> None:
        self.path = path
        self._file: Optional[IO[str]] = None
        self._lines = _Lines(self._write, reactor)

    def open(self) -> None:
        if self._file is not None:
            return
        if self.path == "-":
            # the real standard output: twistd turns sys.stdout into a log
            self._file = sys.__stdout__ or sys.stdout
        else:
            self._file = open(self.path, "a", encoding="utf-8", newline="\n")

    def close(self) -> None:
        self._lines.flush()
        f, self._file = self._file, None
        if f is not None and f not in (sys.stdout, sys.__stdout__):
            f.close()

    def log(self, request: Any) -> None:
        """``Site.log``: the line for a finished ``request``."""
        if self._file is not None:
            self._lines.add(request)

    def _write(self, lines: str) -> None:
        f = self._file
        if f is None:
            return
        try:
            f.write(lines + "\n")
            f.flush()
        except (OSError, ValueError):
            _log.failure("cannot write to the access log {path}", path=self.path)


class TwistdAccessLog:
    """
    Without ``--access-log``: the Combined Log Format lines go to twistd's
    own log (standard output with ``-n``, else ``twistd.log``), as
    ``twistd web`` puts them, but as one event per reactor turn holding
    that turn's lines, one per line of text (twistd's log indents the
    lines after an event's first).
    """

    def __init__(self, reactor: Any = None) -> None:
        self._lines = _Lines(self._emit, reactor)

    def log(self, request: Any) -> None:
        """``Site.log``: the line for a finished ``request``."""
        self._lines.add(request)

    def close(self) -> None:
        self._lines.flush()

    def _emit(self, lines: str) -> None:
        _access.info("{lines}", lines=lines)


def makeSite(
    resource: IResource,
    settings: SiteSettings,
    accessLog: Optional[Union[AccessLog, TwistdAccessLog]] = None,
) -> Factory:
    """The factory that serves ``resource`` with ``settings``."""
    extra = {"trustedProxies": settings.trustedProxies} if settings.trustedProxies else {}
    site = _Site(
        resource,
        idleTimeout=settings.idleTimeout,
        headerTimeout=settings.headerTimeout,
        bodyTimeout=settings.bodyTimeout,
        maxIncompleteEventSize=settings.maxHeaderSize,
        maxBodySize=settings.maxBodySize,
        **extra,
    )
    site.displayTracebacks = False
    if accessLog is not None:
        site.log = accessLog.log  # type: ignore[method-assign]
    return site
