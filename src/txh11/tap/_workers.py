"""
``twistd txh11 --workers N``: N processes serving the same listening sockets.

The twistd process becomes a supervisor that serves nothing itself:

1. **Sockets** (``privilegedStartService``, before twistd sheds privileges):
   every ``--listen`` endpoint string is parsed with a :class:`SocketRecorder`
   standing in for the reactor, so its ``listen()`` ends in our
   ``listenTCP``/``listenSSL``/``listenUNIX``/``adoptStreamPort`` instead of a
   real port. TCP endpoints (``tcp:``, ``tcp6:``, ``ssl:`` and whatever wraps
   them, e.g. ``haproxy:``) get *N* sockets bound to the same address with
   ``SO_REUSEPORT``, one per worker, so the kernel spreads connections over
   the workers; UNIX sockets and sockets inherited from systemd are shared by
   all workers. The supervisor keeps them open, so connections queue while a
   worker restarts.
2. **Workers** (``startService``): ``python -m txh11.worker`` with the
   same command line, the same reactor, and the sockets as inherited file
   descriptors (``spawnProcess`` ``childFDs``). The worker parses the
   endpoint strings again with an :class:`AdoptingReactor`, which adopts the
   inherited socket (``reactor.adoptStreamPort``) where the endpoint would
   have listened, adding TLS (``listenSSL``) or the PROXY protocol
   (``haproxy:``) exactly as the endpoint does. A socket from systemd is
   passed under the descriptor number it had (``LISTEN_FDS`` and
   ``LISTEN_PID`` are set again for the worker), so that the ``systemd:``
   endpoint finds it there.
   A worker's standard error (its log) is read by the supervisor and logged
   line by line; its standard output is the supervisor's (``--access-log -``).
   Its standard input is a pipe from the supervisor: when the supervisor dies,
   even by ``SIGKILL``, the worker sees end-of-file and shuts down.
3. **Restarts**: a worker that exits while the supervisor runs is restarted
   after a delay that doubles (up to 30 s) while workers keep dying young.
4. **Rolling restart** (``SIGHUP`` to the supervisor): each worker in turn
   is replaced by a new one on the same sockets, started and listening
   before the old one drains (see :mod:`txh11.tap._rolling`).
5. **Stop** (``SIGTERM`` to the supervisor): it closes its copies of the
   sockets, sends ``SIGTERM`` to every worker (each shuts down gracefully,
   see :mod:`txh11.tap._service`), and waits for them; after
   ``--shutdown-timeout`` plus a margin, ``SIGKILL``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import sys
from dataclasses import dataclass, field
from typing import Any, Optional

from twisted.application.reactors import getReactorTypes
from twisted.application.service import Service
from twisted.internet import defer, error
from twisted.internet.abstract import isIPv6Address
from twisted.internet.endpoints import serverFromString
from twisted.internet.interfaces import IListeningPort
from twisted.internet.protocol import Factory, ProcessProtocol
from twisted.logger import Logger
from twisted.python import lockfile
from twisted.python.failure import Failure
from zope.interface import directlyProvides, implementer, providedBy

from txh11.tap._service import CannotListen, formatAddress

__all__ = [
    "WorkerSupervisor",
    "SocketRecorder",
    "AdoptingReactor",
    "RecordedSockets",
    "reactorName",
]

_log = Logger()

_HAS_REUSEPORT = hasattr(socket, "SO_REUSEPORT")
_FIRST_FD = 3
_MAX_RESTART_DELAY = 30.0
_KILL_MARGIN = 5.0


def reactorName(reactor: Any) -> Optional[str]:
    """The ``--reactor`` short name of the installed ``reactor``, if any."""
    module = type(reactor).__module__
    for reactorType in getReactorTypes():
        if reactorType.moduleName == module:
            return str(reactorType.shortName)
    return None


@dataclass
class RecordedSockets:
    """The listening socket(s) created for one endpoint string."""

    description: str
    family: int
    sockets: list[socket.socket]
    unixPath: Optional[str] = None
    lock: Any = None
    #: for an adopted descriptor (``systemd:``): the number the endpoint
    #: expects it under, which is also its number in the workers
    fixedFd: Optional[int] = None

    def socketFor(self, worker: int) -> socket.socket:
        return self.sockets[worker % len(self.sockets)]

    def close(self) -> None:
        """Close our copies (workers keep theirs); remove a UNIX socket's file."""
        for s in self.sockets:
            s.close()
        self.sockets = []
        if self.unixPath is not None:
            try:
                os.unlink(self.unixPath)
            except OSError:
                pass
            self.unixPath = None
        if self.lock is not None:
            self.lock.unlock()
            self.lock = None


