"""HTTP11ServerFactory.drain / ConnectionSet: keep-alive off, what arrived answered, quiet closed."""

from twisted.internet.error import ConnectionDone
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure

from txh11.server import HTTP11ServerFactory
from txh11.server._drain import DRAIN_QUIET

GET = b"GET /%d HTTP/1.1\r\nHost: a\r\n\r\n"


class Later:
    """Answers when told (``pending``), or at once with ``now``."""

    def __init__(self, now=False):
        self.now = now
        self.pending = []

    def __call__(self, request):
        if self.now:
            request.respond(200, [], b"ok")
        else:
            self.pending.append(request)


def setUp(now=False):
    clock = Clock()
    handler = Later(now)
    factory = HTTP11ServerFactory(handler, clock)
    return clock, handler, factory


def connect(factory):
    proto = factory.buildProtocol(None)
    transport = StringTransport()
    proto.makeConnection(transport)
    return proto, transport


def lose(proto):
    proto.connectionLost(Failure(ConnectionDone()))


def fired(d):
    out = []
    d.addBoth(out.append)
    return bool(out)


def test_a_response_not_yet_begun_says_close_and_the_connection_closes_after():
    clock, handler, factory = setUp()
    proto, transport = connect(factory)
    proto.dataReceived(GET % 1)
    d = factory.drain(10)
    handler.pending.pop().respond(200, [], b"ok")
    assert b"connection: close\r\n" in transport.value().lower()
    assert transport.disconnecting
    assert not fired(d)
    lose(proto)
    assert fired(d)


def test_after_a_keep_alive_response_the_next_request_is_answered_with_close():
    clock, handler, factory = setUp()
    proto, transport = connect(factory)
    proto.dataReceived(GET % 1)
    request = handler.pending.pop()
    request.send(__import__("txh11").Response(status_code=200, headers=[("content-length", "2")]))
    factory.drain(10)  # the head promised keep-alive already
    request.write(b"ok")
    request.send(__import__("txh11").EndOfMessage())
    assert b"close" not in transport.value().lower() and not transport.disconnecting
    clock.advance(DRAIN_QUIET / 2)  # the client sends its next request in the meantime
    transport.clear()
    proto.dataReceived(GET % 2)
    handler.pending.pop().respond(200, [], b"ok")
    assert b"connection: close\r\n" in transport.value().lower()
    assert transport.disconnecting


def test_quiet_connections_close_at_once_fresh_ones_after_a_moment():
    clock, handler, factory = setUp(now=True)
    quiet, quietTransport = connect(factory)
    clock.advance(DRAIN_QUIET + 5)
    fresh, freshTransport = connect(factory)
    d = factory.drain(10)
    assert quietTransport.disconnecting and not freshTransport.disconnecting
    clock.advance(DRAIN_QUIET)
    assert freshTransport.disconnecting
    lose(quiet)
    lose(fresh)
    assert fired(d)


def test_a_connection_made_during_the_drain_is_drained_too():
    clock, handler, factory = setUp(now=True)
    factory.drain(10)
    late, transport = connect(factory)
    clock.advance(0)
    late.dataReceived(GET % 1)
    assert b"connection: close\r\n" in transport.value().lower()


def test_busy_connections_are_aborted_at_the_deadline_and_counted():
    from twisted.logger import globalLogPublisher

    events = []
    globalLogPublisher.addObserver(events.append)
    try:
        clock, handler, factory = setUp()
        busy, transport = connect(factory)
        busy.dataReceived(GET % 1)
        d = factory.drain(3)
        clock.advance(2.9)
        assert not transport.disconnecting
        clock.advance(0.2)
        assert transport.disconnecting
        clock.advance(0)
        assert fired(d)
    finally:
        globalLogPublisher.removeObserver(events.append)
    cut = [e for e in events if "still busy" in e.get("log_format", "")]
    assert len(cut) == 1 and cut[0]["count"] == 1


def test_nothing_open_fires_at_once():
    clock, handler, factory = setUp()
    assert fired(factory.drain(10))
