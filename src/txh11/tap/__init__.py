"""
``twistd txh11``: serve a directory, a WSGI application or a twisted.web
resource over txh11, on any Twisted endpoint.

::

    twistd -n txh11                                   # ./ on 127.0.0.1:8080
    twistd -n txh11 --path /srv/www --listen tcp:80 --listen ssl:443:privateKey=k.pem:certKey=c.pem
    twistd -n txh11 --wsgi myapp.wsgi.application --workers 4
    twistd -n txh11 --echo --listen haproxy:tcp:8080:interface=127.0.0.1

Everything the command line can get wrong (a missing directory, a bad
endpoint string, an unloadable application or certificate) is checked in
:meth:`Options.postOptions` and reported by twistd as one line, exit status 1.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any, Optional

from twisted.application.service import IService
from twisted.internet.endpoints import serverFromString
from twisted.logger import Logger
from twisted.python import reflect, usage
from twisted.python.threadpool import ThreadPool
from twisted.web.resource import IResource

from txh11.forwarded import parseTrustedProxies
from txh11.tap._echo import EchoResource
from txh11.tap._service import (
    HTTPServerService,
    SequentialMultiService,
    SignalGuard,
    ThreadPoolService,
)
from txh11.tap._site import AccessLog, SiteSettings, TwistdAccessLog, makeSite

__all__ = ["Options", "makeService", "makeServerService", "parseSize", "parseSeconds"]

DEFAULT_LISTEN = "tcp:8080:interface=127.0.0.1"
#: what the startup log suggests to listen on every interface instead
PUBLIC_LISTEN = "tcp:8080"

_log = Logger()

_SIZE = re.compile(r"^\s*(\d+)\s*([kmgt]?)(i?b?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def parseSize(text: str) -> Optional[int]:
    """``"16384"``, ``"16k"``, ``"10MiB"``, ``"1G"`` → bytes; ``"0"``/``"none"`` → None."""
    if text.strip().lower() in ("none", "unlimited", "0"):
        return None
    m = _SIZE.match(text)
    if m is None:
        raise ValueError(f"not a size: {text!r} (e.g. 16384, 64k, 10M)")
    return int(m.group(1)) * _UNITS[m.group(2).lower()]


def parseSeconds(text: str) -> Optional[float]:
    """``"30"``, ``"2.5"`` → seconds; ``"0"``/``"none"`` → None (no timeout)."""
    if text.strip().lower() in ("none", "off"):
        return None
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if value != value or value < 0 or value == float("inf"):
        raise ValueError(f"not a number of seconds: {text!r}")
    return value or None


def _headerSize(text: str) -> int:
    value = parseSize(text)
    if value is None:
        raise ValueError("must be at least 1 byte")
    return value


def _positiveInt(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError("must be a whole number, at least 1")
    return value


#: option -> how its text is converted in postOptions
_CONVERT = {
    "idle-timeout": parseSeconds,
    "header-timeout": parseSeconds,
    "body-timeout": parseSeconds,
    "shutdown-timeout": parseSeconds,
    "max-header-size": _headerSize,
    "max-body-size": parseSize,
    "workers": _positiveInt,
    "forwarded-allow-ips": parseTrustedProxies,
}


class ConfigurationError(usage.UsageError):
    """The command line parses, but does not describe something we can serve."""


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    if isinstance(exc, (ImportError, AttributeError, ValueError, OSError)) and text:
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _importableCurrentDirectory() -> None:
    """Like ``python -m`` (and gunicorn): modules in the current directory import."""
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)


_WHAT = ("path", "wsgi", "resource-script", "class", "echo")


class Options(usage.Options):
    """The command line of ``twistd txh11``."""

    synopsis = "[options]"
    longdesc = (
        "Serve a directory (the current one by default), a WSGI application or a "
        "twisted.web resource over txh11's HTTP/1.1 server, on one or more Twisted "
        "endpoints (default tcp:8080:interface=127.0.0.1: this machine only)."
    )

    optFlags = [
        [
            "echo",
            None,
            "Serve a built-in app that answers every request with a JSON description "
            "of it: method, target, headers, body length, client address.",
        ],
        [
            "show-hidden",
            None,
            "With --path: also serve and list files and directories whose name starts "
            "with '.' (.git, .env, ...); by default they are answered 404, as if absent.",
        ],
        [
            "proxy-headers",
            None,
            "Behind a reverse proxy: from a peer in --forwarded-allow-ips, believe "
            "X-Forwarded-For/X-Forwarded-Proto (or RFC 7239 Forwarded) for the client "
            "address, isSecure() and the access log; from anyone else they are ignored.",
        ],
    ]

    optParameters = [
        ["path", None, None, "Serve this directory: static files with directory listings "
         "and Range/Last-Modified support, except hidden names (starting with '.'; see "
         "--show-hidden). Default: the current directory."],
        ["wsgi", None, None, "Serve the WSGI application with this fully qualified name "
         "(package.module.app; the current directory is importable), on a thread pool."],
        ["resource-script", None, None, "Serve the `resource` defined by this Python "
         "file (.rpy), loaded once at startup."],
        ["class", None, None, "Serve an instance of this IResource class (fully "
         "qualified name; called without arguments)."],
        ["access-log", None, None, "Write a Combined Log Format line per response to "
         "this file; '-' for standard output."],
        ["idle-timeout", None, "60", "Close kept-alive connections idle this many "
         "seconds (0: never)."],
        ["header-timeout", None, "20", "Answer 408 and close when a request head takes "
         "longer than this many seconds to arrive (0: no limit). On TLS the first head "
         "is timed from the accept, so a stalled handshake is dropped as soon."],
        ["body-timeout", None, "60", "Answer 408 and close when a request body stalls "
         "this many seconds (0: no limit)."],
        ["max-header-size", None, "16k", "Answer 431 to a request head larger than this "
         "many bytes (k/M suffixes)."],
        ["max-body-size", None, "0", "Answer 413 to a request body larger than this many "
         "bytes (k/M/G suffixes; 0: no limit)."],
        ["shutdown-timeout", None, "30", "On SIGTERM, let responses in progress finish "
         "for this many seconds before closing their connections."],
        ["forwarded-allow-ips", None, "127.0.0.1", "With --proxy-headers: the proxies "
         "to trust, comma-separated: addresses, CIDR ranges (10.0.0.0/8, fd00::/8), "
         "'unix' (peers on a UNIX socket), or '*' for every peer."],
        ["workers", None, "1", "Run this many worker processes sharing the listening "
         "sockets; a worker that dies is restarted; SIGHUP replaces them one at a "
         "time (rolling restart, no request lost)."],
    ]

    compData = usage.Completions(
        optActions={
            "path": usage.CompleteDirs(),
            "resource-script": usage.CompleteFiles("*.rpy"),
            "access-log": usage.CompleteFiles("*.log"),
        }
    )

    #: the reactor endpoint strings are parsed with (tests may replace it)
    reactor: Any = None

    def __init__(self, reactor: Any = None) -> None:
        super().__init__()
        self["listen"] = []
        self.reactor = reactor
        self.argv: list[str] = []
        self._configError = False
        for name, doc in self.docs.items():
            self.docs[name] = " ".join(doc.split())

    def parseOptions(self, options: Optional[list[str]] = None) -> None:
        if options is None:
            options = sys.argv[1:]
        self.argv = list(options)
        super().parseOptions(options)

    def opt_listen(self, description: str) -> None:
        """
        Listen on this Twisted endpoint string; repeat for several (default:
        tcp:8080:interface=127.0.0.1, reachable from this machine only;
        tcp:8080 listens on every interface). E.g. tcp:8080:interface=127.0.0.1, tcp6:8080,
        unix:/run/site.sock, ssl:8443:privateKey=key.pem:certKey=cert.pem,
        systemd:domain=INET:index=0, haproxy:tcp:8080.
        """
        self["listen"].append(description)

    def getUsage(self, width: Optional[int] = None) -> str:
        if self._configError:
            # twistd prints the usage before the error: keep it short
            return "Run 'twistd txh11 --help' for the options."
        return super().getUsage(width)

    def _fail(self, message: str) -> None:
        self._configError = True
        raise ConfigurationError(message)

    def _getReactor(self) -> Any:
        if self.reactor is None:
            from twisted.internet import reactor

            self.reactor = reactor
        return self.reactor

    def postOptions(self) -> None:
        for name, convert in _CONVERT.items():
            value = self[name]
            if isinstance(value, str):
                try:
                    self[name] = convert(value)
                except ValueError as e:
                    self._fail(f"--{name} {value!r}: {e}")
        self["default-listen"] = not self["listen"]
        if self["default-listen"]:
            self["listen"] = [DEFAULT_LISTEN]
        chosen = [name for name in _WHAT if self[name]]
        if len(chosen) > 1:
            raise usage.UsageError(
                "choose one of --path, --wsgi, --resource-script, --class, --echo "
                f"(got {', '.join('--' + name for name in chosen)})"
            )
        self["what"] = chosen[0] if chosen else "path"
        if self["what"] == "path" and not self["path"]:
            self["path"] = os.curdir
        self._checkEndpoints()
        self._checkAccessLog()
        getattr(self, "_load_" + self["what"].replace("-", "_"))()

    # -- checks -------------------------------------------------------------

    def _checkEndpoints(self) -> None:
        reactor = self._getReactor()
        for description in self["listen"]:
            try:
                serverFromString(reactor, description)
            except (ValueError, TypeError, KeyError) as e:
                self._fail(f"--listen {description!r}: not a valid endpoint string ({_describe(e)})")
            except Exception as e:
                self._fail(f"--listen {description!r}: {_describe(e)}")

    def _checkAccessLog(self) -> None:
        path = self["access-log"]
        if path is None or path == "-":
            return
        path = self["access-log"] = os.path.abspath(path)
        directory = os.path.dirname(path)
        if not os.path.isdir(directory):
            self._fail(f"--access-log {path!r}: no such directory {directory!r}")
        if os.path.isdir(path):
            self._fail(f"--access-log {path!r}: is a directory")
        target = path if os.path.exists(path) else directory
        if not os.access(target, os.W_OK):
            self._fail(f"--access-log {path!r}: permission denied")

    # -- what to serve ---------------------------------------------------------

    def _load_path(self) -> None:
        from twisted.web.static import File

        from txh11.tap._static import PublicFile

        path = os.path.abspath(self["path"])
        if not os.path.exists(path):
            self._fail(f"--path {self['path']!r}: no such file or directory")
        if not os.access(path, os.R_OK):
            self._fail(f"--path {self['path']!r}: permission denied")
        self["path"] = path
        self["root"] = File(path) if self["show-hidden"] else PublicFile(path)

    def _load_wsgi(self) -> None:
        name = self["wsgi"]
        _importableCurrentDirectory()
        try:
            app = reflect.namedAny(name)
        except Exception as e:
            self._fail(f"--wsgi {name!r}: cannot load the application: {_describe(e)}")
        if not callable(app):
            self._fail(f"--wsgi {name!r}: {type(app).__name__} object is not callable")
        self["wsgi-app"] = app
        self["root"] = None  # the WSGIResource needs the thread pool: makeService

    def _load_resource_script(self) -> None:
        from twisted.web.script import ResourceScript, noRsrc
        from twisted.web.static import Registry

        path = os.path.abspath(self["resource-script"])
        if not os.path.isfile(path):
            self._fail(f"--resource-script {self['resource-script']!r}: no such file")
        try:
            root = ResourceScript(path, Registry())
        except BaseException as e:
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise
            self._fail(f"--resource-script {path!r}: {_describe(e)}")
        if root is noRsrc or not IResource.providedBy(root):
            self._fail(f"--resource-script {path!r}: defines no IResource named `resource`")
        self["resource-script"] = path
        self["root"] = root

    def _load_class(self) -> None:
        name = self["class"]
        _importableCurrentDirectory()
        try:
            root = reflect.namedAny(name)()
        except Exception as e:
            self._fail(f"--class {name!r}: {_describe(e)}")
        if not IResource.providedBy(root):
            self._fail(f"--class {name!r}: {type(root).__name__} does not provide IResource")
        self["root"] = root

    def _load_echo(self) -> None:
        self["root"] = EchoResource()

    def settings(self) -> SiteSettings:
        """The limits and timeouts, for :func:`txh11.tap._site.makeSite`."""
        return SiteSettings(
            idleTimeout=self["idle-timeout"],
            headerTimeout=self["header-timeout"],
            bodyTimeout=self["body-timeout"],
            maxHeaderSize=self["max-header-size"],
            maxBodySize=self["max-body-size"],
            trustedProxies=self["forwarded-allow-ips"] if self["proxy-headers"] else None,
        )


def makeServerService(options: Options, endpointReactor: Any = None) -> IService:
    """
    The service of one server process: listen on every ``--listen``
    endpoint (parsed with ``endpointReactor``, by default the reactor) and
    serve what the options say; a thread pool for ``--wsgi``.
    """
    reactor = options._getReactor()
    top = SequentialMultiService()
    root = options["root"]
    if options["what"] == "wsgi":
        from twisted.web.wsgi import WSGIResource

        pool = ThreadPool(name="txh11-wsgi")
        ThreadPoolService(pool).setServiceParent(top)
        root = WSGIResource(reactor, pool, options["wsgi-app"])
    if options["access-log"]:
        accessLog = AccessLog(options["access-log"], reactor)
        onStart, onStop = [accessLog.open], [accessLog.close]
    else:
        accessLog = TwistdAccessLog(reactor)
        onStart, onStop = [], [accessLog.close]
    site = makeSite(root, options.settings(), accessLog)
    endpoints = [
        (description, serverFromString(endpointReactor or reactor, description))
        for description in options["listen"]
    ]
    server = HTTPServerService(
        site,
        endpoints,
        reactor,
        shutdownTimeout=options["shutdown-timeout"] or 0.0,
        onStart=onStart,
        onStop=onStop,
    )
    server.setServiceParent(top)
    return top


def makeService(options: Options) -> IService:
    """
    twistd's entry point: one server, or a supervisor of ``--workers``; with
    a :class:`~txh11.tap._service.SignalGuard` for repeated signals.
    """
    reactor = options._getReactor()
    if options["default-listen"]:
        reactor.callWhenRunning(_sayHowToListenPublicly)
    if options["workers"] > 1:
        from txh11.tap._workers import WorkerSupervisor

        top = SequentialMultiService()
        WorkerSupervisor(options, reactor).setServiceParent(top)
        SignalGuard(reactor).setServiceParent(top)
        return top
    top = makeServerService(options)
    addSignalGuard(top, reactor)
    return top


def _sayHowToListenPublicly() -> None:
    _log.info(
        "txh11 listens on {address} only, by default: other machines cannot connect; "
        "to listen on every interface: --listen {public}",
        address="127.0.0.1:8080",
        public=PUBLIC_LISTEN,
    )


def addSignalGuard(top: IService, reactor: Any) -> SignalGuard:
    """
    Add a :class:`~txh11.tap._service.SignalGuard` to ``top`` (from
    :func:`makeServerService`) whose repeated ``SIGINT`` hurries its server.
    """
    servers = [s for s in top if isinstance(s, HTTPServerService)]  # type: ignore[attr-defined]
    guard = SignalGuard(reactor, hurry=lambda: [s.hurry() for s in servers])
    guard.setServiceParent(top)
    return guard
