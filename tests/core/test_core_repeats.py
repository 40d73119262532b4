"""A keep-alive peer often sends the same bytes again (a poll, a health
check, a benchmark): whatever the core remembers from one message to the
next must give the same events and the same states as parsing afresh."""

import pytest

import txh11 as h11

from tests._support.core import drain

GET = b"GET /poll HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n"
GET_OTHER = b"GET /other HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n"
GET_CLOSE = b"GET /poll HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n"
GET10 = b"GET /poll HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"


def fresh_events(data):
    """The events a brand-new server connection makes of ``data``."""
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(data)
    return drain(conn)[0]


def answer(conn, headers=((b"content-length", b"2"),)):
    conn.send(h11.Response(status_code=200, headers=list(headers)))
    if dict(headers).get(b"content-length") == b"2":
        conn.send(h11.Data(data=b"ok"))
    conn.send(h11.EndOfMessage())


@pytest.mark.parametrize("wire", [GET, GET_OTHER, GET10])
def test_same_request_again_gives_the_same_events(wire):
    conn = h11.Connection(h11.SERVER)
    expected = fresh_events(wire)
    for _ in range(4):
        conn.receive_data(wire)
        events, last = drain(conn)
        assert events == expected
        assert type(events[0]) is h11.Request
        assert last is h11.NEED_DATA
        assert conn.states == {h11.CLIENT: h11.DONE, h11.SERVER: h11.SEND_RESPONSE}
        answer(conn)
        assert conn.states == {h11.CLIENT: h11.DONE, h11.SERVER: h11.DONE}
        conn.start_next_cycle()


def test_repeats_interleaved_with_other_requests():
    conn = h11.Connection(h11.SERVER)
    for wire in [GET, GET, GET_OTHER, GET, GET_OTHER, GET_OTHER, GET]:
        conn.receive_data(wire)
        events, _ = drain(conn)
        assert events == fresh_events(wire)
        answer(conn)
        conn.start_next_cycle()


def test_http10_keep_alive_repeat_still_answers_keep_alive():
    conn = h11.Connection(h11.SERVER)
    for _ in range(3):
        conn.receive_data(GET10)
        drain(conn)
        data = conn.send(h11.Response(status_code=200, headers=[(b"content-length", b"0")]))
        assert b"keep-alive" in data.lower()
        conn.send(h11.EndOfMessage())
        assert conn.our_state is h11.DONE
        conn.start_next_cycle()


def test_repeat_after_close_request_is_refused():
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(GET_CLOSE)
    drain(conn)
    answer(conn)
    assert conn.states == {h11.CLIENT: h11.MUST_CLOSE, h11.SERVER: h11.MUST_CLOSE}
    conn.receive_data(GET_CLOSE)
    with pytest.raises(h11.RemoteProtocolError):
        conn.next_event()


def test_repeat_with_a_pipelined_request_behind_it():
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(GET)
    drain(conn)
    answer(conn)
    conn.start_next_cycle()
    # the same bytes, but with another request right behind them
    conn.receive_data(GET + GET_OTHER)
    events, last = drain(conn)
    assert events == fresh_events(GET)
    assert last is h11.PAUSED
    answer(conn)
    conn.start_next_cycle()
    events, _ = drain(conn)
    assert events == fresh_events(GET_OTHER)
    answer(conn)
    conn.start_next_cycle()
    # and the same bytes alone again
    conn.receive_data(GET)
    events, _ = drain(conn)
    assert events == fresh_events(GET)


def test_empty_line_first_is_refused_even_after_the_same_request():
    # (the remembered request must not let an empty line before it through:
    # the core refuses it as h11 does; the server drops one before feeding)
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(GET)
    drain(conn)
    answer(conn)
    conn.start_next_cycle()
    conn.receive_data(b"\r\n" + GET)
    with pytest.raises(h11.RemoteProtocolError, match="no request line received"):
        conn.next_event()


def test_empty_line_then_a_pipelined_request_is_refused():
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(GET + b"\r\n" + GET_OTHER)
    events, _ = drain(conn)
    assert events == fresh_events(GET)
    answer(conn)
    conn.start_next_cycle()
    with pytest.raises(h11.RemoteProtocolError, match="no request line received"):
        conn.next_event()


def test_repeat_split_across_reads():
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(GET)
    drain(conn)
    answer(conn)
    conn.start_next_cycle()
    conn.receive_data(GET[:10])
    assert conn.next_event() is h11.NEED_DATA
    conn.receive_data(GET[10:])
    events, _ = drain(conn)
    assert events == fresh_events(GET)


def test_repeat_with_a_body():
    wire = b"POST /up HTTP/1.1\r\nHost: example.com\r\nContent-Length: 3\r\n\r\nabc"
    conn = h11.Connection(h11.SERVER)
    for _ in range(3):
        conn.receive_data(wire)
        events, _ = drain(conn)
        assert events == fresh_events(wire)
        assert [type(e) for e in events] == [h11.Request, h11.Data, h11.EndOfMessage]
        answer(conn)
        conn.start_next_cycle()


def test_client_sees_repeated_responses_alike():
    response = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    conn = h11.Connection(h11.CLIENT)
    for _ in range(3):
        conn.send(h11.Request(method="GET", target="/", headers=[("Host", "a")]))
        conn.send(h11.EndOfMessage())
        conn.receive_data(response)
        events, _ = drain(conn)
        assert [type(e) for e in events] == [h11.Response, h11.Data, h11.EndOfMessage]
        assert events[0].status_code == 200 and events[1].data == b"ok"
        conn.start_next_cycle()


# Header blocks and request lines are also remembered across connections:
# whatever a connection sees must not depend on what others saw before.

