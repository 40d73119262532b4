"""Every example of the API reference (shared/spec/002) and of the tutorial
(shared/spec/000), run against txh11 with the documented results.

The tutorial talks to httpbin.org over TLS; here the network is replaced by
byte strings handed to ``receive_data`` (and a fake socket for the
``MyHttpClient`` example), so the tests run offline.
"""

import functools
import socket

import pytest

import txh11 as h11

from tests._support.core import Placeholder, drain, receive, render, split_head

PUBLIC_NAMES = [
    "CLIENT",
    "CLOSED",
    "Connection",
    "ConnectionClosed",
    "Data",
    "DONE",
    "EndOfMessage",
    "ERROR",
    "IDLE",
    "InformationalResponse",
    "LocalProtocolError",
    "MIGHT_SWITCH_PROTOCOL",
    "MUST_CLOSE",
    "NEED_DATA",
    "PAUSED",
    "PRODUCT_ID",
    "ProtocolError",
    "RemoteProtocolError",
    "Request",
    "Response",
    "SEND_BODY",
    "SEND_RESPONSE",
    "SERVER",
    "SWITCHED_PROTOCOL",
    "Event",
]

SENTINEL_NAMES = [
    "CLIENT",
    "SERVER",
    "IDLE",
    "SEND_RESPONSE",
    "SEND_BODY",
    "DONE",
    "MUST_CLOSE",
    "CLOSED",
    "MIGHT_SWITCH_PROTOCOL",
    "SWITCHED_PROTOCOL",
    "ERROR",
    "NEED_DATA",
    "PAUSED",
]

XML_BODY = (
    b"<?xml version='1.0' encoding='us-ascii'?>\n\n"
    b"<!--  A SAMPLE set of slides  -->\n\n"
    b"<slideshow \n    title=\"Sample Slide Show\"\n    date=\"Date of publication\"\n"
    b"    author=\"Yours Truly\"\n    >\n\n"
    b"    <!-- TITLE SLIDE -->\n    <slide type=\"all\">\n"
    b"      <title>Wake up to WonderWidgets!</title>\n    </slide>\n\n"
    b"    <!-- OVERVIEW -->\n    <slide type=\"all\">\n"
    b"        <title>Overview</title>\n"
    b"        <item>Why <em>WonderWidgets</em> are great</item>\n"
    b"        <item/>\n"
    b"        <item>Who <em>buys</em> WonderWidgets</item>\n"
    b"    </slide>\n\n</slideshow>"
)

# What httpbin.org/xml answers (a keep-alive HTTP/1.1 response).
HTTPBIN_XML_RESPONSE = (
    b"HTTP/1.1 200 OK\r\n"
    b"Date: Tue, 25 Oct 2016 03:54:22 GMT\r\n"
    b"Content-Type: application/xml\r\n"
    b"Content-Length: " + str(len(XML_BODY)).encode() + b"\r\n"
    b"Connection: keep-alive\r\n"
    b"Server: gunicorn/19.9.0\r\n"
    b"Access-Control-Allow-Origin: *\r\n"
    b"Access-Control-Allow-Credentials: true\r\n"
    b"\r\n" + XML_BODY
)

GET_BODY = b'{\n  "args": {}, \n  "url": "https://httpbin.org/get"\n}\n'
HTTPBIN_GET_RESPONSE = (
    b"HTTP/1.1 200 OK\r\n"
    b"Date: Tue, 25 Oct 2016 03:54:23 GMT\r\n"
    b"Content-Type: application/json\r\n"
    b"Content-Length: " + str(len(GET_BODY)).encode() + b"\r\n"
    b"Connection: keep-alive\r\n"
    b"\r\n" + GET_BODY
)


# ---------------------------------------------------------------------------
# The API listing and the sentinels
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", PUBLIC_NAMES)
def test_public_name_is_importable_from_top_level(name):
    assert hasattr(h11, name), name


def test_import_txh11_as_h11_and_from_import():
    from txh11 import Connection, Request  # noqa: F401

    import txh11

    assert txh11.Connection is h11.Connection


