"""makeService, HTTPServerService (listen, graceful drain), SignalGuard, helpers."""

import json
import signal
from io import StringIO

import pytest
from twisted.application.service import IService, MultiService, Service
from twisted.internet import defer
from twisted.internet.interfaces import IListeningPort, IProtocolNegotiationFactory, IStreamServerEndpoint
from twisted.internet.testing import MemoryReactor, MemoryReactorClock, StringTransport
from twisted.internet.task import Clock
from twisted.python.threadpool import ThreadPool
from twisted.web.resource import IResource, Resource
from twisted.web.server import NOT_DONE_YET
from zope.interface import implementer
from zope.interface.verify import verifyObject

from txh11 import tap
from txh11.tap._echo import EchoResource, describeRequest
from txh11.tap._service import (
    CannotListen,
    HTTPServerService,
    SequentialMultiService,
    SignalGuard,
    ThreadPoolService,
    TrackingFactory,
    formatAddress,
    isIdle,
)
from txh11.tap._site import AccessLog, SiteSettings, makeSite
from txh11.web import Site


@implementer(IListeningPort)
class FakePort:
    def __init__(self, factory):
        self.factory = factory
        self.listening = True

    def startListening(self):
        pass

    def stopListening(self):
        self.listening = False

    def getHost(self):
        from twisted.internet.address import IPv4Address

        return IPv4Address("TCP", "127.0.0.1", 4321)


@implementer(IStreamServerEndpoint)
class FakeEndpoint:
    def __init__(self, error=None):
        self.error = error
        self.ports = []

    def listen(self, factory):
        if self.error is not None:
            return defer.fail(self.error)
        port = FakePort(factory)
        self.ports.append(port)
        return defer.succeed(port)


class Slow(Resource):
    """Answers /slow only when told to; everything else at once."""

    isLeaf = True

    def __init__(self):
        super().__init__()
        self.pending = []

    def render_GET(self, request):
        if request.path == b"/slow":
            self.pending.append(request)
            return NOT_DONE_YET
        return b"fast"


def options(*args):
    o = tap.Options(reactor=MemoryReactor())
    o.parseOptions(list(args))
    return o


# -- makeService --------------------------------------------------------------


