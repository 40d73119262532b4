"""--workers: the socket recorder, the adopting reactor, the supervisor and the worker's watcher."""

import json
import os
import socket
import stat

import pytest
from twisted.internet import error
from twisted.internet.endpoints import AdoptedStreamServerEndpoint, serverFromString
from twisted.internet.interfaces import IListeningPort
from twisted.internet.testing import MemoryReactor, MemoryReactorClock
from twisted.logger import capturedLogs
from twisted.protocols.tls import TLSMemoryBIOFactory
from twisted.python.failure import Failure
from zope.interface.verify import verifyObject

from txh11 import tap
from txh11.worker import ParentWatcher
from txh11.tap._service import CannotListen
from txh11.tap._workers import AdoptingReactor, SocketRecorder, WorkerSupervisor, reactorName


def test_reactorName():
    from twisted.internet.selectreactor import SelectReactor

    assert reactorName(SelectReactor.__new__(SelectReactor)) == "select"
    assert reactorName(object()) is None


# -- SocketRecorder ---------------------------------------------------------------


def record(description, workers=3):
    recorder = SocketRecorder(MemoryReactor(), workers)
    return recorder.record(description, serverFromString(recorder, description))


def test_tcp_gets_one_reuseport_socket_per_worker():
    rec = record("tcp:0:interface=127.0.0.1", workers=3)
    try:
        assert len(rec.sockets) == 3
        ports = {s.getsockname() for s in rec.sockets}
        assert len(ports) == 1 and ports.pop()[1] != 0
        for s in rec.sockets:
            assert s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT)
            assert not s.getblocking() and s.get_inheritable()
        assert rec.socketFor(4) is rec.sockets[1]
    finally:
        rec.close()


def test_recorded_port_is_an_IListeningPort():
    recorder = SocketRecorder(MemoryReactor(), 2)
    results = []
    serverFromString(recorder, "tcp:0:interface=127.0.0.1").listen(None).addBoth(results.append)
    (port,) = results
    verifyObject(IListeningPort, port)
    assert port.getHost().host == "127.0.0.1"
    port.stopListening()
    assert port.record.sockets == []


def test_wrapped_endpoints_record_their_inner_sockets():
    for description in ("haproxy:tcp:0:interface=127.0.0.1", r"tcp6:0:interface=\:\:1"):
        try:
            rec = record(description, workers=2)
        except CannotListen:
            assert "tcp6" in description  # no IPv6 here
            continue
        assert len(rec.sockets) == 2
        rec.close()


def test_unix_socket_is_shared_and_removed(tmp_path):
    path = tmp_path / "s.sock"
    rec = record(f"unix:{path}:mode=600", workers=4)
    assert len(rec.sockets) == 1 and rec.family == socket.AF_UNIX
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    rec.close()
    assert not path.exists() and not (tmp_path / "s.sock.lock").exists()


