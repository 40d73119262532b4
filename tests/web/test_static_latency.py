"""
Small static files answer without a delayed-ACK stall: txh11.web.Site with
``static.File`` on real loopback sockets, driven by ``http.client``.

A response whose head and body leave in two segments, on a socket without
``TCP_NODELAY``, waits for the client's delayed ACK (~40 ms on Linux) before
its body goes: 50 sequential keep-alive GETs of a 4 KiB file took 2.2 s.
The median must stay under 5 ms here (20 ms with a connection per
request) -- a latency pattern, not a throughput figure: the stall is 40 ms,
a loaded machine adds far less.
Both mechanisms are checked on their own: with ``TCP_NODELAY`` (every
size), and without it for a file small enough to go out in one write with
its head.
"""

from __future__ import annotations

import http.client
import os
import statistics
import tempfile
import time

from twisted.internet import defer, reactor
from twisted.trial.unittest import TestCase
from twisted.web.static import File

from txh11 import bodies
from txh11.protocol import _socket

from tests._support.web import TrackingSite, closeAll, inThread

SIZES = {"small.bin": 4096, "mid.bin": 64 * 1024, "big.bin": 1024 * 1024}
GETS = 50
LIMIT = 0.005  # seconds: the median of GETS sequential requests
#: a new connection per request costs more, and more again on a loaded
#: machine; the stall would still be eight times this
CONNECTION_LIMIT = 0.020


def keepAlive(port: int, path: str, size: int) -> list[float]:
    """GETS sequential GETs of ``path`` on one connection: their durations."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    times = []
    try:
        for _ in range(GETS):
            t0 = time.perf_counter()
            c.request("GET", path)
            r = c.getresponse()
            body = r.read()
            times.append(time.perf_counter() - t0)
            assert (r.status, len(body)) == (200, size), (r.status, len(body))
    finally:
        c.close()
    return times


def oneEach(port: int, path: str, size: int) -> list[float]:
    """GETS sequential GETs of ``path``, each on a connection of its own
    (``Connection: close``, read to the server's close)."""
    times = []
    for _ in range(GETS):
        t0 = time.perf_counter()
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            c.request("GET", path, headers={"Connection": "close"})
            r = c.getresponse()
            body = r.read()
        finally:
            c.close()
        times.append(time.perf_counter() - t0)
        assert (r.status, len(body)) == (200, size), (r.status, len(body))
    return times


class StaticLatencyTests(TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        for name, size in SIZES.items():
            with open(os.path.join(self.dir, name), "wb") as f:
                f.write(os.urandom(size))
        self.site = TrackingSite(File(self.dir))
        self.site.log = lambda request: None
        self.port = reactor.listenTCP(0, self.site, interface="127.0.0.1")
        bodies.stats.reset()

    @defer.inlineCallbacks
    def tearDown(self):
        yield self.port.stopListening()
        yield closeAll(self.site)
        for name in SIZES:
            os.unlink(os.path.join(self.dir, name))
        os.rmdir(self.dir)

    @defer.inlineCallbacks
    def check(self, client, name, limit=LIMIT):
        times = yield inThread(client, self.port.getHost().port, "/" + name, SIZES[name])
        median = statistics.median(times)
        self.assertLess(
            median, limit, f"{name}: median {median * 1e3:.1f} ms, slowest "
            f"{max(times) * 1e3:.1f} ms of {GETS} ({client.__name__})"
        )

    @defer.inlineCallbacks
    def test_keep_alive(self):
        for name in SIZES:
            yield self.check(keepAlive, name)
        # the bigger files went out with sendfile, the 4 KiB one did not
        self.assertEqual(bodies.stats.sendfile_bytes, GETS * (SIZES["mid.bin"] + SIZES["big.bin"]))

    @defer.inlineCallbacks
    def test_connection_per_request(self):
        for name in SIZES:
            yield self.check(oneEach, name, CONNECTION_LIMIT)

    @defer.inlineCallbacks
    def test_nodelay_alone(self):
        # head and body in two writes (sendfile for 4 KiB too): only
        # TCP_NODELAY keeps the body from waiting for the delayed ACK
        self.patch(bodies.FileBody, "sendfileMinimum", 1)
        yield self.check(keepAlive, "small.bin")
        self.assertEqual(bodies.stats.sendfile_bytes, GETS * SIZES["small.bin"])

    @defer.inlineCallbacks
    def test_one_write_alone(self):
        # no TCP_NODELAY: the head and the 4 KiB body must leave together
        self.patch(_socket, "setNoDelay", lambda transport: None)
        yield self.check(keepAlive, "small.bin")
        self.assertEqual(bodies.stats.sendfile_calls, 0)
