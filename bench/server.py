"""
Server benchmark: txh11.web.Site against twisted.web and a hand-written
Twisted+h11 protocol, on loopback, driven by wrk.

    apt-get install -y wrk          # the load generator (Debian/Ubuntu)
    pip install -e '.[bench]'       # h11, for the hand-written baseline
    python bench/server.py          # ~2 minutes; --quick for ~40 s

Each server runs alone, in its own process, pinned to CPU 0 (``taskset``);
wrk is pinned to CPU 1.  Every measurement lasts ``--duration`` seconds
after a 1 s warm-up.

Scenarios:

- hello world (the same ``Resource`` on txh11.web.Site and
  twisted.web.server.Site; the same answer from a txh11.server handler
  ("native"); an equivalent h11 protocol; and a "floor" that is no HTTP
  server at all but answers each request head with canned bytes: what the
  reactor and the kernel alone cost per request): keep-alive,
  ``Connection: close``, and pipelined (16 requests per write, wrk+lua);
- a 100 MiB static file (``static.File``) on txh11.web.Site (sendfile) and
  on twisted.web.server.Site, one download at a time (wrk -c 1, and curl,
  which reads in bigger pieces than wrk's 8 KiB) and four (wrk -c 4): MB/s,
  the server's CPU use and CPU seconds per GiB (from /proc/PID/stat) and
  its resident memory before and after.  On loopback the sender's system
  time includes the receiving side's TCP work, so a sendfile server is
  still busy in the kernel (about 0.3 s per GiB) with next to nothing left
  in Python.  A file floor (no Twisted: a thread per connection sending
  the file with blocking ``os.sendfile`` calls) shows what the kernel and
  the client allow on this machine; txh11 is also given as a share of it.

``--rounds N`` measures every server N times, taking turns, and reports
the median of each round's ratio with its range: on a shared machine one
run of each is not enough.  ``--scenarios``, ``--kinds`` and ``--clients``
pick some (e.g. ``--scenarios keep-alive --kinds txh11,native,twisted
--clients c1``).  Hello-world lines give the server's user and system CPU
time per request: a change to how we write can win instructions in
Python and lose them in the kernel, and only this split shows it.

Prints req/s, MB/s and the ratios against twisted.web.  ``--profile KIND``
runs one txh11 server under cProfile and prints where the time went;
``--layers`` times one request through each layer in-process (core, bridge,
server.py, web.py + twisted.web's Request) next to twisted.web's own.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(os.path.dirname(HERE), "src")
HELLO = b"Hello, world!\n"
FILE_SIZE = 100 * 1024 * 1024

PIPELINE_LUA = """
init = function(args)
   local r = {}
   for i = 1, 16 do r[i] = wrk.format(nil, "/") end
   req = table.concat(r)