@pytest.mark.parametrize("name", SENTINEL_NAMES)
def test_sentinel_is_instance_of_itself_and_repr_is_name(name):
    value = getattr(h11, name)
    assert type(value) is value
    assert isinstance(value, value)
    assert repr(value) == name
    assert value is getattr(h11, name)


def test_sentinels_are_distinct():
    values = [getattr(h11, n) for n in SENTINEL_NAMES]
    assert len(set(map(id, values))) == len(values)
    for a in values:
        for b in values:
            if a is not b:
                assert a != b


def test_sentinel_type_dispatch_example():
    # "you can always call type(event) to get something useful to dispatch on"
    @functools.singledispatch
    def handle(event):
        return "event"

    @handle.register(h11.NEED_DATA)
    def _(event):
        return "need-data"

    @handle.register(h11.PAUSED)
    def _(event):
        return "paused"

    conn = h11.Connection(our_role=h11.SERVER)
    assert handle(conn.next_event()) == "need-data"
    assert handle(h11.PAUSED) == "paused"
    conn.receive_data(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    event = conn.next_event()
    assert handle(event) == "event"
    assert "handle_" + type(event).__name__ == "handle_Request"


def test_product_id_is_a_usable_string():
    assert isinstance(h11.PRODUCT_ID, str)
    assert h11.PRODUCT_ID
    req = h11.Request(
        method="GET",
        target="/",
        headers=[("Host", "example.com"), ("User-Agent", h11.PRODUCT_ID)],
    )
    assert (b"user-agent", h11.PRODUCT_ID.encode("ascii")) in list(req.headers)


# ---------------------------------------------------------------------------
# API reference (002): Events
# ---------------------------------------------------------------------------


def test_api_request_example_fields_and_repr():
    req = h11.Request(method="GET", target="/", headers=[("Host", "example.com")])
    assert req.method == b"GET"
    assert req.target == b"/"
    assert list(req.headers) == [(b"host", b"example.com")]
    assert req.http_version == b"1.1"
    r = repr(req)
    assert r.startswith("Request(")
    for field in ("method", "target", "headers", "http_version"):
        assert field + "=" in r
    assert "b'GET'" in r


def test_api_event_constructors_are_keyword_only():
    with pytest.raises(TypeError):
        h11.Request("GET", "/", [("Host", "example.com")])


def test_api_http10_request_does_not_need_host():
    req = h11.Request(method="GET", target="/", headers=[], http_version="1.0")
    assert req.http_version == b"1.0"
    assert list(req.headers) == []


def test_api_http11_request_needs_host():
    with pytest.raises(h11.LocalProtocolError):
        h11.Request(method="GET", target="/", headers=[])


def test_api_header_normalisation_example():
    original_headers = [("HOST", bytearray(b"Example.Com"))]
    req = h11.Request(method="GET", target="/", headers=original_headers)
    # the caller's list is left alone
    assert original_headers == [("HOST", bytearray(b"Example.Com"))]
    assert list(req.headers) == [(b"host", b"Example.Com")]
    for name, value in req.headers:
        assert type(name) is bytes and type(value) is bytes


def test_api_raw_items_example():
    original_headers = [("Host", "example.com")]
    req = h11.Request(method="GET", target="/", headers=original_headers)
    assert list(req.headers.raw_items()) == [(b"Host", b"example.com")]


def test_raw_casing_is_what_goes_on_the_wire():
    conn = h11.Connection(our_role=h11.CLIENT)
    wire = conn.send(
        h11.Request(
            method="GET",
            target="/",
            headers=[("Host", "example.com"), ("X-MiXeD-CaSe", "Value")],
        )
    )
    assert b"\r\nHost: example.com\r\n" in wire
    assert b"\r\nX-MiXeD-CaSe: Value\r\n" in wire
    assert b"x-mixed-case" not in wire


def test_raw_casing_is_kept_on_received_headers():
    conn = h11.Connection(our_role=h11.SERVER)
    conn.receive_data(b"GET / HTTP/1.1\r\nhOsT: example.com\r\nX-Fancy-Name: v\r\n\r\n")
    req = conn.next_event()
    assert list(req.headers) == [(b"host", b"example.com"), (b"x-fancy-name", b"v")]
    assert list(req.headers.raw_items()) == [
        (b"hOsT", b"example.com"),
        (b"X-Fancy-Name", b"v"),
    ]


def test_api_http_version_normalised_and_comparable():
    req = h11.Request(
        method=b"GET", target=bytearray(b"/"), headers=[], http_version=memoryview(b"1.0")
    )
    assert req.http_version == b"1.0"
    assert type(req.http_version) is bytes
    assert req.http_version < b"1.1"


def test_api_send_rejects_non_11_http_version():
    conn = h11.Connection(our_role=h11.CLIENT)
    with pytest.raises(h11.LocalProtocolError):
        conn.send(h11.Request(method="GET", target="/", headers=[], http_version="1.0"))


def test_api_receives_other_http_versions():
    conn = h11.Connection(our_role=h11.SERVER)
    conn.receive_data(b"GET / HTTP/1.0\r\n\r\n")
    req = conn.next_event()
    assert type(req) is h11.Request
    assert req.http_version == b"1.0"


# ---------------------------------------------------------------------------
# API reference (002): the state machine and special constants
# ---------------------------------------------------------------------------


def test_api_states_example():
    conn = h11.Connection(our_role=h11.CLIENT)
    assert conn.states == {h11.CLIENT: h11.IDLE, h11.SERVER: h11.IDLE}
    conn.send(h11.Request(method="GET", target="/", headers=[("Host", "example.com")]))
    assert conn.states == {h11.CLIENT: h11.SEND_BODY, h11.SERVER: h11.SEND_RESPONSE}
    assert conn.states[h11.CLIENT] is h11.SEND_BODY


def test_api_roles():
    c = h11.Connection(our_role=h11.CLIENT)
    s = h11.Connection(h11.SERVER)  # positional, as in the curio example
    assert c.our_role is h11.CLIENT and c.their_role is h11.SERVER
    assert s.our_role is h11.SERVER and s.their_role is h11.CLIENT
    assert c.our_state is h11.IDLE and c.their_state is h11.IDLE
    assert c.their_http_version is None
    assert h11.Connection(h11.SERVER, max_incomplete_event_size=100).our_role is h11.SERVER


# ---------------------------------------------------------------------------
# API reference (002): flow control examples
# ---------------------------------------------------------------------------


def test_api_pull_strategy_get_next_event_example():
    conn = h11.Connection(our_role=h11.SERVER)
    incoming = [
        b"POST /upload HTTP/1.1\r\nHost: example.com\r\n",
        b"Expect: 100-continue\r\nContent-Length: 5\r\n\r\n",
        b"hello",
    ]
    sent = []

    def do_sendall(conn, event):
        sent.append(conn.send(event))

    def do_recv():
        return incoming.pop(0) if incoming else b""

    def get_next_event():
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                if conn.they_are_waiting_for_100_continue:
                    do_sendall(conn, h11.InformationalResponse(status_code=100, headers=[]))
                conn.receive_data(do_recv())
                continue
            return event

    req = get_next_event()
    assert type(req) is h11.Request
    assert conn.they_are_waiting_for_100_continue
    body = get_next_event()
    assert sent and sent[0].startswith(b"HTTP/1.1 100")
    assert not conn.they_are_waiting_for_100_continue
    assert type(body) is h11.Data and bytes(body.data) == b"hello"
    assert type(get_next_event()) is h11.EndOfMessage


class _FakeTransport:
    def __init__(self):
        self.calls = []

    def pause_reading(self):
        self.calls.append("pause")

    def resume_reading(self):
        self.calls.append("resume")


class HTTPProtocol:
    """The push-strategy example of the API reference, minus asyncio."""

    def __init__(self):
        self.conn = h11.Connection(our_role=h11.SERVER)
        self.received = []

    def connection_made(self, transport):
        self._transport = transport

    def _deliver_events(self):
        while True:
            event = self.conn.next_event()
            if event is h11.NEED_DATA:
                break
            elif event is h11.PAUSED:
                self._transport.pause_reading()
                break
            else:
                self.event_received(event)
                # (not in the docs' sketch: ConnectionClosed repeats forever)
                if type(event) is h11.ConnectionClosed:
                    break

    def data_received(self, data):
        self.conn.receive_data(data)
        self._deliver_events()

    def eof_received(self):
        self.conn.receive_data(b"")
        self._deliver_events()
        return True

    def start_next_cycle(self):
        self.conn.start_next_cycle()
        self._deliver_events()
        self._transport.resume_reading()

    def event_received(self, event):
        self.received.append(event)
        if type(event) is h11.ConnectionClosed:
            return
        if type(event) is h11.EndOfMessage:
            self.conn.send(h11.Response(status_code=200, headers=[("Content-Length", "0")]))
            self.conn.send(h11.EndOfMessage())


def test_api_push_strategy_protocol_example_with_pipelining():
    proto = HTTPProtocol()
    transport = _FakeTransport()
    proto.connection_made(transport)
    two = (
        b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
        b"GET /2 HTTP/1.1\r\nHost: a\r\n\r\n"
    )
    proto.data_received(two)
    assert [type(e) for e in proto.received] == [h11.Request, h11.EndOfMessage]
    assert transport.calls == ["pause"]
    proto.start_next_cycle()
    assert [type(e) for e in proto.received] == [h11.Request, h11.EndOfMessage] * 2
    assert proto.received[2].target == b"/2"
    assert transport.calls == ["pause", "resume"]
    proto.start_next_cycle()
    proto.eof_received()
    assert type(proto.received[-1]) is h11.ConnectionClosed
    assert proto.conn.their_state is h11.CLOSED


# ---------------------------------------------------------------------------
# API reference (002): closing connections
# ---------------------------------------------------------------------------


def test_api_closing_example_receive_data_empty_is_repeatable():
    conn = h11.Connection(our_role=h11.CLIENT)
    assert conn.receive_data(b"") is None
    assert conn.receive_data(b"") is None
    assert conn.receive_data(None) is None
    assert type(conn.next_event()) is h11.ConnectionClosed
    # "once this method returns ConnectionClosed once, all subsequent calls
    # will also return ConnectionClosed"
    assert type(conn.next_event()) is h11.ConnectionClosed
    assert conn.next_event() == h11.ConnectionClosed()
    assert conn.their_state is h11.CLOSED


def test_receive_data_none_alone_means_eof():
    conn = h11.Connection(our_role=h11.SERVER)
    conn.receive_data(None)
    assert type(conn.next_event()) is h11.ConnectionClosed


def test_data_after_eof_raises():
    conn = h11.Connection(our_role=h11.SERVER)
    conn.receive_data(b"")
    with pytest.raises(RuntimeError):
        conn.receive_data(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")


def test_api_client_single_request_then_close_recipe():
    conn = h11.Connection(our_role=h11.CLIENT)
    # 1) Request with Connection: close
    conn.send(
        h11.Request(
            method="GET",
            target="/get",
            headers=[("Host", "httpbin.org"), ("Connection", "close")],
        )
    )
    # 2) rest of the body
    conn.send(h11.EndOfMessage())
    # 3) the server's Response and body
    events = receive(conn, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")
    assert [type(e) for e in events] == [h11.Response, h11.Data, h11.EndOfMessage]
    # 4) MUST_CLOSE; ConnectionClosed sends nothing
    assert conn.our_state is h11.MUST_CLOSE
    assert conn.send(h11.ConnectionClosed()) is None
    assert conn.our_state is h11.CLOSED


def test_api_server_response_recipe_checks_must_close():
    # "if the response had unknown length and the client speaks only
    # HTTP/1.0, then ... until we issue a close"
    conn = h11.Connection(our_role=h11.SERVER)
    receive(conn, b"GET / HTTP/1.0\r\n\r\n")
    conn.send(h11.Response(status_code=200, headers=[]))
    conn.send(h11.Data(data=b"unknown length"))
    conn.send(h11.EndOfMessage())
    assert conn.our_state is h11.MUST_CLOSE


# ---------------------------------------------------------------------------
# API reference (002): sendfile passthrough
# ---------------------------------------------------------------------------


class FilePlaceholder:
    def __init__(self, file, offset, count):
        self.file = file
        self.offset = offset
        self.count = count

    def __len__(self):
        return self.count


def test_api_sendfile_example(tmp_path):
    path = tmp_path / "file.bin"
    path.write_bytes(bytes(range(256)) * 4)
    conn = h11.Connection(our_role=h11.SERVER)
    receive(conn, b"GET /file HTTP/1.1\r\nHost: a\r\n\r\n")
    conn.send(h11.Response(status_code=200, headers=[("Content-Length", "200")]))
    sent = []

    def send_data(sock, data):
        if isinstance(data, FilePlaceholder):
            data.file.seek(data.offset)
            sent.append(data.file.read(data.count))
        else:
            sent.append(bytes(data))

    with open(path, "rb") as f:
        placeholder = FilePlaceholder(f, 0, 200)
        parts = conn.send_with_data_passthrough(h11.Data(data=placeholder))
        assert any(p is placeholder for p in parts)
        for data in parts:
            send_data(None, data)
    assert b"".join(sent) == (bytes(range(256)) * 4)[:200]
    conn.send(h11.EndOfMessage())
    assert conn.our_state is h11.DONE


# ---------------------------------------------------------------------------
# API reference (002): chunk delimiters
# ---------------------------------------------------------------------------


def test_api_chunk_start_and_end_example():
    conn = h11.Connection(our_role=h11.SERVER)
    events = receive(
        conn,
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    )
    datas = [e for e in events if type(e) is h11.Data]
    # at least one Data per chunk; first of each chunk has chunk_start, last chunk_end
    starts = [d for d in datas if d.chunk_start]
    ends = [d for d in datas if d.chunk_end]
    assert len(starts) == 2 and len(ends) == 2
    assert bytes(datas[0].data).startswith(b"h")
    assert datas[0].chunk_start and datas[-1].chunk_end
    assert b"".join(bytes(d.data) for d in datas) == b"hello world"
    assert type(events[-1]) is h11.EndOfMessage


# ---------------------------------------------------------------------------
# API reference (002): error handling examples
# ---------------------------------------------------------------------------


def test_api_curio_style_error_response_after_remote_error():
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(b"this is not HTTP\r\n\r\n")
    with pytest.raises(h11.RemoteProtocolError) as excinfo:
        conn.next_event()
    exc = excinfo.value
    assert isinstance(exc, h11.ProtocolError)
    assert conn.our_state in {h11.IDLE, h11.SEND_RESPONSE}
    body = str(exc).encode("utf-8")
    wire = conn.send(
        h11.Response(
            status_code=exc.error_status_hint,
            headers=[
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Length", str(len(body))),
            ],
        )
    )
    assert wire.startswith(b"HTTP/1.1 %d " % exc.error_status_hint)
    conn.send(h11.Data(data=body))
    conn.send(h11.EndOfMessage())
    assert conn.our_state is h11.MUST_CLOSE


def test_api_start_next_cycle_error_leaves_connection_usable():
    conn = h11.Connection(our_role=h11.CLIENT)
    conn.send(h11.Request(method="GET", target="/", headers=[("Host", "a")]))
    with pytest.raises(h11.LocalProtocolError):
        conn.start_next_cycle()
    assert conn.states == {h11.CLIENT: h11.SEND_BODY, h11.SERVER: h11.SEND_RESPONSE}
    assert conn.send(h11.EndOfMessage()) == b""
    assert conn.our_state is h11.DONE


# ---------------------------------------------------------------------------
# Tutorial (000)
# ---------------------------------------------------------------------------


def test_tutorial_request_bytes():
    conn = h11.Connection(our_role=h11.CLIENT)
    request = h11.Request(method="GET", target="/xml", headers=[("Host", "httpbin.org")])
    bytes_to_send = conn.send(request)
    assert bytes_to_send == b"GET /xml HTTP/1.1\r\nHost: httpbin.org\r\n\r\n"
    end_of_message_bytes_to_send = conn.send(h11.EndOfMessage())
    assert end_of_message_bytes_to_send == b""


def test_tutorial_handwritten_request_is_what_a_server_parses():
    # the tutorial's first, hand-written request
    conn = h11.Connection(our_role=h11.SERVER)
    events = receive(conn, b"GET /xml HTTP/1.1\r\nhost: httpbin.org\r\n\r\n")
    assert events == [
        h11.Request(method="GET", target="/xml", headers=[("host", "httpbin.org")]),
        h11.EndOfMessage(),
    ]


def test_tutorial_three_events():
    conn = h11.Connection(our_role=h11.CLIENT)
    conn.send(h11.Request(method="GET", target="/xml", headers=[("Host", "httpbin.org")]))
    conn.send(h11.EndOfMessage())
    conn.receive_data(HTTPBIN_XML_RESPONSE)
    response = conn.next_event()
    assert type(response) is h11.Response
    assert response.status_code == 200
    assert response.reason == b"OK"
    assert response.http_version == b"1.1"
    assert (b"content-type", b"application/xml") in list(response.headers)
    assert (b"server", b"gunicorn/19.9.0") in list(response.headers)
    data = conn.next_event()
    assert type(data) is h11.Data
    rest = drain(conn)[0]
    body = bytes(data.data) + b"".join(bytes(e.data) for e in rest if type(e) is h11.Data)
    assert body == XML_BODY
    assert type(rest[-1]) is h11.EndOfMessage
    assert "status_code=200" in repr(response)


def test_tutorial_reading_in_chunks_of_200_bytes():
    conn = h11.Connection(our_role=h11.CLIENT)
    conn.send(h11.Request(method="GET", target="/xml", headers=[("Host", "httpbin.org")]))
    head_len = len(HTTPBIN_XML_RESPONSE.split(b"\r\n\r\n")[0]) + 4
    assert 200 < head_len <= 400  # the head needs exactly two recv(200)s
    conn.receive_data(HTTPBIN_XML_RESPONSE[:200])
    assert conn.next_event() is h11.NEED_DATA
    conn.receive_data(HTTPBIN_XML_RESPONSE[200:400])
    event = conn.next_event()
    assert type(event) is h11.Response
    assert event.status_code == 200


class FakeSocket:
    """Plays httpbin.org: answers each complete request with a canned response."""

    def __init__(self, responses):
        self.responses = list(responses)
        self.outgoing = b""
        self.incoming = b""
        self.timeout = None
        self.shut = False
        self._server = h11.Connection(our_role=h11.SERVER)

    def sendall(self, data):
        self.outgoing += data
        if not data:
            return  # (b"" would mean EOF to receive_data)
        self._server.receive_data(data)
        for event in drain(self._server)[0]:
            if type(event) is h11.EndOfMessage:
                self.incoming += self.responses.pop(0)
                self._server = h11.Connection(our_role=h11.SERVER)

    def shutdown(self, how):
        self.shut = True

    def settimeout(self, t):
        self.timeout = t

    def recv(self, n):
        if not self.incoming:
            raise socket.timeout("The read operation timed out")
        out, self.incoming = self.incoming[:n], self.incoming[n:]
        return out


class MyHttpClient:
    """The tutorial's client object, with the socket injected."""

    def __init__(self, sock):
        self.sock = sock
        self.conn = h11.Connection(our_role=h11.CLIENT)

    def send(self, *events):
        for event in events:
            data = self.conn.send(event)
            if data is None:
                self.sock.shutdown(socket.SHUT_WR)
            else:
                self.sock.sendall(data)

    def next_event(self, max_bytes_per_recv=200):
        while True:
            event = self.conn.next_event()
            if event is h11.NEED_DATA:
                self.conn.receive_data(self.sock.recv(max_bytes_per_recv))
                continue
            return event


def test_tutorial_basic_client_object_and_keep_alive():
    sock = FakeSocket([HTTPBIN_XML_RESPONSE, HTTPBIN_GET_RESPONSE])
    client = MyHttpClient(sock)
    client.send(h11.Request(method="GET", target="/xml", headers=[("Host", "httpbin.org")]))
    client.send(h11.EndOfMessage())
    assert sock.outgoing == b"GET /xml HTTP/1.1\r\nHost: httpbin.org\r\n\r\n"

    assert type(client.next_event()) is h11.Response
    first = client.next_event()
    # reading 200 bytes at a time: only *part* of the body
    assert type(first) is h11.Data
    assert 0 < len(first.data) < len(XML_BODY)
    events = [first]
    while True:
        event = client.next_event()
        events.append(event)
        if type(event) is h11.EndOfMessage:
            break
        assert type(event) is h11.Data
    assert b"".join(bytes(e.data) for e in events[:-1]) == XML_BODY
    assert len(events) > 2

    # nothing more comes: the read times out
    client.sock.settimeout(2)
    with pytest.raises(socket.timeout):
        client.next_event()

    # keep-alive
    assert (client.conn.our_state, client.conn.their_state) == (h11.DONE, h11.DONE)
    client.conn.start_next_cycle()
    assert (client.conn.our_state, client.conn.their_state) == (h11.IDLE, h11.IDLE)
    client.send(h11.Request(method="GET", target="/get", headers=[("Host", "httpbin.org")]))
    client.send(h11.EndOfMessage())
    response = client.next_event()
    assert type(response) is h11.Response
    assert response.status_code == 200
    assert client.conn.their_http_version == b"1.1"


def test_tutorial_post_example():
    conn = h11.Connection(our_role=h11.CLIENT)
    wire = conn.send(
        h11.Request(
            method="POST",
            target="/post",
            headers=[("Host", "httpbin.org"), ("Content-Length", "10")],
        )
    )
    wire += conn.send(h11.Data(data=b"1234567890"))
    wire += conn.send(h11.EndOfMessage())
    assert wire == (
        b"POST /post HTTP/1.1\r\nHost: httpbin.org\r\nContent-Length: 10\r\n\r\n"
        b"1234567890"
    )
    assert conn.our_state is h11.DONE


def test_tutorial_post_without_content_length_errors_on_data():
    conn = h11.Connection(our_role=h11.CLIENT)
    conn.send(h11.Request(method="POST", target="/post", headers=[("Host", "httpbin.org")]))
    with pytest.raises(h11.LocalProtocolError):
        conn.send(h11.Data(data=b"1234567890"))
    assert conn.our_state is h11.ERROR


def test_tutorial_sending_a_response_as_client_is_an_error():
    conn = h11.Connection(our_role=h11.CLIENT)
    with pytest.raises(h11.LocalProtocolError):
        conn.send(h11.Response(status_code=200, headers=[]))


def test_tutorial_sending_two_requests_in_a_row_is_an_error():
    conn = h11.Connection(our_role=h11.CLIENT)
    req = h11.Request(method="GET", target="/", headers=[("Host", "a")])
    conn.send(req)
    with pytest.raises(h11.LocalProtocolError):
        conn.send(req)


def test_tutorial_http_get_function():
    # "Write your own basic http_get function"
    def http_get(sock, host, path):
        conn = h11.Connection(our_role=h11.CLIENT)
        sock.sendall(conn.send(h11.Request(method="GET", target=path, headers=[("Host", host)])))
        sock.sendall(conn.send(h11.EndOfMessage()))
        body = b""
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(sock.recv(37))
            elif type(event) is h11.Data:
                body += bytes(event.data)
            elif type(event) is h11.EndOfMessage:
                return body

    assert http_get(FakeSocket([HTTPBIN_XML_RESPONSE]), "httpbin.org", "/xml") == XML_BODY


def test_readme_example_runs():
    conn = h11.Connection(our_role=h11.CLIENT)
    wire = conn.send(h11.Request(method="GET", target="/", headers=[("Host", "example.com")]))
    wire += conn.send(h11.EndOfMessage())
    start, headers, _ = split_head(wire)
    assert start == b"GET / HTTP/1.1"
    conn.receive_data(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")
    assert type(conn.next_event()) is h11.Response
    d = conn.next_event()
    assert type(d) is h11.Data and bytes(d.data) == b"hi"
    eom = conn.next_event()
    assert type(eom) is h11.EndOfMessage and list(eom.headers) == []


def test_passthrough_helpers_selfcheck():
    # guards against a broken helper making the framing tests vacuous
    ph = Placeholder(3)
    assert render([b"a", ph, b"b"], ph) == b"aPPPb"
