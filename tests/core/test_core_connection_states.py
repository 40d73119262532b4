"""The Connection state machine, for the CLIENT and SERVER roles: the
request/response cycle, keep-alive, closing, errors, protocol switches,
pipelining, their_http_version and Expect: 100-continue."""

import pytest

import txh11 as h11

from tests._support.core import client_conn_after_request, drain, receive, split_head

GET = b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"
OK_EMPTY = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"


def server_after_get(data=GET):
    conn = h11.Connection(our_role=h11.SERVER)
    events = receive(conn, data)
    assert [type(e) for e in events][:2] == [h11.Request, h11.EndOfMessage]
    return conn


def respond(conn, status=200, headers=(("Content-Length", "0"),), body=b""):
    wire = conn.send(h11.Response(status_code=status, headers=list(headers)))
    if body:
        wire += conn.send(h11.Data(data=body))
    wire += conn.send(h11.EndOfMessage())
    return wire


# ---------------------------------------------------------------------------
# The basic cycle
# ---------------------------------------------------------------------------


def test_client_full_cycle_states():
    conn = h11.Connection(our_role=h11.CLIENT)
    assert conn.states == {h11.CLIENT: h11.IDLE, h11.SERVER: h11.IDLE}
    assert conn.next_event() is h11.NEED_DATA
    conn.send(h11.Request(method="POST", target="/", headers=[("Host", "a"), ("Content-Length", "3")]))
    assert (conn.our_state, conn.their_state) == (h11.SEND_BODY, h11.SEND_RESPONSE)
    conn.send(h11.Data(data=b"abc"))
    assert conn.our_state is h11.SEND_BODY
    conn.send(h11.EndOfMessage())
    assert (conn.our_state, conn.their_state) == (h11.DONE, h11.SEND_RESPONSE)
    conn.receive_data(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert type(conn.next_event()) is h11.InformationalResponse
    assert conn.their_state is h11.SEND_RESPONSE
    conn.receive_data(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n")
    assert type(conn.next_event()) is h11.Response
    assert conn.their_state is h11.SEND_BODY
    conn.receive_data(b"hi")
    assert type(conn.next_event()) is h11.Data
    assert type(conn.next_event()) is h11.EndOfMessage
    assert (conn.our_state, conn.their_state) == (h11.DONE, h11.DONE)
    assert conn.next_event() is h11.NEED_DATA
    conn.start_next_cycle()
    assert conn.states == {h11.CLIENT: h11.IDLE, h11.SERVER: h11.IDLE}


def test_server_full_cycle_states():
    conn = h11.Connection(our_role=h11.SERVER)
    conn.receive_data(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n")
    assert type(conn.next_event()) is h11.Request
    assert (conn.our_state, conn.their_state) == (h11.SEND_RESPONSE, h11.SEND_BODY)
    assert conn.next_event() is h11.NEED_DATA
    conn.receive_data(b"abc")
    assert type(conn.next_event()) is h11.Data
    assert type(conn.next_event()) is h11.EndOfMessage
    assert (conn.our_state, conn.their_state) == (h11.SEND_RESPONSE, h11.DONE)
    conn.send(h11.InformationalResponse(status_code=103, headers=[("Link", "</a>")]))
    assert conn.our_state is h11.SEND_RESPONSE
    conn.send(h11.Response(status_code=200, headers=[("Content-Length", "2")]))
    assert conn.our_state is h11.SEND_BODY
    conn.send(h11.Data(data=b"ok"))
    conn.send(h11.EndOfMessage())
    assert (conn.our_state, conn.their_state) == (h11.DONE, h11.DONE)
    conn.start_next_cycle()
    assert (conn.our_state, conn.their_state) == (h11.IDLE, h11.IDLE)
    # and a second cycle works
    receive(conn, GET)
    respond(conn)
    assert (conn.our_state, conn.their_state) == (h11.DONE, h11.DONE)


def test_server_may_respond_before_reading_the_body():
    conn = h11.Connection(our_role=h11.SERVER)
    conn.receive_data(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n")
    assert type(conn.next_event()) is h11.Request
    respond(conn, 413, headers=[("Content-Length", "0"), ("Connection", "close")])
    assert conn.our_state is h11.MUST_CLOSE
    assert conn.their_state is h11.SEND_BODY


# ---------------------------------------------------------------------------
# Server responding from IDLE
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 408])
def test_server_can_respond_from_idle(status):
    conn = h11.Connection(our_role=h11.SERVER)
    wire = conn.send(h11.Response(status_code=status, headers=[("Content-Length", "0"),
                                                               ("Connection", "close")]))
    assert wire.startswith(b"HTTP/1.1 %d " % status)
    assert conn.our_state is h11.SEND_BODY
    conn.send(h11.EndOfMessage())
    assert conn.our_state in (h11.DONE, h11.MUST_CLOSE)
    with pytest.raises(h11.LocalProtocolError):
        conn.start_next_cycle()


def test_server_can_respond_from_idle_without_framing_headers():
    conn = h11.Connection(our_role=h11.SERVER)
    wire = conn.send(h11.Response(status_code=408, headers=[]))
    assert wire.startswith(b"HTTP/1.1 408 ")
    conn.send(h11.EndOfMessage())
    assert conn.our_state in (h11.DONE, h11.MUST_CLOSE)


def test_client_receives_response_from_idle():
    conn = h11.Connection(our_role=h11.CLIENT)
    events = receive(
        conn,
        b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
    )
    assert [type(e) for e in events] == [h11.Response, h11.EndOfMessage]
    assert events[0].status_code == 408
    assert conn.their_state is h11.MUST_CLOSE


# ---------------------------------------------------------------------------
# Keep-alive: DONE -> MUST_CLOSE
# ---------------------------------------------------------------------------


def test_client_connection_close_in_request():
    conn = h11.Connection(our_role=h11.CLIENT)
    conn.send(h11.Request(method="GET", target="/", headers=[("Host", "a"), ("Connection", "close")]))
    conn.send(h11.EndOfMessage())
    assert conn.our_state is h11.MUST_CLOSE
    receive(conn, OK_EMPTY)
    assert (conn.our_state, conn.their_state) == (h11.MUST_CLOSE, h11.MUST_CLOSE)
    with pytest.raises(h11.LocalProtocolError):
        conn.start_next_cycle()


def test_client_connection_close_in_response():
    conn = client_conn_after_request()
    assert conn.our_state is h11.DONE
    receive(conn, b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
    assert (conn.our_state, conn.their_state) == (h11.MUST_CLOSE, h11.MUST_CLOSE)


def test_client_http10_response_disables_keep_alive():
    conn = client_conn_after_request()
    receive(conn, b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi")
    assert (conn.our_state, conn.their_state) == (h11.MUST_CLOSE, h11.MUST_CLOSE)
    assert conn.their_http_version == b"1.0"


def test_server_connection_close_request():
    conn = server_after_get(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    assert conn.their_state is h11.MUST_CLOSE
    wire = respond(conn)
    assert conn.our_state is h11.MUST_CLOSE
    # h11 adds Connection: close where required
    _, headers, _ = split_head(wire)
    assert (b"connection", b"close") in [(n, v.lower()) for n, v in headers]


def test_server_connection_close_response():
    conn = server_after_get()
    respond(conn, headers=[("Content-Length", "0"), ("Connection", "close")])
    assert (conn.our_state, conn.their_state) == (h11.MUST_CLOSE, h11.MUST_CLOSE)


def test_server_connection_close_token_in_list():
    conn = server_after_get(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, Close\r\n\r\n")
    respond(conn)
    assert conn.our_state is h11.MUST_CLOSE


def test_server_http10_client_must_close():
    conn = server_after_get(b"GET / HTTP/1.0\r\n\r\n")
    assert conn.their_http_version == b"1.0"
    wire = respond(conn, headers=[("Content-Length", "2")], body=b"hi")
    assert (conn.our_state, conn.their_state) == (h11.MUST_CLOSE, h11.MUST_CLOSE)
    _, headers, _ = split_head(wire)
    assert (b"connection", b"close") in [(n, v.lower()) for n, v in headers]


# ---------------------------------------------------------------------------
# Closing
# ---------------------------------------------------------------------------


def test_send_connection_closed_returns_none():
    conn = h11.Connection(our_role=h11.CLIENT)
    assert conn.send(h11.ConnectionClosed()) is None
    assert conn.our_state is h11.CLOSED
    # the server can no longer start a cycle either
    assert conn.their_state is h11.MUST_CLOSE


def test_send_connection_closed_from_must_close():
    conn = server_after_get(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    respond(conn)
    assert conn.our_state is h11.MUST_CLOSE
    assert conn.send(h11.ConnectionClosed()) is None
    assert conn.our_state is h11.CLOSED


def test_send_connection_closed_after_done_keep_alive():
    conn = server_after_get()
    respond(conn)
    assert conn.our_state is h11.DONE
    assert conn.send(h11.ConnectionClosed()) is None
    assert conn.our_state is h11.CLOSED
    assert conn.their_state is h11.MUST_CLOSE


def test_send_connection_closed_mid_message_is_an_error():
    conn = h11.Connection(our_role=h11.CLIENT)
    conn.send(h11.Request(method="POST", target="/", headers=[("Host", "a"), ("Content-Length", "5")]))
    with pytest.raises(h11.LocalProtocolError):
        conn.send(h11.ConnectionClosed())
    assert conn.our_state is h11.ERROR


def test_server_receives_eof_when_idle():
    conn = h11.Connection(our_role=h11.SERVER)
    conn.receive_data(b"")
    assert type(conn.next_event()) is h11.ConnectionClosed
    assert conn.their_state is h11.CLOSED
    assert conn.our_state is h11.MUST_CLOSE
    assert conn.send(h11.ConnectionClosed()) is None
    assert conn.states == {h11.CLIENT: h11.CLOSED, h11.SERVER: h11.CLOSED}


def test_client_receives_eof_when_idle():
    conn = h11.Connection(our_role=h11.CLIENT)
    conn.receive_data(b"")
    assert type(conn.next_event()) is h11.ConnectionClosed
    assert conn.their_state is h11.CLOSED
    assert conn.our_state is h11.MUST_CLOSE
    with pytest.raises(h11.LocalProtocolError):
        conn.send(h11.Request(method="GET", target="/", headers=[("Host", "a")]))


def test_eof_after_complete_cycle():
    conn = server_after_get()
    respond(conn)
    conn.receive_data(b"")
    assert type(conn.next_event()) is h11.ConnectionClosed
    assert (conn.our_state, conn.their_state) == (h11.MUST_CLOSE, h11.CLOSED)
    with pytest.raises(h11.LocalProtocolError):
        conn.start_next_cycle()


def test_client_half_close_after_request():
    conn = h11.Connection(our_role=h11.SERVER)
    events = receive(conn, GET)
    conn.receive_data(b"")
    events += drain(conn)[0]
    assert [type(e) for e in events] == [h11.Request, h11.EndOfMessage, h11.ConnectionClosed]
    assert conn.their_state is h11.CLOSED
    assert conn.our_state is h11.SEND_RESPONSE
    # we can still respond: half-duplex close
    respond(conn, headers=[("Content-Length", "2")], body=b"ok")
    assert conn.our_state is h11.MUST_CLOSE


def test_server_close_delimited_response_then_eof_client_side():
    conn = client_conn_after_request()
    events = receive(conn, b"HTTP/1.0 200 OK\r\n\r\nsome body")
    assert [type(e) for e in events] == [h11.Response, h11.Data]
    conn.receive_data(b"")
    events += drain(conn)[0]
    assert [type(e) for e in events][-2:] == [h11.EndOfMessage, h11.ConnectionClosed]
    assert conn.their_state is h11.CLOSED
    assert conn.our_state is h11.MUST_CLOSE
    assert conn.send(h11.ConnectionClosed()) is None
    assert conn.our_state is h11.CLOSED


@pytest.mark.parametrize(
    "data",
    [
        b"GET / HTTP/1.1\r\nHost: a\r\n",  # partial head
        b"GET / HTT",
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc",  # short body
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n",
    ],
)
def test_server_unclean_eof_is_remote_protocol_error(data):
    conn = h11.Connection(our_role=h11.SERVER)
    conn.receive_data(data)
    drain(conn)
    conn.receive_data(b"")
    with pytest.raises(h11.RemoteProtocolError):
        drain(conn)
    assert conn.their_state is h11.ERROR


@pytest.mark.parametrize(
    "data",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
        b"HTTP/1.1 200",
    ],
)
def test_client_unclean_eof_is_remote_protocol_error(data):
    conn = client_conn_after_request()
    conn.receive_data(data)
    drain(conn)
    conn.receive_data(b"")
    with pytest.raises(h11.RemoteProtocolError):
        drain(conn)
    assert conn.their_state is h11.ERROR


# ---------------------------------------------------------------------------
# start_next_cycle
# ---------------------------------------------------------------------------


def test_start_next_cycle_requires_both_done_client():
    conn = h11.Connection(our_role=h11.CLIENT)
    with pytest.raises(h11.LocalProtocolError):
        conn.start_next_cycle()  # IDLE/IDLE
    assert conn.states == {h11.CLIENT: h11.IDLE, h11.SERVER: h11.IDLE}
    conn.send(h11.Request(method="GET", target="/", headers=[("Host", "a")]))
    conn.send(h11.EndOfMessage())
    with pytest.raises(h11.LocalProtocolError):
        conn.start_next_cycle()  # DONE/SEND_RESPONSE
    assert (conn.our_state, conn.their_state) == (h11.DONE, h11.SEND_RESPONSE)
    conn.receive_data(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n")
    conn.next_event()
    with pytest.raises(h11.LocalProtocolError):
        conn.start_next_cycle()  # DONE/SEND_BODY
    # still usable
    conn.receive_data(b"ok")
    assert type(conn.next_event()) is h11.Data
    assert type(conn.next_event()) is h11.EndOfMessage
    conn.start_next_cycle()
    assert conn.states == {h11.CLIENT: h11.IDLE, h11.SERVER: h11.IDLE}


def test_start_next_cycle_requires_both_done_server():
    conn = h11.Connection(our_role=h11.SERVER)
    conn.receive_data(GET)
    conn.next_event()
    with pytest.raises(h11.LocalProtocolError):
        conn.start_next_cycle()  # SEND_BODY/SEND_RESPONSE
    conn.next_event()
    with pytest.raises(h11.LocalProtocolError):
        conn.start_next_cycle()  # DONE/SEND_RESPONSE
    assert conn.our_state is h11.SEND_RESPONSE
    respond(conn)
    conn.start_next_cycle()
    assert conn.states == {h11.CLIENT: h11.IDLE, h11.SERVER: h11.IDLE}


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


def test_send_failed_sets_our_state_error():
    conn = h11.Connection(our_role=h11.CLIENT)
    conn.send(h11.Request(method="GET", target="/", headers=[("Host", "a")]))
    conn.send_failed()
    assert conn.our_state is h11.ERROR
    assert conn.their_state is h11.SEND_RESPONSE
    with pytest.raises(h11.LocalProtocolError):
        conn.send(h11.EndOfMessage())
    with pytest.raises(h11.LocalProtocolError):
        conn.start_next_cycle()
    assert conn.our_state is h11.ERROR


def test_send_failed_after_done_prevents_reuse():
    conn = client_conn_after_request()
    receive(conn, OK_EMPTY)
    assert (conn.our_state, conn.their_state) == (h11.DONE, h11.DONE)
    conn.send_failed()
    assert conn.our_state is h11.ERROR
    with pytest.raises(h11.LocalProtocolError):
        conn.start_next_cycle()


def test_local_protocol_error_from_send_sets_error_and_sticks():
    conn = h11.Connection(our_role=h11.SERVER)
    receive(conn, GET)
    conn.send(h11.Response(status_code=200, headers=[("Content-Length", "1")]))
    with pytest.raises(h11.LocalProtocolError):
        conn.send(h11.Data(data=b"too long"))
    assert conn.our_state is h11.ERROR
    with pytest.raises(h11.LocalProtocolError):
        conn.send(h11.Data(data=b"x"))
    with pytest.raises(h11.LocalProtocolError):
        conn.send(h11.EndOfMessage())
    with pytest.raises(h11.LocalProtocolError):
        conn.send_with_data_passthrough(h11.EndOfMessage())


def test_wrong_event_for_role():
    conn = h11.Connection(our_role=h11.SERVER)
    with pytest.raises(h11.LocalProtocolError):
        conn.send(h11.Request(method="GET", target="/", headers=[("Host", "a")]))
    assert conn.our_state is h11.ERROR


def test_server_data_before_response_is_error():
    conn = server_after_get()
    with pytest.raises(h11.LocalProtocolError):
        conn.send(h11.Data(data=b"x"))


def test_server_response_with_other_version_rejected():
    conn = server_after_get()
    with pytest.raises(h11.LocalProtocolError):
        conn.send(h11.Response(status_code=200, headers=[], http_version="1.0"))


def test_remote_protocol_error_sets_their_state_error_and_repeats():
    conn = h11.Connection(our_role=h11.SERVER)
    conn.receive_data(b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n")
    with pytest.raises(h11.RemoteProtocolError):
        conn.next_event()
    assert conn.their_state is h11.ERROR
    for _ in range(3):
        with pytest.raises(h11.RemoteProtocolError):
            conn.next_event()
    # send still works
    wire = conn.send(h11.Response(status_code=400, headers=[]))
    assert wire.startswith(b"HTTP/1.1 400 ")
    conn.send(h11.EndOfMessage())
    assert conn.our_state is h11.MUST_CLOSE


def test_client_done_then_peer_error_goes_to_must_close():
    conn = client_conn_after_request()
    assert conn.our_state is h11.DONE
    conn.receive_data(b"HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n")
    with pytest.raises(h11.RemoteProtocolError):
        conn.next_event()
    assert conn.their_state is h11.ERROR
    assert conn.our_state is h11.MUST_CLOSE


def test_server_done_with_peer_error_goes_to_must_close():
    conn = h11.Connection(our_role=h11.SERVER)
    conn.receive_data(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
    assert type(conn.next_event()) is h11.Request
    with pytest.raises(h11.RemoteProtocolError):
        conn.next_event()
    respond(conn, 400)
    assert conn.our_state is h11.MUST_CLOSE


# ---------------------------------------------------------------------------
# Protocol switching: CONNECT
# ---------------------------------------------------------------------------

CONNECT = b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"


def test_server_connect_accepted():
    conn = h11.Connection(our_role=h11.SERVER)
    conn.receive_data(CONNECT + b"\x16\x03\x01tls bytes")
    req = conn.next_event()
    assert type(req) is h11.Request and req.method == b"CONNECT"
    assert req.target == b"example.com:443"
    assert type(conn.next_event()) is h11.EndOfMessage
    assert conn.their_state is h11.MIGHT_SWITCH_PROTOCOL
    assert conn.our_state is h11.SEND_RESPONSE
    assert conn.next_event() is h11.PAUSED
    assert conn.next_event() is h11.PAUSED
    wire = conn.send(h11.Response(status_code=200, headers=[]))
    assert wire.startswith(b"HTTP/1.1 200 ")
    # RFC 9110 9.3.6: no Transfer-Encoding/Content-Length in a 2xx to CONNECT
    _, headers, body = split_head(wire)
    names = [n for n, _ in headers]
    assert b"transfer-encoding" not in names and b"content-length" not in names
    assert body == b""
    assert conn.states == {h11.CLIENT: h11.SWITCHED_PROTOCOL, h11.SERVER: h11.SWITCHED_PROTOCOL}
    assert conn.next_event() is h11.PAUSED
    assert conn.trailing_data == (b"\x16\x03\x01tls bytes", False)
    conn.receive_data(b" more")
    assert conn.trailing_data == (b"\x16\x03\x01tls bytes more", False)
    conn.receive_data(b"")
    assert conn.trailing_data == (b"\x16\x03\x01tls bytes more", True)
    assert conn.next_event() is h11.PAUSED
    with pytest.raises(h11.LocalProtocolError):
        conn.send(h11.Data(data=b"x"))


@pytest.mark.parametrize("status", [200, 204, 299])
def test_server_connect_any_2xx_accepts(status):
    conn = server_after_get(CONNECT)
    conn.send(h11.Response(status_code=status, headers=[]))
    assert conn.our_state is h11.SWITCHED_PROTOCOL
    assert conn.their_state is h11.SWITCHED_PROTOCOL


def test_server_connect_denied_returns_to_normal():
    conn = server_after_get(CONNECT)
    assert conn.their_state is h11.MIGHT_SWITCH_PROTOCOL
    conn.send(h11.Response(status_code=407, headers=[("Content-Length", "4")]))
    assert conn.their_state is h11.DONE
    assert conn.our_state is h11.SEND_BODY
    conn.send(h11.Data(data=b"deny"))
    conn.send(h11.EndOfMessage())
    assert (conn.our_state, conn.their_state) == (h11.DONE, h11.DONE)
    conn.start_next_cycle()
    receive(conn, GET)
    assert conn.their_state is h11.DONE


def test_client_connect_accepted():
    conn = h11.Connection(our_role=h11.CLIENT)
    conn.send(h11.Request(method="CONNECT", target="example.com:443",
                          headers=[("Host", "example.com:443")]))
    conn.send(h11.EndOfMessage())
    assert conn.our_state is h11.MIGHT_SWITCH_PROTOCOL
    conn.receive_data(b"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03server hello")
    resp = conn.next_event()
    assert type(resp) is h11.Response and resp.status_code == 200
    assert conn.states == {h11.CLIENT: h11.SWITCHED_PROTOCOL, h11.SERVER: h11.SWITCHED_PROTOCOL}
    assert conn.next_event() is h11.PAUSED
    assert conn.trailing_data == (b"\x16\x03\x03server hello", False)


def test_client_connect_denied():
    conn = h11.Connection(our_role=h11.CLIENT)
    conn.send(h11.Request(method="CONNECT", target="example.com:443",
                          headers=[("Host", "example.com:443")]))
    conn.send(h11.EndOfMessage())
    events = receive(conn, b"HTTP/1.1 403 Forbidden\r\nContent-Length: 3\r\n\r\nno!")
    assert [type(e) for e in events] == [h11.Response, h11.Data, h11.EndOfMessage]
    assert (conn.our_state, conn.their_state) == (h11.DONE, h11.DONE)
    conn.start_next_cycle()


# ---------------------------------------------------------------------------
# Protocol switching: Upgrade
# ---------------------------------------------------------------------------

UPGRADE = (
    b"GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
)


def test_server_upgrade_accepted_with_101():
    conn = h11.Connection(our_role=h11.SERVER)
    conn.receive_data(UPGRADE + b"\x81\x85websocket-frame")
    assert type(conn.next_event()) is h11.Request
    assert type(conn.next_event()) is h11.EndOfMessage
    assert conn.their_state is h11.MIGHT_SWITCH_PROTOCOL
    assert conn.next_event() is h11.PAUSED
    wire = conn.send(
        h11.InformationalResponse(
            status_code=101, headers=[("Upgrade", "websocket"), ("Connection", "Upgrade")]
        )
    )
    assert wire.startswith(b"HTTP/1.1 101 ")
    assert conn.states == {h11.CLIENT: h11.SWITCHED_PROTOCOL, h11.SERVER: h11.SWITCHED_PROTOCOL}
    assert conn.next_event() is h11.PAUSED
    assert conn.trailing_data == (b"\x81\x85websocket-frame", False)


def test_server_upgrade_other_1xx_does_not_accept():
    conn = server_after_get(UPGRADE)
    conn.send(h11.InformationalResponse(status_code=100, headers=[]))
    assert conn.their_state is h11.MIGHT_SWITCH_PROTOCOL
    assert conn.our_state is h11.SEND_RESPONSE


def test_server_upgrade_denied_returns_to_normal():
    conn = server_after_get(UPGRADE)
    conn.send(h11.Response(status_code=200, headers=[("Content-Length", "2")]))
    assert conn.their_state is h11.DONE
    conn.send(h11.Data(data=b"no"))
    conn.send(h11.EndOfMessage())
    assert (conn.our_state, conn.their_state) == (h11.DONE, h11.DONE)
    conn.start_next_cycle()


def test_connect_2xx_is_not_acceptance_of_upgrade():
    # a 2xx only accepts CONNECT; for a GET+Upgrade it is a denial
    conn = server_after_get(UPGRADE)
    conn.send(h11.Response(status_code=200, headers=[("Content-Length", "0")]))
    assert conn.our_state is h11.SEND_BODY
    assert conn.their_state is h11.DONE


def test_server_101_without_upgrade_proposal_is_error():
    conn = server_after_get()
    with pytest.raises(h11.LocalProtocolError):
        conn.send(h11.InformationalResponse(status_code=101, headers=[("Upgrade", "x")]))


def test_client_upgrade_accepted():
    conn = h11.Connection(our_role=h11.CLIENT)
    conn.send(h11.Request(method="GET", target="/chat",
                          headers=[("Host", "a"), ("Upgrade", "websocket"),
                                   ("Connection", "Upgrade")]))
    conn.send(h11.EndOfMessage())
    assert conn.our_state is h11.MIGHT_SWITCH_PROTOCOL
    assert conn.client_is_waiting_for_100_continue is False
    conn.receive_data(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
        b"\x81\x05hello"
    )
    ir = conn.next_event()
    assert type(ir) is h11.InformationalResponse and ir.status_code == 101
    assert conn.states == {h11.CLIENT: h11.SWITCHED_PROTOCOL, h11.SERVER: h11.SWITCHED_PROTOCOL}
    assert conn.next_event() is h11.PAUSED
    assert conn.trailing_data == (b"\x81\x05hello", False)


def test_client_upgrade_denied():
    conn = h11.Connection(our_role=h11.CLIENT)
    conn.send(h11.Request(method="GET", target="/chat",
                          headers=[("Host", "a"), ("Upgrade", "websocket"),
                                   ("Connection", "Upgrade")]))
    conn.send(h11.EndOfMessage())
    events = receive(conn, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")
    assert [type(e) for e in events] == [h11.Response, h11.Data, h11.EndOfMessage]
    assert (conn.our_state, conn.their_state) == (h11.DONE, h11.DONE)


def test_trailing_data_normal_connection():
    conn = h11.Connection(our_role=h11.SERVER)
    assert conn.trailing_data == (b"", False)
    conn.receive_data(b"GET / HT")
    assert conn.next_event() is h11.NEED_DATA
    data, closed = conn.trailing_data
    assert closed is False
    assert isinstance(data, bytes)



def test_trailing_data_when_all_bytes_were_read():
    conn = h11.Connection(our_role=h11.SERVER)
    conn.receive_data(GET)
    assert type(conn.next_event()) is h11.Request
    assert type(conn.next_event()) is h11.EndOfMessage
    assert conn.trailing_data == (b"", False)
    conn.receive_data(b"")
    assert conn.trailing_data == (b"", True)
    conn.receive_data(b"")  # EOF may be signalled again
    assert conn.trailing_data == (b"", True)


# ---------------------------------------------------------------------------
# Pipelining
# ---------------------------------------------------------------------------

TWO = GET + b"GET /second HTTP/1.1\r\nHost: example.com\r\n\r\n"


def test_server_pipelined_second_request_paused_until_start_next_cycle():
    conn = h11.Connection(our_role=h11.SERVER)
    conn.receive_data(TWO)
    assert type(conn.next_event()) is h11.Request
    assert type(conn.next_event()) is h11.EndOfMessage
    assert conn.next_event() is h11.PAUSED
    assert conn.next_event() is h11.PAUSED
    assert conn.trailing_data == (b"GET /second HTTP/1.1\r\nHost: example.com\r\n\r\n", False)
    conn.send(h11.Response(status_code=200, headers=[("Content-Length", "0")]))
    assert conn.next_event() is h11.PAUSED
    conn.send(h11.EndOfMessage())
    assert conn.next_event() is h11.PAUSED
    conn.start_next_cycle()
    req = conn.next_event()
    assert type(req) is h11.Request and req.target == b"/second"
    assert type(conn.next_event()) is h11.EndOfMessage
    assert conn.next_event() is h11.NEED_DATA


def test_server_pipelined_garbage_not_parsed_until_next_cycle():
    conn = h11.Connection(our_role=h11.SERVER)
    conn.receive_data(GET + b"\x00\x00garbage")
    assert type(conn.next_event()) is h11.Request
    assert type(conn.next_event()) is h11.EndOfMessage
    assert conn.next_event() is h11.PAUSED
    respond(conn)
    conn.start_next_cycle()
    with pytest.raises(h11.RemoteProtocolError):
        conn.next_event()


def test_server_pipelined_eof_after_paused():
    conn = h11.Connection(our_role=h11.SERVER)
    conn.receive_data(TWO)
    conn.receive_data(b"")
    assert type(conn.next_event()) is h11.Request
    assert type(conn.next_event()) is h11.EndOfMessage
    assert conn.next_event() is h11.PAUSED
    assert conn.trailing_data[1] is True
    respond(conn)
    conn.start_next_cycle()
    events = drain(conn)[0]
    assert [type(e) for e in events] == [h11.Request, h11.EndOfMessage, h11.ConnectionClosed]


def test_client_cannot_pipeline():
    conn = client_conn_after_request()
    with pytest.raises(h11.LocalProtocolError):
        conn.send(h11.Request(method="GET", target="/2", headers=[("Host", "a")]))


# ---------------------------------------------------------------------------
# their_http_version
# ---------------------------------------------------------------------------


def test_their_http_version_server_role():
    conn = h11.Connection(our_role=h11.SERVER)
    assert conn.their_http_version is None
    conn.receive_data(b"GET / HTTP/1.1\r\nHost: a\r\n")
    assert conn.next_event() is h11.NEED_DATA
    assert conn.their_http_version is None
    conn.receive_data(b"\r\n")
    conn.next_event()
    assert conn.their_http_version == b"1.1"
    conn.next_event()
    respond(conn)
    conn.start_next_cycle()
    assert conn.their_http_version == b"1.1"


def test_their_http_version_client_role_preserved_over_cycles():
    conn = client_conn_after_request()
    assert conn.their_http_version is None
    receive(conn, OK_EMPTY)
    assert conn.their_http_version == b"1.1"
    conn.start_next_cycle()
    assert conn.their_http_version == b"1.1"


def test_their_http_version_http10_keep_alive_preserved():
    conn = server_after_get(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    assert conn.their_http_version == b"1.0"
    respond(conn, headers=[("Content-Length", "0")])
    conn.start_next_cycle()
    assert conn.their_http_version == b"1.0"


# ---------------------------------------------------------------------------
# Expect: 100-continue
# ---------------------------------------------------------------------------

EXPECT = (
    b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
)


def test_server_100_continue_cleared_by_informational_response():
    conn = h11.Connection(our_role=h11.SERVER)
    assert conn.they_are_waiting_for_100_continue is False
    conn.receive_data(EXPECT)
    assert type(conn.next_event()) is h11.Request
    assert conn.they_are_waiting_for_100_continue is True
    assert conn.client_is_waiting_for_100_continue is True
    wire = conn.send(h11.InformationalResponse(status_code=100, headers=[]))
    assert wire.startswith(b"HTTP/1.1 100")
    assert conn.they_are_waiting_for_100_continue is False
    assert conn.client_is_waiting_for_100_continue is False


def test_server_100_continue_cleared_by_final_response():
    conn = h11.Connection(our_role=h11.SERVER)
    conn.receive_data(EXPECT)
    conn.next_event()
    assert conn.they_are_waiting_for_100_continue
    conn.send(h11.Response(status_code=417, headers=[("Content-Length", "0")]))
    assert conn.they_are_waiting_for_100_continue is False


def test_server_100_continue_cleared_when_client_sends_body_anyway():
    conn = h11.Connection(our_role=h11.SERVER)
    conn.receive_data(EXPECT)
    conn.next_event()
    assert conn.they_are_waiting_for_100_continue
    conn.receive_data(b"he")
    assert type(conn.next_event()) is h11.Data
    assert conn.they_are_waiting_for_100_continue is False
    assert conn.client_is_waiting_for_100_continue is False


def test_100_continue_cleared_by_end_of_message_received():
    conn = h11.Connection(our_role=h11.SERVER)
    conn.receive_data(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nExpect: 100-continue\r\n\r\n")
    assert type(conn.next_event()) is h11.Request
    assert conn.they_are_waiting_for_100_continue is True
    assert type(conn.next_event()) is h11.EndOfMessage
    assert conn.they_are_waiting_for_100_continue is False
    assert conn.their_state is h11.DONE


def test_100_continue_cleared_by_end_of_message_sent():
    conn = h11.Connection(our_role=h11.CLIENT)
    conn.send(h11.Request(method="POST", target="/", headers=[
        ("Host", "a"), ("Content-Length", "0"), ("Expect", "100-continue")]))
    assert conn.client_is_waiting_for_100_continue is True
    assert conn.send(h11.EndOfMessage()) == b""
    assert conn.client_is_waiting_for_100_continue is False
    assert conn.our_state is h11.DONE


def test_server_without_expect_not_waiting():
    conn = server_after_get()
    assert conn.they_are_waiting_for_100_continue is False
    assert conn.client_is_waiting_for_100_continue is False


def test_client_100_continue_cleared_by_100():
    conn = h11.Connection(our_role=h11.CLIENT)
    conn.send(h11.Request(method="POST", target="/", headers=[
        ("Host", "a"), ("Content-Length", "5"), ("Expect", "100-continue")]))
    assert conn.client_is_waiting_for_100_continue is True
    assert conn.they_are_waiting_for_100_continue is False  # their role is SERVER
    conn.receive_data(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert type(conn.next_event()) is h11.InformationalResponse
    assert conn.client_is_waiting_for_100_continue is False


def test_client_100_continue_cleared_by_sending_body():
    conn = h11.Connection(our_role=h11.CLIENT)
    conn.send(h11.Request(method="POST", target="/", headers=[
        ("Host", "a"), ("Content-Length", "5"), ("Expect", "100-continue")]))
    assert conn.client_is_waiting_for_100_continue is True
    conn.send(h11.Data(data=b"hello"))
    assert conn.client_is_waiting_for_100_continue is False


def test_client_100_continue_cleared_by_final_response():
    conn = h11.Connection(our_role=h11.CLIENT)
    conn.send(h11.Request(method="POST", target="/", headers=[
        ("Host", "a"), ("Content-Length", "5"), ("Expect", "100-continue")]))
    conn.receive_data(b"HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\n\r\n")
    assert type(conn.next_event()) is h11.Response
    assert conn.client_is_waiting_for_100_continue is False
