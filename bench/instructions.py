"""
Instructions per hello-world request, counted by valgrind: the steady
measure for changes of a few per cent, which wall-clock timings on a
shared machine cannot show.

    python bench/instructions.py                 # every server, both modes
    python bench/instructions.py native ka       # one server, one mode
    python bench/instructions.py all vary        # every server, one mode

Servers: ``twisted`` (twisted.web.server.Site), ``web`` (txh11.web.Site)
and ``native`` (a txh11.server handler), all answering the same
``text/plain`` hello; ``corefloor`` (bench/bridge.py's ``CoreFloor``, keep-alive
only) is the txh11 core alone in a bare protocol, so ``native`` minus it is
what the bridge and txh11.server add.  Modes: ``ka`` (keep-alive requests on one
connection, all the same, as wrk sends them), ``vary`` (the same, but every
request has a path of its own, so that nothing remembered from the last
request applies), ``close`` (a new connection for each request, with
``Connection: close``) and ``stream`` (keep-alive, each answer written as
20 pieces of 1 KiB, chunked: per request, what 20 ``write`` calls cost on
top of a response).  Each request goes through the protocol over
Twisted's ``StringTransport`` with a ``task.Clock``: no sockets, so the
paths that only a real socket reaches (sendfile, the unread-bytes check
before a full close) are not counted.

The count is (I(2N) - I(N)) / N under ``valgrind --tool=callgrind`` with
``PYTHONHASHSEED=0`` (hash randomisation moves counts by about 1 %), so
interpreter start-up and warm-up cancel out.  Needs valgrind
(``apt-get install -y valgrind``).

``--socket`` counts the same thing for a real server instead: each kind of
``bench/servers.py`` (``twisted``, ``txh11`` = txh11.web.Site, ``native``,
``floor``, ``h11``) runs under callgrind on the epoll reactor and a client
here sends it N (then 2N) keep-alive requests over loopback, on 50
connections in lock-step (all send, then all read: the reactor sees many
ready sockets per wake-up, as under load).  The reactor's own work (epoll,
``doRead``/``doWrite``, buffers) is then counted too -- the ``floor`` kind,
no HTTP at all, is that part alone -- but not the kernel's::

    python bench/instructions.py --socket              # floor twisted native txh11
    python bench/instructions.py --socket floor h11    # some
    python bench/instructions.py --socket close        # Connection: close, a
                                                       # connection per request
    python bench/instructions.py --socket file         # GET of a 4 KiB static.File,
                                                       # keep-alive (txh11-file,
                                                       # twisted-file); file-close
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(os.path.dirname(HERE), "src")
REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n"
CLOSING = REQUEST[:-2] + b"Connection: close\r\n\r\n"
KINDS = ("twisted", "web", "native")
MODES = {"ka": 2000, "vary": 2000, "close": 1000, "stream": 1000}


def factory(kind: str, mode: str = "ka"):
    """The ``kind`` of server for ``mode``, on a ``task.Clock``: the same
    applications as bench/bridge.py (hello world, or 20 chunked 1 KiB
    writes for ``stream``)."""
    from twisted.internet.task import Clock

    sys.path.insert(0, HERE)
    import bridge

    clock = Clock()
    if kind == "corefloor":
        # the txh11 core with nothing around it
        return bridge.floorFactory("hello")[0], clock
    stream = mode == "stream"
    if kind in ("twisted", "web"):
        if kind == "twisted":
            from twisted.web.server import Site
        else:
            from txh11.web import Site
        f = Site(bridge.ChunksResource() if stream else bridge.HelloResource(), reactor=clock)
    else:
        from txh11.server import HTTP11ServerFactory

        f = HTTP11ServerFactory(bridge.nativeChunks if stream else bridge.nativeHello, reactor=clock)
    f.log = lambda request: None  # no access log in any of them
    return f, clock


def run(kind: str, mode: str, n: int) -> None:
    """Serve ``n`` requests (the body of one valgrind run)."""
    sys.path.insert(0, SRC)
    import gc

    from twisted.internet.address import IPv4Address
    from twisted.internet.error import ConnectionDone
    from twisted.internet.testing import StringTransport
    from twisted.python.failure import Failure

    gc.disable()  # collections would land on whichever run allocates more
    f, clock = factory(kind, mode)
    addr = IPv4Address("TCP", "127.0.0.1", 5555)
    if mode in ("ka", "vary", "stream"):
        if mode == "vary":  # built in full by both runs, so the cost cancels out
            requests = [REQUEST.replace(b"GET /", b"GET /%d" % i, 1) for i in range(2 * MODES[mode])]
        else:
            requests = [REQUEST] * n
        p = f.buildProtocol(addr)
        t = StringTransport(peerAddress=addr, hostAddress=addr)
        p.makeConnection(t)
        for request in requests[:n]:
            p.dataReceived(request)
            clock.advance(0)
            t.clear()
    else:
        lost = Failure(ConnectionDone())
        for _ in range(n):
            p = f.buildProtocol(addr)
            p.makeConnection(StringTransport(peerAddress=addr, hostAddress=addr))
            p.dataReceived(CLOSING)
            clock.advance(0)
            p.connectionLost(lost)


def count(kind: str, mode: str, n: int) -> int:
    """Instructions of one run of ``n`` requests under callgrind."""
    env = dict(os.environ, PYTHONHASHSEED="0")
    argv = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
            sys.executable, __file__, "--run", kind, mode, str(n)]
    out = subprocess.run(argv, capture_output=True, text=True, env=env, check=True).stderr
    return int(re.search(r"Collected : (\d+)", out).group(1))


def per_request(kind: str, mode: str) -> float:
    n = MODES[mode]
    return (count(kind, mode, 2 * n) - count(kind, mode, n)) / n


SOCKET_KINDS = ("floor", "twisted", "native", "txh11")
SOCKET_CONNECTIONS = 50


def drive(port: int, n: int, connections: int, request: bytes = REQUEST) -> None:
    """Send ``n`` keep-alive requests over ``connections`` connections in
    lock-step and read every (Content-Length framed) response."""
    socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(connections)]
    try:
        for _ in range(max(1, n // connections)):
            for s in socks:
                s.sendall(request)
            for s in socks:
                buf = b""
                while True:
                    data = s.recv(65536)
                    if not data:
                        raise SystemExit("the server closed a connection")
                    buf += data
                    head, sep, rest = buf.partition(b"\r\n\r\n")
                    if sep:
                        length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
                        if len(rest) >= int(length.group(1)):
                            break
    finally:
        for s in socks:
            s.close()


def drive_closing(port: int, n: int, connections: int, request: bytes = CLOSING) -> None:
    """Send ``n`` requests with ``Connection: close``, each on a connection
    of its own, ``connections`` at a time in lock-step, and read every
    response to the server's close."""
    for _ in range(max(1, n // connections)):
        socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(connections)]
        try:
            for s in socks:
                s.sendall(request)
            for s in socks:
                while s.recv(65536):
                    pass
        finally:
            for s in socks:
                s.close()


#: socket modes: (requests per run, keep-alive?, the request)
SOCKET_MODES = {
    "ka": (2000, True, REQUEST),
    "close": (1000, False, CLOSING),
    "file": (2000, True, REQUEST.replace(b"GET / ", b"GET /4k.bin ", 1)),
    "file-close": (1000, False, CLOSING.replace(b"GET / ", b"GET /4k.bin ", 1)),
}


def count_socket(kind: str, n: int, mode: str = "ka") -> int:
    """Instructions of a real ``kind`` server that answered ``n`` requests
    (for the file modes, ``GET /4k.bin`` of a 4 KiB file in a directory
    of its own)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _, keepAlive, request = SOCKET_MODES[mode]
    directory = tempfile.mkdtemp()
    with open(os.path.join(directory, "4k.bin"), "wb") as f:
        f.write(b"x" * 4096)
    env = dict(os.environ, PYTHONHASHSEED="0",
               PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    argv = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
            os.path.join(HERE, "servers.py"), "--serve", kind, "--port", str(port),
            "--dir", directory]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        if proc.stdout.readline().strip() != b"ready":
            raise SystemExit(f"{kind} server did not start: {proc.stderr.read().decode()[-2000:]}")
        drive(port, SOCKET_CONNECTIONS, SOCKET_CONNECTIONS, request.replace(
            b"Connection: close\r\n", b""))  # connect, warm up
        if keepAlive:
            drive(port, n, SOCKET_CONNECTIONS, request)
        else:
            drive_closing(port, SOCKET_CONNECTIONS, SOCKET_CONNECTIONS, request)
            drive_closing(port, n, SOCKET_CONNECTIONS, request)
        time.sleep(0.5)  # let the server close the connections
        proc.send_signal(signal.SIGTERM)
        err = proc.communicate(timeout=300)[1].decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(directory)
    return int(re.search(r"Collected : (\d+)", err).group(1))


def socket_main(kinds: list[str]) -> None:
    mode = "ka"
    if kinds[:1] and kinds[0] in SOCKET_MODES:
        mode, kinds = kinds[0], kinds[1:]
    n = SOCKET_MODES[mode][0]
    if not kinds:
        kinds = ["twisted-file", "txh11-file"] if mode.startswith("file") else SOCKET_KINDS
    base = None
    for kind in kinds:
        k = (count_socket(kind, 2 * n, mode) - count_socket(kind, n, mode)) / n
        if kind.startswith("twisted"):
            base = k
        ratio = f"  ({k / base:.2f}x twisted.web)" if base and kind != "twisted" else ""
        ratio = "" if kind.startswith("twisted") else ratio
        print(f"socket {mode:10s} {kind:12s} {k / 1000:8.1f}k instructions/request{ratio}",
              flush=True)


def main() -> None:
    if sys.argv[1:2] == ["--socket"]:
        if not shutil.which("valgrind"):
            raise SystemExit("valgrind not found: apt-get install -y valgrind")
        socket_main(sys.argv[2:])
        return
    if sys.argv[1:2] == ["--run"]:
        run(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind not found: apt-get install -y valgrind")
    kinds = [sys.argv[1]] if len(sys.argv) > 1 and sys.argv[1] != "all" else list(KINDS)
    modes = [sys.argv[2]] if len(sys.argv) > 2 else list(MODES)
    for mode in modes:
        base = None
        for kind in kinds:
            k = per_request(kind, mode)
            if kind == "twisted":
                base = k
            ratio = f"  ({k / base:.2f}x twisted.web)" if base and kind != "twisted" else ""
            print(f"{mode:6s} {kind:8s} {k / 1000:8.1f}k instructions/request{ratio}", flush=True)


if __name__ == "__main__":
    main()
