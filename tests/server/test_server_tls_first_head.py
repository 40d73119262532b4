"""On TLS the first head is due within headerTimeout of the accept (a stalled handshake)."""

from twisted.internet.interfaces import ISSLTransport
from twisted.internet.testing import StringTransport
from zope.interface import directlyProvides

from tests._support.server import hello, serve

SETTINGS = dict(headerTimeout=5.0, idleTimeout=60.0)


def _tls():
    transport = StringTransport()
    directlyProvides(transport, ISSLTransport)
    return transport


def test_nothing_after_the_accept_is_aborted_at_the_header_timeout_without_a_408():
    proto, transport, clock = serve(hello, _tls(), **SETTINGS)
    clock.advance(4.9)
    assert not transport.disconnecting
    clock.advance(0.2)
    assert transport.disconnecting and transport.value() == b""


def test_a_partial_first_head_gets_408_at_the_header_timeout_from_the_accept():
    proto, transport, clock = serve(hello, _tls(), **SETTINGS)
    clock.advance(4)
    proto.dataReceived(b"GET / HTTP/1.1\r\n")
    clock.advance(1.1)
    assert transport.value().startswith(b"HTTP/1.1 408 ")


def test_plain_tcp_and_a_shorter_idle_timeout_keep_the_idle_timeout():
    for transport, settings in [(StringTransport(), SETTINGS), (_tls(), dict(SETTINGS, idleTimeout=2.0))]:
        proto, transport, clock = serve(hello, transport, **settings)
        clock.advance(5.1)
        assert transport.disconnecting == (settings["idleTimeout"] < 5)
        clock.advance(60)
        assert transport.disconnecting


def test_later_heads_are_timed_from_their_first_byte():
    proto, transport, clock = serve(hello, _tls(), **SETTINGS)
    proto.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    clock.advance(30)
    assert not transport.disconnecting  # idle, not a head being late