FOLDED = b"HTTP/1.1 200 OK\r\nX-Long: part one\r\n  part two\r\nContent-Length: 0\r\n\r\n"


def outcome(role, wire):
    """Events (or the error) a fresh connection in ``role`` makes of ``wire``."""
    conn = h11.Connection(role)
    if role is h11.CLIENT:
        conn.send(h11.Request(method="GET", target="/", headers=[("Host", "a")]))
        conn.send(h11.EndOfMessage())
    conn.receive_data(wire)
    try:
        return drain(conn)[0]
    except h11.RemoteProtocolError as exc:
        return (type(exc), str(exc), exc.error_status_hint)


@pytest.mark.parametrize(
    "wire",
    [
        GET,
        GET10,
        b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nX: \xff\r\n\r\n",
        b"GET /a b HTTP/1.1\r\nHost: a\r\n\r\n",
        b"G@T / HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET / HTTP/2.0\r\nHost: a\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 12a\r\n\r\n",
    ],
)
def test_second_connection_sees_what_the_first_saw(wire):
    first = outcome(h11.SERVER, wire)
    assert outcome(h11.SERVER, wire) == first
    # and after other traffic
    outcome(h11.SERVER, GET_OTHER)
    assert outcome(h11.SERVER, wire) == first


def test_a_line_valid_alone_does_not_validate_a_block_with_bad_lines():
    good = b"GET / HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n"
    bad = b"GET / HTTP/1.1\r\nHost: a\r\nAccept: */*\r\nX : y\r\n\r\n"
    assert type(outcome(h11.SERVER, good)[0]) is h11.Request
    assert outcome(h11.SERVER, bad)[0] is h11.RemoteProtocolError


def test_folded_block_unfolded_for_a_client_is_still_refused_by_a_server():
    events = outcome(h11.CLIENT, FOLDED)
    assert (b"x-long", b"part one part two") in list(events[0].headers)
    request = b"GET / HTTP/1.1\r\nHost: a\r\nX-Long: part one\r\n  part two\r\n\r\n"
    assert outcome(h11.SERVER, request)[0] is h11.RemoteProtocolError
    # and the client still unfolds it afterwards
    assert outcome(h11.CLIENT, FOLDED) == events


def test_trailers_block_shared_with_a_head_block_means_the_same():
    block = b"X-Checksum: abc\r\n"
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\n" + block + b"\r\n")
    events, _ = drain(conn)
    assert events[-1] == h11.EndOfMessage(headers=[("X-Checksum", "abc")])
    conn2 = h11.Connection(h11.SERVER)
    conn2.receive_data(b"GET / HTTP/1.1\r\nHost: a\r\n" + block + b"\r\n")
    events2, _ = drain(conn2)
    assert (b"x-checksum", b"abc") in list(events2[0].headers)


# A remembered Headers object is handed to every connection that receives
# (or, for a reused list, sends) the same fields: it must not be changeable,
# or one application could change what every other connection reads.

POST5 = b"POST /up HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\n\r\n"


@pytest.mark.parametrize(
    "name, value",
    [
        ("content_length", 0),
        ("chunked", True),
        ("connection", (b"close",)),
        ("expect_continue", True),
        ("upgrade", True),
        ("host_count", 1),
        ("anything", 1),
    ],
)
def test_received_headers_refuse_attribute_writes(name, value):
    headers = outcome(h11.SERVER, POST5)[0].headers
    with pytest.raises(AttributeError):
        setattr(headers, name, value)
    with pytest.raises(AttributeError):
        delattr(headers, name)


def test_sent_and_constructed_headers_refuse_attribute_writes():
    for headers in (
        h11.Response(status_code=200, headers=[("Content-Length", "2")]).headers,
        h11.Request(method="GET", target="/", headers=[("Host", "a")]).headers,
        h11.EndOfMessage(headers=[("X-T", "1")]).headers,
        h11.EndOfMessage().headers,
    ):
        with pytest.raises(AttributeError):
            headers.content_length = 0


def test_another_connection_still_reads_the_body_its_fields_frame():
    first = outcome(h11.SERVER, POST5)[0]
    try:
        first.headers.content_length = 0
    except AttributeError:
        pass
    events = outcome(h11.SERVER, POST5 + b"hello")
    assert [type(e) for e in events] == [h11.Request, h11.Data, h11.EndOfMessage]
    assert events[1].data == b"hello"


def test_fixed_up_response_headers_refuse_attribute_writes():
    # the framing and Connection edits the server makes are remembered too
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(b"GET / HTTP/1.0\r\n\r\n")
    drain(conn)
    response = h11.Response(status_code=200, headers=[("X-A", "1")])
    conn.send(response)
    edits = response.headers._edits  # white-box: the edited copies are only kept there
    assert edits
    for edited in edits.values():
        with pytest.raises(AttributeError):
            edited.chunked = True


def _copies():
    import copy
    import pickle

    return [copy.copy, copy.deepcopy, lambda obj: pickle.loads(pickle.dumps(obj))]


@pytest.mark.parametrize("how", range(3))
def test_headers_and_events_still_copy_and_pickle(how):
    copy_of = _copies()[how]
    received = outcome(h11.SERVER, POST5)[0]
    made = h11.Response(status_code=200, headers=[("Content-Length", "2"), ("X-A", "b")])
    trailers = h11.EndOfMessage(headers=[("X-T", "1")])
    for event in (received, made, trailers):
        for obj in (event, event.headers):
            copied = copy_of(obj)
            assert type(copied) is type(obj)
            assert copied == obj
        copied = copy_of(event.headers)
        assert copied.raw_items() == event.headers.raw_items()
        with pytest.raises(AttributeError):
            copied.content_length = 7
    assert copy_of(received.headers).content_length == 5
