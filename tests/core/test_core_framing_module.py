"""
txh11/_core/_framing.py, the one place framing is decided: its plain
functions agree with what a Connection does where it writes them out.
"""

import pytest

import txh11 as h11
from txh11._core import _framing


@pytest.mark.parametrize(
    "method, status, expected",
    [
        (b"GET", 204, True),
        (b"GET", 304, True),
        (b"CONNECT", 200, True),
        (b"CONNECT", 407, False),
        (b"GET", 200, False),
        (b"HEAD", 200, False),  # no body, but a GET's headers
    ],
)
def test_bodiless_status_matches_the_connection(method, status, expected):
    assert _framing.bodiless_status(method, status) is expected
    conn = h11.Connection(h11.CLIENT)
    conn.send(h11.Request(method=method, target="example.com:443" if method == b"CONNECT" else "/",
                          headers=[("Host", "example.com")]))
    conn.send(h11.EndOfMessage())
    conn.receive_data(b"HTTP/1.1 %d X\r\nContent-Length: 5\r\n\r\nhello" % status)
    conn.next_event()
    if method == b"CONNECT" and expected:
        assert conn.their_state is h11.SWITCHED_PROTOCOL  # a tunnel, no body
        return
    no_body = method == b"HEAD" or expected
    assert conn.their_framing == (("length", 0) if no_body else ("length", 5))


def test_writer_for_reuses_the_connections_content_length_writer():
    writer, cached = _framing.writer_for("cl", 10, None)
    assert writer is cached and writer.length == 10
    again, cached2 = _framing.writer_for("cl", 3, cached)
    assert again is cached and cached2 is cached and again.remaining == 3
    empty, kept = _framing.writer_for("cl", 0, cached)
    assert empty is _framing.EMPTY_BODY_WRITER and kept is cached
    assert _framing.framing_of(_framing.writer_for("chunked", 0, None)[0]) == ("chunked", None)
    assert _framing.framing_of(_framing.writer_for("http10", 0, None)[0]) == ("close", None)


def test_reader_for_each_framing():
    reader, cached = _framing.reader_for("cl", 7, None, 1024, False)
    assert reader is cached and _framing.framing_of(reader) == ("length", 7)
    assert _framing.reader_for("cl", 0, cached, 1024, False)[0] is _framing.EMPTY_BODY_READER
    chunked, _ = _framing.reader_for("chunked", 0, cached, 1024, False)
    assert _framing.framing_of(chunked) == ("chunked", None)
    assert _framing.framing_of(_framing.reader_for("http10", 0, None, 1024, False)[0]) == ("close", None)


def _names(headers):
    return [(n.lower(), v) for n, v in headers.raw_items()]


def test_response_headers_fix_ups():
    plain = h11.Response(status_code=200, headers=[("Content-Length", "2")]).headers
    assert _framing.response_headers(plain, b"GET", 200, b"1.1", True, False) is plain
    # no length to HTTP/1.1: chunked; to HTTP/1.0: closed
    bare = h11.Response(status_code=200, headers=[]).headers
    assert (b"transfer-encoding", b"chunked") in _names(
        _framing.response_headers(bare, b"GET", 200, b"1.1", True, False)
    )
    assert _names(_framing.response_headers(bare, b"GET", 200, b"1.0", True, False)) == [
        (b"connection", b"close")
    ]
    # a 204 is left alone; keep-alive off adds exactly one Connection: close
    assert _framing.response_headers(bare, b"GET", 204, b"1.1", True, False) is bare
    closing = h11.Response(status_code=200, headers=[("Content-Length", "2"), ("Connection", "keep-alive")]).headers
    assert _names(_framing.response_headers(closing, b"GET", 200, b"1.1", False, False)).count(
        (b"connection", b"close")
    ) == 1
    # an HTTP/1.0 client that asked for keep-alive is told it is on
    assert (b"connection", b"keep-alive") in _names(
        _framing.response_headers(plain, b"GET", 200, b"1.0", True, True)
    )


def test_request_headers_te_wins():
    both = h11.Request(method="POST", target="/", headers=[
        ("Host", "a"), ("Content-Length", "3"), ("Transfer-Encoding", "chunked")]).headers
    names = [n for n, _ in _names(_framing.request_headers(both))]
    assert b"content-length" not in names and b"transfer-encoding" in names
