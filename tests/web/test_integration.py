"""
txh11.web.Site on real loopback sockets, driven by clients we did not write:
curl and http.client.  static.File (a 32 MiB file through sendfile), a WSGI
app, a Klein app, a reverse proxy, uploads, pipelining, disconnects.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import shutil
import tempfile

from klein import Klein
from twisted.internet import defer, reactor, task
from twisted.python.failure import Failure
from twisted.trial.unittest import TestCase
from twisted.web.proxy import ReverseProxyResource
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET
from twisted.web.static import Data, File
from twisted.web.wsgi import WSGIResource

from txh11 import bodies

from tests._support.web import CURL, TrackingSite, closeAll, inThread, parse, rawExchange, run

BIG = 32 * 1024 * 1024


def wsgiApp(environ, start_response):
    body = environ["wsgi.input"].read()
    out = json.dumps(
        {
            "method": environ["REQUEST_METHOD"],
            "path": environ["PATH_INFO"],
            "query": environ["QUERY_STRING"],
            "length": len(body),
            "sha": hashlib.sha256(body).hexdigest(),
            "scheme": environ["wsgi.url_scheme"],
            "remote": environ["REMOTE_ADDR"],
        }
    ).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(out)))])
    return [out]


def kleinApp():
    app = Klein()

    @app.route("/hello/<name>")
    def hello(request, name):
        return f"hello {name}"

    @app.route("/later")
    def later(request):
        return task.deferLater(reactor, 0.05, lambda: b"later")

    @app.route("/json", methods=["POST"])
    def echo(request):
        request.setHeader("content-type", "application/json")
        return json.dumps({"got": json.loads(request.content.read())})

    @app.route("/boom")
    def boom(request):
        raise ValueError("klein boom")

    return app


class Upload(Resource):
    isLeaf = True

    def render_POST(self, request):
        h = hashlib.sha256()
        n = 0
        while True:
            chunk = request.content.read(1 << 20)
            if not chunk:
                break
            n += len(chunk)
            h.update(chunk)
        return f"{n} {h.hexdigest()} {type(request.content).__name__}".encode()


class Hang(Resource):
    isLeaf = True

    def __init__(self):
        super().__init__()
        self.finished = defer.Deferred()
        self.rendered = defer.Deferred()

    def render_GET(self, request):
        request.notifyFinish().addBoth(lambda r: self.finished.callback([r]))
        self.rendered.callback(request)
        return NOT_DONE_YET


class Slow(Resource):
    isLeaf = True

    def render_GET(self, request):
        def answer():
            request.setHeader(b"content-type", b"text/plain")
            request.write(b"slow upstream answer")
            request.finish()

        reactor.callLater(0.2, answer)
        return NOT_DONE_YET


def makeFiles(directory):
    """A 32 MiB file (distinct 1 MiB blocks) and a small one; the big one's sha256."""
    big = os.path.join(directory, "big.bin")
    block = os.urandom(1 << 20)
    with open(big, "wb") as f:
        for i in range(BIG >> 20):
            f.write(bytes([i]) + block[1:])
    with open(big, "rb") as f:
        sha = hashlib.file_digest(f, "sha256").hexdigest()
    with open(os.path.join(directory, "hello.txt"), "wb") as f:
        f.write(b"hello, file\n")
    return big, sha