@implementer(IListeningPort)
class _RecordedPort:
    """What the endpoint's ``listen`` returns in the supervisor."""

    def __init__(self, record: RecordedSockets) -> None:
        self.record = record

    def startListening(self) -> None:
        pass

    def stopListening(self) -> None:
        self.record.close()

    def getHost(self) -> Any:
        return _address(self.record)


@dataclass
class _Address:
    host: Optional[str] = None
    port: Optional[int] = None
    name: Optional[str] = None
    extra: dict[str, Any] = field(default_factory=dict)


def _address(record: RecordedSockets) -> Any:
    if not record.sockets:
        return _Address(name="closed")
    name = record.sockets[0].getsockname()
    if record.family == socket.AF_UNIX:
        return _Address(name=name.decode() if isinstance(name, bytes) else name)
    return _Address(host=name[0], port=name[1])


def _nonBlockingInheritable(s: socket.socket) -> None:
    s.setblocking(False)
    s.set_inheritable(True)


class SocketRecorder:
    """
    A stand-in for the reactor with which the supervisor parses the endpoint
    strings: where an endpoint would listen, it creates the sockets for
    ``workers`` processes and records them in ``recorded``.
    """

    def __init__(self, reactor: Any, workers: int) -> None:
        self._reactor = reactor
        self._workers = workers
        self.recorded: list[RecordedSockets] = []
        self._description = "?"
        directlyProvides(self, providedBy(reactor))

    def __getattr__(self, name: str) -> Any:
        if name.startswith(("listen", "adopt")):

            def unsupported(*args: Any, **kwargs: Any) -> Any:
                raise error.CannotListenError(
                    None, None, f"this endpoint type ({name}) cannot be shared by --workers"
                )

            return unsupported
        return getattr(self._reactor, name)

    def record(self, description: str, endpoint: Any) -> RecordedSockets:
        """Listen with ``endpoint``; return the sockets it got, or raise CannotListen."""
        self._description = description
        before = len(self.recorded)
        results: list[Any] = []
        try:
            endpoint.listen(Factory()).addBoth(results.append)
        except Exception as e:
            raise CannotListen(description, e)
        if not results:
            raise CannotListen(description, "this endpoint does not listen at once")
        if isinstance(results[0], Failure):
            raise CannotListen(description, results[0])
        if len(self.recorded) != before + 1:
            raise CannotListen(description, "this endpoint cannot be shared by --workers")
        return self.recorded[-1]

    def _add(self, record: RecordedSockets) -> _RecordedPort:
        self.recorded.append(record)
        return _RecordedPort(record)

    # -- IReactorTCP, IReactorSSL, IReactorUNIX, IReactorSocket -------------

    def listenTCP(self, port: int, factory: Any, backlog: int = 50, interface: str = "") -> Any:
        family = socket.AF_INET6 if isIPv6Address(interface) else socket.AF_INET
        count = self._workers if _HAS_REUSEPORT else 1
        sockets: list[socket.socket] = []
        try:
            for _ in range(count):
                s = socket.socket(family, socket.SOCK_STREAM)
                sockets.append(s)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if count > 1:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                s.bind((interface, port))
                port = s.getsockname()[1]  # port 0: the others share the chosen one
                s.listen(backlog)
                _nonBlockingInheritable(s)
        except OSError as e:
            for s in sockets:
                s.close()
            raise error.CannotListenError(interface, port, e)
        return self._add(RecordedSockets(self._description, family, sockets))

    def listenSSL(
        self, port: int, factory: Any, contextFactory: Any, backlog: int = 50, interface: str = ""
    ) -> Any:
        return self.listenTCP(port, factory, backlog, interface)

    def listenUNIX(
        self, address: Any, factory: Any, backlog: int = 50, mode: int = 0o666, wantPID: int = 0
    ) -> Any:
        path = os.fsdecode(address)
        inFilesystem = not path.startswith("\0")
        lock = None
        if wantPID and inFilesystem:
            lock = lockfile.FilesystemLock(path + ".lock")
            if not lock.lock():
                raise error.CannotListenError(None, path, "Cannot acquire lock")
            if not lock.clean:
                try:
                    if stat.S_ISSOCK(os.stat(path).st_mode):
                        os.remove(path)
                except OSError:
                    pass
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.bind(address)
            if inFilesystem:
                os.chmod(path, mode)
            s.listen(backlog)
            _nonBlockingInheritable(s)
        except OSError as e:
            s.close()
            if lock is not None:
                lock.unlock()
            raise error.CannotListenError(None, path, e)
        return self._add(
            RecordedSockets(
                self._description,
                socket.AF_UNIX,
                [s],
                unixPath=path if inFilesystem else None,
                lock=lock,
            )
        )

    def adoptStreamPort(self, fileDescriptor: int, addressFamily: int, factory: Any) -> Any:
        # the endpoint closes fileDescriptor afterwards: keep a duplicate
        s = socket.socket(addressFamily, socket.SOCK_STREAM, fileno=os.dup(fileDescriptor))
        _nonBlockingInheritable(s)
        return self._add(
            RecordedSockets(self._description, addressFamily, [s], fixedFd=fileDescriptor)
        )