end
request = function() return req end
"""


# ---------------------------------------------------------------------------
# the servers (run in a child process: python bench/server.py --serve KIND)


def serve(kind: str, port: int, directory: str) -> None:
    if kind == "floor-file":
        fileFloor(port, directory)
        return
    sys.path.insert(0, SRC)
    from twisted.internet import epollreactor

    epollreactor.install()
    from twisted.internet import reactor
    from twisted.web.resource import Resource

    class Hello(Resource):
        isLeaf = True

        def render_GET(self, request):
            request.setHeader(b"content-type", b"text/plain")
            return HELLO

    if kind in ("txh11", "twisted"):
        root = Hello()
    else:
        root = None
    if kind in ("txh11-file", "twisted-file"):
        from twisted.web.static import File

        root = File(directory)

    if kind == "native":
        from txh11.server import HTTP11ServerFactory

        def hello(request):
            return request.respond(200, [(b"content-type", b"text/plain")], HELLO)

        factory = HTTP11ServerFactory(hello)
    elif kind.startswith("txh11"):
        from txh11.web import Site

        factory = Site(root)
    elif kind.startswith("twisted"):
        from twisted.web.server import Site as TwistedSite

        factory = TwistedSite(root)
    elif kind == "h11":
        factory = h11Factory()
    elif kind == "floor":
        factory = floorFactory()
    else:
        raise SystemExit(f"unknown server {kind}")
    factory.noisy = False
    if hasattr(factory, "log"):
        factory.log = lambda request: None  # no access log in either
    reactor.listenTCP(port, factory, interface="127.0.0.1", backlog=1024)

    if os.environ.get("BENCH_NOGC"):
        import gc

        gc.disable()
    profile = os.environ.get("BENCH_PROFILE")
    if profile:
        import cProfile

        prof = cProfile.Profile()

        def dump():
            prof.disable()
            prof.dump_stats(profile)

        reactor.addSystemEventTrigger("before", "shutdown", dump)
        prof.enable()
    print("ready", flush=True)
    reactor.run()  # SIGTERM stops it


def floorFactory():
    """
    Not an HTTP server: a protocol that answers every request head it sees
    (counted by its blank line) with a canned response.  What the reactor
    and the kernel cost per request on their own: no server on Twisted's
    reactor can go faster.  Like txh11, it writes to the socket itself when
    the transport holds nothing back (else the floor would be Twisted's
    write buffer and epoll registration, which txh11 does not pay).
    """
    from twisted.internet.protocol import Factory, Protocol

    response = (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: %d\r\n\r\n%s"
        % (len(HELLO), HELLO)
    )

    class Floor(Protocol):
        def dataReceived(self, data):
            out = response * data.count(b"\r\n\r\n")
            t = self.transport
            if not (t.dataBuffer or t._tempDataLen):
                try:
                    out = out[t.socket.send(out):]
                except OSError:
                    pass
            if out:
                t.write(out)
            if b"Connection: close" in data:
                self.transport.loseConnection()

    return Factory.forProtocol(Floor)


def fileFloor(port: int, directory: str) -> None:
    """
    Not Twisted and hardly HTTP: a thread per connection that answers each
    request head with a fixed head and the whole of ``big.bin`` by blocking
    ``os.sendfile`` calls.  No reactor, no parsing, no Python between the
    kernel's calls: what loopback TCP and the client allow a file server
    on this machine, so the ceiling for txh11's sendfile path.
    """
    import socketserver

    path = os.path.join(directory, "big.bin")
    size = os.path.getsize(path)
    head = (b"HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\n"
            b"content-length: %d\r\n\r\n" % size)

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            sock = self.request
            fd = os.open(path, os.O_RDONLY)
            pending = b""
            try:
                while True:
                    data = sock.recv(65536)
                    if not data:
                        return
                    pending += data
                    while b"\r\n\r\n" in pending:
                        pending = pending.split(b"\r\n\r\n", 1)[1]
                        sock.sendall(head)
                        offset = 0
                        while offset < size:
                            offset += os.sendfile(sock.fileno(), fd, offset, size - offset)
            except OSError:
                return
            finally:
                os.close(fd)

    class Floor(socketserver.ThreadingTCPServer):
        allow_reuse_address = True
        daemon_threads = True

    server = Floor(("127.0.0.1", port), Handler)
    print("ready", flush=True)
    server.serve_forever()  # SIGTERM ends the process


def h11Factory():
    """A hand-written Twisted protocol on h11 (the library), as a baseline."""
    import h11
    from twisted.internet.protocol import Factory, Protocol

    from email.utils import formatdate

    class H11Hello(Protocol):
        def connectionMade(self):
            self.conn = h11.Connection(h11.SERVER)

        def dataReceived(self, data):
            conn = self.conn
            conn.receive_data(data)
            out = []
            while True:
                try:
                    event = conn.next_event()
                except h11.RemoteProtocolError:
                    self.transport.loseConnection()
                    return
                t = type(event)
                if event is h11.NEED_DATA:
                    break
                if event is h11.PAUSED:
                    if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
                        conn.start_next_cycle()
                        continue
                    break
                if t is h11.Request:
                    out.append(conn.send(h11.Response(status_code=200, headers=[
                        ("content-type", "text/plain"),
                        ("content-length", str(len(HELLO))),
                        ("date", formatdate(usegmt=True)),
                        ("server", "h11-bench"),
                    ])))
                    out.append(conn.send(h11.Data(data=HELLO)))
                    out.append(conn.send(h11.EndOfMessage()))
                elif t is h11.EndOfMessage:
                    if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
                        conn.start_next_cycle()
                    elif conn.our_state is h11.MUST_CLOSE:
                        break
                elif t is h11.ConnectionClosed:
                    break
            if out:
                self.transport.writeSequence(out)
            if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.CLOSED:
                self.transport.loseConnection()

    f = Factory()
    f.protocol = H11Hello
    return f


# ---------------------------------------------------------------------------
# the driver


def freePort() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pinned(cpu: int, argv: list[str]) -> list[str]:
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", str(cpu), *argv]
    return argv


class Server:
    def __init__(self, kind: str, directory: str, profile: str = "") -> None:
        self.kind = kind
        self.port = freePort()
        env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
        if profile:
            env["BENCH_PROFILE"] = profile
        self.proc = subprocess.Popen(
            pinned(0, [sys.executable, __file__, "--serve", kind, "--port", str(self.port),
                       "--dir", directory]),
            stdout=subprocess.PIPE,
            env=env,
        )
        line = self.proc.stdout.readline()
        if line.strip() != b"ready":
            raise SystemExit(f"{kind} server did not start")

    def cpu(self) -> tuple[float, float]:
        """User and system CPU seconds used so far (all threads)."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        tick = os.sysconf("SC_CLK_TCK")
        return int(fields[11]) / tick, int(fields[12]) / tick

    def measure(self, run) -> dict:
        """``run()``'s result with the server's user and system CPU
        seconds during it added (``user``, ``sys``, ``cpu``)."""
        user0, sys0 = self.cpu()
        r = run()
        user1, sys1 = self.cpu()
        r["user"], r["sys"] = user1 - user0, sys1 - sys0
        r["cpu"] = r["user"] + r["sys"]
        return r

    def rss(self) -> int:
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def wrk(url: str, duration: float, connections: int, extra: list[str] = (), threads: int = 1):
    argv = pinned(1, ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration:g}s",
                      "--latency", *extra, url])
    out = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 30).stdout
    if "Requests/sec" not in out:
        raise SystemExit(f"wrk failed: {' '.join(argv)}\n{out}")
    rps = float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1))
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+), ([\d.]+)(\w+) read", out)
    count = int(m.group(1))
    secs = float(m.group(2)) * {"ms": 1e-3, "s": 1, "m": 60}[m.group(3)]
    nbytes = float(m.group(4)) * {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}[m.group(5)]
    errors = re.search(r"Socket errors: (.*)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "count": count,
        "secs": secs,
        "bytes": nbytes,
        "errors": (errors.group(1) if errors else "") + (f" non2xx={non2xx.group(1)}" if non2xx else ""),
        "raw": out,
    }


