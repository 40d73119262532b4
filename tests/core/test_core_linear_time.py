"""Feeding a big header block one byte at a time must cost time linear in
its size: no rescans of everything buffered so far on each call.

Method: measure the per-byte cost of byte-at-a-time feeding on a small head
(16 KiB), then feed a 1 MiB head one byte at a time and compare with
``whole-at-once time + bytes * per-byte cost``.  A linear implementation gives
a ratio near 1; one that rescans or copies the whole buffer on every call
pays O(buffered) per byte, i.e. ~64x more per byte at 1 MiB than at 16 KiB,
so it blows far past the (generous) threshold.  Only ratios are asserted,
never absolute seconds; the times are this process's CPU time, so other
processes busy on the machine do not skew them.

If this machine is so slow that 1 MiB byte-at-a-time would take more than
~10 s even when linear, the big head is reduced to 256 KiB (still 16x the
small one, so quadratic behaviour still fails clearly).
"""

import gc
import time

import txh11 as h11

THRESHOLD = 5.0
SMALL = 16 * 1024
BIG = 1024 * 1024
FALLBACK_BIG = 256 * 1024
BUDGET_SECONDS = 10.0

#: CPU time of this process: unlike wall-clock time, it does not grow when
#: other processes take the CPU between the calibration and the big run
_clock = time.process_time


def make_head(size):
    parts = [b"GET / HTTP/1.1\r\n", b"Host: example.com\r\n"]
    total = sum(map(len, parts)) + 2
    i = 0
    while total < size:
        line = b"X-Filler-%06d: %s\r\n" % (i, b"v" * 40)
        parts.append(line)
        total += len(line)
        i += 1
    parts.append(b"\r\n")
    return b"".join(parts), i + 1


def feed_bytewise(data, check_every=None, limit_per_byte=None):
    conn = h11.Connection(our_role=h11.SERVER, max_incomplete_event_size=len(data) + 1024)
    pieces = [data[i : i + 1] for i in range(len(data))]
    receive_data = conn.receive_data
    next_event = conn.next_event
    NEED_DATA = h11.NEED_DATA
    event = NEED_DATA
    start = _clock()
    for i, piece in enumerate(pieces):
        receive_data(piece)
        event = next_event()
        if check_every and i % check_every == 0 and i >= 256 * 1024:
            elapsed = _clock() - start
            # fail fast instead of running for minutes when it is quadratic
            assert elapsed <= limit_per_byte * i, (
                "byte-at-a-time feeding is super-linear: %.2fs for the first %d bytes, "
                "over the fail-fast limit %.2fs" % (elapsed, i, limit_per_byte * i)
            )
    elapsed = _clock() - start
    return elapsed, event, conn


def feed_whole(data):
    conn = h11.Connection(our_role=h11.SERVER, max_incomplete_event_size=len(data) + 1024)
    start = _clock()
    conn.receive_data(data)
    event = conn.next_event()
    return _clock() - start, event


def test_byte_at_a_time_header_block_is_linear():
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        small, _ = make_head(SMALL)
        per_byte = min(feed_bytewise(small)[0] for _ in range(3)) / len(small)
        assert per_byte > 0

        big_size = BIG if per_byte * BIG <= BUDGET_SECONDS else FALLBACK_BIG
        big, nheaders = make_head(big_size)

        whole_time, whole_event = feed_whole(big)
        assert type(whole_event) is h11.Request
        assert len(whole_event.headers) == nheaders

        bytewise_time, event, conn = feed_bytewise(
            big, check_every=8192, limit_per_byte=THRESHOLD * per_byte * 2
        )
        assert type(event) is h11.Request
        assert len(event.headers) == nheaders
        assert type(conn.next_event()) is h11.EndOfMessage

        linear_estimate = whole_time + len(big) * per_byte
        ratio = bytewise_time / linear_estimate
        assert ratio <= THRESHOLD, (
            "feeding %d bytes one at a time took %.2fs, %.1fx the linear estimate "
            "%.2fs (per-byte cost %.2fus measured on %d bytes; whole-at-once %.3fs)"
            % (len(big), bytewise_time, ratio, linear_estimate, per_byte * 1e6,
               len(small), whole_time)
        )
    finally:
        if gc_was_enabled:
            gc.enable()
