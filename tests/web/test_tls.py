"""
txh11.web.Site over TLS (a trustme certificate made at test time): ALPN
offers http/1.1 (after h2 when Twisted's HTTP/2 imports), static files take FileBody's fallback path (no
sendfile under TLS) and still arrive byte for byte, request.isSecure().
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import ssl
import tempfile
import time

from twisted.internet import defer, reactor
from twisted.trial.unittest import TestCase
from twisted.web.resource import Resource
from twisted.web.static import File

from txh11 import bodies
from txh11.web import _http2

from tests.web.test_integration import BIG, makeFiles
from tests._support.web import CURL, TrackingSite, closeAll, inThread, parse, run, tlsOptions


class Secure(Resource):
    isLeaf = True

    def render_GET(self, request):
        return b"secure=%r url=%s" % (request.isSecure(), request.prePathURL())


class TLSTests(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.big, cls.bigSha = makeFiles(cls.dir)
        cls.caFile, cls.options = tlsOptions(cls.dir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def setUp(self):
        bodies.stats.reset()
        root = Resource()
        root.putChild(b"static", File(self.dir))
        root.putChild(b"secure", Secure())
        self.site = TrackingSite(root)
        port = reactor.listenSSL(0, self.site, self.options, interface="127.0.0.1")
        self.addCleanup(port.stopListening)
        self.addCleanup(closeAll, self.site)
        self.port = port.getHost().port

    @defer.inlineCallbacks
    def test_curl_big_file_over_tls_uses_the_fallback(self):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        out = os.path.join(tmp, "download")
        r = yield run(CURL, "-sS", "--http1.1", "--max-time", "30", "--cacert", self.caFile, "-o", out,
                      "-w", "%{http_code} %{size_download} %{http_version}",
                      f"https://127.0.0.1:{self.port}/static/big.bin")
        self.assertEqual(r.stdout, b"200 %d 1.1" % BIG, r.stderr)
        with open(out, "rb") as f:
            self.assertEqual(hashlib.file_digest(f, "sha256").hexdigest(), self.bigSha)
        self.assertEqual(bodies.stats.sendfile_calls, 0)
        self.assertEqual(bodies.stats.fallback_bytes, BIG)

    @defer.inlineCallbacks
    def test_alpn_http11(self):
        port, caFile = self.port, self.caFile

        def client():
            t0 = time.monotonic()
            ctx = ssl.create_default_context(cafile=caFile)
            ctx.set_alpn_protocols(["http/1.1"])
            with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
                with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                    alpn = s.selected_alpn_protocol()
                    s.sendall(b"GET /secure HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    data = b""
                    while True:
                        chunk = s.recv(65536)
                        if not chunk:
                            break
                        data += chunk
            return alpn, data, time.monotonic() - t0

        alpn, data, elapsed = yield inThread(client)
        self.assertEqual(alpn, "http/1.1")
        # Connection: close over TLS closes at once, not after closeTimeout
        self.assertLess(elapsed, 5)
        (r,) = parse(data, [b"GET"], closed=True)
        self.assertEqual(r.body, b"secure=True url=https://127.0.0.1:%d/secure" % self.port)

    @defer.inlineCallbacks
    def test_h2_only_client(self):
        """A client that only speaks h2 gets it if Twisted's HTTP/2 imports,
        and is not told we do otherwise."""
        port, caFile = self.port, self.caFile

        def client():
            ctx = ssl.create_default_context(cafile=caFile)
            ctx.set_alpn_protocols(["h2"])
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
                    with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                        return s.selected_alpn_protocol()
            except ssl.SSLError as e:
                return "refused: " + str(e)

        result = yield inThread(client)
        if _http2.available():
            self.assertEqual(result, "h2")
        else:
            self.assertNotEqual(result, "h2")

    @defer.inlineCallbacks
    def test_curl_range_over_tls(self):
        self.patch(bodies.FileBody, "sendfileMinimum", 1)  # 10 bytes through FileBody too
        r = yield run(CURL, "-sS", "--http1.1", "--max-time", "10", "--cacert", self.caFile, "-r", "5-14",
                      f"https://127.0.0.1:{self.port}/static/big.bin")
        with open(self.big, "rb") as f:
            f.seek(5)
            self.assertEqual(r.stdout, f.read(10))
        self.assertEqual(bodies.stats.fallback_bytes, 10)