class IntegrationTests(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.big, cls.bigSha = makeFiles(cls.dir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def setUp(self):
        bodies.stats.reset()

        # an upstream for the proxy: a plain twisted.web-compatible resource on txh11
        upstreamRoot = Resource()
        upstreamRoot.putChild(b"slow", Slow())
        self.upstream = TrackingSite(upstreamRoot)
        up = reactor.listenTCP(0, self.upstream, interface="127.0.0.1")
        self.addCleanup(up.stopListening)
        self.addCleanup(closeAll, self.upstream)

        root = Resource()
        root.putChild(b"static", File(self.dir))
        root.putChild(b"wsgi", WSGIResource(reactor, reactor.getThreadPool(), wsgiApp))
        root.putChild(b"klein", kleinApp().resource())
        root.putChild(b"upload", Upload())
        root.putChild(b"fast", Data(b"fast answer", "text/plain"))
        root.putChild(b"slowlocal", Slow())
        root.putChild(b"proxy", ReverseProxyResource("127.0.0.1", up.getHost().port, b"/slow"))
        self.hang = Hang()
        root.putChild(b"hang", self.hang)
        self.site = TrackingSite(root)
        port = reactor.listenTCP(0, self.site, interface="127.0.0.1")
        self.addCleanup(port.stopListening)
        self.addCleanup(closeAll, self.site)
        self.port = port.getHost().port
        self.base = f"http://127.0.0.1:{self.port}"

    # -- static.File -------------------------------------------------------

    @defer.inlineCallbacks
    def test_curl_big_file_through_sendfile(self):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        out = os.path.join(tmp, "download")
        r = yield run(CURL, "-sS", "--max-time", "20", "-o", out, "-w", "%{http_code} %{size_download}",
                      self.base + "/static/big.bin")
        self.assertEqual(r.stdout, b"200 %d" % BIG, r.stderr)
        with open(out, "rb") as f:
            self.assertEqual(hashlib.file_digest(f, "sha256").hexdigest(), self.bigSha)
        self.assertGreater(bodies.stats.sendfile_calls, 0)
        self.assertEqual(bodies.stats.sendfile_bytes, BIG)
        self.assertEqual(bodies.stats.fallback_bytes, 0)

    @defer.inlineCallbacks
    def test_client_gone_mid_download_closes_the_file(self):
        opened = []
        real = File.openForReading

        def spy(this):
            f = real(this)
            opened.append(f)
            return f

        self.patch(File, "openForReading", spy)
        port = self.port

        def client():
            import socket

            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
            s.sendall(b"GET /static/big.bin HTTP/1.1\r\nHost: a\r\n\r\n")
            got = s.recv(65536)
            s.close()
            return got

        head = yield inThread(client)
        self.assertTrue(head.startswith(b"HTTP/1.1 200 OK"))
        for _ in range(200):
            if opened and opened[0].closed and all(p.lost for p in self.site.connections):
                break
            yield task.deferLater(reactor, 0.01, lambda: None)
        self.assertTrue(opened[0].closed)
        self.assertTrue(all(p.lost for p in self.site.connections))
        self.assertLess(bodies.stats.sendfile_bytes, BIG)
        self.flushLoggedErrors()

    @defer.inlineCallbacks
    def test_curl_range(self):
        self.patch(bodies.FileBody, "sendfileMinimum", 1)  # 20 bytes by sendfile too
        r = yield run(CURL, "-sS", "--max-time", "10", "-r", "1048570-1048589", "-D", "-",
                      self.base + "/static/big.bin")
        head, body = r.stdout.split(b"\r\n\r\n", 1)
        self.assertIn(b"206", head.split(b"\r\n")[0])
        with open(self.big, "rb") as f:
            f.seek(1048570)
            self.assertEqual(body, f.read(20))
        self.assertEqual(bodies.stats.sendfile_bytes, 20)

    @defer.inlineCallbacks
    def test_http_client_keepalive_big_file_range_head(self):
        self.patch(bodies.FileBody, "sendfileMinimum", 1)  # the small ones by sendfile too
        port = self.port
        bigPath = self.big

        def client():
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
            c.request("GET", "/static/big.bin")
            r1 = c.getresponse()
            h = hashlib.sha256()
            n = 0
            while True:
                chunk = r1.read(1 << 20)
                if not chunk:
                    break
                n += len(chunk)
                h.update(chunk)
            c.request("GET", "/static/big.bin", headers={"Range": "bytes=%d-%d" % (BIG - 100, BIG - 1)})
            r2 = c.getresponse()
            tail = r2.read()
            c.request("HEAD", "/static/hello.txt")
            r3 = c.getresponse()
            r3.read()
            c.request("GET", "/static/hello.txt")
            r4 = c.getresponse()
            small = r4.read()
            c.close()
            with open(bigPath, "rb") as f:
                f.seek(BIG - 100)
                expectedTail = f.read()
            return (r1.status, n, h.hexdigest(), r2.status, tail == expectedTail,
                    r3.status, r3.getheader("content-length"), r4.status, small)

        result = yield inThread(client)
        self.assertEqual(result, (200, BIG, self.bigSha, 206, True, 200, "12", 200, b"hello, file\n"))
        self.assertEqual(len(self.site.connections), 1)  # one keep-alive connection
        self.assertEqual(bodies.stats.sendfile_bytes, BIG + 100 + 12)
        self.assertEqual(bodies.stats.fallback_bytes, 0)

    @defer.inlineCallbacks
    def test_curl_http10(self):
        r = yield run(CURL, "-sS", "--http1.0", "--max-time", "10", "-D", "-", self.base + "/static/hello.txt")
        self.assertIn(b"hello, file\n", r.stdout)
        self.assertIn(b"200 OK", r.stdout)

    # -- WSGI ---------------------------------------------------------------

    @defer.inlineCallbacks
    def test_wsgi_with_curl_upload(self):
        r = yield run(CURL, "-sS", "--max-time", "20", "--data-binary", "@" + self.big,
                      "-H", "Content-Type: application/octet-stream",
                      self.base + "/wsgi/echo?x=1")
        got = json.loads(r.stdout)
        self.assertEqual(got["method"], "POST")
        self.assertEqual(got["path"], "/echo")
        self.assertEqual(got["query"], "x=1")
        self.assertEqual(got["length"], BIG)
        self.assertEqual(got["sha"], self.bigSha)
        self.assertEqual(got["scheme"], "http")
        self.assertEqual(got["remote"], "127.0.0.1")

    @defer.inlineCallbacks
    def test_wsgi_with_http_client(self):
        port = self.port

        def client():
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            out = []
            for i in range(3):
                c.request("PUT", f"/wsgi/n{i}", body=b"x" * i)
                r = c.getresponse()
                out.append(json.loads(r.read()))
            c.close()
            return out

        out = yield inThread(client)
        self.assertEqual([(o["method"], o["path"], o["length"]) for o in out],
                         [("PUT", "/n0", 0), ("PUT", "/n1", 1), ("PUT", "/n2", 2)])

    # -- Klein --------------------------------------------------------------

    @defer.inlineCallbacks
    def test_klein(self):
        r1 = yield run(CURL, "-sS", "--max-time", "10", self.base + "/klein/hello/world")
        self.assertEqual(r1.stdout, b"hello world")
        r2 = yield run(CURL, "-sS", "--max-time", "10", self.base + "/klein/later")
        self.assertEqual(r2.stdout, b"later")
        r3 = yield run(CURL, "-sS", "--max-time", "10", "-H", "Content-Type: application/json",
                       "--data-binary", '{"a": [1, 2]}', self.base + "/klein/json")
        self.assertEqual(json.loads(r3.stdout), {"got": {"a": [1, 2]}})
        r4 = yield run(CURL, "-sS", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}",
                       self.base + "/klein/boom")
        self.assertEqual(r4.stdout, b"500")
        self.flushLoggedErrors(ValueError)

    @defer.inlineCallbacks
    def test_klein_with_http_client(self):
        port = self.port

        def client():
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            c.request("GET", "/klein/hello/http.client")
            r = c.getresponse()
            return r.status, r.read()

        self.assertEqual((yield inThread(client)), (200, b"hello http.client"))

    # -- bodies, pipelining, disconnects -------------------------------------

    @defer.inlineCallbacks
    def test_large_upload_streams_to_a_temporary_file(self):
        r = yield run(CURL, "-sS", "--max-time", "20", "--data-binary", "@" + self.big,
                      self.base + "/upload")
        n, sha, kind = r.stdout.split()
        self.assertEqual((int(n), sha.decode()), (BIG, self.bigSha))
        self.assertNotEqual(kind, b"BytesIO")

    @defer.inlineCallbacks
    def test_pipelined_proxy_then_fast_cve_2023_46137(self):
        """The PoC of twisted/twisted#11976: a reverse-proxied (slow) request
        followed by a fast one, pipelined in one packet.  The proxied answer
        comes first.  ReverseProxyResource copies the upstream's hop-by-hop
        ``Connection: close`` into its response, and a response that says
        ``close`` is followed by a close (RFC 9112 9.6): the fast request is
        never processed -- the client retries it, as HTTP/1.1 clients must."""
        data = (b"GET /proxy HTTP/1.1\r\nHost: a.com\r\nConnection: keep-alive\r\n\r\n"
                b"GET /fast HTTP/1.1\r\nHost: a.com\r\nConnection: close\r\n\r\n")
        raw = yield inThread(rawExchange, self.port, data)
        (r1,) = parse(raw, [b"GET"], closed=True)
        self.assertEqual(r1.body, b"slow upstream answer")
        self.assertEqual(r1.headers["connection"], b"close")

    @defer.inlineCallbacks
    def test_pipelined_slow_then_fast_real_socket(self):
        data = b"".join(
            b"GET /%s HTTP/1.1\r\nHost: a.com\r\n%s\r\n" % (path, extra)
            for path, extra in [(b"slowlocal", b""), (b"fast", b""), (b"slowlocal", b""),
                                (b"fast", b"Connection: close\r\n")]
        )
        raw = yield inThread(rawExchange, self.port, data)
        bodies_ = [r.body for r in parse(raw, [b"GET"] * 4, closed=True)]
        self.assertEqual(bodies_, [b"slow upstream answer", b"fast answer"] * 2)

    @defer.inlineCallbacks
    def test_client_disconnect_fails_notify_finish(self):
        yield inThread(rawExchange, self.port, b"GET /hang HTTP/1.1\r\nHost: a\r\n\r\n",
                       closeAfterSend=True)
        (result,) = yield self.hang.finished
        self.assertIsInstance(result, Failure)

    @defer.inlineCallbacks
    def test_malformed_request_gets_400(self):
        raw = yield inThread(rawExchange, self.port, b"GET / HTTP/1.1\r\nHost a\r\n\r\n")
        self.assertTrue(raw.startswith(b"HTTP/1.1 400 "), raw)