def test_adopted_socket_is_duplicated():
    """systemd: the endpoint closes the descriptor it adopted; we keep a duplicate."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        inherited = os.dup(listener.fileno())
        recorder = SocketRecorder(MemoryReactor(), 2)
        endpoint = AdoptedStreamServerEndpoint(recorder, inherited, socket.AF_INET)
        rec = recorder.record("systemd:domain=INET:index=0", endpoint)
        with pytest.raises(OSError):
            os.fstat(inherited)
        assert len(rec.sockets) == 1
        assert rec.sockets[0].getsockname() == listener.getsockname()
        rec.close()


def test_port_in_use_and_unshareable_endpoints():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CannotListen, match="in use"):
            record(f"tcp:{port}:interface=127.0.0.1")

    class UDPish:
        def __init__(self, reactor):
            self.reactor = reactor

        def listen(self, factory):
            from twisted.internet import defer

            return defer.execute(self.reactor.listenUDP, 0, None)

    recorder = SocketRecorder(MemoryReactor(), 2)
    with pytest.raises(CannotListen, match="cannot be shared"):
        recorder.record("udp-ish", UDPish(recorder))


# -- AdoptingReactor ------------------------------------------------------------------


def test_adopting_reactor_adopts_inherited_sockets_and_adds_tls(monkeypatch):
    import txh11.tap._workers as workers

    closed = []
    realClose = os.close
    monkeypatch.setattr(workers.os, "close", lambda fd: (closed.append(fd), realClose(fd)))
    memory = MemoryReactor()
    a, b = socket.socket(), socket.socket()
    fds = [os.dup(a.fileno()), os.dup(b.fileno())]
    a.close(), b.close()
    adopting = AdoptingReactor(memory, [(fds[0], socket.AF_INET), (fds[1], socket.AF_INET6)])
    import trustme
    from twisted.internet.ssl import PrivateCertificate

    pem = trustme.CA().issue_cert("localhost").private_key_and_cert_chain_pem.bytes()
    contextFactory = PrivateCertificate.loadPEM(pem).options()
    plain = object()
    adopting.listenTCP(8080, plain, 50, "")
    adopting.listenSSL(8443, plain, contextFactory, 50, "")
    (fd1, family1, factory1), (fd2, family2, factory2) = memory.adoptedPorts
    assert (fd1, family1, factory1) == (fds[0], socket.AF_INET, plain)
    assert (fd2, family2) == (fds[1], socket.AF_INET6)
    assert isinstance(factory2, TLSMemoryBIOFactory) and factory2.wrappedFactory is plain
    assert closed == fds  # closed once adopted (the port holds a duplicate)
    with pytest.raises(error.CannotListenError):
        adopting.listenUNIX("/x", plain)
    assert adopting.tcpServers is memory.tcpServers  # everything else is the reactor


# -- WorkerSupervisor -----------------------------------------------------------------


class FakeProcess:
    def __init__(self, pid):
        self.pid = pid
        self.signals = []

    def signalProcess(self, name):
        self.signals.append(name)


class ProcessReactor(MemoryReactorClock):
    def __init__(self):
        super().__init__()
        self.spawned = []

    def spawnProcess(self, protocol, executable, args, env=None, path=None, childFDs=None, **kw):
        transport = FakeProcess(1000 + len(self.spawned))
        self.spawned.append((protocol, executable, args, env, path, childFDs))
        protocol.makeConnection(transport)
        return transport


def ended(protocol, code=0, sig=None):
    from twisted.internet.error import ProcessDone, ProcessTerminated

    reason = ProcessDone(0) if code == 0 and sig is None else ProcessTerminated(code, sig)
    protocol.processEnded(Failure(reason))


@pytest.fixture
def supervisor():
    options = tap.Options(reactor=MemoryReactor())
    options.parseOptions(["--echo", "--workers", "2", "--listen", "tcp:0:interface=127.0.0.1",
                          "--shutdown-timeout", "3"])
    reactor = ProcessReactor()
    s = WorkerSupervisor(options, reactor)
    yield s, reactor
    s._closeSockets()


def test_supervisor_spawns_workers_with_the_sockets(supervisor):
    s, reactor = supervisor
    s.privilegedStartService()
    s.startService()
    assert len(reactor.spawned) == 2
    fds = set()
    for number, (protocol, executable, args, env, path, childFDs) in enumerate(reactor.spawned, 1):
        assert args[1:3] == ["-m", "txh11.worker"]
        config = json.loads(args[3])
        assert config["worker"] == number and config["sockets"] == [[3, socket.AF_INET]]
        assert args[4:] == s.options.argv
        assert childFDs[0] == "w" and childFDs[1] == 1 and childFDs[2] == "r"
        fds.add(childFDs[3])
        assert env["TXH11_WORKER"] == str(number) and path == os.getcwd()
    assert len(fds) == 2  # one SO_REUSEPORT socket each


def test_supervisor_restarts_with_backoff_and_logs_worker_output(supervisor):
    s, reactor = supervisor
    s.startService()
    first = reactor.spawned[0][0]
    with capturedLogs() as events:
        first.childDataReceived(2, b"[x#info] hello\npartial")
        first.childDataReceived(2, b" line\n")
    lines = [e["line"] for e in events if "line" in e]
    assert lines == ["[x#info] hello", "partial line"]

    ended(first, 1)
    assert len(reactor.spawned) == 2
    reactor.advance(s.restartDelay)
    assert len(reactor.spawned) == 3 and s.workers[1] is reactor.spawned[2][0]
    ended(reactor.spawned[2][0], sig=9)  # dies young again: the delay doubles
    reactor.advance(s.restartDelay)
    assert len(reactor.spawned) == 3
    reactor.advance(s.restartDelay)
    assert len(reactor.spawned) == 4
    reactor.advance(s.healthyAfter)  # a healthy run resets it
    ended(reactor.spawned[3][0], 1)
    reactor.advance(s.restartDelay)
    assert len(reactor.spawned) == 5


def test_supervisor_stop_terminates_then_kills(supervisor):
    s, reactor = supervisor
    s.startService()
    ended(reactor.spawned[0][0], 1)  # a restart is pending when we stop
    d = s.stopService()
    reactor.advance(60)
    assert len(reactor.spawned) == 2  # no restart after stop
    second = reactor.spawned[1][0]
    assert second.transport.signals == ["TERM", "KILL"]
    assert not d.called
    ended(second, sig=9)
    assert d.called
    assert all(r.sockets == [] for r in s.recorded)


def test_supervisor_stop_when_workers_exit_in_time(supervisor):
    s, reactor = supervisor
    s.startService()
    d = s.stopService()
    for protocol, *_ in reactor.spawned:
        assert protocol.transport.signals == ["TERM"]
        ended(protocol)
    assert d.called
    reactor.advance(60)
    assert all(p.transport.signals == ["TERM"] for p, *_ in reactor.spawned)


# -- the worker's side ----------------------------------------------------------------


class Stopper:
    stops = 0

    def stop(self):
        self.stops += 1


def test_parent_watcher_stops_at_end_of_file():
    r, w = os.pipe()
    try:
        reactor = MemoryReactor()
        reactor.removeReader = lambda reader: None
        stopper = Stopper()
        watcher = ParentWatcher(reactor, stopper, r)
        from twisted.internet.interfaces import IReadDescriptor

        verifyObject(IReadDescriptor, watcher)
        assert watcher.fileno() == r
        watcher.doRead()  # nothing yet (non-blocking)
        os.write(w, b"ignored")
        watcher.doRead()
        assert stopper.stops == 0
        os.close(w)
        w = None
        watcher.doRead()
        assert stopper.stops == 1
        watcher.connectionLost(None)  # poll/epoll report a hang-up this way
        assert stopper.stops == 2
    finally:
        os.close(r)
        if w is not None:
            os.close(w)


def test_adopting_reactor_leaves_systemd_descriptors_to_the_endpoint(monkeypatch):
    import txh11.tap._workers as workers

    closed = []
    monkeypatch.setattr(workers.os, "close", closed.append)
    memory = MemoryReactor()
    adopting = AdoptingReactor(memory, [(3, socket.AF_INET), (9, socket.AF_INET)])
    adopting.adoptStreamPort(3, socket.AF_INET, "factory")
    assert memory.adoptedPorts == [(3, socket.AF_INET, "factory")]
    assert closed == []  # AdoptedStreamServerEndpoint closes it itself
    with pytest.raises(error.CannotListenError, match="descriptor 9, not 4"):
        adopting.adoptStreamPort(4, socket.AF_INET, "factory")


def test_supervisor_keeps_systemd_descriptor_numbers(supervisor):
    from txh11.tap._workers import RecordedSockets

    s, reactor = supervisor
    tcp = socket.socket()
    systemd = socket.socket()
    s.recorded = [
        RecordedSockets("tcp:0", socket.AF_INET, [tcp]),
        RecordedSockets("systemd:domain=INET:index=1", socket.AF_INET, [systemd], fixedFd=4),
    ]
    s.startService()
    childFDs = reactor.spawned[0][5]
    config = json.loads(reactor.spawned[0][2][3])
    assert config["sockets"] == [[5, socket.AF_INET], [4, socket.AF_INET]]
    assert childFDs[4] == systemd.fileno() and childFDs[5] == tcp.fileno()
    assert 3 not in childFDs


# -- rolling restart (SIGHUP) ---------------------------------------------------------


def listening(protocol):
    protocol.childDataReceived(2, b"[txh11.tap._service#info] txh11 listening on tcp:0 (127.0.0.1:1)\n")


def test_rolling_restart_replaces_one_slot_at_a_time_on_the_same_sockets(supervisor):
    s, reactor = supervisor
    s.startService()
    old1, old2 = (p for p, *_ in reactor.spawned)
    d = s.rollingRestart()
    assert len(reactor.spawned) == 3
    new1, _, _, _, _, childFDs = reactor.spawned[2]
    assert childFDs[3] == reactor.spawned[0][5][3]  # slot 1's socket
    assert old1.transport.signals == []  # not before the new one listens
    listening(new1)
    assert old1.transport.signals == ["TERM"] and s.workers[1] is new1 and old1 in s.retiring
    assert len(reactor.spawned) == 3  # slot 2 waits until the old worker of slot 1 is gone
    ended(old1)
    assert old1 not in s.retiring and len(reactor.spawned) == 4  # (and not restarted)
    new2 = reactor.spawned[3][0]
    listening(new2)
    assert old2.transport.signals == ["TERM"]
    assert not d.called
    ended(old2)
    assert d.called and s.workers == {1: new1, 2: new2}
    reactor.advance(60)
    assert len(reactor.spawned) == 4 and new1.transport.signals == []


def test_rolling_restart_keeps_the_old_worker_when_the_new_one_fails(supervisor):
    s, reactor = supervisor
    s.startService()
    old1 = reactor.spawned[0][0]
    d = s.rollingRestart()
    assert s.rollingRestart() is d  # one at a time
    ended(reactor.spawned[2][0], 1)  # the new worker dies before it listens
    assert d.called and s.workers[1] is old1 and old1.transport.signals == []
    reactor.advance(60)
    assert len(reactor.spawned) == 3  # a failed replacement is not restarted


def test_rolling_restart_gives_up_on_a_new_worker_that_never_listens(supervisor):
    s, reactor = supervisor
    s.startService()
    d = s.rollingRestart()
    new1 = reactor.spawned[2][0]
    reactor.advance(60)
    assert d.called and new1.transport.signals == ["KILL"]
    assert s.workers[1] is reactor.spawned[0][0]


def test_stop_during_a_rolling_restart_stops_the_retiring_worker_too(supervisor):
    s, reactor = supervisor
    s.startService()
    old1 = reactor.spawned[0][0]
    s.rollingRestart()
    new1 = reactor.spawned[2][0]
    listening(new1)
    stopped = s.stopService()
    assert old1.transport.signals == ["TERM", "TERM"] and new1.transport.signals == ["TERM"]
    for protocol in (reactor.spawned[1][0], new1):
        ended(protocol)
    assert not stopped.called  # old1 is still draining
    ended(old1)
    assert stopped.called
