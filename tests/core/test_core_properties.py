"""Property tests (hypothesis).

1. Round trip: random valid request/response cycles are serialised by one
   Connection, the bytes are cut at random points and fed to a peer
   Connection, and the same events come back (Data payloads are compared
   concatenated, since chunk boundaries are not semantic).
2. Garbage: random bytes, and random mutations of valid messages, never make
   next_event() raise anything but RemoteProtocolError; after an error
   their_state is ERROR, next_event() keeps raising, and a server can still
   send its error response.
3. Edited headers: the Connection and framing edits a server makes to a
   response keep the same facts (Content-Length, Connection tokens...) that
   building the edited list from scratch would find.
"""

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import txh11 as h11
from txh11._core import _headers

from tests._support.core import drain, receive_in_pieces, summarize

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# the round trips generate big examples; fewer of them keep the file < 20 s
ROUND_TRIP_SETTINGS = settings(SETTINGS, max_examples=120)

TCHARS = "!#$%&'*+-.^_`|~" + string.ascii_letters + string.digits
SPECIAL_HEADERS = {
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "upgrade",
    "expect",
    "te",
    "trailer",
    "keep-alive",
    "proxy-connection",
}

VCHAR_OBS = [bytes([b]) for b in list(range(0x21, 0x7F)) + list(range(0x80, 0x100))]

token = st.text(alphabet=TCHARS, min_size=1, max_size=12)
header_name = token.filter(lambda n: n.lower() not in SPECIAL_HEADERS)


@st.composite
def header_value(draw):
    inner = draw(
        st.lists(st.sampled_from(VCHAR_OBS + [b" ", b"\t"]), min_size=0, max_size=20)
    )
    return b"".join(inner).strip(b" \t")


headers_list = st.lists(st.tuples(header_name, header_value()), max_size=6)

method = token.filter(lambda m: m not in ("CONNECT", "HEAD"))
target_chars = string.ascii_letters + string.digits + "-._~/?=&%;:@!$'()*+,"
target = st.one_of(
    st.text(alphabet=target_chars, max_size=30).map(lambda t: "/" + t),
    st.just("http://example.com/abs?x=1"),
)
host = st.sampled_from(["example.com", "example.com:8080", "127.0.0.1", "[::1]:443", "a.b-c_d"])
body_chunks = st.lists(st.binary(min_size=0, max_size=40), max_size=5)
reason_text = st.lists(
    st.sampled_from([bytes([b]) for b in range(0x21, 0x7F)] + [b" "]), min_size=1, max_size=20
).map(lambda parts: b"".join(parts).strip(b" ")).filter(bool)


@st.composite
def message_body(draw, allow_none=True):
    chunks = draw(body_chunks)
    kinds = ["cl", "chunked"] + (["none"] if allow_none and not b"".join(chunks) else [])
    framing = draw(st.sampled_from(kinds))
    trailers = draw(headers_list) if framing == "chunked" else []
    if framing == "none":
        chunks = []
    return framing, chunks, trailers


def framing_headers(framing, chunks):
    if framing == "cl":
        return [("Content-Length", str(sum(len(c) for c in chunks)))]
    if framing == "chunked":
        return [("Transfer-Encoding", "chunked")]
    return []


@st.composite
def exchange(draw):
    """One request/response cycle, as lists of events to send."""
    req_framing, req_chunks, req_trailers = draw(message_body())
    req_headers = draw(headers_list)
    pos = draw(st.integers(0, len(req_headers)))
    req_headers = (
        req_headers[:pos] + [("Host", draw(host))] + req_headers[pos:]
        + framing_headers(req_framing, req_chunks)
    )
    request = h11.Request(method=draw(method), target=draw(target), headers=req_headers)
    req_events = [request] + [h11.Data(data=c) for c in req_chunks]
    req_events.append(h11.EndOfMessage(headers=req_trailers))

    informational = [
        h11.InformationalResponse(status_code=code, headers=draw(headers_list))
        for code in draw(st.lists(st.sampled_from([100, 102, 103, 150, 199]), max_size=2))
    ]
    status = draw(st.sampled_from([200, 201, 204, 206, 301, 304, 404, 418, 500, 503, 599, 999]))
    if status in (204, 304):
        resp_framing, resp_chunks, resp_trailers = "none", [], []
    else:
        resp_framing, resp_chunks, resp_trailers = draw(message_body())
        if resp_framing == "none":
            # a 1.1 client: txh11 will pick chunked itself
            resp_chunks = draw(body_chunks)
            resp_trailers = draw(headers_list)
    reason = draw(st.one_of(st.just(b""), reason_text))
    response = h11.Response(
        status_code=status,
        headers=draw(headers_list) + framing_headers(resp_framing, resp_chunks),
        reason=reason,
    )
    resp_events = informational + [response] + [h11.Data(data=c) for c in resp_chunks]
    resp_events.append(h11.EndOfMessage(headers=resp_trailers))
    return req_events, resp_events, resp_framing