def test_makeService_single_process(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    service = tap.makeService(options("--echo", "--listen", "tcp:0"))
    verifyObject(IService, service)
    kinds = [type(s) for s in service]
    assert kinds == [HTTPServerService, SignalGuard]
    server = list(service)[0]
    assert [d for d, _ in server.endpoints] == ["tcp:0"]
    assert isinstance(server.factory.wrappedFactory, Site)


def test_makeService_wsgi_pool_stops_after_the_server(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tap_svc_app.py").write_text("def app(e, s):\n    return []\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    service = tap.makeService(options("--wsgi", "tap_svc_app.app"))
    assert isinstance(service, SequentialMultiService)
    assert [type(s) for s in service] == [ThreadPoolService, HTTPServerService, SignalGuard]


def test_makeService_workers():
    from txh11.tap._workers import WorkerSupervisor

    service = tap.makeService(options("--echo", "--workers", "2"))
    assert [type(s) for s in service] == [WorkerSupervisor, SignalGuard]


def test_makeSite_applies_the_settings():
    settings = SiteSettings(idleTimeout=5, headerTimeout=6, bodyTimeout=None, maxHeaderSize=1000,
                            maxBodySize=2000)
    site = makeSite(EchoResource(), settings)
    assert isinstance(site, Site)
    protocol = site.buildProtocol(None)
    assert (protocol.idleTimeout, protocol.headerTimeout, protocol.bodyTimeout) == (5, 6, None)
    assert (protocol.maxIncompleteEventSize, protocol.maxBodySize) == (1000, 2000)


# -- listening ------------------------------------------------------------------


def test_listens_in_privilegedStartService_and_stops_listening():
    clock = Clock()
    endpoint = FakeEndpoint()
    service = HTTPServerService(Site(EchoResource()), [("fake:1", endpoint)], clock)
    verifyObject(IService, service)
    service.privilegedStartService()
    service.startService()
    assert len(endpoint.ports) == 1  # once, not twice
    assert isinstance(endpoint.ports[0].factory, TrackingFactory)
    d = service.stopService()
    assert fired(d) and not endpoint.ports[0].listening


def test_an_endpoint_that_listens_later_gets_its_port_recorded():
    late = defer.Deferred()

    @implementer(IStreamServerEndpoint)
    class LateEndpoint:
        def listen(self, factory):
            self.factory = factory
            return late

    endpoint = LateEndpoint()
    service = HTTPServerService(Site(EchoResource()), [("late", endpoint)], Clock())
    service.startService()
    assert service.ports == []
    port = FakePort(endpoint.factory)
    late.callback(port)
    assert service.ports == [("late", port)]
    assert fired(service.stopService()) and not port.listening


def test_listen_failure_is_a_one_line_SystemExit():
    from twisted.internet.error import CannotListenError

    good, bad = FakeEndpoint(), FakeEndpoint(CannotListenError("127.0.0.1", 80, OSError(98, "Address in use")))
    service = HTTPServerService(Site(EchoResource()), [("good", good), ("tcp:80", bad)], Clock())
    with pytest.raises(CannotListen) as info:
        service.privilegedStartService()
    assert isinstance(info.value, SystemExit)
    message = str(info.value)
    assert message.startswith("txh11: cannot listen on 'tcp:80': ") and "\n" not in message
    assert not good.ports[0].listening  # what did listen is closed again


def test_TrackingFactory_passes_interfaces_and_calls_through():
    site = Site(EchoResource())
    tracking = TrackingFactory(site)
    from twisted.internet.interfaces import IProtocolFactory

    verifyObject(IProtocolFactory, tracking)
    verifyObject(IProtocolNegotiationFactory, tracking)
    assert tracking.acceptableProtocols() == site.acceptableProtocols()  # passed through
    tracking.doStart()
    assert site.numPorts == 1
    tracking.doStop()
    assert site.numPorts == 0


# -- graceful drain -------------------------------------------------------------


def connected(service):
    protocol = service.factory.buildProtocol(None)
    transport = StringTransport()
    protocol.makeConnection(transport)
    return protocol, transport


def startedSlowService(shutdownTimeout):
    """A started HTTPServerService whose Site answers /slow only when told."""
    clock = Clock()
    slow = Slow()
    service = HTTPServerService(Site(slow, reactor=clock), [("fake", FakeEndpoint())], clock,
                                shutdownTimeout=shutdownTimeout)
    service.startService()
    return clock, slow, service


def busyConnection(service):
    """A connection to ``service`` with a request to /slow in progress."""
    busy, transport = connected(service)
    busy.dataReceived(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
    return busy, transport


def fired(d):
    """Whether ``d`` has a result (not merely paused, waiting on another Deferred)."""
    results = []
    d.addBoth(lambda r: results.append(r) or r)
    return bool(results)


def lose(protocol):
    from twisted.internet.error import ConnectionDone
    from twisted.python.failure import Failure

    protocol.connectionLost(Failure(ConnectionDone()))


def test_drain_closes_idle_at_once_and_busy_when_done():
    clock, slow, service = startedSlowService(shutdownTimeout=10)
    idle, idleTransport = connected(service)
    clock.advance(5)  # quiet a while: closed at once (a fresher one gets a moment)
    busy, busyTransport = busyConnection(service)
    assert len(slow.pending) == 1
    assert isIdle(idle) and not isIdle(busy)

    d = service.stopService()
    assert idleTransport.disconnecting and not busyTransport.disconnecting
    lose(idle)
    clock.advance(1)
    assert not fired(d) and not busyTransport.disconnecting

    request = slow.pending.pop()
    request.write(b"done")
    request.finish()
    clock.advance(0.1)
    assert b"done" in busyTransport.value()
    assert busyTransport.disconnecting
    assert not fired(d)
    lose(busy)
    assert fired(d) and len(service.factory.protocols) == 0


def test_drain_aborts_what_is_left_at_the_deadline():
    clock, slow, service = startedSlowService(shutdownTimeout=2)
    busy, transport = busyConnection(service)
    d = service.stopService()
    clock.advance(1.9)
    assert not fired(d)
    clock.advance(0.2)
    assert transport.disconnecting  # StringTransport: abortConnection
    clock.advance(0)
    assert fired(d)


def test_hurry_aborts_now():
    clock, slow, service = startedSlowService(shutdownTimeout=100)
    busy, transport = busyConnection(service)
    d = service.stopService()
    service.hurry()
    clock.advance(0.1)
    clock.advance(0)
    assert transport.disconnecting and fired(d)


def test_stop_with_no_connections_is_immediate():
    hooks = []
    service = HTTPServerService(Site(EchoResource()), [("fake", FakeEndpoint())], Clock(),
                                onStart=[lambda: hooks.append("start")],
                                onStop=[lambda: hooks.append("stop")])
    service.startService()
    assert fired(service.stopService())
    assert hooks == ["start", "stop"]


def test_isIdle_unknown_protocols_are_busy():
    assert not isIdle(object())


def test_formatAddress():
    from twisted.internet.address import IPv4Address, IPv6Address, UNIXAddress

    assert formatAddress(IPv4Address("TCP", "127.0.0.1", 80)) == "127.0.0.1:80"
    assert formatAddress(IPv6Address("TCP", "::1", 80)) == "[::1]:80"
    assert formatAddress(UNIXAddress(b"/run/x.sock")) == "/run/x.sock"


# -- services -------------------------------------------------------------------


def test_SequentialMultiService_stops_last_first_one_at_a_time():
    order = []
    gate = defer.Deferred()

    class Child(Service):
        def __init__(self, name, result=None):
            self.name, self.result = name, result

        def stopService(self):
            Service.stopService(self)
            order.append(self.name)
            return self.result

    parent = SequentialMultiService()
    Child("first").setServiceParent(parent)
    Child("second", gate).setServiceParent(parent)
    parent.startService()
    d = parent.stopService()
    assert order == ["second"] and not d.called
    gate.callback(None)
    assert order == ["second", "first"] and d.called


def test_ThreadPoolService():
    pool = ThreadPool(0, 1)
    service = ThreadPoolService(pool)
    service.startService()
    assert pool.started
    service.stopService()
    assert not pool.started


class FakeSignalReactor(MemoryReactorClock):
    def __init__(self):
        super().__init__()
        self.stops = 0
        self._exitSignal = None

    def stop(self):
        self.stops += 1

    def callFromThread(self, f, *args):
        f(*args)


def test_SignalGuard_first_stops_then_sigint_hurries():
    reactor = FakeSignalReactor()
    hurried = []
    guard = SignalGuard(reactor, hurry=lambda: hurried.append(1))
    guard.signalReceived(signal.SIGTERM)
    assert reactor.stops == 1 and reactor._exitSignal == signal.SIGTERM
    guard.signalReceived(signal.SIGTERM)
    assert reactor.stops == 1 and hurried == []
    guard.signalReceived(signal.SIGINT)
    assert reactor.stops == 1 and hurried == [1]


def test_SignalGuard_installs_when_running(monkeypatch):
    reactor = FakeSignalReactor()
    installed = {}
    monkeypatch.setattr(signal, "signal", lambda sig, handler: installed.setdefault(sig, handler))
    guard = SignalGuard(reactor)
    guard.startService()
    assert installed == {}
    reactor.run()  # MemoryReactor: runs the callWhenRunning calls (and stops)
    assert set(installed) == {signal.SIGTERM, signal.SIGINT}
    before = reactor.stops
    installed[signal.SIGINT](signal.SIGINT, None)
    assert reactor.stops == before + 1


# -- echo and access log -----------------------------------------------------------


def echoRequest(body=b"hello"):
    from io import BytesIO

    from twisted.web.server import Request
    from twisted.web.test.requesthelper import DummyChannel

    request = Request(DummyChannel())
    request.method = b"PATCH"
    request.uri = b"/a/b?c=d"
    request.clientproto = b"HTTP/1.1"
    request.requestHeaders.addRawHeader(b"X-One", b"1")
    request.requestHeaders.addRawHeader(b"X-One", b"2")
    request.content = BytesIO(body)
    return request


def test_echo_resource():
    resource = EchoResource()
    verifyObject(IResource, resource)
    request = echoRequest(b"x" * 200_000)
    body = resource.render(request)
    info = json.loads(body)
    assert info["method"] == "PATCH"
    assert info["target"] == "/a/b?c=d"
    assert info["version"] == "HTTP/1.1"
    assert ["X-One", "1"] in info["headers"] and ["X-One", "2"] in info["headers"]
    assert info["body_length"] == 200_000
    assert info["client"]["type"] == "IPv4Address" and "port" in info["client"]
    assert info["secure"] is False
    assert isinstance(info["server"]["pid"], int)
    assert request.responseHeaders.getRawHeaders(b"content-type") == [b"application/json"]
    assert describeRequest(echoRequest(b""))["body_length"] == 0


def test_access_log_to_file_and_stdout(tmp_path, monkeypatch):
    request = echoRequest()
    request.code = 200
    request.sentLength = 42
    request.requestHeaders.addRawHeader(b"User-Agent", b"tester")
    path = tmp_path / "access.log"
    log = AccessLog(str(path))
    log.log(request)  # not open: nothing
    log.open()
    log.log(request)
    log.close()
    line = path.read_text()
    assert line.endswith('"PATCH /a/b?c=d HTTP/1.1" 200 42 "-" "tester"\n')
    assert line.count("\n") == 1

    out = StringIO()
    monkeypatch.setattr("sys.__stdout__", out)
    log = AccessLog("-")
    log.open()
    log.log(request)
    log.close()
    assert out.getvalue() == line and not out.closed


def test_site_log_goes_to_the_access_log(tmp_path):
    log = AccessLog(str(tmp_path / "a.log"))
    site = makeSite(EchoResource(), SiteSettings(), log)
    assert site.log == log.log


def test_multiservice_is_a_MultiService():
    assert issubclass(SequentialMultiService, MultiService)
