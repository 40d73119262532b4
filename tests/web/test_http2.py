"""
HTTP/2 on txh11.web.Site (txh11.web._http2): Twisted's H2Connection serves a
connection that negotiated ``h2`` in ALPN or begins with the HTTP/2 preface;
other connections stay HTTP/1.1.  In memory with the ``h2`` library as the
client, and on loopback sockets with curl and h2load.
"""

from __future__ import annotations

import re
import shutil
import tempfile

import h2.config
import h2.connection
import h2.events
from twisted.internet import defer, reactor
from twisted.internet.interfaces import IHandshakeListener
from twisted.logger import formatEvent, globalLogPublisher
from twisted.trial.unittest import SkipTest, TestCase
from twisted.web.resource import Resource
from twisted.web.static import Data
from zope.interface.verify import verifyObject

from txh11.web import WebProtocol, _http2

from tests._support.web import CURL, TrackingSite, closeAll, feed, get, parse, run, serve, tlsOptions

H2LOAD = "/usr/bin/h2load"
BODY = b"hello over any HTTP\n" * 50


class Echo(Resource):
    isLeaf = True

    def render_POST(self, request):
        return b"got %d: " % len(request.content.read()) + request.uri


def makeRoot():
    root = Resource()
    root.putChild(b"hi", Data(BODY, "text/plain"))
    root.putChild(b"echo", Echo())
    return root


def h2Exchange(requests, chunk=None):
    """Run ``requests`` ((method, path, body) ...) over HTTP/2 with prior
    knowledge against a Site in memory, the client's bytes cut into pieces
    of ``chunk`` bytes; return the protocol and ``{stream: (headers, body)}``."""
    proto, transport, clock, site = serve(makeRoot())
    client = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    client.initiate_connection()
    for i, (method, path, body) in enumerate(requests):
        stream = 1 + 2 * i
        headers = [(":method", method), (":path", path), (":scheme", "http"), (":authority", "x")]
        client.send_headers(stream, headers, end_stream=not body)
        for start in range(0, len(body), 16384):
            piece = body[start : start + 16384]
            client.send_data(stream, piece, end_stream=start + len(piece) == len(body))
    wire = client.data_to_send()
    step = chunk or len(wire)
    for start in range(0, len(wire), step):
        proto.dataReceived(wire[start : start + step])
    responses = {}
    for _ in range(20):  # H2Connection sends from reactor turns
        clock.advance(0)
        out = transport.value()
        transport.clear()
        for event in client.receive_data(out):
            if isinstance(event, h2.events.ResponseReceived):
                responses[event.stream_id] = [dict(event.headers), b""]
            elif isinstance(event, h2.events.DataReceived):
                responses[event.stream_id][1] += event.data
                client.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        more = client.data_to_send()
        if more:
            proto.dataReceived(more)
    return proto, responses


class PriorKnowledgeTests(TestCase):
    def setUp(self):
        if not _http2.available():
            raise SkipTest("Twisted's HTTP/2 (twisted[http2]) is not installed")

    def test_preface_hands_the_connection_to_twisted_h2(self):
        proto, responses = h2Exchange([("GET", "/hi", b""), ("POST", "/echo?q=1", b"x" * 60000)])
        self.assertEqual(responses[1][0][b":status"], b"200")
        self.assertEqual(responses[1][1], BODY)
        self.assertEqual(responses[3][1], b"got 60000: /echo?q=1")
        self.assertIsInstance(proto, WebProtocol)
        # the H2Connection is the transport's producer now, not the bridge
        self.assertIsNot(proto.transport.producer, proto)
        self.assertEqual(type(proto.transport.producer).__name__, "H2Connection")

    def test_prior_knowledge_is_not_logged_as_a_protocol_error(self):
        events = []
        globalLogPublisher.addObserver(events.append)
        try:
            h2Exchange([("GET", "/hi", b"")])
        finally:
            globalLogPublisher.removeObserver(events.append)
        texts = [formatEvent(e) for e in events]
        self.assertFalse([t for t in texts if "protocol error" in t], texts)
        self.assertTrue([t for t in texts if "HTTP/2 with prior knowledge" in t], texts)

    def test_preface_then_frames_in_pieces(self):
        """The preface in one piece, the frames after it a byte at a time."""
        _, responses = h2Exchange([("GET", "/hi", b"")], chunk=len(_http2.PREFACE))
        self.assertEqual(responses[1][1], BODY)

    def test_preface_cut_inside_is_505(self):
        """A preface cut before its last 6 bytes is an HTTP/2.0 request head
        to the core, answered 505 (clients send it in one piece)."""
        proto, transport, clock, site = serve(makeRoot())
        feed(proto, clock, _http2.PREFACE, bytewise=True)
        self.assertTrue(transport.value().startswith(b"HTTP/1.1 505 "), transport.value())

    def test_same_body_as_http11(self):
        proto, transport, clock, site = serve(makeRoot())
        proto.dataReceived(get(b"/hi"))
        (r,) = parse(transport.value(), [b"GET"])
        _, responses = h2Exchange([("GET", "/hi", b"")])
        self.assertEqual(r.body, responses[1][1])

    def test_beginning_like_the_preface_stays_http11(self):
        """``P``, ``PR``... are held back only while they can still be the
        preface; a POST or a PRI request of HTTP/1.1 is HTTP/1.1."""
        for first, rest in [(b"P", b"OST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab"),
                            (b"PRI * HTTP/1.1\r", b"\nHost: x\r\n\r\n")]:
            proto, transport, clock, site = serve(makeRoot())
            proto.dataReceived(first)
            self.assertEqual(transport.value(), b"")
            proto.dataReceived(rest)
            clock.advance(0)
            (r,) = parse(transport.value(), [first[:1] + rest[:3] if first == b"P" else b"PRI"])
            self.assertIn(r.status, (200, 405) if first == b"P" else (404, 405, 400))
            self.assertIs(proto.transport.producer, proto)

    def test_only_the_first_request_may_be_the_preface(self):
        proto, transport, clock, site = serve(makeRoot())
        feed(proto, clock, get(b"/hi") + _http2.PREFACE)
        self.assertIn(b"HTTP/1.1 200 ", transport.value())
        self.assertIn(b"HTTP/1.1 505 ", transport.value())
        self.assertNotEqual(type(proto.transport.producer).__name__, "H2Connection")

    def test_other_http2_request_line_is_505(self):
        proto, transport, clock, site = serve(makeRoot())
        feed(proto, clock, b"GET /hi HTTP/2.0\r\nHost: x\r\n\r\n")
        self.assertTrue(transport.value().startswith(b"HTTP/1.1 505 "), transport.value())

    def test_handshake_listener(self):
        """ALPN's choice is acted on when TLS says the handshake completed."""
        proto, transport, clock, site = serve(makeRoot())
        self.assertTrue(verifyObject(IHandshakeListener, proto))


