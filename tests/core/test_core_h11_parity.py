"""The core behaves as h11 0.16 where h11's users depend on it (issue 14):
each behaviour in both roles, fed whole and byte by byte, and, where h11 is
installed (the ``test`` extra pins it), compared with h11 itself.

The deliberate differences are tested here too; docs/security.rst lists
them with the RFC sections that ask for them, and compat/deviations.py
lists the tests of h11's users that see them.
"""

import pytest

import txh11 as h11

from tests._support.core import client_conn_after_request, drain, receive_bytewise

FEEDS = ["whole", "bytewise"]
GET = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"


def feed(conn, data, how, events=None):
    events = [] if events is None else events
    if how == "whole":
        conn.receive_data(data)
        drain(conn, events)
    else:
        receive_bytewise(conn, data, events)
    return events


def server(lib=h11):
    return lib.Connection(lib.SERVER)


def client(lib=h11, method="GET"):
    conn = lib.Connection(lib.CLIENT)
    conn.send(lib.Request(method=method, target="/", headers=[("Host", "a")]))
    conn.send(lib.EndOfMessage())
    return conn


def server_after(request=GET, lib=h11):
    conn = server(lib)
    conn.receive_data(request)
    while conn.next_event() not in (lib.NEED_DATA, lib.PAUSED):
        pass
    return conn


# ---------------------------------------------------------------------------
# 1. the reason phrase is written as the event carries it
# ---------------------------------------------------------------------------


def test_server_writes_no_reason_as_none():
    conn = server_after()
    assert conn.send(h11.InformationalResponse(status_code=100, headers=[])) == b"HTTP/1.1 100 \r\n\r\n"
    wire = conn.send(h11.Response(status_code=200, headers=[("Content-Length", "0")]))
    assert wire == b"HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n"


@pytest.mark.parametrize("reason", [b"OK", b"Fine", b"Not Found"])
def test_server_writes_the_reason_given(reason):
    conn = server_after()
    wire = conn.send(h11.Response(status_code=200, headers=[("Content-Length", "0")], reason=reason))
    assert wire.startswith(b"HTTP/1.1 200 " + reason + b"\r\n")


@pytest.mark.parametrize("how", FEEDS)
@pytest.mark.parametrize("line, reason", [(b"HTTP/1.1 200 \r\n", b""), (b"HTTP/1.1 200\r\n", b""),
                                          (b"HTTP/1.1 200 Fine\r\n", b"Fine")])
def test_client_reads_the_reason_as_sent(how, line, reason):
    events = feed(client(), line + b"Content-Length: 0\r\n\r\n", how)
    assert events[0].reason == reason


def test_client_request_line_has_no_reason_to_invent():
    conn = h11.Connection(h11.CLIENT)
    assert conn.send(h11.Request(method="GET", target="/", headers=[("Host", "a")])) == GET


# ---------------------------------------------------------------------------
# 2. Transfer-Encoding and Content-Length together
# ---------------------------------------------------------------------------

BOTH = [("Content-Length", "5"), ("Transfer-Encoding", "chunked")]


def test_events_with_both_can_be_built():
    assert h11.Response(status_code=200, headers=BOTH).headers.chunked
    request = h11.Request(method="POST", target="/", headers=[("Host", "a"), *BOTH])
    assert list(request.headers)[1:] == [(b"content-length", b"5"), (b"transfer-encoding", b"chunked")]


def test_server_sends_transfer_encoding_only():
    conn = server_after()
    wire = conn.send(h11.Response(status_code=200, headers=[("X", "y"), *BOTH]))
    assert wire == b"HTTP/1.1 200 \r\nX: y\r\nTransfer-Encoding: chunked\r\n\r\n"
    assert conn.send(h11.Data(data=b"hello world")) == b"b\r\nhello world\r\n"
    assert conn.send(h11.EndOfMessage()) == b"0\r\n\r\n"
    assert conn.our_state is h11.DONE


def test_server_sends_both_to_http10_as_close_delimited():
    conn = server_after(b"GET / HTTP/1.0\r\n\r\n")
    wire = conn.send(h11.Response(status_code=200, headers=BOTH))
    assert wire == b"HTTP/1.1 200 \r\nConnection: close\r\n\r\n"


