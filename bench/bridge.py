"""
Per-request cost of the server stack without sockets: txh11's native server
(bridge + server.py + core), txh11.web.Site and twisted.web.server.Site.

    python bench/bridge.py                 # a few seconds
    python bench/bridge.py --profile native --scenario hello

Each server gets one connection on a ``StringTransport`` (timers on a
``MemoryReactorClock``) and is fed N keep-alive requests, one
``dataReceived`` each; the response bytes are checked and thrown away.

Scenarios:

- ``hello``: ``GET /`` with a few browser-like headers; the answer is a
  14-byte body with Content-Length.  Native: a synchronous
  ``request.respond(...)``.  twisted.web and txh11.web.Site: the same
  ``Resource`` returning bytes from ``render_GET``.
- ``chunks``: the same request answered with ``CHUNKS`` writes of 1 KiB
  each (chunked, no length), to see what one ``write`` costs; printed per
  chunk, after subtracting the hello cost.

Prints µs per request (per chunk) for each server, the best of ``--repeat``
runs (process CPU time, the servers taking turns), and each one's ratio to
twisted.web (smaller is better).  The hello scenario also times a "core
floor": a bare Twisted protocol that only parses with the txh11 core and
answers with three ``conn.send`` calls -- not a server, but the cost no
server on this core can go below, so the native figure minus the floor is
what the bridge and server.py add.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any, Callable

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "src"))

from twisted.internet.address import IPv4Address  # noqa: E402
from twisted.internet.protocol import Factory, Protocol  # noqa: E402
from twisted.internet.testing import MemoryReactorClock, StringTransport  # noqa: E402
from twisted.web.resource import Resource  # noqa: E402
from twisted.web.server import NOT_DONE_YET  # noqa: E402

import txh11 as h11  # noqa: E402

REQUEST = (
    b"GET / HTTP/1.1\r\n"
    b"Host: localhost:8080\r\n"
    b"User-Agent: Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/120.0\r\n"
    b"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    b"Accept-Encoding: gzip, deflate, br\r\n"
    b"Connection: keep-alive\r\n"
    b"\r\n"
)
HELLO = b"Hello, world!\n"
CHUNK = b"x" * 1024
CHUNKS = 20

PEER = IPv4Address("TCP", "127.0.0.1", 40000)
HOST = IPv4Address("TCP", "127.0.0.1", 8080)


# ---------------------------------------------------------------------------
# the applications


class HelloResource(Resource):
    isLeaf = True

    def render_GET(self, request):
        request.setHeader(b"content-type", b"text/plain")
        return HELLO


class ChunksResource(Resource):
    isLeaf = True

    def render_GET(self, request):
        request.setHeader(b"content-type", b"text/plain")
        for _ in range(CHUNKS):
            request.write(CHUNK)
        request.finish()
        return NOT_DONE_YET  # finished already


def nativeHello(request):
    request.respond(200, [(b"content-type", b"text/plain")], HELLO)


def nativeChunks(request):
    request.send(
        h11.Response(
            status_code=200,
            headers=[(b"content-type", b"text/plain"), (b"transfer-encoding", b"chunked")],
        )
    )
    for _ in range(CHUNKS):
        request.write(CHUNK)
    request.send(h11.EndOfMessage())


# ---------------------------------------------------------------------------
# the servers: each returns (factory, clock)


def nativeFactory(scenario: str):
    from txh11.server import HTTP11ServerFactory

    clock = MemoryReactorClock()
    handler = nativeHello if scenario == "hello" else nativeChunks
    return HTTP11ServerFactory(handler, reactor=clock), clock


def _resource(scenario: str) -> Resource:
    return HelloResource() if scenario == "hello" else ChunksResource()


def webFactory(scenario: str):
    from txh11.web import Site

    clock = MemoryReactorClock()
    site = Site(_resource(scenario), reactor=clock)
    site.log = lambda request: None  # no access log in either Site
    return site, clock


def twistedFactory(scenario: str):
    from twisted.web.server import Site

    clock = MemoryReactorClock()
    site = Site(_resource(scenario), reactor=clock)
    site.log = lambda request: None
    return site, clock


class CoreFloor(Protocol):
    """
    Not a server: the least any Twisted protocol on the txh11 core does for
    a hello-world exchange (parse, three sends, next cycle, one write) with
    no timeouts, flow control, error handling or handler API.  The floor
    under the native server's figure.
    """

    def connectionMade(self):
        self.conn = h11.Connection(h11.SERVER)

    def dataReceived(self, data):
        conn = self.conn
        conn.receive_data(data)
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                return
            if event is h11.PAUSED:
                conn.start_next_cycle()
                continue
            if type(event) is h11.Request:
                self.transport.writeSequence(
                    [
                        conn.send(h11.Response(status_code=200, headers=FLOOR_HEADERS)),
                        conn.send(h11.Data(data=HELLO)),
                        conn.send(h11.EndOfMessage()),
                    ]
                )


FLOOR_HEADERS = [
    (b"content-type", b"text/plain"),
    (b"content-length", b"%d" % len(HELLO)),
    (b"date", b"Sun, 22 Nov 2026 00:00:00 GMT"),
]


def floorFactory(scenario: str):
    return Factory.forProtocol(CoreFloor), MemoryReactorClock()


SERVERS: dict[str, Callable[[str], Any]] = {
    "native": nativeFactory,
    "web": webFactory,
    "twisted": twistedFactory,
    "floor": floorFactory,
}
LABELS = {
    "native": "txh11.server (native)",
    "web": "txh11.web.Site",
    "twisted": "twisted.web.server.Site",
    "floor": "(core floor, not a server)",
}


# ---------------------------------------------------------------------------
# the driver


def connect(kind: str, scenario: str):
    factory, clock = SERVERS[kind](scenario)
    factory.doStart()
    proto = factory.buildProtocol(PEER)
    transport = StringTransport(hostAddress=HOST, peerAddress=PEER)
    proto.makeConnection(transport)
    return proto, transport, clock, factory


def run(kind: str, scenario: str, n: int) -> float:
    """Seconds for ``n`` keep-alive requests on one connection."""
    proto, transport, clock, factory = connect(kind, scenario)
    dataReceived = proto.dataReceived
    clear = transport.clear
    # one exchange first, checked
    dataReceived(REQUEST)
    check(transport.value(), scenario)
    clear()
    start = time.process_time()
    for _ in range(n):
        dataReceived(REQUEST)
        clear()
    elapsed = time.process_time() - start
    dataReceived(REQUEST)
    check(transport.value(), scenario)  # still answering after n requests
    assert not transport.disconnecting
    factory.doStop()
    return elapsed


def check(raw: bytes, scenario: str) -> None:
    assert raw.startswith(b"HTTP/1.1 200 "), raw[:200]
    if scenario == "hello":
        assert raw.endswith(b"\r\n\r\n" + HELLO), raw
    else:
        assert raw.endswith(b"0\r\n\r\n"), raw[-200:]
        assert raw.count(CHUNK) == CHUNKS, raw[:200]


def best(kinds: list[str], scenario: str, n: int, repeat: int) -> dict[str, float]:
    """The best of ``repeat`` runs per server, in turns (fairer under load)."""
    for kind in kinds:
        run(kind, scenario, max(n // 10, 100))  # warm-up
    times: dict[str, list[float]] = {kind: [] for kind in kinds}
    for _ in range(repeat):
        for kind in kinds:
            times[kind].append(run(kind, scenario, n))
    return {kind: min(times[kind]) / n for kind in kinds}


def profile(kind: str, scenario: str, n: int) -> None:
    import cProfile
    import pstats

    prof = cProfile.Profile()
    proto, transport, clock, factory = connect(kind, scenario)
    prof.enable()
    for _ in range(n):
        proto.dataReceived(REQUEST)
        transport.clear()
    prof.disable()
    stats = pstats.Stats(prof)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=5_000, help="requests per run")
    parser.add_argument("--repeat", type=int, default=5, help="runs; the best counts")
    parser.add_argument("--scenario", choices=["hello", "chunks", "all"], default="all")
    parser.add_argument("--profile", choices=sorted(SERVERS), help="cProfile one server")
    args = parser.parse_args()

    scenarios = ["hello", "chunks"] if args.scenario == "all" else [args.scenario]
    if args.profile:
        for scenario in scenarios:
            profile(args.profile, scenario, args.n)
        return

    hello: dict[str, float] = {}
    for scenario in scenarios:
        kinds = [k for k in SERVERS if scenario == "hello" or k != "floor"]
        n = args.n if scenario == "hello" else max(args.n // 4, 100)
        results = best(kinds, scenario, n, args.repeat)
        if scenario == "hello":
            hello = results
            print(f"hello world, keep-alive, {n} requests per run (µs/request):")
            for kind in kinds:
                ratio = results[kind] / results["twisted"]
                print(f"  {LABELS[kind]:26} {results[kind] * 1e6:7.1f}   x{ratio:.2f} of twisted.web")
        else:
            print(f"{CHUNKS} x 1 KiB writes per response, {n} requests per run:")
            for kind in kinds:
                perRequest = results[kind] * 1e6
                line = f"  {LABELS[kind]:26} {perRequest:7.1f} µs/request"
                if kind in hello:
                    perChunk = (results[kind] - hello[kind]) / CHUNKS * 1e6
                    twistedChunk = (results["twisted"] - hello["twisted"]) / CHUNKS * 1e6
                    line += f"  {perChunk:5.2f} µs/chunk  x{perChunk / twistedChunk:.2f} of twisted.web"
                print(line)


if __name__ == "__main__":
    main()
