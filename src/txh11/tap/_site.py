"""
The HTTP factory that ``twistd txh11`` serves a resource tree with.

:func:`makeSite` is the one place that names the ``Site`` class and maps the
command line's limits and timeouts onto it. :class:`AccessLog` writes the
Combined Log Format lines of ``--access-log``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import IO, Any, Optional

from twisted.internet.protocol import Factory
from twisted.logger import Logger
from twisted.web.http import combinedLogFormatter, datetimeToLogString
from twisted.web.resource import IResource

from txh11.forwarded import TrustedProxies
from txh11.web import Site as _Site

__all__ = ["SiteSettings", "AccessLog", "makeSite"]

_log = Logger()


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


class AccessLog:
    """
    One Combined Log Format line per response, to a file (appended, a line
    at a time) or to standard output (``"-"``).
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._file: Optional[IO[str]] = None

    def open(self) -> None:
        if self._file is not None:
            return
        if self.path == "-":
            # the real standard output: twistd turns sys.stdout into a log
            self._file = sys.__stdout__ or sys.stdout
        else:
            self._file = open(self.path, "a", buffering=1, encoding="utf-8", newline="\n")

    def close(self) -> None:
        f, self._file = self._file, None
        if f is not None and f not in (sys.stdout, sys.__stdout__):
            f.close()

    def log(self, request: Any) -> None:
        """``Site.log``: write the line for a finished ``request``."""
        f = self._file
        if f is None:
            return
        line = combinedLogFormatter(datetimeToLogString(), request)
        try:
            f.write(line + "\n")
            f.flush()
        except (OSError, ValueError):
            _log.failure("cannot write to the access log {path}", path=self.path)


def makeSite(
    resource: IResource, settings: SiteSettings, accessLog: Optional[AccessLog] = None
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
