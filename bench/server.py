"""
Server benchmark on loopback, driven by wrk: txh11.web.Site against
twisted.web and anchors, on the traffic a site gets.

    apt-get install -y wrk curl     # the load generator (Debian/Ubuntu)
    pip install -e '.[bench]'       # h11, uvicorn, httptools, uvloop
    python bench/server.py --rounds 3 --duration 3   # about 25 minutes
    python bench/server.py --quick                   # one round, 2 s each

Each server runs alone, in its own process, pinned to CPU 0 (``taskset``);
wrk is pinned to CPU 1.  Every measurement lasts ``--duration`` seconds
after a 1 s warm-up, on 50 connections unless said otherwise.  The
servers are in ``bench/servers.py``.

Scenarios (``--scenarios``, comma-separated; default: all):

- hello world (``keep-alive``, ``Connection: close``, ``pipelined x16``,
  16 requests per write with wrk+lua): the same ``Resource`` on
  txh11.web.Site (``txh11``) and twisted.web (``twisted``); the same
  answer from a txh11.server handler (``native``), a hand-written h11
  protocol (``h11``), uvicorn with httptools and uvloop (``uvicorn``, the
  Python field's best), and a ``floor`` that is no HTTP server at all but
  answers each request head with canned bytes (what the reactor and the
  kernel alone cost per request);
- static files (``4 KiB keep-alive``, ``4 KiB close`` and the same for
  ``64 KiB`` and ``1 MiB``): ``static.File`` on txh11.web.Site
  (``txh11-file``) and on twisted.web (``twisted-file``), keep-alive and
  one request per connection;
- ``twistd keep-alive`` / ``twistd close``: what a user runs,
  ``twistd -n txh11 --path DIR`` (``twistd-txh11``) against
  ``twistd -n web --path DIR`` (``twistd-web``), each with its default
  logging (an access line per request in twistd's log, here a file),
  fetching a 14-byte ``hello.txt``;
- a 100 MiB static file (``--clients``: wrk -c 1, wrk -c 4, curl one
  after another) on both Sites and a file floor (no Twisted: a thread per
  connection sending the file with blocking ``os.sendfile``): MB/s, the
  server's CPU seconds per GiB (``/proc/PID/stat``) and its resident
  memory before and after.  On loopback the sender's system time includes
  the receiving side's TCP work;
- latency: p50/p99 of 50 sequential keep-alive GETs of a 4 KiB file with
  ``http.client`` (after 5 to warm up), on both Sites and both twistd
  commands: a delayed-ACK stall (40 ms) shows under any load.

``--rounds N`` measures every server N times, taking turns within each
scenario, and reports the median of each round's ratio with its range:
on a shared machine one run of each is not enough.  ``--kinds`` keeps
some servers.  Each wrk line gives the server's user and system CPU time
per request: a change to how we write can win instructions in Python and
lose them in the kernel, and only this split shows it.  The summary ends
with one table of every target of the performance issue: the median
ratio, its range, the target, and whether it was met.

``--profile KIND`` runs one server under cProfile and prints where the
time went; ``--layers`` times one request through each layer in-process
(``bench/layers.py``).
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(os.path.dirname(HERE), "src")
FILE_SIZE = 100 * 1024 * 1024
#: the small files, by scenario prefix: (file name, size)
SMALL_FILES = {"4 KiB": ("4k.bin", 4096), "64 KiB": ("64k.bin", 65536),
               "1 MiB": ("1m.bin", 1 << 20)}
HELLO_FILE = "hello.txt"

PIPELINE_LUA = """
init = function(args)
   local r = {}
   for i = 1, 16 do r[i] = wrk.format(nil, "/") end
   req = table.concat(r)
