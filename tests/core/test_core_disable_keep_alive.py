"""Connection.disable_keep_alive (a txh11 addition): Connection: close from now on."""

import txh11 as h11

GET = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"


def _server(data=GET):
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(data)
    return conn


def _respond(conn):
    assert type(conn.next_event()) is h11.Request
    assert type(conn.next_event()) is h11.EndOfMessage
    head = conn.send(h11.Response(status_code=200, headers=[("Content-Length", "0")]))
    conn.send(h11.EndOfMessage())
    return head


def test_before_the_response_head_it_says_close_and_the_cycle_ends_in_must_close():
    conn = _server()
    conn.disable_keep_alive()
    assert b"connection: close\r\n" in _respond(conn).lower()
    assert conn.states == {h11.CLIENT: h11.MUST_CLOSE, h11.SERVER: h11.MUST_CLOSE}


def test_while_idle_it_applies_to_the_next_request():
    conn = _server()
    assert b"connection" not in _respond(conn).lower()
    conn.start_next_cycle()
    conn.disable_keep_alive()
    assert conn.our_state is h11.IDLE and conn.their_state is h11.IDLE
    conn.receive_data(GET)
    assert b"connection: close\r\n" in _respond(conn).lower()
    assert conn.our_state is h11.MUST_CLOSE


def test_twice_is_once():
    conn = _server()
    conn.disable_keep_alive()
    conn.disable_keep_alive()
    assert _respond(conn).lower().count(b"connection: close") == 1
