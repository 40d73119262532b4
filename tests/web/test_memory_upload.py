"""
A large request body (512 MiB, Content-Length and chunked) streams into
txh11.web's request.content on a real loopback socket without growing the
process by more than a few MiB.  tests/web/test_integration.py's
test_large_upload_streams_to_a_temporary_file only checks the content
file's type; this measures memory.
"""

from __future__ import annotations

import hashlib
import os
import socket
import sys
import time

from twisted.internet import defer, reactor
from twisted.trial.unittest import TestCase
from twisted.web.resource import Resource

from tests._support.testlib import rss_kib
from tests._support.web import TrackingSite, closeAll, inThread

MiB = 1 << 20
SIZE = 512 * MiB
LIMIT_KIB = 8 * 1024


class Digest(Resource):
    isLeaf = True

    def render_POST(self, request):
        h = hashlib.sha256()
        n = 0
        while chunk := request.content.read(MiB):
            n += len(chunk)
            h.update(chunk)
        return b"%d %s" % (n, h.hexdigest().encode())


def upload(port, chunked):
    block = os.urandom(MiB)
    expected = hashlib.sha256()
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    try:
        if chunked:
            head = b"Transfer-Encoding: chunked"
        else:
            head = b"Content-Length: %d" % SIZE
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + head + b"\r\n\r\n")
        baseline = peak = rss_kib()
        for i in range(SIZE // MiB):
            piece = block[i % 991 :] + block[: i % 991]
            expected.update(piece)
            if chunked:
                sock.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
            else:
                sock.sendall(piece)
            if i % 16 == 0:
                peak = max(peak, rss_kib())
        if chunked:
            sock.sendall(b"0\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
            peak = max(peak, rss_kib())
        return data, expected.hexdigest(), peak - baseline
    finally:
        sock.close()


class UploadMemory(TestCase):
    timeout = 120

    def setUp(self):
        self.site = TrackingSite(Digest())
        port = reactor.listenTCP(0, self.site, interface="127.0.0.1")
        self.addCleanup(port.stopListening)
        self.addCleanup(closeAll, self.site)
        self.port = port.getHost().port

    @defer.inlineCallbacks
    def check(self, chunked):
        t0 = time.monotonic()
        data, sha, growth = yield inThread(upload, self.port, chunked)
        sys.stderr.write(
            f"\n[512 MiB upload, {'chunked' if chunked else 'length'}: RSS +{growth} KiB,"
            f" {time.monotonic() - t0:.1f}s] "
        )
        self.assertTrue(data.startswith(b"HTTP/1.1 200 OK"), data[:200])
        self.assertEqual(data.split(b"\r\n\r\n", 1)[1], b"%d %s" % (SIZE, sha.encode()))
        self.assertLess(growth, LIMIT_KIB)

    def test_content_length_upload(self):
        return self.check(chunked=False)

    def test_chunked_upload(self):
        return self.check(chunked=True)