end
request = function() return req end
"""


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


#: kinds run as twistd subcommands: (twistd plugin, its arguments)
TWISTD = {"twistd-txh11": "txh11", "twistd-web": "web"}


def command(kind: str, port: int, directory: str) -> list[str]:
    """The command line of a ``kind`` server on ``port`` serving ``directory``."""
    if kind in TWISTD:
        return [sys.executable, "-c", "from twisted.scripts.twistd import run; run()",
                "-n", "--pidfile=", TWISTD[kind], "--path", directory,
                "--listen", f"tcp:{port}:interface=127.0.0.1"]
    return [sys.executable, os.path.join(HERE, "servers.py"), "--serve", kind,
            "--port", str(port), "--dir", directory]


class Server:
    """A ``kind`` server in a process of its own, pinned to CPU 0, listening
    on 127.0.0.1 once the constructor returns.  A twistd server's log (its
    standard output) goes to ``log``."""

    def __init__(self, kind: str, directory: str, profile: str = "", log: str = "") -> None:
        self.kind = kind
        self.port = freePort()
        env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
        if profile:
            env["BENCH_PROFILE"] = profile
        self._log = open(log or os.devnull, "ab")
        self.proc = subprocess.Popen(
            pinned(0, command(kind, self.port, directory)),
            stdout=self._log if kind in TWISTD else subprocess.PIPE,
            env=env,
        )
        if kind not in TWISTD and self.proc.stdout.readline().strip() != b"ready":
            raise SystemExit(f"{kind} server did not start")
        self._waitListening()

    def _waitListening(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"{self.kind} server did not start listening")
                time.sleep(0.05)

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
        self._log.close()


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


HELLO_KINDS = ("txh11", "native", "twisted", "h11", "uvicorn", "floor")
FILE_KINDS_SMALL = ("txh11-file", "twisted-file")
TWISTD_KINDS = tuple(TWISTD)
CLOSE = ["-H", "Connection: close"]


def scenarioTable() -> dict:
    """scenario -> (server kinds, path, wrk arguments); ``None`` for the
    arguments: wrk -s with PIPELINE_LUA."""
    table = {
        "keep-alive": (HELLO_KINDS, "/", []),
        "Connection: close": (HELLO_KINDS, "/", CLOSE),
        "pipelined x16": (tuple(k for k in HELLO_KINDS if k != "floor"), "/", None),
    }
    for prefix, (name, _) in SMALL_FILES.items():
        table[f"{prefix} keep-alive"] = (FILE_KINDS_SMALL, "/" + name, [])
        table[f"{prefix} close"] = (FILE_KINDS_SMALL, "/" + name, CLOSE)
    table["twistd keep-alive"] = (TWISTD_KINDS, "/" + HELLO_FILE, [])
    table["twistd close"] = (TWISTD_KINDS, "/" + HELLO_FILE, CLOSE)
    return table


SCENARIOS = scenarioTable()


def bench_wrk(scenarios, kinds, duration, results, directory, rounds=1):
    """
    Every scenario for each of its server kinds (those in ``kinds``),
    ``rounds`` times over, the kinds taking turns within a scenario: on a
    shared machine a single run of each says little, but ratios inside one
    round (the servers measured within seconds of each other) vary much
    less than raw req/s.  ``results`` maps (scenario, kind) to a list with
    one wrk result per round.
    """
    lua = os.path.join(directory, "..", "pipeline.lua")
    with open(lua, "w") as f:
        f.write(PIPELINE_LUA)
    for n in range(rounds):
        if rounds > 1:
            print(f" round {n + 1} of {rounds}", flush=True)
        for name in scenarios:
            scenarioKinds, path, extra = SCENARIOS[name]
            extra = ["-s", lua] if extra is None else extra
            for kind in scenarioKinds:
                if kind not in kinds:
                    continue
                log = os.path.join(directory, "..", f"{kind}.log")
                server = Server(kind, directory, log=log)
                try:
                    url = f"http://127.0.0.1:{server.port}{path}"
                    wrk(url, 1, 50, extra)  # warm-up
                    r = server.measure(lambda: wrk(url, duration, 50, extra))
                finally:
                    server.stop()
                results.setdefault((name, kind), []).append(r)
                print(f"  {kind:12s} {name:18s} {r['rps']:10.0f} req/s  "
                      f"server cpu {r['cpu'] / r['secs'] * 100:3.0f}%, per request "
                      f"user {r['user'] / r['count'] * 1e6:6.1f} us "
                      f"sys {r['sys'] / r['count'] * 1e6:6.1f} us  {r['errors']}",
                      flush=True)


LATENCY_KINDS = ("txh11-file", "twisted-file", "twistd-txh11", "twistd-web")


def latency(kind: str, directory: str, gets: int = 50, warm: int = 5) -> list[float]:
    """Seconds each of ``gets`` sequential keep-alive GETs of the 4 KiB
    file took, with ``http.client`` on one connection from this process
    (pinned to CPU 1 meanwhile)."""
    name, size = SMALL_FILES["4 KiB"]
    server = Server(kind, directory, log=os.path.join(directory, "..", f"{kind}.log"))
    affinity = os.sched_getaffinity(0)
    try:
        if len(affinity) > 1:
            os.sched_setaffinity(0, {1})
        c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        times = []
        for i in range(warm + gets):
            t0 = time.perf_counter()
            c.request("GET", "/" + name)
            r = c.getresponse()
            if len(r.read()) != size or r.status != 200:
                raise SystemExit(f"{kind}: bad answer to GET /{name}")
            if i >= warm:
                times.append(time.perf_counter() - t0)
        c.close()
    finally:
        os.sched_setaffinity(0, affinity)
        server.stop()
    return times


def bench_latency(kinds, directory, results, rounds=1):
    """``results[("latency", kind)]``: one list of GET times per round."""
    for n in range(rounds):
        for kind in LATENCY_KINDS:
            if kind not in kinds:
                continue
            times = latency(kind, directory)
            results.setdefault(("latency", kind), []).append(times)
            p50, p99 = percentiles(times)
            print(f"  {kind:12s} 50 keep-alive GETs of 4 KiB: total {sum(times):.3f} s, "
                  f"p50 {p50 * 1e3:.2f} ms, p99 {p99 * 1e3:.2f} ms", flush=True)


def percentiles(times) -> tuple[float, float]:
    """p50 and p99 (interpolated between the closest ranks)."""
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return statistics.median(times), cuts[98]


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
        elif "/txh11/protocol" in filename:
            layer = "txh11 bridge (protocol)"
        elif "/txh11/server" in filename:
            layer = "txh11 server"
        elif "/txh11/web" in filename:
            layer = "txh11 web adapter (web)"
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


def lessCPU(r) -> float:
    """How many times less CPU per GiB (a result's reciprocal, for ratios)."""
    return 1 / max(r["cpu_per_gib"], 1e-9)


#: every target of the performance issue: (what, scenario, kind, against,
#: measure, target ratio); a row whose two servers were not measured is left out
TARGETS = [
    ("web.Site keep-alive vs uvicorn+httptools+uvloop", "keep-alive", "txh11", "uvicorn",
     "rps", 1.0),
    ("web.Site Connection: close vs twisted.web", "Connection: close", "txh11", "twisted",
     "rps", 2.0),
    *[(f"{size} file {how} vs twisted.web", f"{size} {how}", "txh11-file", "twisted-file",
       "rps", 3.0 if size == "1 MiB" else 2.0)
      for size in SMALL_FILES for how in ("keep-alive", "close")],
    ("100 MiB file, MB/s vs the file floor (wrk -c 1)", "file c1", "txh11-file", "floor-file",
     "mbps", 0.9),
    ("100 MiB file, less server CPU per GiB than twisted.web", "file c1", "txh11-file",
     "twisted-file", lessCPU, 3.0),
    ("twistd -n txh11 vs twistd -n web, keep-alive", "twistd keep-alive", "twistd-txh11",
     "twistd-web", "rps", 2.0),
    ("twistd -n txh11 vs twistd -n web, close", "twistd close", "twistd-txh11", "twistd-web",
     "rps", 2.0),
    ("web.Site pipelined x16 vs twisted.web", "pipelined x16", "txh11", "twisted", "rps", 3.0),
]


#: what no server on this machine can beat, for reading the targets:
#: (what, scenario, kind, against, measure)
CEILINGS = [
    ("floor (no HTTP: canned bytes) Connection: close vs twisted.web", "Connection: close",
     "floor", "twisted", "rps"),
    ("file floor (blocking sendfile) vs twisted.web (wrk -c 1)", "file c1", "floor-file",
     "twisted-file", "mbps"),
]


def printTargets(results) -> None:
    print("targets (median of each round's ratio, its range; met = median >= target):")
    for what, name, kind, other, measure, target in TARGETS:
        if (name, kind) not in results or (name, other) not in results:
            continue
        values = ratios(results, name, kind, other, measure)
        met = "met" if median(values) >= target else "NOT met"
        print(f"  {what:56s} {spread(values):22s} target {target:.1f}x  {met}")
    for what, name, kind, other, measure in CEILINGS:
        if (name, kind) in results and (name, other) in results:
            print(f"  ceiling: {what:47s} {spread(ratios(results, name, kind, other, measure))}")


def printSummary(results, scenarios) -> None:
    print()
    print("req/s (medians of rounds) and ratios (median of each round's ratio, range):")
    for name in scenarios:
        kinds = [k for k in SCENARIOS[name][0] if (name, k) in results]
        if not kinds:
            continue
        base = {"twistd-txh11": "twistd-web", "txh11-file": "twisted-file"}.get(
            kinds[0], "twisted")
        line = f"  {name:18s}"
        for kind in kinds:
            line += f" | {kind} {median(r['rps'] for r in results[(name, kind)]):.0f}"
            if kind != base and (name, base) in results:
                line += f" ({spread(ratios(results, name, kind, base))} {base})"
        print(line)
    printFiles(results)
    printLatency(results)
    print()
    printTargets(results)


def printFiles(results) -> None:
    for client, label in FILE_CLIENTS.items():
        key = f"file {client}"
        if (key, "txh11-file") not in results:
            continue
        ours, theirs, floor = FILE_KINDS
        mbps = {kind: median(r["mbps"] for r in results[(key, kind)]) for kind in FILE_KINDS}
        print(f"  100 MiB, {label:16s} txh11 {mbps[ours]:5.0f} MB/s "
              f"({spread(ratios(results, key, ours, theirs, 'mbps'))} twisted.web, "
              f"{spread(ratios(results, key, ours, floor, 'mbps'))} floor) | twisted.web "
              f"{mbps[theirs]:5.0f} | floor {mbps[floor]:5.0f}; server CPU per GiB "
              f"{median(r['cpu_per_gib'] for r in results[(key, ours)]):.3f} s vs "
              f"{median(r['cpu_per_gib'] for r in results[(key, theirs)]):.3f} s "
              f"({spread(ratios(results, key, ours, theirs, lessCPU))} less); rss "
              f"{max(r['rss1'] - r['rss0'] for r in results[(key, ours)]) / 2**20:+.0f} MiB")


def printLatency(results) -> None:
    for kind in LATENCY_KINDS:
        if ("latency", kind) in results:
            p = [percentiles(times) for times in results[("latency", kind)]]
            print(f"  latency {kind:12s} 4 KiB keep-alive: p50 "
                  f"{median(x[0] for x in p) * 1e3:.2f} ms, p99 {median(x[1] for x in p) * 1e3:.2f}"
                  f" ms (medians of {len(p)} rounds of 50 GETs)")


def makeFiles(directory: str) -> None:
    """big.bin (100 MiB), the small files and hello.txt in ``directory``."""
    block = os.urandom(1 << 20)
    with open(os.path.join(directory, "big.bin"), "wb") as f:
        for _ in range(FILE_SIZE >> 20):
            f.write(block)
    for name, size in SMALL_FILES.values():
        with open(os.path.join(directory, name), "wb") as f:
            f.write(block[:size])
    with open(os.path.join(directory, HELLO_FILE), "wb") as f:
        f.write(b"Hello, world!\n")


def parseArgs():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=5)
    ap.add_argument("--quick", action="store_true", help="2 s per measurement")
    ap.add_argument("--rounds", type=int, default=1,
                    help="measure every server N times, taking turns")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS),
                    help="wrk scenarios, comma-separated (default: all)")
    ap.add_argument("--kinds", help="servers, comma-separated (default: all)")
    ap.add_argument("--clients", default=",".join(FILE_CLIENTS),
                    help="100 MiB download clients, comma-separated: c1 (wrk -c 1), c4, curl")
    ap.add_argument("--profile", help="profile one server (e.g. txh11, txh11-file)")
    ap.add_argument("--skip-file", action="store_true", help="no 100 MiB downloads")
    ap.add_argument("--skip-wrk", action="store_true", help="no wrk scenarios")
    ap.add_argument("--skip-latency", action="store_true")
    ap.add_argument("--layers", action="store_true", help="in-process cost per layer only")
    return ap.parse_args()