class AdoptingReactor:
    """
    The reactor as a worker's endpoints see it: where an endpoint listens,
    the next inherited socket in ``sockets`` (``(fd, family)`` pairs, one
    per endpoint, in order) is adopted instead.
    """

    def __init__(self, reactor: Any, sockets: list[tuple[int, int]]) -> None:
        self._reactor = reactor
        self._sockets = list(sockets)
        directlyProvides(self, providedBy(reactor))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reactor, name)

    def _adopt(self, factory: Any, expected: Optional[int] = None) -> Any:
        if not self._sockets:
            raise error.CannotListenError(None, None, "no inherited socket left")
        fd, family = self._sockets.pop(0)
        if expected is not None:
            # adoptStreamPort from an endpoint (systemd:) that closes the
            # descriptor itself; the supervisor put the socket at that number
            if fd != expected:
                raise error.CannotListenError(
                    None, None, f"inherited socket is descriptor {fd}, not {expected}"
                )
            return self._reactor.adoptStreamPort(fd, family, factory)
        try:
            return self._reactor.adoptStreamPort(fd, family, factory)
        finally:
            os.close(fd)  # the port holds its own duplicate

    def listenTCP(self, port: int, factory: Any, backlog: int = 50, interface: str = "") -> Any:
        return self._adopt(factory)

    def listenSSL(
        self, port: int, factory: Any, contextFactory: Any, backlog: int = 50, interface: str = ""
    ) -> Any:
        from twisted.protocols.tls import TLSMemoryBIOFactory

        return self._adopt(TLSMemoryBIOFactory(contextFactory, False, factory))

    def listenUNIX(
        self, address: Any, factory: Any, backlog: int = 50, mode: int = 0o666, wantPID: int = 0
    ) -> Any:
        return self._adopt(factory)

    def adoptStreamPort(self, fileDescriptor: int, addressFamily: int, factory: Any) -> Any:
        return self._adopt(factory, expected=fileDescriptor)


class _WorkerProtocol(ProcessProtocol):
    """The supervisor's end of one worker: its log lines and its exit."""

    _MAX_LINE = 64 * 1024

    def __init__(self, supervisor: "WorkerSupervisor", number: int, endpoints: int = 0) -> None:
        self.supervisor = supervisor
        self.number = number
        self.pid: Optional[int] = None
        self.ended = False
        self.started = 0.0
        self._partial = b""
        #: fires once the worker logged that it listens on all ``endpoints``
        self.listening: defer.Deferred[None] = defer.Deferred()
        #: fires when the process has ended
        self.exited: defer.Deferred[None] = defer.Deferred()
        self._toListen = endpoints

    def connectionMade(self) -> None:
        self.pid = self.transport.pid

    def errReceived(self, data: bytes) -> None:
        data = self._partial + data
        lines = data.split(b"\n")
        self._partial = lines.pop()
        if len(self._partial) > self._MAX_LINE:
            lines.append(self._partial)
            self._partial = b""
        for line in lines:
            self._logLine(line)

    def _logLine(self, line: bytes) -> None:
        text = line.decode("utf-8", "replace").rstrip()
        if text:
            _log.info("worker {number} [{pid}] {line}", number=self.number, pid=self.pid, line=text)
        if "txh11 listening on " in text and self._toListen > 0:
            self._toListen -= 1
            if self._toListen == 0 and not self.listening.called:  # (a timeout cancels it)
                self.listening.callback(None)

    def processEnded(self, reason: Failure) -> None:
        if self._partial:
            self._logLine(self._partial)
            self._partial = b""
        self.ended = True
        if not self.listening.called:
            self.listening.errback(reason)
            self.listening.addErrback(lambda _: None)  # nobody else may be waiting
        self.supervisor._workerEnded(self, reason)
        self.exited.callback(None)