def cut_points(data, n):
    return data.draw(st.lists(st.integers(0, n), max_size=8), label="cuts")


def expected_summary(events):
    # what the peer should see: same events, Data merged, empty Data dropped
    return summarize([e for e in events if not (type(e) is h11.Data and len(e.data) == 0)])


def check_raw_casing(sent, received):
    def names(event):
        return [n for n, _ in event.headers.raw_items() if n.lower() != b"transfer-encoding"]

    sent_heads = [e for e in sent if type(e) is not h11.Data]
    got_heads = [e for e in received if type(e) is not h11.Data]
    assert len(sent_heads) == len(got_heads)
    for s, r in zip(sent_heads, got_heads):
        assert names(r) == names(s)


@ROUND_TRIP_SETTINGS
@given(cycles=st.lists(exchange(), min_size=1, max_size=3), data=st.data())
def test_round_trip_random_cycles(cycles, data):
    client = h11.Connection(our_role=h11.CLIENT)
    server = h11.Connection(our_role=h11.SERVER)
    for i, (req_events, resp_events, resp_framing) in enumerate(cycles):
        if i:
            client.start_next_cycle()
            server.start_next_cycle()
        # client -> server
        wire = b"".join(bytes(client.send(e)) for e in req_events)
        got = receive_in_pieces(server, wire, cut_points(data, len(wire)))
        assert summarize(got) == expected_summary(req_events)
        check_raw_casing(req_events, got)
        assert server.their_http_version == b"1.1"
        # server -> client
        wire = b"".join(bytes(server.send(e)) for e in resp_events)
        got = receive_in_pieces(client, wire, cut_points(data, len(wire)))
        want = expected_summary(resp_events)
        have = summarize(got)
        if resp_framing == "none":
            # we gave no framing headers: txh11 picks chunked for a 1.1 client
            # (but never puts Transfer-Encoding on a 204)
            status = [e for e in resp_events if type(e) is h11.Response][0].status_code
            for k, item in enumerate(have):
                if item[0] == "Response":
                    hdrs = [h for h in item[2] if h[0] != b"transfer-encoding"]
                    added = [h for h in item[2] if h[0] == b"transfer-encoding"]
                    if status == 204:
                        assert added == []
                    elif status != 304:
                        assert added == [(b"transfer-encoding", b"chunked")]
                    have[k] = (item[0], item[1], hdrs)
        assert have == want
        check_raw_casing(resp_events, got)
        heads_sent = [e for e in resp_events if type(e) is not h11.Data]
        heads_got = [e for e in got if type(e) is not h11.Data]
        for s, r in zip(heads_sent, heads_got):
            if type(s) is h11.Response and s.reason:
                assert r.reason == s.reason
        assert client.states == {h11.CLIENT: h11.DONE, h11.SERVER: h11.DONE}
        assert server.states == {h11.CLIENT: h11.DONE, h11.SERVER: h11.DONE}


@ROUND_TRIP_SETTINGS
@given(req=exchange(), data=st.data())
def test_round_trip_one_byte_at_a_time_same_as_whole(req, data):
    req_events = req[0]
    sender = h11.Connection(our_role=h11.CLIENT)
    wire = b"".join(bytes(sender.send(e)) for e in req_events)
    whole = h11.Connection(our_role=h11.SERVER)
    bytewise = h11.Connection(our_role=h11.SERVER)
    got_whole = receive_in_pieces(whole, wire, [])
    got_bytewise = receive_in_pieces(bytewise, wire, range(len(wire)))
    assert summarize(got_whole) == summarize(got_bytewise) == expected_summary(req_events)


# ---------------------------------------------------------------------------
# Garbage
# ---------------------------------------------------------------------------


def feed_garbage(conn, payload, cuts, eof):
    """Feed payload; return the RemoteProtocolError raised (or None).  Any
    other exception propagates and fails the test."""
    events = []
    try:
        receive_in_pieces(conn, payload, cuts, events)
        if eof:
            conn.receive_data(b"")
            drain(conn, events)
    except h11.RemoteProtocolError as exc:
        return exc, events
    return None, events