SCENARIOS = {
    "keep-alive": [],
    "Connection: close": ["-H", "Connection: close"],
    "pipelined x16": None,  # wrk -s with PIPELINE_LUA
}


def bench_hello(kinds, duration, results, scenarios=tuple(SCENARIOS), rounds=1):
    """
    Every scenario for every server kind, ``rounds`` times over, the kinds
    taking turns within a round: on a shared machine a single run of each
    says little, but ratios inside one round (the servers measured within
    seconds of each other) vary much less than raw req/s.  ``results`` maps
    (scenario, kind) to a list with one wrk result per round.
    """
    lua = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    lua.write(PIPELINE_LUA)
    lua.close()
    try:
        for n in range(rounds):
            if rounds > 1:
                print(f" round {n + 1} of {rounds}", flush=True)
            for name in scenarios:
                extra = SCENARIOS[name]
                if extra is None:
                    extra = ["-s", lua.name]
                for kind in kinds:
                    server = Server(kind, "/")
                    try:
                        url = f"http://127.0.0.1:{server.port}/"
                        wrk(url, 1, 50, extra)  # warm-up
                        r = server.measure(lambda: wrk(url, duration, 50, extra))
                    finally:
                        server.stop()
                    results.setdefault((name, kind), []).append(r)
                    print(f"  {kind:8s} {name:18s} {r['rps']:10.0f} req/s  "
                          f"server cpu {r['cpu'] / r['secs'] * 100:3.0f}%, per request "
                          f"user {r['user'] / r['count'] * 1e6:5.1f} us "
                          f"sys {r['sys'] / r['count'] * 1e6:5.1f} us  {r['errors']}",
                          flush=True)
    finally:
        os.unlink(lua.name)


