"""Helpers shared by the suites: feeding bytes, a ticking IBodyProducer, the
process's resident memory and big test files."""

import hashlib
import os
import socket
import ssl
import time

from twisted.internet import defer
from twisted.web.iweb import IBodyProducer
from zope.interface import implementer


MiB = 1 << 20


def rss_kib():
    """This process's resident memory, KiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def make_file(path, size):
    """Write ``size`` bytes (whole MiB) of random data, every MiB different,
    to ``path``; return their SHA-256, hex."""
    block = os.urandom(MiB)
    digest = hashlib.sha256()
    with open(path, "wb") as f:
        for i in range(size // MiB):
            chunk = block[i % 251 :] + block[: i % 251]
            f.write(chunk)
            digest.update(chunk)
    return digest.hexdigest()


def slow_download(port, path, size, cafile=None, stall=0.5, every=16 * MiB, pause=0.002):
    """
    GET ``path`` over loopback (TLS if ``cafile``) with ``Connection: close``
    and read the body as a slow client would: nothing for ``stall`` seconds
    after the head, then a pause of ``pause`` s after every ``every`` bytes,
    this process's resident memory sampled at each pause.  Run it in a
    thread.  Returns (status line, bytes read, their SHA-256 hex, peak RSS
    growth in KiB over the value after the head, seconds).
    """
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    if cafile is not None:
        sock = ssl.create_default_context(cafile=cafile).wrap_socket(
            sock, server_hostname="127.0.0.1"
        )
    start = time.perf_counter()
    try:
        sock.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path)
        head = b""
        while b"\r\n\r\n" not in head:
            c = sock.recv(1)
            if not c:
                break
            head += c
        baseline = peak = rss_kib()
        time.sleep(stall)  # the server must stop, not buffer
        peak = max(peak, rss_kib())
        view = memoryview(bytearray(256 * 1024))
        digest = hashlib.sha256()
        got = 0
        nextPause = every
        while got < size:
            n = sock.recv_into(view)
            if not n:
                break
            digest.update(view[:n])
            got += n
            if got >= nextPause:
                nextPause += every
                peak = max(peak, rss_kib())
                time.sleep(pause)
        peak = max(peak, rss_kib())
        status = head.split(b"\r\n", 1)[0]
        return status, got, digest.hexdigest(), peak - baseline, time.perf_counter() - start
    finally:
        sock.close()


def sleep(seconds):
    """A Deferred that fires after ``seconds`` on the global reactor."""
    from twisted.internet import reactor, task

    return task.deferLater(reactor, seconds, lambda: None)


def feed(proto, data, bytewise):
    """Deliver ``data`` to ``proto`` in one piece, or one byte at a time."""
    if bytewise:
        for i in range(len(data)):
            proto.dataReceived(data[i : i + 1])
    else:
        proto.dataReceived(data)


@implementer(IBodyProducer)
class TickingProducer:
    """An IBodyProducer writing ``data`` in ``size`` pieces, one per clock tick."""

    def __init__(self, data, clock, size=4096):
        self.data = data
        self.length = len(data)
        self.clock = clock
        self.size = size
        self.paused = False
        self.call = None

    def startProducing(self, consumer):
        self.consumer = consumer
        self.pos = 0
        self.deferred = defer.Deferred()
        self._schedule()
        return self.deferred

    def _schedule(self):
        if self.call is None and not self.paused and self.deferred is not None:
            self.call = self.clock.callLater(0.001, self._tick)

    def _tick(self):
        self.call = None
        chunk = self.data[self.pos : self.pos + self.size]
        self.pos += len(chunk)
        self.consumer.write(chunk)
        if self.deferred is None:  # stopped from inside write()
            return
        if self.pos >= len(self.data):
            d, self.deferred = self.deferred, None
            d.callback(None)
        else:
            self._schedule()

    def pauseProducing(self):
        self.paused = True
        if self.call is not None:
            self.call.cancel()
            self.call = None

    def resumeProducing(self):
        self.paused = False
        self._schedule()

    def stopProducing(self):
        self.pauseProducing()
        self.deferred = None