def check_after(conn, exc, events):
    for e in events:
        assert isinstance(e, h11.Event)
    if exc is None:
        assert conn.their_state is not h11.ERROR
        return
    assert isinstance(exc.error_status_hint, int)
    assert 400 <= exc.error_status_hint <= 599
    assert conn.their_state is h11.ERROR
    with pytest.raises(h11.RemoteProtocolError):
        conn.next_event()
    if conn.our_role is h11.SERVER and conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
        wire = conn.send(h11.Response(status_code=exc.error_status_hint, headers=[]))
        assert wire.startswith(b"HTTP/1.1 ")
        conn.send(h11.EndOfMessage())
        assert conn.our_state is h11.MUST_CLOSE


def make_conn(role):
    conn = h11.Connection(our_role=role, max_incomplete_event_size=300)
    if role is h11.CLIENT:
        conn.send(h11.Request(method="GET", target="/", headers=[("Host", "a")]))
        conn.send(h11.EndOfMessage())
    return conn


@SETTINGS
@given(
    payload=st.binary(max_size=400),
    role=st.sampled_from(["client", "server"]),
    eof=st.booleans(),
    data=st.data(),
)
def test_random_garbage_only_remote_protocol_error(payload, role, eof, data):
    conn = make_conn(h11.CLIENT if role == "client" else h11.SERVER)
    exc, events = feed_garbage(conn, payload, cut_points(data, len(payload)), eof)
    check_after(conn, exc, events)


VALID_MESSAGES = {
    "server": [
        b"GET / HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n",
        b"POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;x=y\r\nhello\r\n0\r\nTrailer: v\r\n\r\n",
        b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n",
        b"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n",
    ],
    "client": [
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n0\r\nX: y\r\n\r\n",
        b"HTTP/1.0 200 OK\r\n\r\nclose delimited",
        b"HTTP/1.1 204 No Content\r\nX: a\r\n folded\r\n\r\n",
    ],
}


@st.composite
def mutated(draw, role):
    msg = bytearray(draw(st.sampled_from(VALID_MESSAGES[role])))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "dup"]))
        pos = draw(st.integers(0, max(len(msg) - 1, 0)))
        if op == "flip" and msg:
            msg[pos] = draw(st.sampled_from([0, 9, 10, 13, 32, 58, 59, 0x30, 0x61, 0x7F, 0xFF]))
        elif op == "insert":
            msg[pos:pos] = draw(st.sampled_from([b"\r", b"\n", b" ", b"\x00", b":", b"\r\n", b"0", b"-"]))
        elif op == "delete" and msg:
            del msg[pos]
        elif op == "dup" and msg:
            end = draw(st.integers(pos, len(msg)))
            msg[pos:pos] = msg[pos:end]
    return bytes(msg)


@SETTINGS
@given(role=st.sampled_from(["client", "server"]), eof=st.booleans(), data=st.data())
def test_mutated_messages_only_remote_protocol_error(role, eof, data):
    payload = data.draw(mutated(role), label="payload")
    conn = make_conn(h11.CLIENT if role == "client" else h11.SERVER)
    exc, events = feed_garbage(conn, payload, cut_points(data, len(payload)), eof)
    check_after(conn, exc, events)
    # at most one request/response head per cycle is ever delivered
    heads = [e for e in events if type(e) in (h11.Request, h11.Response)]
    assert len(heads) <= 1


HEADER_FACTS = ("content_length", "chunked", "connection", "expect_continue", "upgrade", "host_count")
connection_value = st.lists(
    st.sampled_from([b"", b"close", b"Keep-Alive", b"upgrade", b"x", b" ", b"\t"]), max_size=4
).map(lambda parts: b",".join(parts).strip(b" \t"))
facts_headers = st.lists(
    st.one_of(
        st.tuples(st.just(b"Connection"), connection_value),
        st.sampled_from(
            [
                (b"Content-Length", b"7"),
                (b"Transfer-Encoding", b"chunked"),
                (b"Upgrade", b"h2c"),
                (b"Expect", b"100-continue"),
                (b"Host", b"example.com"),
                (b"X-Other", b"1"),
            ]
        ),
    ),
    max_size=6,
)


@SETTINGS
@given(pairs=facts_headers, add_close=st.booleans(), chunked=st.booleans())
def test_edited_headers_keep_the_facts_a_rebuild_finds(pairs, add_close, chunked):
    try:
        headers = _headers.normalize_and_validate(pairs)
    except h11.LocalProtocolError:
        return
    add, drop = (b"close", b"keep-alive") if add_close else (b"keep-alive", b"close")
    for edited in (
        _headers.with_connection_tokens(headers, add, drop),
        _headers.with_framing(headers, chunked),
    ):
        rebuilt = _headers.build_headers(list(edited._raw), list(edited._items))
        assert [getattr(edited, f) for f in HEADER_FACTS] == [getattr(rebuilt, f) for f in HEADER_FACTS]
