"""Strict parsing (RFC 9112): every malformed or ambiguous input is a
RemoteProtocolError with a fitting ``error_status_hint``, whether it arrives
in one piece or one byte at a time, and a server can still answer afterwards.
"""

import pytest

import txh11 as h11

from tests._support.core import client_conn_after_request, data_payload, drain, receive, receive_bytewise

FEEDS = ["whole", "bytewise"]


def feed(conn, data, how, events):
    if how == "whole":
        conn.receive_data(data)
        drain(conn, events)
    else:
        receive_bytewise(conn, data, events)


def check_server_rejects(data, hints, how, **conn_kw):
    conn = h11.Connection(our_role=h11.SERVER, **conn_kw)
    events = []
    with pytest.raises(h11.RemoteProtocolError) as excinfo:
        feed(conn, data, how, events)
    exc = excinfo.value
    assert exc.error_status_hint in hints, (exc.error_status_hint, str(exc))
    assert conn.their_state is h11.ERROR
    with pytest.raises(h11.RemoteProtocolError):
        conn.next_event()
    # never more than the one request that was being read
    assert sum(type(e) is h11.Request for e in events) <= 1
    # the server can still answer with the suggested status
    assert conn.our_state in (h11.IDLE, h11.SEND_RESPONSE)
    wire = conn.send(h11.Response(status_code=exc.error_status_hint, headers=[]))
    assert wire.startswith(b"HTTP/1.1 %d " % exc.error_status_hint)
    conn.send(h11.EndOfMessage())
    assert conn.our_state is h11.MUST_CLOSE
    return conn, events, exc


def check_client_rejects(data, how, method="GET", **conn_kw):
    conn = client_conn_after_request(method=method, **conn_kw)
    events = []
    with pytest.raises(h11.RemoteProtocolError):
        feed(conn, data, how, events)
    assert conn.their_state is h11.ERROR
    with pytest.raises(h11.RemoteProtocolError):
        conn.next_event()
    assert conn.our_state is h11.MUST_CLOSE
    return conn, events


BAD = {400}
R = b"POST / HTTP/1.1\r\nHost: example.com\r\n"
RC = R + b"Transfer-Encoding: chunked\r\n\r\n"
G = b"GET / HTTP/1.1\r\nHost: example.com\r\n"

