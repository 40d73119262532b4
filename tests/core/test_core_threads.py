"""Threads that each use their own Connection share the core's caches
(txh11._core._caches) safely: every message still reads and writes as it
would alone, and every cache stays within its bound."""

import sys
import threading

import pytest

import txh11 as h11
from txh11._core import _caches

from tests._support.core import drain

THREADS = 4
ROUNDS = 300


def server_round(conn, tid, n):
    # a target, header lines and a chunked body of their own, so that the
    # threads fill, hit and empty the same caches at the same time
    head = (
        b"POST /t%d/%d HTTP/1.1\r\nHost: h%d\r\nX-Thread: %d-%d\r\nTransfer-Encoding: chunked\r\n\r\n"
        % (tid, n % 50, tid, tid, n)
    )
    body = b"%x\r\n%s\r\n0\r\n\r\n" % (n % 7 + 1, b"b" * (n % 7 + 1))
    conn.receive_data(head + body)
    events, _ = drain(conn)
    request = events[0]
    assert request.target == b"/t%d/%d" % (tid, n % 50)
    assert (b"x-thread", b"%d-%d" % (tid, n)) in list(request.headers)
    assert b"".join(bytes(e.data) for e in events if type(e) is h11.Data) == b"b" * (n % 7 + 1)
    assert type(events[-1]) is h11.EndOfMessage
    wire = conn.send(h11.Response(status_code=200, headers=[("X-Answer", "%d-%d" % (tid, n))], reason=b"OK"))
    assert wire == (
        b"HTTP/1.1 200 OK\r\nX-Answer: %d-%d\r\nTransfer-Encoding: chunked\r\n\r\n" % (tid, n)
    )
    assert conn.send_data(b"x" * (n % 5 + 1))[0] == b"%x\r\n" % (n % 5 + 1)
    conn.send(h11.EndOfMessage())
    conn.start_next_cycle()


def client_round(conn, tid, n):
    wire = conn.send(h11.Request(method="GET", target="/c%d/%d" % (tid, n), headers=[("Host", "h%d" % tid)]))
    assert wire == b"GET /c%d/%d HTTP/1.1\r\nHost: h%d\r\n\r\n" % (tid, n, tid)
    conn.send(h11.EndOfMessage())
    conn.receive_data(b"HTTP/1.1 200 OK\r\nX-For: %d-%d\r\nContent-Length: 2\r\n\r\nok" % (tid, n))
    events, _ = drain(conn)
    assert list(events[0].headers) == [(b"x-for", b"%d-%d" % (tid, n)), (b"content-length", b"2")]
    conn.start_next_cycle()


@pytest.fixture
def switch_often():
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def test_threads_with_their_own_connections_share_the_caches(switch_often):
    errors = []
    start = threading.Barrier(THREADS)

    def run(tid):
        try:
            conn = h11.Connection(h11.SERVER if tid % 2 else h11.CLIENT, max_incomplete_event_size=10000 + tid % 2)
            start.wait(timeout=30)
            for n in range(ROUNDS):
                (server_round if tid % 2 else client_round)(conn, tid, n)
        except BaseException as exc:  # reported below, with the thread's number
            errors.append((tid, exc))

    threads = [threading.Thread(target=run, args=(tid,)) for tid in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    for name in ("VALID_HOSTS", "NAMES", "PAIRS", "LISTS", "LINES", "BLOCKS", "REQUEST_LINES",
                 "CHUNK_SIZES", "SIZE_LINES"):
        assert len(getattr(_caches, name)) <= getattr(_caches, name + "_LIMIT"), name
    assert len(_caches.REQUEST_READERS) <= _caches.HEAD_READERS_LIMIT
    assert len(_caches.RESPONSE_READERS) <= _caches.HEAD_READERS_LIMIT


def test_a_full_cache_is_emptied_before_it_grows():
    cache = {}
    for i in range(10):
        _caches.remember(cache, 4, i, i)
        assert len(cache) <= 4
    assert cache == {8: 8, 9: 9}