def ratios(results, name, kind, other, measure="rps"):
    """``kind``'s ``measure`` (a result's key, or a function of a result)
    over ``other``'s in ``name``, round by round."""
    get = measure if callable(measure) else (lambda r: r[measure])
    return [get(a) / get(b) for a, b in zip(results[(name, kind)], results[(name, other)])]


def picked(arg: str, known, what: str) -> list[str]:
    """The comma-separated names in ``arg``, each one of ``known``."""
    names = [name.strip() for name in arg.split(",")]
    for name in names:
        if name not in known:
            raise SystemExit(f"unknown {what} {name!r}: one of {', '.join(known)}")
    return names


def median(values) -> float:
    values = sorted(values)
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def spread(values) -> str:
    """The median of ``values`` and, for more than one, their range."""
    values = sorted(values)
    if len(values) == 1:
        return f"{values[0]:.2f}x"
    return f"{median(values):.2f}x ({values[0]:.2f}-{values[-1]:.2f})"


FILE_CLIENTS = {
    "c1": "wrk -c 1",
    "c4": "wrk -c 4",
    "curl": "curl, one by one",
}


FILE_KINDS = ("txh11-file", "twisted-file", "floor-file")


def bench_file(duration, results, directory, clients=tuple(FILE_CLIENTS), rounds=1):
    """
    The 100 MiB download for each client, ``rounds`` times over, the
    servers taking turns: txh11.web.Site and twisted.web's ``static.File``,
    and the file floor (``fileFloor``).  ``results`` maps
    (``"file CLIENT"``, kind) to a list with one result per round.
    """
    conns = {"c1": 1, "c4": 4, "curl": 0}
    if not shutil.which("curl"):
        clients = [c for c in clients if c != "curl"]
    for n in range(rounds):
        if rounds > 1:
            print(f" round {n + 1} of {rounds}", flush=True)
        for client in clients:
            for kind in FILE_KINDS:
                server = Server(kind, directory)
                try:
                    url = f"http://127.0.0.1:{server.port}/big.bin"
                    wrk(url, 1, conns[client] or 1)  # warm-up
                    rss0 = server.rss()
                    if client == "curl":
                        r = server.measure(lambda: curl_downloads(url, duration))
                    else:
                        r = server.measure(lambda: wrk(url, duration, conns[client]))
                    r["rss0"], r["rss1"] = rss0, server.rss()
                finally:
                    server.stop()
                r["mbps"] = r["bytes"] / r["secs"] / 1e6
                r["cpu_per_gib"] = r["cpu"] / (r["bytes"] / 1024**3)
                results.setdefault((f"file {client}", kind), []).append(r)
                print(f"  {kind:12s} {FILE_CLIENTS[client]:16s} {r['mbps']:8.0f} MB/s   server "
                      f"cpu {r['cpu'] / r['secs'] * 100:3.0f}%, {r['cpu_per_gib']:.3f} s/GiB "
                      f"(user {r['user'] / (r['bytes'] / 1024**3):.3f})   "
                      f"rss {r['rss0'] / 2**20:.0f} -> {r['rss1'] / 2**20:.0f} MiB  {r['errors']}",
                      flush=True)


