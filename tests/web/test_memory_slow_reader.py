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

import hashlib
import os
import shutil
import socket
import ssl
import sys
import tempfile
import time

import trustme
from twisted.internet import defer, reactor
from twisted.internet import ssl as tssl
from twisted.trial.unittest import TestCase
from twisted.web.static import File

from txh11 import bodies

from web_testlib import TrackingSite, closeAll, inThread

MiB = 1 << 20
SIZE = 1 << 30
LIMIT_KIB = 8 * 1024  # "a few MiB"


def rssKiB():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def makeFile(path):
    block = os.urandom(MiB)
    digest = hashlib.sha256()
    with open(path, "wb") as f:
        for i in range(SIZE // MiB):
            chunk = block[i % 997 :] + block[: i % 997]
            f.write(chunk)
            digest.update(chunk)
    return digest.hexdigest()


def slowRead(port, cafile):
    """GET /big.bin; stall 1 s after the head and 50 ms every 64 MiB.
    Returns (status line, bytes, sha256, peak RSS growth KiB)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    if cafile is not None:
        sock = ssl.create_default_context(cafile=cafile).wrap_socket(
            sock, server_hostname="127.0.0.1"
        )
    try:
        sock.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            c = sock.recv(1)
            if not c:
                break
            head += c
        baseline = peak = rssKiB()
        time.sleep(1.0)  # the server must stop, not buffer
        peak = max(peak, rssKiB())
        buf = bytearray(256 * 1024)
        view = memoryview(buf)
        digest = hashlib.sha256()
        got = 0
        nextStall = 64 * MiB
        while got < SIZE:
            n = sock.recv_into(view)
            if not n:
                break
            digest.update(view[:n])
            got += n
            if got >= nextStall:
                nextStall += 64 * MiB
                peak = max(peak, rssKiB())
                time.sleep(0.05)
                peak = max(peak, rssKiB())
        peak = max(peak, rssKiB())
        return head.split(b"\r\n", 1)[0], got, digest.hexdigest(), peak - baseline
    finally:
        sock.close()


class SlowReaderOneGiB(TestCase):
    timeout = 300

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="txh11-slow-reader-")
        cls.sha = makeFile(os.path.join(cls.dir, "big.bin"))
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
        status, got, sha, growth = yield inThread(slowRead, port, self.cafile if tls else None)
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
