"""
Interop on real loopback sockets (127.0.0.1 only): txh11's agent against
``twisted.web.server.Site`` and ``txh11.web.Site``; treq on top of it; TLS
with a certificate authority generated at test time by trustme.

These are ``twisted.trial`` tests returning Deferreds, so the real reactor
spins; pytest runs them.
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile

from twisted.internet import defer, reactor, ssl
from twisted.internet.protocol import Protocol
from twisted.trial import unittest
from twisted.web import resource, server
from twisted.web.client import BrowserLikePolicyForHTTPS, ResponseDone, readBody
from twisted.web.http_headers import Headers

from txh11 import bodies
from txh11.bodies import FileBody
from txh11.client import Agent, HTTPConnectionPool

try:
    import treq
    from treq.client import HTTPClient
except ImportError:  # pragma: no cover
    treq = HTTPClient = None

try:
    import trustme
except ImportError:  # pragma: no cover
    trustme = None

try:
    from txh11.web import Site as TxSite
except ImportError:  # pragma: no cover
    TxSite = None

BIG = 4 * 1024 * 1024


class Root(resource.Resource):
    """/hello, /echo (POST), /json (request as JSON), /big, /redirect, /gzip"""

    isLeaf = True

    def render(self, request):
        path = request.path
        if path == b"/echo":
            return request.content.read()
        if path == b"/json":
            request.setHeader(b"content-type", b"application/json")
            return json.dumps(
                {
                    "method": request.method.decode(),
                    "body": request.content.read().decode("latin-1"),
                    "content-type": (request.getHeader(b"content-type") or b"").decode(),
                    "authorization": (request.getHeader(b"authorization") or b"").decode(),
                    "alpn": getattr(request.transport, "negotiatedProtocol", None) and
                    request.transport.negotiatedProtocol.decode(),
                }
            ).encode()
        if path == b"/big":
            request.setHeader(b"content-length", b"%d" % BIG)
            chunk = b"0123456789abcdef" * 4096
            for _ in range(BIG // len(chunk)):
                request.write(chunk)
            request.finish()
            return server.NOT_DONE_YET
        if path == b"/redirect":
            request.redirect(b"/hello")
            return b"moved"
        if path == b"/gzip":
            request.setHeader(b"content-encoding", b"gzip")
            return gzip.compress(b"zipped " * 50)
        return b"hello"


class _Counter(Protocol):
    """Counts a body, pausing the transport now and then."""

    def __init__(self, d):
        self.d, self.n, self.pauses = d, 0, 0

    def dataReceived(self, data):
        self.n += len(data)
        if self.pauses < 5:
            self.pauses += 1
            self.transport.pauseProducing()
            reactor.callLater(0.001, self.transport.resumeProducing)

    def connectionLost(self, reason):
        self.d.callback((self.n, reason))


class _SiteTests:
    """Mixed into a TestCase with ``siteFactory``."""

    siteFactory = server.Site

    def setUp(self):
        site = self.siteFactory(Root())
        self.port = reactor.listenTCP(0, site, interface="127.0.0.1")
        self.base = b"http://127.0.0.1:%d" % self.port.getHost().port
        self.pool = HTTPConnectionPool(reactor)
        self.agent = Agent(reactor, pool=self.pool)

    @defer.inlineCallbacks
    def tearDown(self):
        yield self.pool.closeCachedConnections()
        yield self.port.stopListening()

    @defer.inlineCallbacks
    def test_get_keep_alive(self):
        protos = []
        for _ in range(3):
            r = yield self.agent.request(b"GET", self.base + b"/hello")
            self.assertEqual((yield readBody(r)), b"hello")
            protos.extend(self.pool.cachedConnections(r.request.uri and (b"http", b"127.0.0.1", self.port.getHost().port)))
        self.assertEqual(len(set(protos)), 1)
        self.assertEqual(protos[0].requestCount, 3)

    @defer.inlineCallbacks
    def test_post_file_body_with_sendfile(self):
        data = os.urandom(256 * 1024)
        with tempfile.TemporaryFile() as f:
            f.write(data)
            f.flush()
            bodies.stats.reset()
            r = yield self.agent.request(
                b"POST", self.base + b"/echo", None, FileBody(f, reactor=reactor)
            )
            echoed = yield readBody(r)
        self.assertEqual(echoed, data)
        self.assertGreater(bodies.stats.sendfile_bytes, 0)  # zero copy on plain TCP

    @defer.inlineCallbacks
    def test_streamed_download_with_backpressure(self):
        r = yield self.agent.request(b"GET", self.base + b"/big")
        self.assertEqual(r.length, BIG)
        d = defer.Deferred()
        counter = _Counter(d)
        r.deliverBody(counter)
        n, reason = yield d
        self.assertEqual(n, BIG)
        reason.trap(ResponseDone)

    @defer.inlineCallbacks
    def test_expect_100_continue(self):
        r = yield self.agent.request(
            b"POST",
            self.base + b"/echo",
            Headers({b"Expect": [b"100-continue"]}),
            _bytesProducer(b"x" * 5000),
        )
        self.assertEqual((yield readBody(r)), b"x" * 5000)


def _bytesProducer(data):
    from io import BytesIO

    from twisted.web.client import FileBodyProducer

    return FileBodyProducer(BytesIO(data))


class TwistedSiteTests(_SiteTests, unittest.TestCase):
    siteFactory = server.Site


class Txh11SiteTests(_SiteTests, unittest.TestCase):
    if TxSite is None:
        skip = "txh11.web.Site does not exist yet"
    else:
        siteFactory = TxSite


class TreqTests(unittest.TestCase):
    if treq is None:
        skip = "treq is not installed"

    def setUp(self):
        self.port = reactor.listenTCP(0, server.Site(Root()), interface="127.0.0.1")
        self.base = "http://127.0.0.1:%d" % self.port.getHost().port
        self.pool = HTTPConnectionPool(reactor)
        self.http = HTTPClient(Agent(reactor, pool=self.pool))

    @defer.inlineCallbacks
    def tearDown(self):
        yield self.pool.closeCachedConnections()
        yield self.port.stopListening()

    @defer.inlineCallbacks
    def test_get(self):
        r = yield self.http.get(self.base + "/hello")
        self.assertEqual(r.code, 200)
        self.assertEqual((yield r.content()), b"hello")

    @defer.inlineCallbacks
    def test_post_json_and_auth(self):
        r = yield self.http.post(self.base + "/json", json={"a": [1, 2]}, auth=("u", "p"))
        data = yield r.json()
        self.assertEqual(data["method"], "POST")
        self.assertEqual(json.loads(data["body"]), {"a": [1, 2]})
        self.assertEqual(data["content-type"], "application/json; charset=UTF-8")
        self.assertTrue(data["authorization"].startswith("Basic "))

    @defer.inlineCallbacks
    def test_streamed_download_collect(self):
        r = yield self.http.get(self.base + "/big", unbuffered=True)
        sizes = []
        yield treq.collect(r, lambda data: sizes.append(len(data)))
        self.assertEqual(sum(sizes), BIG)

    @defer.inlineCallbacks
    def test_redirect(self):
        r = yield self.http.get(self.base + "/redirect")
        self.assertEqual(r.code, 200)
        self.assertEqual((yield r.text()), "hello")
        self.assertEqual([h.code for h in r.history()], [302])

    @defer.inlineCallbacks
    def test_gzip(self):
        r = yield self.http.get(self.base + "/gzip")
        self.assertEqual((yield r.content()), b"zipped " * 50)

    @defer.inlineCallbacks
    def test_timeout_cancels(self):
        # a listening socket that never answers
        from twisted.internet.protocol import Factory

        silent = reactor.listenTCP(0, Factory.forProtocol(Protocol), interface="127.0.0.1")
        self.addCleanup(silent.stopListening)
        d = self.http.get("http://127.0.0.1:%d/" % silent.getHost().port, timeout=0.2)
        from twisted.web.client import ResponseNeverReceived
        from twisted.internet.defer import CancelledError

        yield self.assertFailure(d, CancelledError, ResponseNeverReceived)


class TLSTests(unittest.TestCase):
    if trustme is None:
        skip = "trustme is not installed"

    @defer.inlineCallbacks
    def _serve(self, *names):
        ca = trustme.CA()
        cert = ca.issue_cert(*names)
        pc = ssl.PrivateCertificate.loadPEM(
            cert.private_key_pem.bytes() + cert.cert_chain_pems[0].bytes()
        )
        options = ssl.CertificateOptions(
            privateKey=pc.privateKey.original,
            certificate=pc.original,
            acceptableProtocols=[b"h2", b"http/1.1"],
        )
        port = reactor.listenSSL(0, server.Site(Root()), options, interface="127.0.0.1")
        self.addCleanup(port.stopListening)
        pool = HTTPConnectionPool(reactor)
        self.addCleanup(pool.closeCachedConnections)
        trust = self.trust = ssl.Certificate.loadPEM(ca.cert_pem.bytes())
        agent = Agent(reactor, BrowserLikePolicyForHTTPS(trustRoot=trust), pool=pool)
        yield None
        return agent, port.getHost().port

    @defer.inlineCallbacks
    def test_https_with_alpn_http11(self):
        agent, port = yield self._serve("127.0.0.1", "localhost")
        r = yield agent.request(b"GET", b"https://127.0.0.1:%d/json" % port)
        data = json.loads((yield readBody(r)))
        self.assertEqual(data["alpn"], "http/1.1")  # the server also offered h2
        r = yield agent.request(b"GET", b"https://127.0.0.1:%d/hello" % port)
        self.assertEqual((yield readBody(r)), b"hello")

    @defer.inlineCallbacks
    def test_alpn_is_http11_even_if_the_policy_asks_for_h2(self):
        from twisted.internet.ssl import optionsForClientTLS
        from twisted.web.iweb import IPolicyForHTTPS
        from zope.interface import implementer

        agent, port = yield self._serve("127.0.0.1")

        @implementer(IPolicyForHTTPS)
        class H2Policy:
            def __init__(self, trust):
                self.trust = trust

            def creatorForNetloc(self, hostname, port):
                return optionsForClientTLS(
                    hostname.decode("ascii"),
                    trustRoot=self.trust,
                    acceptableProtocols=[b"h2", b"http/1.1"],
                )

        pool = HTTPConnectionPool(reactor)
        self.addCleanup(pool.closeCachedConnections)
        agent = Agent(reactor, H2Policy(self.trust), pool=pool)
        r = yield agent.request(b"GET", b"https://127.0.0.1:%d/json" % port)
        # the server prefers h2: it would have picked it had it been offered
        self.assertEqual(json.loads((yield readBody(r)))["alpn"], "http/1.1")

    @defer.inlineCallbacks
    def test_wrong_hostname_fails_clearly(self):
        agent, port = yield self._serve("other.example")
        d = agent.request(b"GET", b"https://127.0.0.1:%d/hello" % port)
        from twisted.web.client import ResponseNeverReceived

        f = yield self.assertFailure(d, ResponseNeverReceived)
        text = repr(f.reasons[0].value)
        self.assertIn("VerificationError", text)
        self.assertIn("127.0.0.1", text)

    @defer.inlineCallbacks
    def test_untrusted_certificate_fails(self):
        agent, port = yield self._serve("127.0.0.1")
        pool = HTTPConnectionPool(reactor)
        self.addCleanup(pool.closeCachedConnections)
        agent = Agent(reactor, pool=pool)  # platform trust store: not our CA
        d = agent.request(b"GET", b"https://127.0.0.1:%d/hello" % port)
        from twisted.web.client import ResponseNeverReceived

        f = yield self.assertFailure(d, ResponseNeverReceived)
        self.assertIn("certificate verify failed", repr(f.reasons[0].value))
