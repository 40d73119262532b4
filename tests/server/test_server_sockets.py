"""
End to end on real loopback sockets: http.client, curl, a raw slow reader;
sendfile proven on plain TCP, the read-and-write fallback proven on TLS.

These are trial TestCases: each test returns a Deferred and trial runs the
real reactor until it fires.  Blocking clients run in the reactor's thread
pool (deferToThread); curl runs as a child process.
"""

import hashlib
import http.client
import os
import shutil
import socket
import ssl as stdlib_ssl
import sys
import tempfile
import time

from twisted.internet import defer, reactor, threads
from twisted.internet import ssl as tssl
from twisted.internet.error import ConnectionDone
from twisted.internet.utils import getProcessOutputAndValue
from twisted.trial import unittest

import txh11 as h11
from txh11.bodies import FileBody, stats
from txh11.server import HTTP11ServerFactory, HTTP11ServerProtocol

from tests._support.testlib import MiB, make_file, sleep, slow_download

CURL = "/usr/bin/curl"


class TrackingProtocol(HTTP11ServerProtocol):
    def connectionLost(self, reason):
        super().connectionLost(reason)
        self.factory.open.discard(self)
        self.factory.lost.append(reason)
        if not self.factory.open:
            waiters, self.factory.waiters = self.factory.waiters, []
            for d in waiters:
                d.callback(None)


class TrackingFactory(HTTP11ServerFactory):
    """Remembers its connections so a test can wait until all are closed."""

    protocol = TrackingProtocol

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.open = set()
        self.lost = []
        self.waiters = []
        self.bodies = []

    def buildProtocol(self, addr):
        p = super().buildProtocol(addr)
        self.open.add(p)
        return p

    def allClosed(self):
        if not self.open:
            return defer.succeed(None)
        d = defer.Deferred()
        self.waiters.append(d)
        return d


class Files:
    """Handler: /hello, /echo (POST), /file/<name> served as FileBody."""

    def __init__(self, factory_ref):
        self.files = {}
        self.factory_ref = factory_ref

    def __call__(self, request):
        target = request.target
        if target == b"/hello":
            return request.respond(200, [("content-type", "text/plain")], b"hello")
        if target == b"/echo":
            d = request.readBody()
            d.addCallback(lambda body: request.respond(200, [], body))
            return d
        if target.startswith(b"/file/"):
            path = self.files[target[6:].decode()]
            f = open(path, "rb")
            body = FileBody(f)
            self.factory_ref().bodies.append(body)
            d = request.respond(200, [("content-type", "application/octet-stream")], body)
            d.addBoth(lambda r: (f.close(), r)[1])
            return d
        if target.startswith(b"/chunked/"):
            # a region of the file, chunked, with a trailer: sendfile inside
            # chunk framing, and the framing written only after the region
            path = self.files[target[9:].decode()]
            f = open(path, "rb")
            size = os.path.getsize(path)
            body = FileBody(f, 100, size - 200)
            self.factory_ref().bodies.append(body)
            request.send(
                h11.Response(
                    status_code=200,
                    headers=[("transfer-encoding", "chunked"), ("trailer", "x-region")],
                )
            )
            d = request.sendBody(body)
            d.addCallback(
                lambda _: request.send(h11.EndOfMessage(headers=[("x-region", "100-")]))
            )
            d.addBoth(lambda r: (f.close(), r)[1])
            return d
        return request.respond(404, [], b"")


