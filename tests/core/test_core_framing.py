"""Message body framing, both directions: Content-Length, chunked (with
trailers and extensions), HTTP/1.0 close-delimited bodies, bodiless responses,
the automatic framing headers, sendfile passthrough, reason phrases and the
HTTP/1.0 keep-alive extension."""

import pytest

import txh11 as h11

from tests._support.core import (
    Placeholder,
    chunk_groups,
    client_conn_after_request,
    data_payload,
    drain,
    header_values,
    receive,
    receive_bytewise,
    render,
    split_head,
)

GET11 = b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"
GET10 = b"GET / HTTP/1.0\r\n\r\n"
GET10_KEEPALIVE = b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"


def server_after(data):
    conn = h11.Connection(our_role=h11.SERVER)
    events = receive(conn, data)
    assert type(events[0]) is h11.Request
    assert type(events[-1]) is h11.EndOfMessage
    return conn


FEEDERS = {"whole": receive, "bytewise": receive_bytewise}


# ---------------------------------------------------------------------------
# Content-Length, sending
# ---------------------------------------------------------------------------


def test_send_content_length_body():
    conn = h11.Connection(our_role=h11.CLIENT)
    wire = conn.send(h11.Request(method="PUT", target="/x",
                                 headers=[("Host", "a"), ("Content-Length", "10")]))
    assert wire == b"PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n"
    assert conn.send(h11.Data(data=b"01234")) == b"01234"
    assert conn.send(h11.Data(data=bytearray(b"56789"))) == b"56789"
    assert conn.send(h11.EndOfMessage()) == b""
    assert conn.our_state is h11.DONE


def test_send_more_than_content_length_is_error():
    conn = h11.Connection(our_role=h11.CLIENT)
    conn.send(h11.Request(method="PUT", target="/", headers=[("Host", "a"), ("Content-Length", "3")]))
    conn.send(h11.Data(data=b"ab"))
    with pytest.raises(h11.LocalProtocolError):
        conn.send(h11.Data(data=b"cd"))
    assert conn.our_state is h11.ERROR


def test_send_end_of_message_early_is_error():
    conn = server_after(GET11)
    conn.send(h11.Response(status_code=200, headers=[("Content-Length", "5")]))
    conn.send(h11.Data(data=b"abc"))
    with pytest.raises(h11.LocalProtocolError):
        conn.send(h11.EndOfMessage())
    assert conn.our_state is h11.ERROR


def test_send_trailers_with_content_length_is_error():
    conn = h11.Connection(our_role=h11.CLIENT)
    conn.send(h11.Request(method="PUT", target="/", headers=[("Host", "a"), ("Content-Length", "1")]))
    conn.send(h11.Data(data=b"x"))
    with pytest.raises(h11.LocalProtocolError):
        conn.send(h11.EndOfMessage(headers=[("X-Trailer", "v")]))


def test_request_without_framing_has_no_body():
    conn = h11.Connection(our_role=h11.CLIENT)
    conn.send(h11.Request(method="POST", target="/", headers=[("Host", "a")]))
    with pytest.raises(h11.LocalProtocolError):
        conn.send(h11.Data(data=b"x"))


def test_empty_data_is_allowed_with_content_length():
    conn = h11.Connection(our_role=h11.CLIENT)
    conn.send(h11.Request(method="PUT", target="/", headers=[("Host", "a"), ("Content-Length", "0")]))
    assert conn.send(h11.Data(data=b"")) == b""
    conn.send(h11.EndOfMessage())
    assert conn.our_state is h11.DONE


# ---------------------------------------------------------------------------
# Content-Length, receiving
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("feed", FEEDERS)
def test_receive_content_length_body(feed):
    conn = h11.Connection(our_role=h11.SERVER)
    events = FEEDERS[feed](
        conn, b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world"
    )
    assert type(events[0]) is h11.Request
    assert data_payload(events) == b"hello world"
    assert type(events[-1]) is h11.EndOfMessage
    for e in events:
        if type(e) is h11.Data:
            assert e.chunk_start is False and e.chunk_end is False
    assert conn.their_state is h11.DONE


