"""txh11.web.Site.drain: the embedders' graceful shutdown."""

from twisted.internet.error import ConnectionDone
from twisted.python.failure import Failure
from twisted.web.resource import Resource

from tests._support.web import serve


class Hello(Resource):
    isLeaf = True

    def render_GET(self, request):
        return b"hello"


def test_site_drain_answers_with_close_and_fires_when_closed():
    proto, transport, clock, site = serve(Hello())
    d = site.drain(5)
    out = []
    d.addBoth(out.append)
    proto.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")  # arrived during the drain
    assert transport.value().startswith(b"HTTP/1.1 200 ")
    assert b"connection: close\r\n" in transport.value().lower()
    assert transport.disconnecting and out == []
    proto.connectionLost(Failure(ConnectionDone()))
    assert out == [None] and len(site.openConnections) == 0