class SocketTestBase(unittest.TestCase):
    tls = False
    timeout = 30

    def setUp(self):
        stats.reset()
        # not self.mktemp(): under pytest that is relative to the working directory
        self.dir = tempfile.mkdtemp(prefix="txh11-sockets-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.handler = Files(lambda: self.factory)
        self.factory = TrackingFactory(self.handler, lingerTimeout=1.0, closeTimeout=3.0)
        if self.tls:
            import trustme

            ca = trustme.CA()
            cert = ca.issue_cert("127.0.0.1", "localhost")
            self.cafile = os.path.join(self.dir, "ca.pem")
            ca.cert_pem.write_to_path(self.cafile)
            pc = tssl.PrivateCertificate.loadPEM(
                cert.private_key_and_cert_chain_pem.bytes().decode()
            )
            # Without an ALPN list, curl's ALPN offer ends in "internal error"
            options = tssl.CertificateOptions(
                privateKey=pc.privateKey.original,
                certificate=pc.original,
                acceptableProtocols=[b"http/1.1"],
            )
            self.port = reactor.listenSSL(0, self.factory, options, interface="127.0.0.1")
        else:
            self.port = reactor.listenTCP(0, self.factory, interface="127.0.0.1")
        self.portnum = self.port.getHost().port
        self.scheme = "https" if self.tls else "http"

    def tearDown(self):
        d = self.factory.allClosed()
        d.addCallback(lambda _: self.port.stopListening())
        return d

    def url(self, path):
        return f"{self.scheme}://127.0.0.1:{self.portnum}{path}"

    def curl(self, *args):
        extra = ["--cacert", self.cafile] if self.tls else []
        return getProcessOutputAndValue(CURL, ["-sS", *extra, *args], env=os.environ)

    @defer.inlineCallbacks
    def download(self, size):
        path = os.path.join(self.dir, "big.bin")
        expected = make_file(path, size)
        self.handler.files["big"] = path
        target = os.path.join(self.dir, "out.bin")
        start = time.perf_counter()
        cpu = time.process_time()
        out, err, code = yield self.curl("-o", target, "-w", "%{size_download}", self.url("/file/big"))
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu
        self.assertEqual(code, 0, err)
        self.assertEqual(int(out), size)
        digest = hashlib.sha256()
        with open(target, "rb") as f:
            while chunk := f.read(MiB):
                digest.update(chunk)
        self.assertEqual(digest.hexdigest(), expected)
        os.unlink(target)
        rate = size / MiB / elapsed
        sys.stderr.write(
            f"\n[{self.scheme} {size // MiB} MiB download: {rate:.0f} MiB/s,"
            f" server CPU {cpu * 1000 / (size / MiB):.2f} ms/MiB] "
        )
        return rate


class PlainTCPTests(SocketTestBase):
    @defer.inlineCallbacks
    def test_http_client_keepalive_and_echo(self):
        port = self.portnum

        def client():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            out = []
            for _ in range(3):
                conn.request("GET", "/hello")
                r = conn.getresponse()
                out.append((r.status, r.read()))
            conn.request("POST", "/echo", body=b"x" * 100_000)
            r = conn.getresponse()
            out.append((r.status, len(r.read())))
            sock_ids = conn.sock.fileno()
            conn.close()
            return out, sock_ids

        out, _ = yield threads.deferToThread(client)
        self.assertEqual(out, [(200, b"hello")] * 3 + [(200, 100_000)])
        self.assertEqual(len(self.factory.lost) + len(self.factory.open), 1)  # one connection

    @defer.inlineCallbacks
    def test_curl_pipelined_and_expect_continue(self):
        out, err, code = yield self.curl(
            "--data-binary", "z" * 5000, "-H", "Expect: 100-continue",
            self.url("/echo"), self.url("/hello"),
        )
        self.assertEqual(code, 0, err)
        self.assertEqual(out, b"z" * 5000 + b"hello")

    @defer.inlineCallbacks
    def test_large_file_goes_through_sendfile(self):
        rate = yield self.download(64 * MiB)
        self.assertGreater(stats.sendfile_calls, 0)
        self.assertEqual(stats.sendfile_bytes, 64 * MiB)
        self.assertEqual(stats.fallback_bytes, 0)
        self.assertGreater(self.factory.bodies[0].sendfileCalls, 0)
        self.assertGreater(rate, 0)

    @defer.inlineCallbacks
    def test_chunked_file_region_with_trailer(self):
        path = os.path.join(self.dir, "region.bin")
        make_file(path, 8 * MiB)
        self.handler.files["region"] = path
        target = os.path.join(self.dir, "region.out")
        out, err, code = yield self.curl("--raw", "-o", target, self.url("/chunked/region"))
        self.assertEqual(code, 0, err)
        with open(path, "rb") as f:
            expected = f.read()[100:-100]
        with open(target, "rb") as f:
            raw = f.read()
        n = len(expected)
        self.assertEqual(raw, b"%x\r\n" % n + expected + b"\r\n0\r\nx-region: 100-\r\n\r\n")
        self.assertEqual(stats.sendfile_bytes, n)

    @defer.inlineCallbacks
    def test_slow_reader_memory_stays_flat(self):
        size = 256 * MiB
        path = os.path.join(self.dir, "big.bin")
        expected = make_file(path, size)
        self.handler.files["big"] = path
        port = self.portnum
        _, _, got_digest, growth_kib, elapsed = yield threads.deferToThread(
            slow_download, port, b"/file/big", size, every=4 * MiB
        )
        self.assertEqual(got_digest, expected)
        sys.stderr.write(f"\n[slow reader, sendfile: RSS +{growth_kib} KiB over {elapsed:.1f}s] ")
        self.assertLess(growth_kib, 4 * 1024)
        self.assertEqual(stats.fallback_bytes, 0)

    @defer.inlineCallbacks
    def test_bad_request_half_closes_then_closes(self):
        port = self.portnum

        def client():
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"GET / HTTP/1.1\r\nHost a\r\n\r\n")
            data = b""
            while chunk := s.recv(65536):
                data += chunk
            # EOF seen: the server half-closed and still reads (and discards)
            s.sendall(b"more bytes that must not cause a reset" * 100)
            time.sleep(0.1)
            s.close()
            return data

        data = yield threads.deferToThread(client)
        self.assertTrue(data.startswith(b"HTTP/1.1 400 "), data)
        yield self.factory.allClosed()


