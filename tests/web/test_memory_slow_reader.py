"""
Memory stays flat while txh11.web.Site serves a 1 GiB static.File to a slow
reader on a real loopback socket: plain TCP (the sendfile path) and TLS
(the read-and-write fallback, where a producer that ignored the
transport's pauses would buffer the file in memory).  The existing
tests/server/test_server_sockets.py slow-reader tests use 256 MiB / 64 MiB
on the bare server API, with one early stall; this one is the issue's
1 GiB through Site + static.File, with a stall every 64 MiB.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

import trustme
from twisted.internet import defer, reactor
from twisted.internet import ssl as tssl
from twisted.trial.unittest import TestCase
from twisted.web.static import File

from txh11 import bodies

from tests._support.testlib import make_file, slow_download
from tests._support.web import TrackingSite, closeAll, inThread

MiB = 1 << 20
SIZE = 1 << 30
LIMIT_KIB = 8 * 1024  # "a few MiB"


class SlowReaderOneGiB(TestCase):
    timeout = 300

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="txh11-slow-reader-")
        cls.sha = make_file(os.path.join(cls.dir, "big.bin"), SIZE)
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1")
        cls.cafile = os.path.join(cls.dir, "ca.pem")
        ca.cert_pem.write_to_path(cls.cafile)
        cls.serverPem = cert.private_key_and_cert_chain_pem.bytes()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, True)

    def listen(self, tls):
        bodies.stats.reset()
        site = TrackingSite(File(self.dir))
        if tls:
            options = tssl.PrivateCertificate.loadPEM(self.serverPem).options()
            port = reactor.listenSSL(0, site, options, interface="127.0.0.1")
        else:
            port = reactor.listenTCP(0, site, interface="127.0.0.1")
        self.addCleanup(port.stopListening)
        self.addCleanup(closeAll, site)
        return port.getHost().port

    @defer.inlineCallbacks
    def check(self, tls):
        port = self.listen(tls)
        status, got, sha, growth, _ = yield inThread(
            slow_download, port, b"/big.bin", SIZE, self.cafile if tls else None,
            stall=1.0, every=64 * MiB, pause=0.05,
        )
        kind = "TLS fallback" if tls else "sendfile"
        sys.stderr.write(f"\n[1 GiB to a slow reader, {kind}: RSS +{growth} KiB] ")
        self.assertEqual(status, b"HTTP/1.1 200 OK")
        self.assertEqual(got, SIZE)
        self.assertEqual(sha, self.sha)
        self.assertLess(growth, LIMIT_KIB)
        return bodies.stats

    @defer.inlineCallbacks
    def test_plain_sendfile(self):
        stats = yield self.check(tls=False)
        self.assertEqual(stats.sendfile_bytes, SIZE)
        self.assertEqual(stats.fallback_bytes, 0)

    @defer.inlineCallbacks
    def test_tls_fallback(self):
        stats = yield self.check(tls=True)
        self.assertEqual(stats.sendfile_calls, 0)
        self.assertEqual(stats.fallback_bytes, SIZE)
