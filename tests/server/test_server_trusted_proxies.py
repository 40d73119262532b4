"""trustedProxies on the native server and on txh11.web.Site (StringTransport)."""

from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.testing import StringTransport
from twisted.web.resource import Resource

from tests._support.server import serve
from tests._support.web import serve as serveSite
from txh11.forwarded import parseTrustedProxies

HEAD = (
    b"GET / HTTP/1.1\r\nHost: x\r\n"
    b"X-Forwarded-For: 198.51.100.2, 203.0.113.7\r\nX-Forwarded-Proto: https\r\n\r\n"
)


def _native(peer, **settings):
    seen = []

    def handler(request):
        seen.append((request.getClientAddress(), request.isSecure(), request.getPeer()))
        request.respond(200, [], b"")

    proto, transport, _ = serve(handler, StringTransport(peerAddress=peer), **settings)
    proto.dataReceived(HEAD)
    return seen


def test_native_trusted_peer_names_the_client():
    peer = IPv4Address("TCP", "127.0.0.1", 5000)
    [(client, secure, got)] = _native(peer, trustedProxies=parseTrustedProxies("127.0.0.1"))
    assert (client, secure, got) == (IPv4Address("TCP", "203.0.113.7", 0), True, peer)


def test_native_untrusted_or_off_is_ignored():
    peer = IPv4Address("TCP", "127.0.0.1", 5000)
    assert _native(peer, trustedProxies=parseTrustedProxies("10.0.0.1")) == [(peer, False, peer)]
    assert _native(peer) == [(peer, False, peer)]


def test_native_ipv6_client():
    peer = IPv6Address("TCP", "::1", 5000)
    seen = []

    def handler(request):
        seen.append(request.getClientAddress())
        request.respond(200, [], b"")

    proto, _, _ = serve(handler, StringTransport(peerAddress=peer),
                        trustedProxies=parseTrustedProxies("::1"))
    proto.dataReceived(b"GET / HTTP/1.1\r\nHost: x\r\nForwarded: for=\"[2001:db8::5]:1234\"\r\n\r\n")
    assert seen == [IPv6Address("TCP", "2001:db8::5", 1234)]


class Who(Resource):
    isLeaf = True

    def __init__(self):
        super().__init__()
        self.seen = []

    def render_GET(self, request):
        self.seen.append((request.getClientAddress(), request.isSecure()))
        return b"ok"


def test_site_trusted_and_untrusted():
    for trusted, expected in [
        ("192.168.0.0/16", (IPv4Address("TCP", "203.0.113.7", 0), True)),
        ("10.0.0.0/8", (IPv4Address("TCP", "192.168.1.1", 54321), False)),  # StringTransport's peer
    ]:
        who = Who()
        proto, transport, clock, site = serveSite(who, trustedProxies=parseTrustedProxies(trusted))
        proto.dataReceived(HEAD)
        assert who.seen == [expected], trusted
