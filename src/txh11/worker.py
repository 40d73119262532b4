"""
A ``--workers`` worker process: ``python -m txh11.worker CONFIG ARGS...``.

Started by :class:`txh11.tap._workers.WorkerSupervisor`, never by hand.
``CONFIG`` is JSON: the reactor's short name, the worker's number, and the
inherited listening sockets as ``[fd, family]`` pairs, one per ``--listen``
endpoint in order; ``ARGS`` is the ``twistd txh11`` command line. The worker
logs to standard error (read by the supervisor), shuts down gracefully on
``SIGTERM``/``SIGINT``, and also when its standard input (a pipe from the
supervisor) reaches end-of-file.
"""

from __future__ import annotations

import os
import sys

if "LISTEN_FDNAMES" in os.environ:
    # systemd: twisted.internet.endpoints reads LISTEN_* when imported, for
    # this process only (LISTEN_PID), and removed LISTEN_FDS/LISTEN_PID in
    # the supervisor. The supervisor put the sockets at the same numbers.
    os.environ["LISTEN_FDS"] = str(len(os.environ["LISTEN_FDNAMES"].split(":")))
    os.environ["LISTEN_PID"] = str(os.getpid())

import json  # noqa: E402
from typing import Any  # noqa: E402

from zope.interface import implementer  # noqa: E402

from twisted.internet.interfaces import IReadDescriptor  # noqa: E402


@implementer(IReadDescriptor)
class ParentWatcher:
    """Stops the reactor when the supervisor's pipe on ``fd`` closes."""

    def __init__(self, reactor: Any, stopper: Any, fd: int = 0) -> None:
        self.reactor = reactor
        self.stopper = stopper
        self.fd = fd
        os.set_blocking(fd, False)

    def fileno(self) -> int:
        return self.fd

    def logPrefix(self) -> str:
        return "supervisor"

    def doRead(self) -> None:
        try:
            data = os.read(self.fd, 4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self.reactor.removeReader(self)
            self.connectionLost(None)

    def connectionLost(self, reason: Any) -> None:
        """End of file (or a hang-up, as poll/epoll report it): stop."""
        self.stopper.stop()


def main(argv: list[str]) -> int:
    config = json.loads(argv[0])
    args = argv[1:]
    if config.get("reactor"):
        from twisted.application.reactors import installReactor

        installReactor(config["reactor"])
    from twisted.internet import reactor
    from twisted.logger import FileLogObserver, eventAsText, globalLogBeginner
    from twisted.python import usage

    globalLogBeginner.beginLoggingTo(
        [FileLogObserver(sys.stderr, lambda e: eventAsText(e, includeTimestamp=False) + "\n")],
        redirectStandardIO=False,
    )

    from txh11 import tap
    from txh11.tap._service import CannotListen
    from txh11.tap._workers import AdoptingReactor

    adopting = AdoptingReactor(reactor, [(int(fd), int(family)) for fd, family in config["sockets"]])
    options = tap.Options(reactor=adopting)
    try:
        options.parseOptions(args)
    except usage.UsageError as e:
        print(f"txh11 worker: {e}", file=sys.stderr)
        return 2
    service = tap.makeServerService(options, endpointReactor=adopting)
    guard = tap.addSignalGuard(service, reactor)
    reactor.addReader(ParentWatcher(reactor, guard))  # type: ignore[attr-defined]
    try:
        service.privilegedStartService()
        service.startService()
    except CannotListen as e:
        print(e, file=sys.stderr)
        return 1
    reactor.addSystemEventTrigger("before", "shutdown", service.stopService)  # type: ignore[attr-defined]
    reactor.run()  # type: ignore[attr-defined]
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