def test_client_sends_transfer_encoding_only():
    conn = h11.Connection(h11.CLIENT)
    wire = conn.send(h11.Request(method="POST", target="/", headers=[("Host", "a"), *BOTH]))
    assert wire == b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
    assert conn.send(h11.Data(data=b"hello world")) == b"b\r\nhello world\r\n"
    assert conn.send(h11.EndOfMessage()) == b"0\r\n\r\n"


@pytest.mark.parametrize("how", FEEDS)
def test_server_refuses_a_request_with_both(how):
    # deliberate: h11 frames it by Transfer-Encoding; a request framed two
    # ways is how requests are smuggled (RFC 9112 6.1 allows refusing it)
    conn = server()
    with pytest.raises(h11.RemoteProtocolError) as info:
        feed(conn, b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
             b"0\r\n\r\n", how)
    assert info.value.error_status_hint == 400
    assert conn.their_state is h11.ERROR


@pytest.mark.parametrize("how", FEEDS)
def test_client_frames_by_transfer_encoding_and_never_reuses(how):
    conn = client()
    events = feed(conn, b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n"
                  b"5\r\nhello\r\n0\r\n\r\n", how)
    assert b"".join(bytes(e.data) for e in events if type(e) is h11.Data) == b"hello"
    assert type(events[-1]) is h11.EndOfMessage
    assert conn.our_state is h11.MUST_CLOSE and conn.their_state is h11.MUST_CLOSE


# ---------------------------------------------------------------------------
# 3. request-target bytes: visible ASCII only
# ---------------------------------------------------------------------------

BAD_TARGETS = [b"/caf\xc3\xa9", b"/a\x7f", b"/a\x01", b"/\x80", b"/a\tb", b"/?q=\xff"]


@pytest.mark.parametrize("target", BAD_TARGETS)
def test_building_a_request_with_a_bad_target_raises(target):
    with pytest.raises(h11.LocalProtocolError, match="Illegal target characters"):
        h11.Request(method="GET", target=target, headers=[("Host", "a")])


@pytest.mark.parametrize("how", FEEDS)
@pytest.mark.parametrize("target", BAD_TARGETS)
def test_server_refuses_a_bad_target(target, how):
    conn = server()
    with pytest.raises(h11.RemoteProtocolError) as info:
        feed(conn, b"GET " + target + b" HTTP/1.1\r\nHost: a\r\n\r\n", how)
    assert info.value.error_status_hint == 400


@pytest.mark.parametrize("target", [b"/", b"*", b"/a%C3%A9?b=c&d=~!$'()*+,;=:@", b"http://a:80/x", b"a:80"])
def test_visible_ascii_targets_pass_both_ways(target):
    request = h11.Request(method="GET", target=target, headers=[("Host", "a")])
    wire = h11.Connection(h11.CLIENT).send(request)
    assert feed(server(), wire, "whole")[0].target == target


