"""
Client benchmark: txh11's Agent against Twisted's Agent, same run, same server.

One ``twisted.web.server.Site`` runs in a subprocess on 127.0.0.1 (so that its
CPU time is not charged to the client under test).  For each agent, each with
a persistent pool:

- ``seq``:  N sequential keep-alive GETs of a small resource (readBody each);
- ``conc``: N GETs issued by C concurrent workers (each worker sequential,
  keep-alive, so C connections);
- ``dl``:   one download of ``--mib`` MiB (body counted, not kept).

Plus ``mem``: the same sequential GETs with no socket and no server (a
``StringTransport`` and a canned response), which measures the clients alone.

Prints requests/s (wall clock), the client's user-mode CPU time per request
(``getrusage``: the client's own Python cost, whatever the server's speed
and without the kernel's loopback work, which is the same for both), MB/s, and txh11/Twisted ratios.
For the download, MB per CPU second is given for user time and for user
and system time together: the kernel divides CPU time between the two by
sampling at each timer tick, and a 100 MiB download uses only tens of
milliseconds, so the user-time figure alone varies several-fold from run
to run (``bench/instructions.py``-style counts under valgrind are the exact
measure of user-space work).  Rounds alternate the
agents; the best round of each is reported.

    python bench/client.py [-n 2000] [-c 20] [--mib 100] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import warnings
import resource
import subprocess
import sys
import textwrap
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, os.pardir, "src"))

SERVER = textwrap.dedent(
    r'''
    import sys
    from twisted.internet import reactor
    from twisted.internet.interfaces import IPushProducer
    from twisted.web import resource, server
    from zope.interface import implementer

    CHUNK = b"x" * (1 << 20)

    @implementer(IPushProducer)
    class Big:
        def __init__(self, request, size):
            self.request, self.left, self.paused = request, size, False
            request.registerProducer(self, True)
            self.resumeProducing()
        def resumeProducing(self):
            self.paused = False
            while not self.paused and self.left > 0:
                n = min(self.left, len(CHUNK))
                self.left -= n
                self.request.write(CHUNK[:n] if n < len(CHUNK) else CHUNK)
            if self.left == 0 and self.request is not None:
                r, self.request = self.request, None
                r.unregisterProducer()
                r.finish()
        def pauseProducing(self):
            self.paused = True
        def stopProducing(self):
            self.paused = True
            self.left = -1

    class Root(resource.Resource):
        isLeaf = True
        def render_GET(self, request):
            if request.path == b"/big":
                size = int(request.args[b"size"][0])
                request.setHeader(b"content-length", b"%d" % size)
                Big(request, size)
                return server.NOT_DONE_YET
            request.setHeader(b"content-type", b"text/plain")
            return b"hello, world\n"

    site = server.Site(Root())
    site.noisy = False
    site.log = lambda request: None
    port = reactor.listenTCP(0, site, interface="127.0.0.1", backlog=1024)
    print(port.getHost().port, flush=True)
    reactor.run()
    '''
)


def main() -> None:
    warnings.simplefilter("ignore", DeprecationWarning)  # Twisted's readBody on its own agent
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=2000, help="requests per measurement")
    ap.add_argument("-c", type=int, default=20, help="concurrent workers")
    ap.add_argument("--mib", type=int, default=100, help="download size in MiB")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", choices=["txh11", "twisted"], help="one agent (profiling)")
    args = ap.parse_args()

    srv = subprocess.Popen(
        [sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True
    )
    try:
        port = int(srv.stdout.readline())  # type: ignore[union-attr]
        run(args, port)
    finally:
        srv.terminate()
        srv.wait(10)


CANNED = (
    b"HTTP/1.1 200 OK\r\nServer: TwistedWeb/26.10.0\r\n"
    b"Date: Sun, 22 Nov 2026 02:43:19 GMT\r\nContent-Length: 13\r\n"
    b"Content-Type: text/plain\r\n\r\nhello, world\n"
)


def inMemory(name: str, n: int) -> float:
    """CPU seconds per request for ``n`` sequential GETs, no sockets."""
    from twisted.internet import defer
    from twisted.internet.interfaces import IStreamClientEndpoint
    from twisted.internet.task import Clock
    from twisted.internet.testing import StringTransport
    from twisted.web import client as txclient
    from twisted.web.iweb import IAgentEndpointFactory
    from zope.interface import implementer

    from txh11 import client as h11client

    @implementer(IStreamClientEndpoint, IAgentEndpointFactory)
    class Endpoint:
        proto = None

        def endpointForURI(self, uri):
            return self

        def connect(self, factory):
            self.proto = factory.buildProtocol(None)
            self.proto.makeConnection(StringTransport())
            return defer.succeed(self.proto)

    clock, ep = Clock(), Endpoint()
    mod = h11client if name == "txh11" else txclient
    agent = mod.Agent.usingEndpointFactory(clock, ep, mod.HTTPConnectionPool(clock))
    out: list = []

    def one() -> None:
        d = agent.request(b"GET", b"http://127.0.0.1:8080/small")
        ep.proto.transport.clear()
        ep.proto.dataReceived(CANNED)
        d.addCallback(txclient.readBody).addCallback(out.append)
        clock.advance(0)

    one()
    t0 = time.process_time()
    for _ in range(n):
        one()
    dt = time.process_time() - t0
    assert out[-1] == b"hello, world\n" and len(out) == n + 1
    return dt / n


def run(args: argparse.Namespace, port: int) -> None:
    from twisted.internet import defer, reactor
    from twisted.internet.protocol import Protocol
    from twisted.web import client as txclient

    from txh11 import client as h11client

    base = b"http://127.0.0.1:%d" % port
    small = base + b"/small"
    big = base + b"/big?size=%d" % (args.mib << 20)

    def agents():
        out = {}
        if args.only in (None, "txh11"):
            pool = h11client.HTTPConnectionPool(reactor)
            pool.maxPersistentPerHost = args.c
            out["txh11"] = (h11client.Agent(reactor, pool=pool), pool)
        if args.only in (None, "twisted"):
            pool = txclient.HTTPConnectionPool(reactor)
            pool.maxPersistentPerHost = args.c
            out["twisted"] = (txclient.Agent(reactor, pool=pool), pool)
        return out

    class Counter(Protocol):
        def __init__(self, d):
            self.d, self.n = d, 0

        def dataReceived(self, data):
            self.n += len(data)

        def connectionLost(self, reason):
            self.d.callback(self.n)

    @defer.inlineCallbacks
    def get(agent, uri):
        r = yield agent.request(b"GET", uri)
        body = yield txclient.readBody(r)
        assert r.code == 200 and body == b"hello, world\n", (r.code, body)

    @defer.inlineCallbacks
    def sequential(agent, n):
        for _ in range(n):
            yield get(agent, small)

    def concurrent(agent, n, c):
        per = n // c
        return defer.gatherResults([sequential(agent, per) for _ in range(c)])

    @defer.inlineCallbacks
    def download(agent):
        r = yield agent.request(b"GET", big)
        d = defer.Deferred()
        r.deliverBody(Counter(d))
        n = yield d
        assert n == args.mib << 20, n

    @defer.inlineCallbacks
    def measure(fn, *a):
        t0, r0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
        yield fn(*a)
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        return (
            time.perf_counter() - t0,
            r1.ru_utime - r0.ru_utime,
            r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime,
        )

    @defer.inlineCallbacks
    def bench():
        best: dict = {}
        for rnd in range(args.rounds):
            for name, (agent, pool) in agents().items():
                yield concurrent(agent, args.c * 5, args.c)  # warm up: open C connections
                seq = yield measure(sequential, agent, args.n)
                conc = yield measure(concurrent, agent, args.n, args.c)
                dl = yield measure(download, agent)
                yield pool.closeCachedConnections()
                mem = min(inMemory(name, args.n) for _ in range(3))
                row = {
                    "mem": 1 / mem,
                    "seq": args.n / seq[0],
                    "seq_cpu": seq[1] / args.n * 1e6,
                    "conc": args.n / conc[0],
                    "conc_cpu": conc[1] / args.n * 1e6,
                    "dl": (args.mib << 20) / dl[0] / 1e6,
                    "dl_cpu": (args.mib << 20) / dl[1] / 1e6 if dl[1] else float("inf"),
                    "dl_total": (args.mib << 20) / dl[2] / 1e6 if dl[2] else float("inf"),
                }
                print(
                    f"round {rnd + 1} {name:8s} mem {row['mem']:7.0f} req/s  "
                    f"seq {row['seq']:8.0f} req/s "
                    f"({row['seq_cpu']:5.0f} us user/req)  conc {row['conc']:8.0f} req/s "
                    f"({row['conc_cpu']:5.0f} us user/req)  dl {row['dl']:7.0f} MB/s "
                    f"({row['dl_cpu']:6.0f} MB per user-s, {row['dl_total']:6.0f} per "
                    f"user+sys-s)",
                    flush=True,
                )
                b = best.setdefault(name, {})
                for k, v in row.items():
                    better = min if k.endswith("_cpu") and not k.startswith("dl") else max
                    b[k] = better(b.get(k, v), v)
        print()
        print(f"best of {args.rounds}: n={args.n} c={args.c} download={args.mib} MiB")
        for name, b in best.items():
            print(
                f"  {name:8s} mem {b['mem']:7.0f} req/s  "
                f"seq {b['seq']:8.0f} req/s {b['seq_cpu']:5.0f} us/req  "
                f"conc {b['conc']:8.0f} req/s {b['conc_cpu']:5.0f} us/req  "
                f"dl {b['dl']:7.0f} MB/s"
            )
        if len(best) == 2:
            t, w = best["txh11"], best["twisted"]
            print(
                f"  ratio txh11/Twisted: mem {t['mem'] / w['mem']:.2f}x  "
                f"seq {t['seq'] / w['seq']:.2f}x  "
                f"conc {t['conc'] / w['conc']:.2f}x  dl {t['dl'] / w['dl']:.2f}x  "
                f"(client user cpu/req: seq {w['seq_cpu'] / t['seq_cpu']:.2f}x less, "
                f"conc {w['conc_cpu'] / t['conc_cpu']:.2f}x less)"
            )

    def done(result):
        if hasattr(result, "printTraceback"):
            result.printTraceback()
        reactor.stop()

    reactor.callWhenRunning(lambda: bench().addBoth(done))
    reactor.run()


if __name__ == "__main__":
    main()