class LingerTests(SocketTestBase):
    @defer.inlineCallbacks
    def test_linger_timeout_closes_when_the_client_never_does(self):
        import threading

        closed = threading.Event()
        self.factory.settings["lingerTimeout"] = 0.3
        port = self.portnum

        def client():
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"GET / HTTP/1.0\r\nHost a\r\n\r\n")
            data = b""
            while chunk := s.recv(65536):
                data += chunk
            ok = closed.wait(3)  # we keep our socket open meanwhile
            s.close()
            return data, ok

        def lost(_):
            closed.set()

        waiting = threads.deferToThread(client)
        # the server's connection goes away although the client holds on
        while not self.factory.open:
            yield sleep(0.01)
        yield self.factory.allClosed().addCallback(lost)
        self.assertEqual(len(self.factory.lost), 1)
        data, ok = yield waiting
        self.assertTrue(data.startswith(b"HTTP/1.1 400 "))
        self.assertTrue(ok)

    @defer.inlineCallbacks
    def closeAfter(self, request, **settings):
        """
        Send ``request`` from a client that reads to EOF and then keeps its
        socket open until the server's side is gone (3 s at most).  Returns
        (seconds until the server's connection was lost, bytes read,
        whether the client saw the server's side go in time).
        """
        import threading

        self.factory.settings.update(settings)
        closed = threading.Event()
        port = self.portnum

        def client():
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(request)
            data = b""
            while chunk := s.recv(65536):
                data += chunk
            ok = closed.wait(3)
            s.close()
            return data, ok

        start = reactor.seconds()
        waiting = threads.deferToThread(client)
        while not self.factory.lost:
            yield sleep(0.01)
        elapsed = reactor.seconds() - start
        closed.set()
        data, ok = yield waiting
        self.assertTrue(data.startswith(b"HTTP/1.1 200 "), data)
        self.assertTrue(data.endswith(b"\r\n\r\nhello"), data)
        return elapsed, data, ok

    @defer.inlineCallbacks
    def test_connection_close_request_is_closed_at_once(self):
        # The client said Connection: close and sent nothing more: nothing
        # unread can turn our close into a reset, so there is no half-close
        # and no lingering for the client's EOF.
        elapsed, data, ok = yield self.closeAfter(
            b"GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
            lingerTimeout=20.0,
            closeTimeout=25.0,
        )
        self.assertLess(elapsed, 3.0)
        self.assertTrue(ok)

    @defer.inlineCallbacks
    def test_bytes_after_a_closing_request_keep_the_staged_close(self):
        # Bytes after the Connection: close request are unread: a full close
        # would reset the connection, so the server half-closes and lingers
        # (here until lingerTimeout) and the client still gets its response.
        elapsed, data, ok = yield self.closeAfter(
            b"GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
            b"GET /hello HTTP/1.1\r\nHost: a\r\n\r\n",
            lingerTimeout=0.5,
            closeTimeout=25.0,
        )
        self.assertGreaterEqual(elapsed, 0.4)
        self.assertEqual(data.count(b"HTTP/1.1"), 1)


class TLSTests(SocketTestBase):
    tls = True

    @defer.inlineCallbacks
    def test_graceful_close_is_quick_and_clean(self):
        # Regression: over TLS the transport's producer is Twisted's
        # _ProducerMembrane around the protocol; the bridge did not
        # unregister it, TLS held back its close_notify and every graceful
        # close waited for closeTimeout, then aborted.
        self.factory.settings["closeTimeout"] = 10.0
        port, cafile = self.portnum, self.cafile

        def client():
            ctx = stdlib_ssl.create_default_context(cafile=cafile)
            raw = socket.create_connection(("127.0.0.1", port), timeout=20)
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                s.sendall(b"GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
                data = b""
                while chunk := s.recv(65536):
                    data += chunk
                s.unwrap()  # our close_notify: a clean TLS shutdown both ways
                return data

        start = reactor.seconds()
        data = yield threads.deferToThread(client)
        yield self.factory.allClosed()
        elapsed = reactor.seconds() - start
        self.assertTrue(data.startswith(b"HTTP/1.1 200 "), data)
        self.assertTrue(data.endswith(b"\r\n\r\nhello"), data)
        (reason,) = self.factory.lost
        self.assertIsNotNone(reason.check(ConnectionDone), reason)
        self.assertLess(elapsed, 2.0)

    @defer.inlineCallbacks
    def test_curl_hello_over_tls(self):
        out, err, code = yield self.curl(self.url("/hello"), self.url("/hello"))
        self.assertEqual(code, 0, err)
        self.assertEqual(out, b"hellohello")

    @defer.inlineCallbacks
    def test_large_file_falls_back_to_reads(self):
        yield self.download(64 * MiB)
        self.assertEqual(stats.sendfile_calls, 0)
        self.assertEqual(stats.fallback_bytes, 64 * MiB)

    @defer.inlineCallbacks
    def test_slow_reader_memory_stays_flat_on_tls(self):
        size = 64 * MiB
        path = os.path.join(self.dir, "big.bin")
        expected = make_file(path, size)
        self.handler.files["big"] = path
        _, _, got_digest, growth_kib, elapsed = yield threads.deferToThread(
            slow_download, self.portnum, b"/file/big", size, self.cafile, every=4 * MiB
        )
        self.assertEqual(got_digest, expected)
        sys.stderr.write(f"\n[slow reader, TLS fallback: RSS +{growth_kib} KiB over {elapsed:.1f}s] ")
        self.assertLess(growth_kib, 4 * 1024)
