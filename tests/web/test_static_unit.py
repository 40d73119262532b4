"""static.File on txh11.web without sockets: the FileBody path, ranges,
conditional requests, gzip (normal path), and Twisted's own Agent over iosim."""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile

from twisted.internet.error import ConnectionDone
from twisted.internet.testing import MemoryReactorClock
from twisted.python.failure import Failure
from twisted.test.iosim import ConnectionCompleter
from twisted.trial.unittest import SynchronousTestCase
from twisted.web.client import Agent, readBody
from twisted.web.resource import EncodingResourceWrapper, Resource
from twisted.web.server import GzipEncoderFactory
from twisted.web.static import File

from txh11 import bodies
from txh11.web import Site

from tests._support.web import get, parse, serve


class StaticTests(SynchronousTestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)
        self.data = os.urandom(300_000)
        with open(os.path.join(self.dir, "blob.bin"), "wb") as f:
            f.write(self.data)
        with open(os.path.join(self.dir, "small.txt"), "wb") as f:
            f.write(b"small file\n")
        bodies.stats.reset()
        self.opened = []
        real = File.openForReading

        def spy(this):
            f = real(this)
            self.opened.append(f)
            return f

        self.patch(File, "openForReading", spy)

    def pump(self, clock, n=200):
        for _ in range(n):
            clock.advance(0.001)

    def test_whole_file_goes_through_filebody(self):
        self.patch(bodies.FileBody, "sendfileMinimum", 1)  # small.txt too, not read at once
        proto, transport, clock, site = serve(File(self.dir))
        proto.dataReceived(get(b"/blob.bin") + get(b"/small.txt"))
        self.pump(clock)
        r1, r2 = parse(transport.value(), [b"GET", b"GET"])
        self.assertEqual(r1.body, self.data)
        self.assertEqual(r1.headers["content-length"], b"300000")
        self.assertEqual(r2.body, b"small file\n")
        # no socket here: the fallback (read and write) side of FileBody
        self.assertEqual(bodies.stats.fallback_bytes, 300_000 + 11)
        self.assertEqual(bodies.stats.sendfile_calls, 0)
        self.assertTrue(all(f.closed for f in self.opened))

    def test_small_file_read_at_once_with_its_head(self):
        writes = []
        proto, transport, clock, site = serve(File(self.dir))
        real = transport.write
        self.patch(transport, "write", lambda data: writes.append(data) or real(data))
        sizes = []
        site._logFile = type("L", (), {"write": lambda s, x: None, "close": lambda s: None})()
        site._logFormatter = lambda ts, req: sizes.append(req.sentLength) or ""
        proto.dataReceived(get(b"/small.txt"))
        self.pump(clock)
        proto.dataReceived(get(b"/small.txt", b"Range: bytes=2-6"))
        self.pump(clock)
        r1, r2 = parse(transport.value(), [b"GET", b"GET"])
        self.assertEqual((r1.status, r1.body), (200, b"small file\n"))
        self.assertEqual((r2.status, r2.body), (206, b"all f"))
        self.assertEqual(r2.headers["content-range"], b"bytes 2-6/11")
        # each answer in one write, head and body; no FileBody
        self.assertEqual(len(writes), 2)
        self.assertTrue(writes[0].endswith(b"\r\n\r\nsmall file\n"))
        self.assertEqual(bodies.stats.fallback_bytes + bodies.stats.sendfile_bytes, 0)
        self.assertEqual(sizes, [11, 5])
        self.assertTrue(self.opened and all(f.closed for f in self.opened))

    def test_access_log_counts_file_bytes(self):
        sizes = []
        proto, transport, clock, site = serve(File(self.dir))
        site._logFile = type("L", (), {"write": lambda s, x: None, "close": lambda s: None})()
        site._logFormatter = lambda ts, req: sizes.append(req.sentLength) or ""
        proto.dataReceived(get(b"/blob.bin"))
        self.pump(clock)
        self.assertEqual(sizes, [300_000])

    def test_single_range(self):
        self.patch(bodies.FileBody, "sendfileMinimum", 1)  # the small ranges too
        proto, transport, clock, site = serve(File(self.dir))
        proto.dataReceived(get(b"/blob.bin", b"Range: bytes=1000-1999"))
        self.pump(clock)
        proto.dataReceived(get(b"/blob.bin", b"Range: bytes=-10"))
        self.pump(clock)
        r1, r2 = parse(transport.value(), [b"GET", b"GET"])
        self.assertEqual(r1.status, 206)
        self.assertEqual(r1.body, self.data[1000:2000])
        self.assertEqual(r1.headers["content-range"], b"bytes 1000-1999/300000")
        self.assertEqual(r2.body, self.data[-10:])
        self.assertEqual(bodies.stats.fallback_bytes, 1010)

    def test_multiple_ranges_use_the_normal_path(self):
        proto, transport, clock, site = serve(File(self.dir))
        proto.dataReceived(get(b"/blob.bin", b"Range: bytes=0-9,20-29"))
        self.pump(clock)
        (r,) = parse(transport.value(), [b"GET"])
        self.assertEqual(r.status, 206)
        self.assertIn(self.data[0:10], r.body)
        self.assertIn(self.data[20:30], r.body)
        self.assertEqual(bodies.stats.fallback_bytes, 0)

    def test_head_and_not_modified(self):
        proto, transport, clock, site = serve(File(self.dir))
        proto.dataReceived(get(b"/blob.bin", method=b"HEAD"))
        self.pump(clock)
        proto.dataReceived(get(b"/blob.bin", b"If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT"))
        self.pump(clock)
        r1, r2 = parse(transport.value(), [b"HEAD", b"GET"])
        self.assertEqual((r1.status, r1.body, r1.headers["content-length"]), (200, b"", b"300000"))
        self.assertEqual((r2.status, r2.body), (304, b""))
        self.assertEqual(bodies.stats.fallback_bytes, 0)
        self.assertTrue(all(f.closed for f in self.opened))

    def test_gzip_encoding_is_not_bypassed(self):
        root = Resource()
        root.putChild(
            b"blob.bin",
            EncodingResourceWrapper(File(os.path.join(self.dir, "blob.bin")), [GzipEncoderFactory()]),
        )
        proto, transport, clock, site = serve(root)
        proto.dataReceived(get(b"/blob.bin", b"Accept-Encoding: gzip"))
        self.pump(clock, 2000)
        (r,) = parse(transport.value(), [b"GET"])
        self.assertEqual(r.headers["content-encoding"], b"gzip")
        self.assertEqual(gzip.decompress(r.body), self.data)
        self.assertEqual(bodies.stats.fallback_bytes, 0)

    def test_directory_listing(self):
        proto, transport, clock, site = serve(File(self.dir))
        proto.dataReceived(get(b"/"))
        (r,) = parse(transport.value(), [b"GET"])
        self.assertEqual(r.status, 200)
        self.assertIn(b"blob.bin", r.body)

    def test_connection_lost_mid_file_closes_it(self):
        self.patch(bodies.FileBody, "chunksPerTurn", 1)
        proto, transport, clock, site = serve(File(self.dir))
        proto.dataReceived(get(b"/blob.bin"))
        self.assertEqual(len(self.opened), 1)
        self.assertFalse(self.opened[0].closed)
        proto.connectionLost(Failure(ConnectionDone()))
        self.pump(clock)
        self.assertTrue(self.opened[0].closed)
        self.assertLess(bodies.stats.fallback_bytes, 300_000)

    def test_paused_transport_pauses_the_file(self):
        proto, transport, clock, site = serve(File(self.dir))
        proto.dataReceived(get(b"/blob.bin"))
        proto.pauseProducing()
        before = bodies.stats.fallback_bytes
        self.pump(clock)
        self.assertEqual(bodies.stats.fallback_bytes, before)
        proto.resumeProducing()
        self.pump(clock)
        (r,) = parse(transport.value(), [b"GET"])
        self.assertEqual(r.body, self.data)


class IOSimTests(SynchronousTestCase):
    """Twisted's own HTTP/1.1 client (Agent) talking to txh11.web over iosim."""

    def test_agent_over_iosim(self):
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d)
        data = os.urandom(100_000)
        with open(os.path.join(d, "f"), "wb") as f:
            f.write(data)
        reactor = MemoryReactorClock()
        site = Site(File(d), reactor=reactor)
        reactor.listenTCP(80, site)
        agent = Agent(reactor)
        results = []
        for path in (b"/f", b"/missing"):
            req = agent.request(b"GET", b"http://127.0.0.1/" + path.lstrip(b"/"))
            req.addCallback(lambda resp: readBody(resp).addCallback(lambda body: (resp.code, body)))
            req.addBoth(results.append)
            pump = ConnectionCompleter(reactor).succeedOnce()
            for _ in range(500):
                pump.pump()
                reactor.advance(0.001)
                if len(results) == (1 if path == b"/f" else 2):
                    break
        self.assertEqual(results[0], (200, data))
        self.assertEqual(results[1][0], 404)