def curl_downloads(url: str, duration: float) -> dict:
    """Download ``url`` with curl, one after the other, for about
    ``duration`` seconds: wrk reads 8 KiB at a time, curl 16 KiB and more,
    so a sendfile server saturates wrk well before curl."""
    import time

    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < duration or count == 0:
        argv = pinned(1, ["curl", "-sS", "-o", "/dev/null", "-w", "%{size_download}", url])
        out = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=True).stdout
        if int(out) != FILE_SIZE:
            raise SystemExit(f"curl got {out} bytes, not {FILE_SIZE}")
        count += 1
    secs = time.perf_counter() - start
    return {"count": count, "secs": secs, "bytes": float(count * FILE_SIZE), "errors": ""}


def profile(kind, duration, directory):
    import pstats

    prof = tempfile.NamedTemporaryFile(suffix=".prof", delete=False).name
    server = Server(kind, directory, profile=prof)
    try:
        url = f"http://127.0.0.1:{server.port}/" + ("big.bin" if kind.endswith("file") else "")
        r = wrk(url, duration, 50 if not kind.endswith("file") else 4)
        print(f"{r['rps']:.0f} req/s under the profiler")
    finally:
        server.stop()
    stats = pstats.Stats(prof)
    stats.sort_stats("tottime").print_stats(30)
    # time by layer (exclusive time of functions, grouped by file)
    layers: dict[str, float] = {}
    total = 0.0
    for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():
        total += tottime
        if "/txh11/_core/" in filename:
            layer = "txh11 core"
        elif filename.endswith("txh11/protocol.py"):
            layer = "txh11 bridge (protocol.py)"
        elif filename.endswith("txh11/server.py"):
            layer = "txh11 server.py"
        elif filename.endswith("txh11/web.py"):
            layer = "txh11 web adapter (web.py)"
        elif filename.endswith("txh11/bodies.py"):
            layer = "txh11 bodies.py"
        elif "/twisted/web/" in filename:
            layer = "twisted.web (Request, resource, headers)"
        elif "/twisted/internet/" in filename or "/twisted/python/" in filename:
            layer = "twisted reactor/transport"
        elif filename == "~":
            layer = "builtins (send/recv, epoll, ...)"
        else:
            layer = "other"
        layers[layer] = layers.get(layer, 0.0) + tottime
    print("exclusive time by layer:")
    for layer, t in sorted(layers.items(), key=lambda x: -x[1]):
        print(f"  {layer:42s} {t:7.2f} s  {t / total * 100:5.1f}%")
    os.unlink(prof)


# ---------------------------------------------------------------------------
# in-process cost per request, layer by layer (no sockets, no reactor)


