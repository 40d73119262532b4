"""
A closed connection is freed by reference counting: no reference cycle is
left for the garbage collector, whose passes cost every server that opens
many short connections (Connection: close traffic).
"""

import gc
import weakref

from twisted.internet.error import ConnectionDone
from twisted.python.failure import Failure

from tests._support.server import hello, serve


def closed_connection(request, close=False, **settings):
    proto, transport, clock = serve(hello, **settings)
    proto.dataReceived(request)
    clock.advance(0)
    wire = transport.value()
    if close:
        proto.loseConnection()  # e.g. a shutdown: the close timer is armed
        assert clock.getDelayedCalls()
    proto.connectionLost(Failure(ConnectionDone()))
    assert not clock.getDelayedCalls()
    return weakref.ref(proto), wire


def assert_freed_by_refcount(request, **kwargs):
    gc.collect()
    gc.disable()
    try:
        ref, wire = closed_connection(request, **kwargs)
        assert wire.startswith(b"HTTP/1.1 200 ")
        assert ref() is None, gc.get_referrers(ref())
    finally:
        gc.enable()


def test_connection_close_request():
    assert_freed_by_refcount(b"GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")


def test_keepalive_connection_closed_by_the_server_with_timers_armed():
    assert_freed_by_refcount(b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n", close=True)
