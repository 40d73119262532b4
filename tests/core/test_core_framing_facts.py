"""The framing facts a Connection publishes for the layers above it
(txh11 additions): ``their_framing``, ``our_framing`` and
``switch_proposed``, each read from what the core decided."""

import pytest

import txh11 as h11

from tests._support.core import receive


def server_with(data: bytes) -> h11.Connection:
    conn = h11.Connection(our_role=h11.SERVER)
    receive(conn, data)
    return conn


def client_sent(request: h11.Request) -> h11.Connection:
    conn = h11.Connection(our_role=h11.CLIENT)
    conn.send(request)
    return conn


def test_nothing_before_a_head():
    conn = h11.Connection(our_role=h11.SERVER)
    assert conn.their_framing is None
    assert conn.our_framing is None
    assert conn.switch_proposed is False


@pytest.mark.parametrize(
    "head, framing",
    [
        (b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", ("length", 0)),
        (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\n\r\n", ("length", 7)),
        (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", ("chunked", None)),
        (b"GET / HTTP/1.0\r\n\r\n", ("length", 0)),
    ],
)
def test_their_framing_of_a_request(head, framing):
    assert server_with(head).their_framing == framing


@pytest.mark.parametrize(
    "request_head, headers, framing",
    [
        (b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", [("Content-Length", "5")], ("length", 5)),
        (b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", [], ("chunked", None)),
        (b"GET / HTTP/1.0\r\n\r\n", [], ("close", None)),
        (b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", [("Content-Length", "5")], ("length", 0)),
    ],
)
def test_our_framing_of_a_response(request_head, headers, framing):
    conn = server_with(request_head)
    assert conn.our_framing is None
    conn.send(h11.Response(status_code=200, headers=headers))
    assert conn.our_framing == framing


def test_our_framing_counts_the_declared_length_not_what_is_left():
    conn = server_with(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    conn.send(h11.Response(status_code=200, headers=[("Content-Length", "5")]))
    conn.send(h11.Data(data=b"abc"))
    assert conn.our_framing == ("length", 5)


@pytest.mark.parametrize(
    "response, framing",
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", ("length", 3)),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", ("chunked", None)),
        (b"HTTP/1.1 200 OK\r\n\r\n", ("close", None)),
        (b"HTTP/1.1 204 No Content\r\n\r\n", ("length", 0)),
    ],
)
def test_their_framing_of_a_response(response, framing):
    conn = client_sent(h11.Request(method="GET", target="/", headers=[("Host", "a")]))
    conn.send(h11.EndOfMessage())
    assert conn.their_framing is None
    receive(conn, response)
    assert conn.their_framing == framing


def test_a_new_cycle_forgets_the_framing():
    conn = server_with(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx")
    conn.send(h11.Response(status_code=200, headers=[("Content-Length", "0")]))
    conn.send(h11.EndOfMessage())
    conn.start_next_cycle()
    assert (conn.their_framing, conn.our_framing) == (None, None)


@pytest.mark.parametrize(
    "head",
    [
        b"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n",
    ],
)
def test_switch_proposed_until_refused(head):
    conn = server_with(head)
    assert conn.switch_proposed is True
    conn.send(h11.Response(status_code=404, headers=[("Content-Length", "0")]))
    assert conn.switch_proposed is False


def test_switch_proposed_stays_once_accepted():
    conn = server_with(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: x\r\n\r\n")
    conn.send(h11.InformationalResponse(status_code=101, headers=[("Upgrade", "x")]))
    assert conn.our_state is h11.SWITCHED_PROTOCOL
    assert conn.switch_proposed is True


def test_a_plain_request_proposes_no_switch():
    assert server_with(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n").switch_proposed is False
    conn = client_sent(h11.Request(method="CONNECT", target="a:1", headers=[("Host", "a:1")]))
    assert conn.switch_proposed is True