class WorkerSupervisor(Service):
    """The ``--workers`` supervisor: see the module docstring."""

    #: first restart delay (seconds); doubles while workers die young
    restartDelay = 0.5
    #: a worker that ran this long is not "young"
    healthyAfter = 10.0

    def __init__(self, options: Any, reactor: Any = None) -> None:
        if reactor is None:
            from twisted.internet import reactor as _reactor

            reactor = _reactor
        self.reactor = reactor
        self.options = options
        self.count = int(options["workers"])
        self.shutdownTimeout = float(options["shutdown-timeout"] or 0.0)
        self.recorded: list[RecordedSockets] = []
        self.workers: dict[int, _WorkerProtocol] = {}
        self._delay = self.restartDelay
        self._pendingStarts: dict[int, Any] = {}
        self._stopping = False
        self._allEnded: Optional[defer.Deferred[None]] = None
        self._reactorName = reactorName(reactor)
        self._cwd = os.getcwd()
        #: replaced workers still draining (rolling restart)
        self.retiring: set[_WorkerProtocol] = set()
        self._rolling: Optional[defer.Deferred[None]] = None

    # -- sockets ------------------------------------------------------------

    def privilegedStartService(self) -> None:
        super().privilegedStartService()
        if self.recorded:
            return
        recorder = SocketRecorder(self.reactor, self.count)
        try:
            for description in self.options["listen"]:
                endpoint = serverFromString(recorder, description)
                record = recorder.record(description, endpoint)
                _log.info(
                    "txh11 listening on {description} ({address}) for {count} workers",
                    description=description,
                    address=formatAddress(_address(record)),
                    count=self.count,
                )
        except BaseException:
            for record in recorder.recorded:
                record.close()
            raise
        self.recorded = recorder.recorded

    def _closeSockets(self) -> None:
        for record in self.recorded:
            record.close()

    # -- workers ------------------------------------------------------------

    def startService(self) -> None:
        self.privilegedStartService()
        super().startService()
        for number in range(1, self.count + 1):
            self._spawn(number)
        self.reactor.callWhenRunning(self._installHangup)

    def _installHangup(self) -> None:
        signal.signal(
            signal.SIGHUP, lambda signum, frame: self.reactor.callFromThread(self.rollingRestart)
        )

    # -- rolling restart -----------------------------------------------------

    def rollingRestart(self) -> "defer.Deferred[None]":
        """
        ``SIGHUP``: replace every worker, one at a time (see
        :func:`txh11.tap._rolling.replaceWorker`). A second one while this
        runs is ignored.
        """
        from txh11.tap._rolling import replaceAll

        if self._rolling is not None:
            _log.info("rolling restart already under way")
            return self._rolling
        _log.info("rolling restart of {count} worker(s)", count=len(self.workers))
        d = self._rolling = replaceAll(self)

        def done(result: Any) -> None:
            self._rolling = None
            _log.info("rolling restart done")

        return d.addBoth(done)

    def retire(self, old: _WorkerProtocol, new: _WorkerProtocol) -> "defer.Deferred[None]":
        """``new`` serves ``old``'s slot now; ``old`` drains (``SIGTERM``),
        killed after the shutdown timeout. Fires when ``old`` has exited."""
        if self.workers.get(old.number) is old:
            self.workers[old.number] = new
        self.retiring.add(old)
        self._signal(old, "TERM")
        killer = self.reactor.callLater(self.shutdownTimeout + _KILL_MARGIN, self._signal, old, "KILL")

        def exited(result: Any) -> Any:
            if killer.active():
                killer.cancel()
            return result

        return old.exited.addBoth(exited)

    def stopping(self) -> bool:
        """Whether the supervisor is stopping."""
        return self._stopping

    def kill(self, protocol: _WorkerProtocol) -> None:
        """End a worker now."""
        self._signal(protocol, "KILL")

    def _spawn(self, number: int) -> None:
        self._pendingStarts.pop(number, None)
        if self._stopping:
            return
        self.workers[number] = self.startWorker(number)

    def startWorker(self, number: int) -> _WorkerProtocol:
        """Start a worker process for slot ``number`` (its sockets)."""
        childFDs: dict[int, Any] = {0: "w", 1: 1, 2: "r"}
        sockets = []
        fixed = [r.fixedFd for r in self.recorded if r.fixedFd is not None]
        nextFd = max([_FIRST_FD - 1, *fixed]) + 1
        for record in self.recorded:
            if record.fixedFd is not None:
                fd = record.fixedFd
            else:
                fd, nextFd = nextFd, nextFd + 1
            childFDs[fd] = record.socketFor(number - 1).fileno()
            sockets.append([fd, int(record.family)])
        config = {"reactor": self._reactorName, "worker": number, "sockets": sockets}
        argv = [sys.executable, "-m", "txh11.worker", json.dumps(config), *self._workerArgv()]
        env = dict(os.environ)
        env["TXH11_WORKER"] = str(number)
        protocol = _WorkerProtocol(self, number, len(self.recorded))
        protocol.started = self.reactor.seconds()
        self.reactor.spawnProcess(
            protocol, sys.executable, argv, env=env, path=self._cwd, childFDs=childFDs
        )
        _log.info("worker {number} started, pid {pid}", number=number, pid=protocol.pid)
        return protocol

    def _workerArgv(self) -> list[str]:
        return list(self.options.argv)

    def _workerEnded(self, protocol: _WorkerProtocol, reason: Failure) -> None:
        status = getattr(reason.value, "exitCode", None)
        sig = getattr(reason.value, "signal", None)
        how = f"signal {sig}" if sig else f"status {status}"
        current = self.workers.get(protocol.number) is protocol
        if current:
            del self.workers[protocol.number]
        self.retiring.discard(protocol)
        if self._stopping or not current:  # (not current: replaced, or a replacement that failed)
            _log.info("worker {number} [{pid}] exited ({how})", number=protocol.number,
                      pid=protocol.pid, how=how)
            if (
                not (self.workers or self.retiring)
                and self._allEnded is not None
                and not self._allEnded.called
            ):
                self._allEnded.callback(None)
            return
        lived = self.reactor.seconds() - protocol.started
        if lived >= self.healthyAfter:
            self._delay = self.restartDelay
        delay = self._delay
        self._delay = min(self._delay * 2, _MAX_RESTART_DELAY)
        _log.warn(
            "worker {number} [{pid}] exited ({how}) after {lived:.1f}s; restarting in {delay}s",
            number=protocol.number,
            pid=protocol.pid,
            how=how,
            lived=lived,
            delay=delay,
        )
        self._pendingStarts[protocol.number] = self.reactor.callLater(
            delay, self._spawn, protocol.number
        )

    def stopService(self) -> "defer.Deferred[None]":
        super().stopService()
        self._stopping = True
        for call in self._pendingStarts.values():
            if call.active():
                call.cancel()
        self._pendingStarts.clear()
        self._closeSockets()
        if not (self.workers or self.retiring):
            return defer.succeed(None)
        self._allEnded = defer.Deferred()
        for protocol in [*self.workers.values(), *self.retiring]:
            self._signal(protocol, "TERM")
        killer = self.reactor.callLater(self.shutdownTimeout + _KILL_MARGIN, self._killAll)

        def done(result: Any) -> Any:
            if killer.active():
                killer.cancel()
            return result

        return self._allEnded.addBoth(done)

    def _killAll(self) -> None:
        for protocol in [*self.workers.values(), *self.retiring]:
            _log.warn("worker {number} [{pid}] did not stop; killing it",
                      number=protocol.number, pid=protocol.pid)
            self._signal(protocol, "KILL")

    def _signal(self, protocol: _WorkerProtocol, name: str) -> None:
        try:
            protocol.transport.signalProcess(name)
        except (error.ProcessExitedAlready, OSError):
            pass