# ---------------------------------------------------------------------------
# 4. any HTTP/d.d on a request line
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("how", FEEDS)
def test_server_parses_the_http2_preface(how):
    conn = server()
    events = feed(conn, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", how)
    assert [type(e) for e in events] == [h11.Request, h11.EndOfMessage]
    assert (events[0].method, events[0].target, events[0].http_version) == (b"PRI", b"*", b"2.0")
    assert conn.next_event() is h11.PAUSED
    assert conn.trailing_data == (b"SM\r\n\r\n", False)


@pytest.mark.parametrize("how", FEEDS)
@pytest.mark.parametrize("version", [b"3.7", b"0.9", b"9.9"])
def test_server_parses_other_versions(how, version):
    events = feed(server(), b"GET / HTTP/" + version + b"\r\nHost: a\r\n\r\n", how)
    assert events[0].http_version == version


def test_host_is_mandatory_for_http11_only():
    assert h11.Request(method="PRI", target="*", headers=[], http_version="2.0").headers == []
    with pytest.raises(h11.LocalProtocolError):
        h11.Request(method="GET", target="/", headers=[])


@pytest.mark.parametrize("how", FEEDS)
def test_client_still_refuses_a_response_of_another_major_version(how):
    # deliberate: an HTTP/2.0 status line on an HTTP/1.1 connection is a
    # broken peer (h11 reads it as a response); RFC 9110 2.5, 6.2
    with pytest.raises(h11.RemoteProtocolError) as info:
        feed(client(), b"HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n", how)
    assert info.value.error_status_hint == 505


def test_only_http11_is_sent():
    conn = h11.Connection(h11.CLIENT)
    with pytest.raises(h11.LocalProtocolError):
        conn.send(h11.Request(method="GET", target="/", headers=[("Host", "a")], http_version="2.0"))


# ---------------------------------------------------------------------------
# 5. one Connection: close, in h11's spelling, on a closing response
# ---------------------------------------------------------------------------

CLOSE_REQUEST = b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"


@pytest.mark.parametrize(
    "given, sent",
    [
        ([], b"Connection: close\r\n"),
        ([("connection", "close")], b"Connection: close\r\n"),
        ([("Connection", "Close")], b"Connection: close\r\n"),
        ([("connection", "close"), ("connection", "close")], b"Connection: close\r\n"),
        ([("Connection", "keep-alive")], b"Connection: close\r\n"),
        ([("Connection", "keep-alive, Upgrade")], b"Connection: close\r\nConnection: upgrade\r\n"),
    ],
)
def test_closing_response_carries_one_connection_close(given, sent):
    conn = server_after(CLOSE_REQUEST)
    wire = conn.send(h11.Response(status_code=200, headers=[("Content-Length", "0"), *given]))
    assert wire == b"HTTP/1.1 200 \r\nContent-Length: 0\r\n" + sent + b"\r\n"


def test_close_delimited_response_carries_one_connection_close():
    conn = server_after(b"GET / HTTP/1.0\r\n\r\n")
    wire = conn.send(h11.Response(status_code=200, headers=[("connection", "close")]))
    assert wire == b"HTTP/1.1 200 \r\nConnection: close\r\n\r\n"


def test_keep_alive_response_keeps_the_applications_header():
    conn = server_after()
    wire = conn.send(h11.Response(status_code=200, headers=[("Content-Length", "0"), ("connection", "close")]))
    assert wire == b"HTTP/1.1 200 \r\nContent-Length: 0\r\nconnection: close\r\n\r\n"
    assert conn.our_state is h11.SEND_BODY


@pytest.mark.parametrize("how", FEEDS)
def test_client_reads_close_among_several_connection_headers(how):
    conn = client()
    feed(conn, b"HTTP/1.1 200 \r\nContent-Length: 0\r\nConnection: upgrade\r\nConnection: close\r\n\r\n", how)
    assert conn.their_state is h11.MUST_CLOSE


# ---------------------------------------------------------------------------
# 6. control bytes inside header values
# ---------------------------------------------------------------------------

ACCEPTED_CONTROLS = [bytes([c]) for c in [*range(0x01, 0x09), *range(0x0E, 0x20), 0x7F]]
# refused as h11 refuses them: NUL, CR and LF could split or end a line;
# h11 counts VT and FF as whitespace too (its field-vchar is [^\x00\s])
REFUSED_INSIDE = [b"\x00", b"\r", b"\n", b"\x0b", b"\x0c"]


@pytest.mark.parametrize("ctl", ACCEPTED_CONTROLS)
def test_control_bytes_allowed_in_built_values(ctl):
    for value in (b"a" + ctl + b"b", ctl + b"ab", b"ab" + ctl, ctl):
        assert h11.Response(status_code=200, headers=[("X", value)]).headers == [(b"x", value)]


@pytest.mark.parametrize("ctl", REFUSED_INSIDE + [b" ", b"\t"])
def test_refused_bytes_in_built_values(ctl):
    # (SP and HTAB are fine inside a value, never at its ends)
    bad = [ctl + b"a", b"a" + ctl] if ctl in (b" ", b"\t") else [b"a" + ctl + b"b", ctl]
    for value in bad:
        with pytest.raises(h11.LocalProtocolError, match="Illegal header value"):
            h11.Response(status_code=200, headers=[("X", value)])


@pytest.mark.parametrize("how", FEEDS)
def test_both_roles_receive_control_bytes_in_values(how):
    value = b"a" + b"".join(ACCEPTED_CONTROLS) + b"b"
    events = feed(server(), b"GET / HTTP/1.1\r\nHost: a\r\nX: " + value + b"\r\n\r\n", how)
    assert (b"x", value) in list(events[0].headers)
    events = feed(client(), b"HTTP/1.1 200 OK\r\nX: \x01" + value + b"\r\nContent-Length: 0\r\n\r\n", how)
    assert (b"x", b"\x01" + value) in list(events[0].headers)


@pytest.mark.parametrize("how", FEEDS)
@pytest.mark.parametrize("ctl", [b"\x00", b"\x0b", b"\x0c"])
def test_both_roles_refuse_nul_vt_ff_in_values(how, ctl):
    with pytest.raises(h11.RemoteProtocolError):
        feed(server(), b"GET / HTTP/1.1\r\nHost: a\r\nX: a" + ctl + b"b\r\n\r\n", how)
    with pytest.raises(h11.RemoteProtocolError):
        feed(client(), b"HTTP/1.1 200 OK\r\nX: a" + ctl + b"b\r\nContent-Length: 0\r\n\r\n", how)


# ---------------------------------------------------------------------------
# 7. an empty line where the start line belongs
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("how", FEEDS)
@pytest.mark.parametrize("rest", [b"", GET])
def test_server_refuses_an_empty_line_first_at_once(how, rest):
    conn = server()
    with pytest.raises(h11.RemoteProtocolError, match="^no request line received$") as info:
        feed(conn, b"\r\n" + rest, how)
    assert info.value.error_status_hint == 400


@pytest.mark.parametrize("how", FEEDS)
@pytest.mark.parametrize("rest", [b"", b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"])
def test_client_refuses_an_empty_line_first_at_once(how, rest):
    conn = client()
    with pytest.raises(h11.RemoteProtocolError, match="^no response line received$"):
        feed(conn, b"\r\n" + rest, how)


def test_a_lone_cr_first_waits_for_what_follows():
    conn = server()
    conn.receive_data(b"\r")
    assert conn.next_event() is h11.NEED_DATA
    conn.receive_data(b"\n")
    with pytest.raises(h11.RemoteProtocolError, match="no request line received"):
        conn.next_event()


# ---------------------------------------------------------------------------
# 8. messages h11's users compare
# ---------------------------------------------------------------------------


def test_illegal_header_value_message():
    with pytest.raises(h11.LocalProtocolError) as info:
        h11.Request(method="GET", target="/", headers=[("Host", "a"), ("X", b"\x00")])
    assert str(info.value) == "Illegal header value b'\\x00'"


@pytest.mark.parametrize("how", FEEDS)
@pytest.mark.parametrize(
    "connect, head",
    [(client, b"HTTP/1.1 200 OK\r\n"), (server, b"POST / HTTP/1.1\r\nHost: a\r\n")],
)
def test_short_body_message_in_both_roles(how, connect, head):
    conn = connect()
    feed(conn, head + b"Content-Length: 100\r\n\r\nhello", how)
    conn.receive_data(b"")
    with pytest.raises(h11.RemoteProtocolError) as info:
        conn.next_event()
    assert str(info.value) == (
        "peer closed connection without sending complete message body: received 5 bytes, expected 100"
    )


# ---------------------------------------------------------------------------
# 9. Content-Length spelled two ways
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("how", FEEDS)
@pytest.mark.parametrize("lengths", [(b"05", b"5"), (b"5", b"05"), (b"5", b"6")])
def test_content_length_spelled_two_ways_is_refused(how, lengths):
    cl = b"".join(b"Content-Length: " + n + b"\r\n" for n in lengths)
    with pytest.raises(h11.RemoteProtocolError, match="conflicting Content-Length") as info:
        feed(server(), b"POST / HTTP/1.1\r\nHost: a\r\n" + cl + b"\r\nhello", how)
    assert info.value.error_status_hint == 400
    with pytest.raises(h11.RemoteProtocolError, match="conflicting Content-Length"):
        feed(client(), b"HTTP/1.1 200 OK\r\n" + cl + b"\r\nhello", how)
    with pytest.raises(h11.LocalProtocolError, match="conflicting Content-Length"):
        h11.Response(status_code=200, headers=[("Content-Length", n) for n in lengths])


@pytest.mark.parametrize("how", FEEDS)
@pytest.mark.parametrize("n", [b"5", b"05"])
def test_content_length_repeated_alike_is_accepted(how, n):
    cl = b"Content-Length: " + n + b"\r\n"
    events = feed(server(), b"POST / HTTP/1.1\r\nHost: a\r\n" + cl + cl + b"\r\nhello", how)
    assert b"".join(bytes(e.data) for e in events if type(e) is h11.Data) == b"hello"


# ---------------------------------------------------------------------------
# the same inputs through h11 itself
# ---------------------------------------------------------------------------

SERVER_INPUTS = [
    GET,
    b"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n",
    b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    b"GET / HTTP/3.7\r\nHost: a\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x01b\x7fc\x1f\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nX: \x01ab\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x0bb\r\n\r\n",
    b"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 05\r\nContent-Length: 5\r\n\r\nhello",
    b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
]
CLIENT_INPUTS = [
    b"HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"\r\nHTTP/1.1 200 OK\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nX: a\x01b\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 05\r\n\r\nhello",
]
RESPONSES = [
    ([("Content-Length", "0")], b""),
    ([("Content-Length", "5"), ("Transfer-Encoding", "chunked")], b""),
    ([("Content-Length", "0"), ("Connection", "keep-alive, Upgrade")], b"Fine"),
]


def outcome(lib, conn, data, how):
    """What ``conn`` makes of ``data``: the events' fields, or the error class."""
    events = []
    try:
        if how == "whole":
            conn.receive_data(data)
            chunks = [None]
        else:
            chunks = [data[i : i + 1] for i in range(len(data))]
        for chunk in chunks:
            if chunk is not None:
                conn.receive_data(chunk)
            while True:
                event = conn.next_event()
                if event is lib.NEED_DATA or event is lib.PAUSED:
                    break
                events.append(event)
    except lib.RemoteProtocolError:
        return [e for e in events if type(e).__name__ != "Data"] and "partial error" or "error"
    summary = []
    for e in events:
        name = type(e).__name__
        fields = {f: getattr(e, f) for f in ("method", "target", "http_version", "status_code", "reason")
                  if hasattr(e, f)}
        if hasattr(e, "headers"):
            fields["headers"] = sorted((n, bytes(v)) for n, v in e.headers)
        if name == "Data":
            fields["data"] = bytes(e.data)
        summary.append((name, fields))
    data_events = [f["data"] for n, f in summary if n == "Data"]
    summary = [s for s in summary if s[0] != "Data"] + [("Data", b"".join(data_events))]
    return summary


@pytest.mark.parametrize("how", FEEDS)
@pytest.mark.parametrize(
    "connect, data", [(server, d) for d in SERVER_INPUTS] + [(client, d) for d in CLIENT_INPUTS]
)
def test_reads_as_h11_does(how, connect, data):
    real = pytest.importorskip("h11")
    assert outcome(h11, connect(), data, how) == outcome(real, connect(real), data, how)


@pytest.mark.parametrize("request_bytes", [GET, CLOSE_REQUEST, b"GET / HTTP/1.0\r\n\r\n"])
@pytest.mark.parametrize("headers, reason", RESPONSES)
def test_server_writes_as_h11_does(request_bytes, headers, reason):
    real = pytest.importorskip("h11")
    ours = server_after(request_bytes).send(h11.Response(status_code=200, headers=headers, reason=reason))
    theirs = server_after(request_bytes, real).send(real.Response(status_code=200, headers=headers, reason=reason))
    assert ours == theirs