def allKinds() -> list[str]:
    kinds = list(dict.fromkeys(k for v in SCENARIOS.values() for k in v[0]))
    kinds.append("floor-file")
    for kind, module in (("h11", "h11"), ("uvicorn", "uvicorn")):
        try:
            __import__(module)
        except ImportError:
            print(f"({module} not installed: pip install -e '.[bench]' -- skipping {kind})")
            kinds.remove(kind)
    return kinds


def main() -> None:
    args = parseArgs()
    if args.layers:
        sys.path.insert(0, HERE)
        import layers

        layers.layers()
        return
    if not shutil.which("wrk"):
        raise SystemExit("wrk not found: apt-get update && apt-get install -y wrk")
    duration = 2 if args.quick else args.duration
    scenarios = picked(args.scenarios, SCENARIOS, "scenario")
    clients = picked(args.clients, FILE_CLIENTS, "client")
    kinds = args.kinds.split(",") if args.kinds else allKinds()

    work = tempfile.mkdtemp()
    directory = os.path.join(work, "www")
    os.mkdir(directory)
    results: dict = {}
    try:
        makeFiles(directory)
        if args.profile:
            profile(args.profile, duration, directory)
            return
        if not args.skip_wrk:
            print(f"wrk, {duration:g} s each, 50 connections, server on CPU 0, wrk on CPU 1")
            bench_wrk(scenarios, kinds, duration, results, directory, args.rounds)
        if not args.skip_latency:
            print("latency: 50 sequential keep-alive GETs of a 4 KiB file (http.client)")
            bench_latency(kinds, directory, results, args.rounds)
        if not args.skip_file:
            print(f"static.File, 100 MiB: {', '.join(FILE_CLIENTS.values())} (where available);"
                  f" {duration:g} s each")
            bench_file(duration, results, directory, clients, args.rounds)
    finally:
        shutil.rmtree(work)
    printSummary(results, scenarios)


if __name__ == "__main__":
    main()