def layers(n: int = 20000, repeat: int = 5) -> None:
    """Microseconds per keep-alive hello-world request through each layer,
    on an in-memory transport: where the time goes, without wrk's noise."""
    sys.path.insert(0, SRC)
    import time as _time

    from twisted.internet.address import IPv4Address
    from twisted.internet.task import Clock
    from twisted.web import server as tserver
    from twisted.web.resource import Resource

    import txh11 as h11
    from txh11.protocol import HTTP11Protocol
    from txh11.server import HTTP11ServerFactory
    from txh11.web import Site

    REQ = b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n"
    ADDR = IPv4Address("TCP", "127.0.0.1", 5555)

    class Hello(Resource):
        isLeaf = True

        def render_GET(self, request):
            request.setHeader(b"content-type", b"text/plain")
            return HELLO

    class Transport:
        disconnecting = False

        def __init__(self):
            self.n = 0

        def write(self, d):
            self.n += len(d)

        def writeSequence(self, seq):
            for d in seq:
                self.n += len(d)

        def registerProducer(self, p, s):
            pass

        def unregisterProducer(self):
            pass

        def pauseProducing(self):
            pass

        def resumeProducing(self):
            pass

        def loseConnection(self):
            pass

        def getPeer(self):
            return ADDR

        getHost = getPeer

    def drive(factory, clock):
        p = factory.buildProtocol(None)
        p.makeConnection(Transport())
        for _ in range(300):
            p.dataReceived(REQ)
            clock.advance(0)
        t0 = _time.perf_counter()
        for _ in range(n):
            p.dataReceived(REQ)
            clock.advance(0)
        return (_time.perf_counter() - t0) / n * 1e6

    HDRS = [(b"content-type", b"text/plain"), (b"content-length", b"%d" % len(HELLO))]

    def coreOnly():
        conn = h11.Connection(h11.SERVER)
        t0 = _time.perf_counter()
        for _ in range(n):
            conn.receive_data(REQ)
            conn.next_event()
            conn.next_event()
            conn.send(h11.Response(status_code=200, headers=HDRS))
            conn.send(h11.Data(data=HELLO))
            conn.send(h11.EndOfMessage())
            conn.start_next_cycle()
        return (_time.perf_counter() - t0) / n * 1e6

    class Bridge(HTTP11Protocol):
        def eventReceived(self, event):
            if type(event) is h11.Request:
                self.sendEvents(
                    [h11.Response(status_code=200, headers=HDRS), h11.Data(data=HELLO),
                     h11.EndOfMessage()]
                )

    class BridgeFactory:
        def __init__(self, clock):
            self.clock = clock

        def buildProtocol(self, addr):
            return Bridge(self.clock)

    def native(request):
        request.respond(200, [(b"content-type", b"text/plain")], HELLO)

    def twistedRequestAlone():
        site = tserver.Site(Hello())
        site.log = lambda r: None

        class Channel:
            transport = None
            factory = site

            def __init__(self):
                self.site = site

            def getPeer(self):
                return ADDR

            getHost = getPeer

            def writeHeaders(self, v, c, r, h):
                pass

            def write(self, d):
                pass

            def requestDone(self, r):
                pass

        ch = Channel()
        t0 = _time.perf_counter()
        for _ in range(n):
            r = tserver.Request(ch, False)
            r.requestHeaders.addRawHeader(b"host", b"127.0.0.1:8080")
            r.parseCookies()
            r.gotLength(0)
            r.requestReceived(b"GET", b"/", b"HTTP/1.1")
        return (_time.perf_counter() - t0) / n * 1e6

    def site(cls):
        clock = Clock()
        s = cls(Hello(), reactor=clock)
        s.log = lambda r: None
        return lambda: drive(s, clock)

    def bridge():
        clock = Clock()
        return drive(BridgeFactory(clock), clock)

    def nativeServer():
        clock = Clock()
        return drive(HTTP11ServerFactory(native, reactor=clock), clock)

    rows = [
        ("txh11 core alone (parse, 3 sends)", coreOnly),
        ("+ bridge (HTTP11Protocol)", bridge),
        ("+ server.py (native respond())", nativeServer),
        ("+ web.py + twisted.web Request = txh11.web.Site", site(Site)),
        ("twisted.web Request alone (no channel)", twistedRequestAlone),
        ("twisted.web.server.Site (HTTPChannel)", site(tserver.Site)),
    ]
    print(f"in-process cost per keep-alive request, best of {repeat} x {n}:")
    for name, fn in rows:
        best = min(fn() for _ in range(repeat))
        print(f"  {name:50s} {best:6.1f} us")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--serve")
    ap.add_argument("--port", type=int)
    ap.add_argument("--dir", default="/")
    ap.add_argument("--duration", type=float, default=5)
    ap.add_argument("--quick", action="store_true", help="2 s per measurement")
    ap.add_argument("--rounds", type=int, default=1,
                    help="measure every server N times, taking turns")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS),
                    help="hello-world scenarios, comma-separated (default: all)")
    ap.add_argument("--kinds", help="hello-world servers, comma-separated "
                    "(default: txh11,native,twisted,h11,floor)")
    ap.add_argument("--clients", default=",".join(FILE_CLIENTS),
                    help="file download clients, comma-separated: c1 (wrk -c 1), c4, curl")
    ap.add_argument("--profile", help="profile one server: txh11 or txh11-file")
    ap.add_argument("--skip-file", action="store_true")
    ap.add_argument("--skip-hello", action="store_true")
    ap.add_argument("--layers", action="store_true", help="in-process cost per layer only")
    args = ap.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.dir)
        return
    if args.layers:
        layers()
        return
    if not shutil.which("wrk"):
        raise SystemExit("wrk not found: apt-get update && apt-get install -y wrk")
    duration = 2 if args.quick else args.duration
    scenarios = picked(args.scenarios, SCENARIOS, "scenario")
    clients = picked(args.clients, FILE_CLIENTS, "client")

    directory = tempfile.mkdtemp()
    try:
        with open(os.path.join(directory, "big.bin"), "wb") as f:
            block = os.urandom(1 << 20)
            for _ in range(FILE_SIZE >> 20):
                f.write(block)
        if args.profile:
            profile(args.profile, duration, directory)
            return
        if args.kinds:
            kinds = args.kinds.split(",")
        else:
            try:
                import h11  # noqa: F401

                kinds = ["txh11", "native", "twisted", "h11", "floor"]
            except ImportError:
                print("(h11 not installed: pip install h11 -- skipping the h11 baseline)")
                kinds = ["txh11", "native", "twisted", "floor"]
        results: dict = {}
        if not args.skip_hello:
            print(f"hello world, {duration:g} s each, server on CPU 0, wrk on CPU 1")
            bench_hello(kinds, duration, results, scenarios, args.rounds)
        if not args.skip_file:
            print(f"static.File, 100 MiB: {', '.join(FILE_CLIENTS.values())} (where available);"
                  f" {duration:g} s each")
            bench_file(duration, results, directory, clients, args.rounds)
    finally:
        shutil.rmtree(directory)

    print()
    print("summary (ratio = txh11 / other; native = txh11.server's own handler API;")
    print("         req/s are medians, ratios the median of each round's ratio and their range)")
    for name in scenarios:
        if (name, "twisted") not in results:
            continue
        tw = median(r["rps"] for r in results[(name, "twisted")])
        line = f"  {name:18s}"
        for kind, label in (("txh11", "txh11.web"), ("native", "native")):
            if (name, kind) in results:
                t = median(r["rps"] for r in results[(name, kind)])
                line += f" {label} {t:7.0f} req/s ({spread(ratios(results, name, kind, 'twisted'))}"
                line += " twisted.web"
                if (name, "h11") in results:
                    line += f", {spread(ratios(results, name, kind, 'h11'))} h11"
                line += ") |"
        line += f" twisted.web {tw:7.0f}"
        if (name, "h11") in results:
            line += f" | h11 {median(r['rps'] for r in results[(name, 'h11')]):7.0f}"
        if (name, "floor") in results:
            floor = median(r["rps"] for r in results[(name, "floor")])
            line += f" | floor {floor:7.0f} ({spread(ratios(results, name, 'floor', 'twisted'))}"
            line += " twisted.web)"
        print(line)
    for client, label in FILE_CLIENTS.items():
        key = f"file {client}"
        if (key, "txh11-file") not in results:
            continue
        ours, theirs, floor = FILE_KINDS
        mbps = {kind: median(r["mbps"] for r in results[(key, kind)]) for kind in FILE_KINDS}

        def lessCPU(r):
            return 1 / max(r["cpu_per_gib"], 1e-9)

        print(f"  100 MiB, {label:16s} txh11 {mbps[ours]:5.0f} MB/s "
              f"({spread(ratios(results, key, ours, theirs, 'mbps'))} twisted.web, "
              f"{spread(ratios(results, key, ours, floor, 'mbps'))} floor) | twisted.web "
              f"{mbps[theirs]:5.0f} | floor {mbps[floor]:5.0f} "
              f"({spread(ratios(results, key, floor, theirs, 'mbps'))} twisted.web); "
              f"server CPU per GiB "
              f"{median(r['cpu_per_gib'] for r in results[(key, ours)]):.3f} s vs "
              f"{median(r['cpu_per_gib'] for r in results[(key, theirs)]):.3f} s "
              f"({spread(ratios(results, key, ours, theirs, lessCPU))} less)")


if __name__ == "__main__":
    main()
