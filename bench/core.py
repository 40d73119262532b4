"""Time txh11's core against h11 on the same workloads, in one run.

    pip install -e '.[bench]' && python bench/core.py

Prints seconds per operation for each library and the ratio h11/txh11 (how
many times faster txh11 is). Nothing here touches the network.
"""

import argparse
import importlib
import time
from typing import Callable, Dict

REQUEST = (
    b"GET /index.html?user=42 HTTP/1.1\r\n"
    b"Host: www.example.com\r\n"
    b"User-Agent: Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/120.0\r\n"
    b"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    b"Accept-Language: en-US,en;q=0.5\r\n"
    b"Accept-Encoding: gzip, deflate, br\r\n"
    b"Connection: keep-alive\r\n"
    b"Cookie: session=0123456789abcdef; theme=dark\r\n"
    b"Cache-Control: max-age=0\r\n"
    b"\r\n"
)
BODY = b"x" * 100
#: the response of the keep-alive and connection-per-request cases
RESPONSE_HEADERS = [
    ("Content-Type", "text/plain"),
    ("Content-Length", "100"),
    ("Server", "bench"),
    ("Date", "Sun, 22 Nov 2026 00:00:00 GMT"),
]


def _exchanger(h11):
    """``exchange(conn, request)``: a server connection receives ``request``
    and sends the response (4 headers, a 100-byte body)."""
    NEED_DATA, PAUSED = h11.NEED_DATA, h11.PAUSED
    Response, Data, EndOfMessage = h11.Response, h11.Data, h11.EndOfMessage

    def exchange(conn, request: bytes) -> None:
        conn.receive_data(request)
        while True:
            event = conn.next_event()
            if event is NEED_DATA or event is PAUSED or type(event) is EndOfMessage:
                break
        conn.send(Response(status_code=200, headers=RESPONSE_HEADERS))
        conn.send(Data(data=BODY))
        conn.send(EndOfMessage())

    return exchange


def _serve_cycles(h11, requests: list) -> float:
    """A server's full keep-alive cycle per request: request in, a response with
    4 headers and a 100-byte body out, start_next_cycle."""
    conn = h11.Connection(h11.SERVER)
    exchange = _exchanger(h11)
    start = time.perf_counter()
    for request in requests:
        exchange(conn, request)
        conn.start_next_cycle()
    return time.perf_counter() - start


def keepalive_cycle(h11, n: int) -> float:
    """The same request over and over, as a keep-alive client sends it."""
    return _serve_cycles(h11, [REQUEST] * n)


def keepalive_cycle_varying(h11, n: int) -> float:
    """Every request's header block differs (a new cookie), so nothing parsed
    for one request can be reused for the next."""
    prefix, _, rest = REQUEST.partition(b"Cookie: session=")
    return _serve_cycles(h11, [prefix + b"Cookie: session=%016x" % i + rest[16:] for i in range(n)])


def connection_per_request(h11, n: int) -> float:
    """A new server connection for each request (``Connection: close``):
    the request, a response with 4 headers and a 100-byte body, the peer's
    close."""
    request = REQUEST.replace(b"Connection: keep-alive", b"Connection: close")
    exchange = _exchanger(h11)
    start = time.perf_counter()
    for _ in range(n):
        conn = h11.Connection(h11.SERVER)
        exchange(conn, request)
        assert conn.our_state is h11.MUST_CLOSE
        conn.receive_data(b"")
        assert type(conn.next_event()) is h11.ConnectionClosed
    return time.perf_counter() - start


def chunked_upload(h11, n: int) -> float:
    """A 1 MiB chunked request body arriving in 16 KiB reads."""
    piece = b"y" * 4096
    chunk = b"%x\r\n%s\r\n" % (len(piece), piece)
    body = chunk * 256 + b"0\r\n\r\n"
    head = b"POST /upload HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n"
    wire = head + body
    reads = [wire[i : i + 16384] for i in range(0, len(wire), 16384)]
    NEED_DATA, EndOfMessage = h11.NEED_DATA, h11.EndOfMessage
    start = time.perf_counter()
    for _ in range(n):
        conn = h11.Connection(h11.SERVER)
        got = 0
        for data in reads:
            conn.receive_data(data)
            while True:
                event = conn.next_event()
                if event is NEED_DATA or type(event) is EndOfMessage:
                    break
                if type(event) is h11.Data:
                    got += len(event.data)
        assert got == 1024 * 1024, got
    return time.perf_counter() - start


def pipelined(h11, n: int) -> float:
    """100 small pipelined requests in one buffer, each answered in turn."""
    wire = b"GET /a HTTP/1.1\r\nHost: example.com\r\n\r\n" * 100
    NEED_DATA, PAUSED = h11.NEED_DATA, h11.PAUSED
    Response, EndOfMessage = h11.Response, h11.EndOfMessage
    headers = [("Content-Length", "0")]
    start = time.perf_counter()
    for _ in range(n):
        conn = h11.Connection(h11.SERVER)
        conn.receive_data(wire)
        answered = 0
        while True:
            event = conn.next_event()
            if type(event) is EndOfMessage:
                conn.send(Response(status_code=200, headers=headers))
                conn.send(EndOfMessage())
                answered += 1
                conn.start_next_cycle()
            elif event is NEED_DATA or event is PAUSED:
                break
        assert answered == 100, answered
    return time.perf_counter() - start


CASES: Dict[str, "tuple[Callable, int]"] = {
    "keep-alive cycle": (keepalive_cycle, 20000),
    "keep-alive, varied hdrs": (keepalive_cycle_varying, 20000),
    "connection per request": (connection_per_request, 10000),
    "1 MiB chunked upload": (chunked_upload, 200),
    "100 pipelined requests": (pipelined, 200),
}


def best_of_interleaved(fn: Callable, libs: list, n: int, repeat: int) -> list:
    """Best time per op for each library, alternating runs so that noise from
    other processes falls on all of them alike."""
    best = [float("inf")] * len(libs)
    for _ in range(repeat):
        for i, lib in enumerate(libs):
            best[i] = min(best[i], fn(lib, n) / n)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply iteration counts")
    args = parser.parse_args()
    txh11 = importlib.import_module("txh11")
    try:
        h11 = importlib.import_module("h11")
    except ImportError:
        raise SystemExit("h11 is the anchor: pip install -e '.[bench]'")
    print(f"txh11 {txh11.__version__} vs h11 {h11.__version__}; best of {args.repeat}")
    print(f"{'case':<24} {'txh11 µs/op':>12} {'h11 µs/op':>12} {'ratio':>7}")
    for name, (fn, n) in CASES.items():
        n = max(1, int(n * args.scale))
        fn(txh11, max(1, n // 10))  # warm up
        fn(h11, max(1, n // 10))
        ours, theirs = best_of_interleaved(fn, [txh11, h11], n, args.repeat)
        print(f"{name:<24} {ours * 1e6:>12.2f} {theirs * 1e6:>12.2f} {theirs / ours:>6.2f}x")


if __name__ == "__main__":
    main()