SERVER_CASES = {
    # Content-Length
    "cl-differing-duplicates": (R + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", BAD),
    "cl-differing-list": (R + b"Content-Length: 5, 6\r\n\r\nhello!", BAD),
    "cl-plus": (R + b"Content-Length: +5\r\n\r\nhello", BAD),
    "cl-hex": (R + b"Content-Length: 0x5\r\n\r\nhello", BAD),
    "cl-two-numbers": (R + b"Content-Length: 5 5\r\n\r\nhello", BAD),
    "cl-negative": (R + b"Content-Length: -1\r\n\r\nhello", BAD),
    "cl-trailing-junk": (R + b"Content-Length: 5a\r\n\r\nhello", BAD),
    "cl-empty": (R + b"Content-Length: \r\n\r\nhello", BAD),
    "cl-decimal": (R + b"Content-Length: 5.0\r\n\r\nhello", BAD),
    "cl-unicode-digit": (R + b"Content-Length: \xd9\xa5\r\n\r\nhello", BAD),
    # Transfer-Encoding other than exactly "chunked"
    "te-gzip-chunked": (R + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", {501}),
    "te-xchunked": (R + b"Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", {501}),
    "te-chunked-chunked": (R + b"Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", {400, 501}),
    "te-two-headers": (
        R + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        {400, 501},
    ),
    "te-gzip": (R + b"Transfer-Encoding: gzip\r\n\r\nabc", {400, 501}),
    "te-chunked-gzip": (R + b"Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", {400, 501}),
    "te-identity": (R + b"Transfer-Encoding: identity\r\n\r\nabc", {400, 501}),
    "te-empty": (R + b"Transfer-Encoding: \r\n\r\n0\r\n\r\n", {400, 501}),
    # chunk-size lines
    "chunk-size-0x": (RC + b"0x10\r\n" + b"a" * 16 + b"\r\n0\r\n\r\n", BAD),
    "chunk-size-plus": (RC + b"+10\r\n" + b"a" * 16 + b"\r\n0\r\n\r\n", BAD),
    "chunk-size-minus": (RC + b"-1\r\na\r\n0\r\n\r\n", BAD),
    "chunk-size-leading-space": (RC + b" 10\r\n" + b"a" * 16 + b"\r\n0\r\n\r\n", BAD),
    "chunk-size-empty": (RC + b"\r\nabc\r\n0\r\n\r\n", BAD),
    "chunk-size-not-hex": (RC + b"g\r\nabc\r\n0\r\n\r\n", BAD),
    "chunk-size-two-numbers": (RC + b"1 1\r\na\r\n0\r\n\r\n", BAD),
    "chunk-size-only-extension": (RC + b";ext=1\r\nabc\r\n0\r\n\r\n", BAD),
    "chunk-size-17-hex-digits": (RC + b"1" + b"0" * 16 + b"\r\nabc", BAD),
    "chunk-size-huge": (RC + b"f" * 40 + b"\r\nabc", BAD),
    "chunk-size-bare-lf": (RC + b"5\nhello\r\n0\r\n\r\n", BAD),
    "chunk-size-bare-cr": (RC + b"5\rhello\r\n0\r\n\r\n", BAD),
    # what follows chunk data must be exactly CRLF
    "chunk-data-no-crlf": (RC + b"5\r\nhelloXX0\r\n\r\n", BAD),
    "chunk-data-bare-lf": (RC + b"5\r\nhello\n0\r\n\r\n", BAD),
    "chunk-data-bare-cr": (RC + b"5\r\nhello\r0\r\n\r\n", BAD),
    "chunk-data-cr-cr": (RC + b"5\r\nhello\r\r\n0\r\n\r\n", BAD),
    "chunk-data-too-long": (RC + b"5\r\nhello world\r\n0\r\n\r\n", BAD),
    "trailer-no-colon": (RC + b"0\r\nno-colon\r\n\r\n", BAD),
    "trailer-bare-cr": (RC + b"0\r\nX-T: a\rb\r\n\r\n", BAD),
    "trailer-bare-lf-end": (RC + b"0\r\nX-T: a\n\n", BAD),
    # bare CR / bare LF in the head
    "cr-in-request-line": (b"GET /a\rb HTTP/1.1\r\nHost: a\r\n\r\n", BAD),
    "cr-ends-request-line": (b"GET / HTTP/1.1\rHost: a\r\n\r\n", BAD),
    "cr-in-header-value": (G + b"X-Foo: a\rb\r\n\r\n", BAD),
    "cr-in-header-name": (G + b"X\r-Foo: ab\r\n\r\n", BAD),
    "cr-cr-lf-end": (G + b"\r\r\n", BAD),
    "lf-only-everywhere": (b"GET / HTTP/1.1\nHost: a\n\n", BAD),
    "lf-ends-request-line": (b"GET / HTTP/1.1\nHost: a\r\n\r\n", BAD),
    "lf-ends-header": (b"GET / HTTP/1.1\r\nHost: a\n\r\n", BAD),
    "lf-ends-head": (b"GET / HTTP/1.1\r\nHost: a\r\n\n", BAD),
    # NUL
    "nul-in-value": (G + b"X-Foo: a\x00b\r\n\r\n", BAD),
    "nul-in-name": (G + b"X\x00Foo: ab\r\n\r\n", BAD),
    "nul-in-target": (b"GET /\x00 HTTP/1.1\r\nHost: a\r\n\r\n", BAD),
    # header syntax
    "space-before-colon": (b"GET / HTTP/1.1\r\nHost : example.com\r\n\r\n", BAD),
    "tab-before-colon": (G + b"X-Foo\t: bar\r\n\r\n", BAD),
    "no-colon": (G + b"NoColonHere\r\n\r\n", BAD),
    "empty-name": (G + b": value\r\n\r\n", BAD),
    "bad-name-char": (G + b"X(y): z\r\n\r\n", BAD),
    "obs-fold": (G + b"X-Folded: a\r\n b\r\n\r\n", BAD),
    "obs-fold-tab": (G + b"X-Folded: a\r\n\tb\r\n\r\n", BAD),
    "whitespace-line-after-request-line": (b"GET / HTTP/1.1\r\n Host: a\r\n\r\n", BAD),
    # Host
    "host-missing": (b"GET / HTTP/1.1\r\n\r\n", BAD),
    "host-missing-other-headers": (b"GET / HTTP/1.1\r\nUser-Agent: x\r\n\r\n", BAD),
    "host-repeated": (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", BAD),
    "host-repeated-same": (b"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", BAD),
    "host-space": (b"GET / HTTP/1.1\r\nHost: exa mple.com\r\n\r\n", BAD),
    "host-two-ports": (b"GET / HTTP/1.1\r\nHost: example.com:80:80\r\n\r\n", BAD),
    "host-slash": (b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", BAD),
    "host-userinfo": (b"GET / HTTP/1.1\r\nHost: user@example.com\r\n\r\n", BAD),
    "host-bad-port": (b"GET / HTTP/1.1\r\nHost: example.com:8x\r\n\r\n", BAD),
    "host-list": (b"GET / HTTP/1.1\r\nHost: a, b\r\n\r\n", BAD),
    # request line / version
    "version-1": (b"GET / HTTP/1\r\nHost: a\r\n\r\n", {400, 505}),
    "version-11": (b"GET / HTTP/11\r\nHost: a\r\n\r\n", {400, 505}),
    "version-1.1.1": (b"GET / HTTP/1.1.1\r\nHost: a\r\n\r\n", {400, 505}),
    "version-lowercase": (b"GET / http/1.1\r\nHost: a\r\n\r\n", {400, 505}),
    "version-missing": (b"GET /\r\nHost: a\r\n\r\n", {400, 505}),
    "space-in-target": (b"GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", BAD),
    "missing-target": (b"GET HTTP/1.1\r\nHost: a\r\n\r\n", BAD),
    "bad-method-char": (b"G@T / HTTP/1.1\r\nHost: a\r\n\r\n", BAD),
    "not-http": (b"this is not http at all\r\n\r\n", BAD),
}


@pytest.mark.parametrize("how", FEEDS)
@pytest.mark.parametrize("case", sorted(SERVER_CASES))
def test_server_rejects(case, how):
    data, hints = SERVER_CASES[case]
    check_server_rejects(data, hints, how)


def test_server_cases_are_distinct_from_valid_requests():
    # guard: the prefixes used above are themselves acceptable
    for ok in (R + b"Content-Length: 5\r\n\r\nhello", RC + b"5\r\nhello\r\n0\r\n\r\n", G + b"\r\n"):
        conn = h11.Connection(our_role=h11.SERVER)
        events = receive(conn, ok)
        assert type(events[-1]) is h11.EndOfMessage, ok


# ---------------------------------------------------------------------------
# Content-Length + Transfer-Encoding: never two requests
# ---------------------------------------------------------------------------

SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: example.com\r\n\r\n"


def _smuggle_cases():
    # A: Content-Length covers the smuggled request; TE ends the body first
    body_a = b"0\r\n\r\n" + SMUGGLED
    cl_a = b"Content-Length: %d\r\n" % len(body_a)
    # B: TE covers the smuggled request inside a chunk; CL ends the body early
    body_b = b"%x\r\n" % len(SMUGGLED) + SMUGGLED + b"\r\n0\r\n\r\n"
    cl_b = b"Content-Length: 4\r\n"
    te = b"Transfer-Encoding: chunked\r\n"
    return {
        "cl-covers-te-first": (R + te + cl_a + b"\r\n" + body_a, b""),
        "cl-covers-cl-first": (R + cl_a + te + b"\r\n" + body_a, b""),
        "te-covers-te-first": (R + te + cl_b + b"\r\n" + body_b, SMUGGLED),
        "te-covers-cl-first": (R + cl_b + te + b"\r\n" + body_b, SMUGGLED),
    }


SMUGGLE_CASES = _smuggle_cases()


@pytest.mark.parametrize("how", FEEDS)
@pytest.mark.parametrize("case", sorted(SMUGGLE_CASES))
def test_content_length_and_transfer_encoding_never_two_requests(case, how):
    data, te_body = SMUGGLE_CASES[case]
    conn = h11.Connection(our_role=h11.SERVER)
    events = []
    try:
        feed(conn, data, how, events)
    except h11.RemoteProtocolError as exc:
        # rejected: the expected behaviour
        assert exc.error_status_hint == 400
        assert conn.their_state is h11.ERROR
        assert not any(type(e) is h11.Request and e.target == b"/smuggled" for e in events)
        conn.send(h11.Response(status_code=400, headers=[]))
        conn.send(h11.EndOfMessage())
        assert conn.our_state is h11.MUST_CLOSE
        return
    # accepted: must be framed by Transfer-Encoding and force a close
    requests = [e for e in events if type(e) is h11.Request]
    assert len(requests) == 1 and requests[0].target == b"/"
    assert data_payload(events) == te_body
    assert type(events[-1]) is h11.EndOfMessage
    conn.send(h11.Response(status_code=200, headers=[("Content-Length", "0")]))
    conn.send(h11.EndOfMessage())
    assert conn.our_state is h11.MUST_CLOSE
    with pytest.raises(h11.LocalProtocolError):
        conn.start_next_cycle()
    try:
        more = drain(conn)[0]
    except h11.RemoteProtocolError:
        more = []
    assert not any(type(e) is h11.Request for e in more)


@pytest.mark.parametrize("how", FEEDS)
def test_client_content_length_and_transfer_encoding_response(how):
    conn = client_conn_after_request()
    events = []
    try:
        feed(
            conn,
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"3\r\nabc\r\n0\r\n\r\n",
            how,
            events,
        )
    except h11.RemoteProtocolError:
        assert conn.their_state is h11.ERROR
        return
    # Transfer-Encoding overrides Content-Length (RFC 9112 6.3)
    assert data_payload(events) == b"abc"
    assert type(events[-1]) is h11.EndOfMessage


# ---------------------------------------------------------------------------
# Client role
# ---------------------------------------------------------------------------

OK = b"HTTP/1.1 200 OK\r\n"
OKC = OK + b"Transfer-Encoding: chunked\r\n\r\n"

CLIENT_CASES = {
    "cl-differing-duplicates": OK + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
    "cl-plus": OK + b"Content-Length: +5\r\n\r\nhello",
    "cl-hex": OK + b"Content-Length: 0x5\r\n\r\nhello",
    "cl-two-numbers": OK + b"Content-Length: 5 5\r\n\r\nhello",
    "cl-negative": OK + b"Content-Length: -1\r\n\r\nhello",
    "te-gzip-chunked": OK + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    "te-xchunked": OK + b"Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
    "te-chunked-chunked": OK + b"Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
    "chunk-size-0x": OKC + b"0x3\r\nabc\r\n0\r\n\r\n",
    "chunk-size-empty": OKC + b"\r\nabc\r\n0\r\n\r\n",
    "chunk-size-17-hex-digits": OKC + b"1" + b"0" * 16 + b"\r\nabc",
    "chunk-data-no-crlf": OKC + b"3\r\nabcXY0\r\n\r\n",
    "chunk-data-bare-lf": OKC + b"3\r\nabc\n0\r\n\r\n",
    "cr-in-status-line": b"HTTP/1.1 200 O\rK\r\nContent-Length: 0\r\n\r\n",
    "cr-in-header": OK + b"X: a\rb\r\nContent-Length: 0\r\n\r\n",
    "lf-only": b"HTTP/1.1 200 OK\nContent-Length: 0\n\n",
    "lf-ends-head": OK + b"Content-Length: 0\r\n\n",
    "nul-in-header": OK + b"X: a\x00b\r\nContent-Length: 0\r\n\r\n",
    "no-colon": OK + b"NoColon\r\nContent-Length: 0\r\n\r\n",
    "status-two-digits": b"HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n",
    "status-four-digits": b"HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n",
    "status-letters": b"HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n",
    "status-000": b"HTTP/1.1 000 Zero\r\nContent-Length: 0\r\n\r\n",
    "status-099": b"HTTP/1.1 099 Low\r\nContent-Length: 0\r\n\r\n",
    "version-2.0": b"HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n",
    "version-1": b"HTTP/1 200 OK\r\nContent-Length: 0\r\n\r\n",
    "not-http": b"XTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
}


@pytest.mark.parametrize("how", FEEDS)
@pytest.mark.parametrize("case", sorted(CLIENT_CASES))
def test_client_rejects(case, how):
    check_client_rejects(CLIENT_CASES[case], how)


@pytest.mark.parametrize("how", FEEDS)
def test_client_obs_fold_replaced_by_single_space(how):
    conn = client_conn_after_request()
    events = []
    feed(
        conn,
        b"HTTP/1.1 200 OK\r\nX-Folded: first\r\n second\r\nX-Tab: a\r\n\tb\r\n"
        b"Content-Length: 0\r\n\r\n",
        how,
        events,
    )
    resp = events[0]
    assert type(resp) is h11.Response
    headers = list(resp.headers)
    assert (b"x-folded", b"first second") in headers
    assert (b"x-tab", b"a b") in headers
    assert type(events[-1]) is h11.EndOfMessage


# ---------------------------------------------------------------------------
# Size limits
# ---------------------------------------------------------------------------

LIMIT = 1000


@pytest.mark.parametrize("how", FEEDS)
def test_incomplete_header_block_over_limit(how):
    data = G + b"X-Big: " + b"a" * (2 * LIMIT)
    check_server_rejects(data, {431}, how, max_incomplete_event_size=LIMIT)


@pytest.mark.parametrize("how", FEEDS)
def test_complete_header_block_over_limit(how):
    data = G + b"X-Big: " + b"a" * (2 * LIMIT) + b"\r\n\r\n"
    check_server_rejects(data, {431}, how, max_incomplete_event_size=LIMIT)


@pytest.mark.parametrize("how", FEEDS)
def test_many_headers_over_limit(how):
    data = G + b"".join(b"X-H%03d: v\r\n" % i for i in range(200)) + b"\r\n"
    check_server_rejects(data, {431}, how, max_incomplete_event_size=LIMIT)


@pytest.mark.parametrize("how", FEEDS)
def test_request_line_over_limit_incomplete(how):
    data = b"GET /" + b"a" * (2 * LIMIT)
    check_server_rejects(data, {414, 431}, how, max_incomplete_event_size=LIMIT)


@pytest.mark.parametrize("how", FEEDS)
def test_request_line_over_limit_complete(how):
    data = b"GET /" + b"a" * (2 * LIMIT) + b" HTTP/1.1\r\nHost: a\r\n\r\n"
    check_server_rejects(data, {414, 431}, how, max_incomplete_event_size=LIMIT)


@pytest.mark.parametrize("how", FEEDS)
def test_header_block_under_limit_accepted(how):
    data = G + b"X-Big: " + b"a" * (LIMIT - 200) + b"\r\n\r\n"
    assert len(data) < LIMIT
    conn = h11.Connection(our_role=h11.SERVER, max_incomplete_event_size=LIMIT)
    events = []
    feed(conn, data, how, events)
    assert [type(e) for e in events] == [h11.Request, h11.EndOfMessage]


def test_default_limit_is_16384():
    small = G + b"X-Big: " + b"a" * 15000 + b"\r\n\r\n"
    conn = h11.Connection(our_role=h11.SERVER)
    assert type(receive(conn, small)[0]) is h11.Request
    big = G + b"X-Big: " + b"a" * 17000
    check_server_rejects(big, {431}, "whole")


def test_pipelined_data_does_not_count_against_limit():
    conn = h11.Connection(our_role=h11.SERVER, max_incomplete_event_size=200)
    one = G + b"\r\n"
    events = receive(conn, one * 20)
    assert [type(e) for e in events] == [h11.Request, h11.EndOfMessage]
    for _ in range(19):
        conn.send(h11.Response(status_code=200, headers=[("Content-Length", "0")]))
        conn.send(h11.EndOfMessage())
        conn.start_next_cycle()
        events = drain(conn)[0]
        assert [type(e) for e in events] == [h11.Request, h11.EndOfMessage]


@pytest.mark.parametrize("how", FEEDS)
def test_client_response_head_over_limit(how):
    data = OK + b"X-Big: " + b"a" * (2 * LIMIT)
    check_client_rejects(data, how, max_incomplete_event_size=LIMIT)


# ---------------------------------------------------------------------------
# Early garbage: detected without waiting for a CRLF
# ---------------------------------------------------------------------------

TLS_CLIENT_HELLO = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"

SERVER_GARBAGE = {
    "nul": b"\x00",
    "nul-then-more": b"\x00GET / HTTP/1.1",
    "leading-space": b" GET / HTTP/1.1",
    "tls-client-hello": TLS_CLIENT_HELLO + b"\x00" * 32,
    "high-byte": b"\xff\xfe",
    "crlf-then-nul": b"\r\n\x00",
}


@pytest.mark.parametrize("how", FEEDS)
@pytest.mark.parametrize("case", sorted(SERVER_GARBAGE))
def test_server_early_garbage_raises_at_once(case, how):
    data = SERVER_GARBAGE[case]
    assert b"\n" not in data.lstrip(b"\r\n")
    check_server_rejects(data, {400}, how)


def test_tls_client_hello_first_bytes_alone():
    conn = h11.Connection(our_role=h11.SERVER)
    conn.receive_data(TLS_CLIENT_HELLO)
    with pytest.raises(h11.RemoteProtocolError) as excinfo:
        conn.next_event()
    assert excinfo.value.error_status_hint == 400


@pytest.mark.parametrize("data", [b"\x00", b"<html>", b"\x16\x03\x03\x00\x02"])
def test_client_early_garbage_raises_at_once(data):
    conn = client_conn_after_request()
    conn.receive_data(data)
    with pytest.raises(h11.RemoteProtocolError):
        conn.next_event()


# ---------------------------------------------------------------------------
# Things that are valid and must be accepted
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        b"example.com",
        b"EXAMPLE.com:8080",
        b"127.0.0.1",
        b"127.0.0.1:80",
        b"[::1]",
        b"[::1]:8080",
        b"xn--bcher-kva.example",
        b"a-b_c.~x",
        b"%41b.example",
        b"example.com:",
    ],
)
@pytest.mark.parametrize("how", FEEDS)
def test_valid_host_accepted(host, how):
    conn = h11.Connection(our_role=h11.SERVER)
    events = []
    feed(conn, b"GET / HTTP/1.1\r\nHost: " + host + b"\r\n\r\n", how, events)
    assert [type(e) for e in events] == [h11.Request, h11.EndOfMessage]
    assert (b"host", host) in list(events[0].headers)


def test_empty_host_accepted():
    # RFC 9112 3.2: a client MUST send an empty Host when the target URI
    # has no authority component
    conn = h11.Connection(our_role=h11.SERVER)
    events = receive(conn, b"GET / HTTP/1.1\r\nHost:\r\n\r\n")
    assert type(events[0]) is h11.Request
    assert (b"host", b"") in list(events[0].headers)


def test_http10_request_without_host_accepted():
    conn = h11.Connection(our_role=h11.SERVER)
    assert [type(e) for e in receive(conn, b"GET / HTTP/1.0\r\n\r\n")] == [
        h11.Request,
        h11.EndOfMessage,
    ]


@pytest.mark.parametrize("how", FEEDS)
def test_leading_empty_line_before_request_is_refused(how):
    # as in h11: RFC 9112 2.2's leniency (ignore one empty line) is
    # txh11.server's to apply, before it feeds the core
    check_server_rejects(b"\r\n" + G + b"\r\n", BAD, how)


def test_optional_whitespace_around_values_is_stripped():
    conn = h11.Connection(our_role=h11.SERVER)
    events = receive(
        conn,
        b"GET / HTTP/1.1\r\nHost:   example.com  \r\nX-Tab:\tv\t\r\nX-Empty:\r\n"
        b"X-Inner: a  b\r\n\r\n",
    )
    assert list(events[0].headers) == [
        (b"host", b"example.com"),
        (b"x-tab", b"v"),
        (b"x-empty", b""),
        (b"x-inner", b"a  b"),
    ]


def test_obs_text_in_values_accepted():
    conn = h11.Connection(our_role=h11.SERVER)
    events = receive(conn, G + b"X-Name: caf\xc3\xa9 \xff\r\n\r\n")
    assert (b"x-name", b"caf\xc3\xa9 \xff") in list(events[0].headers)


def test_http_1_x_minor_versions_accepted():
    # RFC 9110 2.5: a higher minor version is processed as the highest known
    conn = h11.Connection(our_role=h11.SERVER)
    events = receive(conn, b"GET / HTTP/1.2\r\nHost: a\r\n\r\n")
    assert type(events[0]) is h11.Request


def test_absolute_form_and_asterisk_targets_accepted():
    conn = h11.Connection(our_role=h11.SERVER)
    events = receive(conn, b"GET http://example.com/x?y=1 HTTP/1.1\r\nHost: example.com\r\n\r\n")
    assert events[0].target == b"http://example.com/x?y=1"
    conn = h11.Connection(our_role=h11.SERVER)
    events = receive(conn, b"OPTIONS * HTTP/1.1\r\nHost: example.com\r\n\r\n")
    assert events[0].target == b"*"