def test_receive_content_length_zero():
    conn = h11.Connection(our_role=h11.SERVER)
    events = receive(conn, b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")
    assert [type(e) for e in events] == [h11.Request, h11.EndOfMessage]


def test_receive_request_without_framing_has_empty_body():
    conn = h11.Connection(our_role=h11.SERVER)
    events = receive(conn, b"POST / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert [type(e) for e in events] == [h11.Request, h11.EndOfMessage]


def test_receive_identical_duplicate_content_length_ok_or_rejected_cleanly():
    # RFC 9110 8.6: a list of identical values may be accepted as one value
    conn = h11.Connection(our_role=h11.SERVER)
    conn.receive_data(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc")
    try:
        events = drain(conn)[0]
    except h11.RemoteProtocolError as e:
        assert e.error_status_hint == 400
    else:
        assert data_payload(events) == b"abc"
        assert type(events[-1]) is h11.EndOfMessage


def test_content_length_body_streams_beyond_max_incomplete_event_size():
    conn = h11.Connection(our_role=h11.SERVER, max_incomplete_event_size=100)
    body = b"x" * 5000
    events = receive(conn, b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n" + body)
    assert data_payload(events) == body
    assert type(events[-1]) is h11.EndOfMessage


# ---------------------------------------------------------------------------
# Chunked, sending
# ---------------------------------------------------------------------------


def test_send_chunked_request():
    conn = h11.Connection(our_role=h11.CLIENT)
    wire = conn.send(h11.Request(method="POST", target="/",
                                 headers=[("Host", "a"), ("Transfer-Encoding", "chunked")]))
    assert wire == b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
    assert conn.send(h11.Data(data=b"hello")) == b"5\r\nhello\r\n"
    assert conn.send(h11.Data(data=b"x" * 16)) == b"10\r\n" + b"x" * 16 + b"\r\n"
    # an empty Data must not end the body (a 0-size chunk would)
    assert conn.send(h11.Data(data=b"")) == b""
    assert conn.send(h11.EndOfMessage()) == b"0\r\n\r\n"


def test_send_chunked_with_trailers_keeps_casing():
    conn = h11.Connection(our_role=h11.CLIENT)
    conn.send(h11.Request(method="POST", target="/",
                          headers=[("Host", "a"), ("Transfer-Encoding", "chunked")]))
    conn.send(h11.Data(data=b"abc"))
    wire = conn.send(h11.EndOfMessage(headers=[("X-Checksum", "abc"), ("Server-Timing", "x")]))
    assert wire == b"0\r\nX-Checksum: abc\r\nServer-Timing: x\r\n\r\n"


def test_chunked_hex_size_is_parsable():
    conn = h11.Connection(our_role=h11.CLIENT)
    conn.send(h11.Request(method="POST", target="/",
                          headers=[("Host", "a"), ("Transfer-Encoding", "chunked")]))
    wire = conn.send(h11.Data(data=b"y" * 200))
    size, _, rest = wire.partition(b"\r\n")
    assert int(size, 16) == 200
    assert rest == b"y" * 200 + b"\r\n"


def test_http11_response_without_framing_gets_chunked():
    conn = server_after(GET11)
    wire = conn.send(h11.Response(status_code=200, headers=[("Content-Type", "text/plain")]))
    assert header_values(wire, b"transfer-encoding") == [b"chunked"]
    assert header_values(wire, b"content-length") == []
    assert header_values(wire, b"connection") == []
    assert conn.send(h11.Data(data=b"hello")) == b"5\r\nhello\r\n"
    assert conn.send(h11.EndOfMessage(headers=[("X-T", "1")])) == b"0\r\nX-T: 1\r\n\r\n"
    assert (conn.our_state, conn.their_state) == (h11.DONE, h11.DONE)


def test_response_explicit_chunked_to_http11():
    conn = server_after(GET11)
    wire = conn.send(h11.Response(status_code=200, headers=[("Transfer-Encoding", "chunked")]))
    assert header_values(wire, b"transfer-encoding") == [b"chunked"]
    assert conn.send(h11.Data(data=b"hi")) == b"2\r\nhi\r\n"
    assert conn.send(h11.EndOfMessage()) == b"0\r\n\r\n"
    assert conn.our_state is h11.DONE


# ---------------------------------------------------------------------------
# Chunked, receiving
# ---------------------------------------------------------------------------

CHUNKED_REQ = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"


@pytest.mark.parametrize("feed", FEEDERS)
def test_receive_chunked_with_extensions_and_trailers(feed):
    conn = h11.Connection(our_role=h11.SERVER)
    events = FEEDERS[feed](
        conn,
        CHUNKED_REQ
        + b"5;name=value\r\nhello\r\n"
        + b"6;a;b=\"quoted; value\"\r\n world\r\n"
        + b"A\r\n0123456789\r\n"
        + b"0;last=1\r\nX-Trailer: v\r\nOther-Trailer: w\r\n\r\n",
    )
    assert type(events[0]) is h11.Request
    datas = [e for e in events if type(e) is h11.Data]
    assert chunk_groups(datas) == [b"hello", b" world", b"0123456789"]
    eom = events[-1]
    assert type(eom) is h11.EndOfMessage
    assert list(eom.headers) == [(b"x-trailer", b"v"), (b"other-trailer", b"w")]
    assert list(eom.headers.raw_items()) == [(b"X-Trailer", b"v"), (b"Other-Trailer", b"w")]
    assert conn.their_state is h11.DONE


def test_receive_chunked_single_chunk_flags_whole():
    conn = h11.Connection(our_role=h11.SERVER)
    events = receive(conn, CHUNKED_REQ + b"5\r\nhello\r\n0\r\n\r\n")
    datas = [e for e in events if type(e) is h11.Data]
    assert chunk_groups(datas) == [b"hello"]
    assert datas[0].chunk_start is True
    assert datas[-1].chunk_end is True


def test_receive_chunked_partial_chunk_is_streamed():
    conn = h11.Connection(our_role=h11.SERVER)
    events = receive(conn, CHUNKED_REQ + b"a\r\nhello")
    datas = [e for e in events if type(e) is h11.Data]
    assert b"".join(bytes(d.data) for d in datas) == b"hello"
    assert datas[0].chunk_start is True
    assert all(d.chunk_end is False for d in datas)
    events = receive(conn, b"world\r\n0\r\n\r\n")
    datas2 = [e for e in events if type(e) is h11.Data]
    assert b"".join(bytes(d.data) for d in datas2) == b"world"
    assert datas2[-1].chunk_end is True
    assert all(d.chunk_start is False for d in datas2)
    assert type(events[-1]) is h11.EndOfMessage


def test_receive_chunked_uppercase_hex_and_leading_zeros():
    conn = h11.Connection(our_role=h11.SERVER)
    events = receive(conn, CHUNKED_REQ + b"00B\r\nhello world\r\n000\r\n\r\n")
    assert data_payload(events) == b"hello world"
    assert type(events[-1]) is h11.EndOfMessage


def test_receive_chunked_response_client_role():
    conn = client_conn_after_request()
    events = receive_bytewise(
        conn,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    )
    assert data_payload(events) == b"abc"
    assert type(events[-1]) is h11.EndOfMessage
    assert (conn.our_state, conn.their_state) == (h11.DONE, h11.DONE)


# ---------------------------------------------------------------------------
# HTTP/1.0 and close-delimited bodies
# ---------------------------------------------------------------------------


def test_server_to_http10_client_close_delimited():
    conn = server_after(GET10)
    wire = conn.send(h11.Response(status_code=200, headers=[("Content-Type", "text/plain")]))
    assert wire.startswith(b"HTTP/1.1 200 ")
    assert header_values(wire, b"connection") == [b"close"]
    assert header_values(wire, b"transfer-encoding") == []
    assert header_values(wire, b"content-length") == []
    assert conn.send(h11.Data(data=b"raw body")) == b"raw body"
    assert conn.send(h11.EndOfMessage()) == b""
    assert conn.our_state is h11.MUST_CLOSE


def test_server_to_http10_client_chunked_header_becomes_close_delimited():
    conn = server_after(GET10)
    wire = conn.send(h11.Response(status_code=200, headers=[("Transfer-Encoding", "chunked")]))
    assert header_values(wire, b"transfer-encoding") == []
    assert header_values(wire, b"connection") == [b"close"]
    assert conn.send(h11.Data(data=b"raw")) == b"raw"
    assert conn.send(h11.EndOfMessage()) == b""
    assert conn.our_state is h11.MUST_CLOSE


def test_trailers_to_http10_client_raise():
    conn = server_after(GET10)
    conn.send(h11.Response(status_code=200, headers=[]))
    conn.send(h11.Data(data=b"x"))
    with pytest.raises(h11.LocalProtocolError):
        conn.send(h11.EndOfMessage(headers=[("X-Trailer", "v")]))


def test_server_to_http10_client_with_content_length():
    conn = server_after(GET10)
    wire = conn.send(h11.Response(status_code=200, headers=[("Content-Length", "3")]))
    assert header_values(wire, b"content-length") == [b"3"]
    assert header_values(wire, b"connection") == [b"close"]
    assert conn.send(h11.Data(data=b"abc")) == b"abc"
    conn.send(h11.EndOfMessage())
    assert conn.our_state is h11.MUST_CLOSE


@pytest.mark.parametrize("version", [b"1.0", b"1.1"])
def test_client_receives_close_delimited_response(version):
    conn = client_conn_after_request()
    events = receive(conn, b"HTTP/" + version + b" 200 OK\r\nContent-Type: text/plain\r\n\r\nbody part")
    assert [type(e) for e in events] == [h11.Response, h11.Data]
    events += receive(conn, b" two")
    assert conn.their_state is h11.SEND_BODY
    conn.receive_data(b"")
    events += drain(conn)[0]
    assert data_payload(events) == b"body part two"
    assert [type(e) for e in events][-2:] == [h11.EndOfMessage, h11.ConnectionClosed]
    assert conn.their_state is h11.CLOSED
    assert conn.our_state is h11.MUST_CLOSE


# ---------------------------------------------------------------------------
# Bodiless responses: HEAD, 204, 304, 1xx
# ---------------------------------------------------------------------------


def test_server_head_response_has_no_body():
    conn = server_after(b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n")
    wire = conn.send(h11.Response(status_code=200, headers=[("Content-Length", "100")]))
    assert header_values(wire, b"content-length") == [b"100"]
    assert split_head(wire)[2] == b""
    assert conn.send(h11.EndOfMessage()) == b""
    assert (conn.our_state, conn.their_state) == (h11.DONE, h11.DONE)


def test_server_head_response_data_is_error():
    conn = server_after(b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n")
    conn.send(h11.Response(status_code=200, headers=[("Content-Length", "100")]))
    with pytest.raises(h11.LocalProtocolError):
        conn.send(h11.Data(data=b"x"))


def test_server_head_response_without_framing():
    conn = server_after(b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n")
    wire = conn.send(h11.Response(status_code=200, headers=[]))
    assert split_head(wire)[2] == b""
    assert conn.send(h11.EndOfMessage()) == b""
    assert conn.our_state is h11.DONE


@pytest.mark.parametrize("status", [204, 304])
def test_server_bodiless_status(status):
    conn = server_after(GET11)
    wire = conn.send(h11.Response(status_code=status, headers=[]))
    assert split_head(wire)[2] == b""
    if status == 204:
        # RFC 9110 6.4.1 / 9112 6.1: no Transfer-Encoding in a 204
        assert header_values(wire, b"transfer-encoding") == []
    with pytest.raises(h11.LocalProtocolError):
        conn.send(h11.Data(data=b"x"))


@pytest.mark.parametrize("status", [204, 304])
def test_server_bodiless_status_end(status):
    conn = server_after(GET11)
    conn.send(h11.Response(status_code=status, headers=[]))
    assert conn.send(h11.EndOfMessage()) == b""
    assert (conn.our_state, conn.their_state) == (h11.DONE, h11.DONE)


def test_client_head_response_ignores_content_length():
    conn = client_conn_after_request(method="HEAD")
    events = receive(conn, b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
    assert [type(e) for e in events] == [h11.Response, h11.EndOfMessage]
    assert (conn.our_state, conn.their_state) == (h11.DONE, h11.DONE)


def test_client_head_response_chunked_header_no_body():
    conn = client_conn_after_request(method="HEAD")
    events = receive(conn, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    assert [type(e) for e in events] == [h11.Response, h11.EndOfMessage]


@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/1.1 204 No Content\r\n\r\n",
        b"HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n\r\n",
        b"HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n",
    ],
)
def test_client_bodiless_status(head):
    conn = client_conn_after_request()
    events = receive(conn, head)
    assert [type(e) for e in events] == [h11.Response, h11.EndOfMessage]
    assert (conn.our_state, conn.their_state) == (h11.DONE, h11.DONE)


def test_client_informational_responses_have_no_body():
    conn = client_conn_after_request()
    events = receive(
        conn,
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    )
    assert [type(e) for e in events] == [
        h11.InformationalResponse,
        h11.InformationalResponse,
        h11.Response,
        h11.Data,
        h11.EndOfMessage,
    ]
    assert [e.status_code for e in events[:3]] == [100, 103, 200]
    assert events[1].reason == b"Early Hints"
    assert list(events[1].headers) == [(b"link", b"</style.css>; rel=preload")]


def test_server_informational_response_wire():
    conn = server_after(GET11)
    wire = conn.send(h11.InformationalResponse(status_code=103, headers=[("Link", "</a>")]))
    start, headers, body = split_head(wire)
    assert start.startswith(b"HTTP/1.1 103")
    assert headers == [(b"link", b"</a>")]
    assert body == b""


# ---------------------------------------------------------------------------
# Reason phrases
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status, line",
    [
        (200, b"HTTP/1.1 200 OK\r\n"),
        (404, b"HTTP/1.1 404 Not Found\r\n"),
        (500, b"HTTP/1.1 500 Internal Server Error\r\n"),
        (201, b"HTTP/1.1 201 Created\r\n"),
        (301, b"HTTP/1.1 301 Moved Permanently\r\n"),
    ],
)
def test_standard_reason_phrase(status, line):
    # the core invents no reason: the standard one goes out when given
    # (txh11's servers pass it; see tests/core/test_core_h11_parity.py)
    conn = server_after(GET11)
    reason = line[13:-2]
    wire = conn.send(h11.Response(status_code=status, headers=[("Content-Length", "0")], reason=reason))
    assert wire.startswith(line)
    conn = server_after(GET11)
    wire = conn.send(h11.Response(status_code=status, headers=[("Content-Length", "0")]))
    assert wire.startswith(b"HTTP/1.1 %d \r\n" % status)


def test_explicit_reason_phrase_used():
    conn = server_after(GET11)
    wire = conn.send(h11.Response(status_code=200, headers=[("Content-Length", "0")],
                                  reason="Everything Fine"))
    assert wire.startswith(b"HTTP/1.1 200 Everything Fine\r\n")


def test_unknown_status_without_reason_is_parsable():
    conn = server_after(GET11)
    wire = conn.send(h11.Response(status_code=599, headers=[("Content-Length", "0")]))
    assert wire.startswith(b"HTTP/1.1 599")
    client = client_conn_after_request()
    events = receive(client, wire)
    assert events[0].status_code == 599


def test_received_reason_phrase():
    conn = client_conn_after_request()
    events = receive(conn, b"HTTP/1.1 404 Not Here Sorry\r\nContent-Length: 0\r\n\r\n")
    assert events[0].reason == b"Not Here Sorry"
    assert events[0].status_code == 404


def test_received_empty_reason_phrase():
    conn = client_conn_after_request()
    events = receive(conn, b"HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n")
    assert events[0].status_code == 200
    assert events[0].reason == b""


# ---------------------------------------------------------------------------
# send_with_data_passthrough
# ---------------------------------------------------------------------------


def test_passthrough_content_length():
    conn = h11.Connection(our_role=h11.CLIENT)
    conn.send(h11.Request(method="PUT", target="/", headers=[("Host", "a"), ("Content-Length", "300")]))
    ph = Placeholder(256)
    parts = conn.send_with_data_passthrough(h11.Data(data=ph))
    assert isinstance(parts, list)
    assert sum(1 for p in parts if p is ph) == 1
    assert render(parts, ph) == ph.content()
    # the connection counted len(ph): 44 more bytes are allowed, not 45
    ph2 = Placeholder(45)
    with pytest.raises(h11.LocalProtocolError):
        conn.send_with_data_passthrough(h11.Data(data=ph2))


def test_passthrough_content_length_exact_then_end():
    conn = h11.Connection(our_role=h11.CLIENT)
    conn.send(h11.Request(method="PUT", target="/", headers=[("Host", "a"), ("Content-Length", "256")]))
    ph = Placeholder(256)
    parts = conn.send_with_data_passthrough(h11.Data(data=ph))
    assert any(p is ph for p in parts)
    assert b"".join(conn.send_with_data_passthrough(h11.EndOfMessage())) == b""
    assert conn.our_state is h11.DONE


def test_passthrough_chunked():
    conn = server_after(GET11)
    conn.send(h11.Response(status_code=200, headers=[("Transfer-Encoding", "chunked")]))
    ph = Placeholder(256)
    parts = conn.send_with_data_passthrough(h11.Data(data=ph))
    assert sum(1 for p in parts if p is ph) == 1
    rendered = render(parts, ph)
    assert rendered == b"100\r\n" + ph.content() + b"\r\n"
    # framing surrounds the placeholder
    idx = [i for i, p in enumerate(parts) if p is ph][0]
    assert b"".join(bytes(p) for p in parts[:idx]) == b"100\r\n"
    assert b"".join(bytes(p) for p in parts[idx + 1 :]) == b"\r\n"
    assert b"".join(conn.send_with_data_passthrough(h11.EndOfMessage())) == b"0\r\n\r\n"


def test_passthrough_http10_close_delimited():
    conn = server_after(GET10)
    conn.send(h11.Response(status_code=200, headers=[]))
    ph = Placeholder(1000)
    parts = conn.send_with_data_passthrough(h11.Data(data=ph))
    assert sum(1 for p in parts if p is ph) == 1
    assert render(parts, ph) == ph.content()
    conn.send_with_data_passthrough(h11.EndOfMessage())
    assert conn.our_state is h11.MUST_CLOSE


def test_passthrough_non_data_events_match_send():
    a = h11.Connection(our_role=h11.CLIENT)
    b = h11.Connection(our_role=h11.CLIENT)
    req = h11.Request(method="POST", target="/", headers=[("Host", "a"), ("Transfer-Encoding", "chunked")])
    parts = a.send_with_data_passthrough(req)
    assert isinstance(parts, list)
    assert b"".join(bytes(p) for p in parts) == b.send(req)
    parts = a.send_with_data_passthrough(h11.Data(data=b"abc"))
    assert b"".join(bytes(p) for p in parts) == b.send(h11.Data(data=b"abc"))
    eom = h11.EndOfMessage(headers=[("X", "y")])
    assert b"".join(bytes(p) for p in a.send_with_data_passthrough(eom)) == b.send(eom)
    assert a.states == b.states


def test_passthrough_connection_closed_returns_none():
    conn = h11.Connection(our_role=h11.CLIENT)
    assert conn.send_with_data_passthrough(h11.ConnectionClosed()) is None
    assert conn.our_state is h11.CLOSED


# ---------------------------------------------------------------------------
# HTTP/1.0 Connection: keep-alive extension
# ---------------------------------------------------------------------------


def test_http10_keep_alive_with_content_length_is_reusable():
    conn = server_after(GET10_KEEPALIVE)
    wire = conn.send(h11.Response(status_code=200, headers=[("Content-Length", "2")]))
    assert header_values(wire, b"connection") == [b"keep-alive"]
    assert header_values(wire, b"transfer-encoding") == []
    wire += conn.send(h11.Data(data=b"hi"))
    wire += conn.send(h11.EndOfMessage())
    assert split_head(wire)[2] == b"hi"
    assert (conn.our_state, conn.their_state) == (h11.DONE, h11.DONE)
    conn.start_next_cycle()
    events = receive(conn, b"GET /again HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")
    assert events[0].target == b"/again"
    wire = conn.send(h11.Response(status_code=200, headers=[("Content-Length", "0")]))
    assert header_values(wire, b"connection") == [b"keep-alive"]
    conn.send(h11.EndOfMessage())
    assert conn.our_state is h11.DONE


def test_http10_keep_alive_without_content_length_closes():
    conn = server_after(GET10_KEEPALIVE)
    wire = conn.send(h11.Response(status_code=200, headers=[]))
    assert header_values(wire, b"connection") == [b"close"]
    assert header_values(wire, b"transfer-encoding") == []
    assert conn.send(h11.Data(data=b"raw")) == b"raw"
    conn.send(h11.EndOfMessage())
    assert conn.our_state is h11.MUST_CLOSE
    with pytest.raises(h11.LocalProtocolError):
        conn.start_next_cycle()


def test_http10_keep_alive_but_server_says_close():
    conn = server_after(GET10_KEEPALIVE)
    wire = conn.send(h11.Response(status_code=200, headers=[("Content-Length", "0"),
                                                            ("Connection", "close")]))
    assert header_values(wire, b"connection") == [b"close"]
    conn.send(h11.EndOfMessage())
    assert conn.our_state is h11.MUST_CLOSE


def test_http10_without_keep_alive_closes_even_with_content_length():
    conn = server_after(GET10)
    conn.send(h11.Response(status_code=200, headers=[("Content-Length", "0")]))
    conn.send(h11.EndOfMessage())
    assert conn.our_state is h11.MUST_CLOSE


def test_http10_keep_alive_head_and_204_are_reusable():
    conn = server_after(b"HEAD / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    conn.send(h11.Response(status_code=200, headers=[("Content-Length", "10")]))
    conn.send(h11.EndOfMessage())
    assert conn.our_state is h11.DONE
    conn.start_next_cycle()
    receive(conn, GET10_KEEPALIVE)
    conn.send(h11.Response(status_code=204, headers=[]))
    conn.send(h11.EndOfMessage())
    assert conn.our_state is h11.DONE


def test_http10_keep_alive_request_with_transfer_encoding_never_reused():
    # RFC 9112 6.1: TE in an HTTP/1.0 message means faulty framing; close after.
    conn = h11.Connection(our_role=h11.SERVER)
    conn.receive_data(
        b"POST / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"0\r\n\r\n"
    )
    try:
        drain(conn)
    except h11.RemoteProtocolError:
        return
    if conn.their_state is not h11.DONE:
        return
    conn.send(h11.Response(status_code=200, headers=[("Content-Length", "0")]))
    conn.send(h11.EndOfMessage())
    assert conn.our_state is h11.MUST_CLOSE


# ---------------------------------------------------------------------------
# send_data: a Data event's framing without the event


def _server_in_body(request, response_headers):
    conn = server_after(request)
    conn.send(h11.Response(status_code=200, headers=response_headers))
    return conn


SEND_DATA_CASES = {
    "chunked": (GET11, []),
    "content-length": (GET11, [("Content-Length", "10")]),
    "http/1.0 close-delimited": (GET10, []),
}


@pytest.mark.parametrize("case", sorted(SEND_DATA_CASES))
def test_send_data_frames_like_a_data_event(case):
    request, headers = SEND_DATA_CASES[case]
    plain, evented = _server_in_body(request, headers), _server_in_body(request, headers)
    for piece in (b"hello", bytearray(b"wor"), b"ld"):
        assert plain.send_data(piece) == evented.send_with_data_passthrough(h11.Data(data=piece))
    assert plain.our_state == evented.our_state == h11.SEND_BODY
    if case == "content-length":  # 10 bytes were promised
        assert plain.send(h11.EndOfMessage()) == evented.send(h11.EndOfMessage()) == b""
    elif case == "chunked":
        assert plain.send(h11.EndOfMessage()) == b"0\r\n\r\n"


def test_send_data_keeps_the_payload_object():
    conn = _server_in_body(GET11, [])
    payload = bytearray(b"abc")
    parts = conn.send_data(payload)
    assert parts[1] is payload and parts[0] == b"3\r\n" and parts[2] == b"\r\n"


def _head_response_sent():
    head = b"HEAD / HTTP/1.1\r\nHost: example.com\r\n\r\n"
    return _server_in_body(head, [("Content-Length", "10")])


# connections where a Data event is refused: no response yet, or a
# response to HEAD (whose body must stay empty)
REFUSING = {"no response yet": lambda: server_after(GET11), "HEAD response": _head_response_sent}


@pytest.mark.parametrize("case", sorted(REFUSING))
def test_send_data_raises_what_send_raises(case):
    plain, evented = REFUSING[case](), REFUSING[case]()
    with pytest.raises(h11.LocalProtocolError) as sent:
        evented.send(h11.Data(data=b"x"))
    with pytest.raises(h11.LocalProtocolError) as direct:
        plain.send_data(b"x")
    assert str(direct.value) == str(sent.value)
    assert plain.our_state is evented.our_state is h11.ERROR
    with pytest.raises(h11.LocalProtocolError, match="ERROR"):
        plain.send_data(b"x")


def test_send_data_beyond_content_length_is_error():
    conn = _server_in_body(GET11, [("Content-Length", "3")])
    assert conn.send_data(b"ab") == [b"ab"]
    with pytest.raises(h11.LocalProtocolError, match="too much data"):
        conn.send_data(b"cd")
    assert conn.our_state is h11.ERROR
    with pytest.raises(h11.LocalProtocolError):
        conn.send(h11.EndOfMessage())


def test_send_data_from_a_client_stops_waiting_for_100_continue():
    conn = h11.Connection(our_role=h11.CLIENT)
    conn.send(h11.Request(method="POST", target="/", headers=[
        ("Host", "a"), ("Content-Length", "2"), ("Expect", "100-continue")]))
    assert conn.client_is_waiting_for_100_continue
    assert conn.send_data(b"ok") == [b"ok"]
    assert not conn.client_is_waiting_for_100_continue


def test_chunk_size_lines_for_many_sizes():
    # every size framed right, whether its line was made before or not,
    # and the store of lines made stays bounded
    from txh11._core import _caches

    conn = _server_in_body(GET11, [])
    for size in list(range(1, 1500)) + [1, 1024, 65536, 1 << 20]:
        line, payload, end = conn.send_data(b"x" * size)
        assert int(line[:-2], 16) == size and line.endswith(b"\r\n") and end == b"\r\n"
    assert len(_caches.SIZE_LINES) <= _caches.SIZE_LINES_LIMIT