def _version(stdout: bytes) -> bytes:
    return stdout.rsplit(b"\n", 1)[-1]


class SocketTests(TestCase):
    """curl and h2load (clients we did not write) on loopback."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.caFile, cls.options = tlsOptions(cls.dir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def setUp(self):
        if not _http2.available():
            raise SkipTest("Twisted's HTTP/2 (twisted[http2]) is not installed")
        self.site = TrackingSite(makeRoot())
        tls = reactor.listenSSL(0, self.site, self.options, interface="127.0.0.1")
        plain = reactor.listenTCP(0, self.site, interface="127.0.0.1")
        self.addCleanup(tls.stopListening)
        self.addCleanup(plain.stopListening)
        self.addCleanup(closeAll, self.site)
        self.https = f"https://127.0.0.1:{tls.getHost().port}"
        self.http = f"http://127.0.0.1:{plain.getHost().port}"

    def curl(self, *args):
        return run(CURL, "-sS", "--max-time", "10", "--cacert", self.caFile,
                   "-w", "\n%{http_version}", *args)

    @defer.inlineCallbacks
    def test_curl_http2_over_tls_same_bodies_as_http11(self):
        for args in [(self.https + "/hi",), ("-d", "abc", self.https + "/echo?x=1")]:
            two = yield self.curl("--http2", *args)
            one = yield self.curl("--http1.1", *args)
            self.assertEqual(_version(two.stdout), b"2", two.stderr)
            self.assertEqual(_version(one.stdout), b"1.1", one.stderr)
            self.assertEqual(two.stdout[:-2], one.stdout[:-4])
        self.assertEqual(two.stdout, b"got 3: /echo?x=1\n2")

    @defer.inlineCallbacks
    def test_curl_prior_knowledge_on_cleartext(self):
        r = yield self.curl("--http2-prior-knowledge", self.http + "/hi")
        self.assertEqual(r.stdout, BODY + b"\n2", r.stderr)

    @defer.inlineCallbacks
    def test_upgrade_h2c_is_answered_over_http11(self):
        r = yield self.curl("--http2", "-v", self.http + "/hi")
        self.assertIn(b"Upgrade: h2c", r.stderr)  # curl did ask
        self.assertEqual(r.stdout, BODY + b"\n1.1", r.stderr)

    @defer.inlineCallbacks
    def test_h2load_100_requests_over_tls(self):
        r = yield run(H2LOAD, "-n", "100", "-c", "4", "-m", "10", self.https + "/hi", timeout=60)
        out = r.stdout.decode()
        self.assertIn("Application protocol: h2", out, out + r.stderr.decode())
        self.assertIn("requests: 100 total, 100 started, 100 done, 100 succeeded", out, out)
        self.assertIn("status codes: 100 2xx", out, out)
        # every body arrived whole: the data bytes are 100 of them
        data = re.search(r"traffic: .*? \((\d+)\) data", out)
        self.assertEqual(int(data.group(1)), 100 * len(BODY), out)
