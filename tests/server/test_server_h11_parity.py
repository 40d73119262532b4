"""What txh11's server keeps doing on top of a core that behaves as h11
(issue 14): standard reason phrases, RFC 9112 2.2's one ignored empty line
before a request line, 505 for a request line of another major version;
fed whole and one byte at a time."""

import pytest

import txh11 as h11

from tests._support.server import feed, hello, serve, statuses

HOWS = pytest.mark.parametrize("bytewise", [False, True], ids=["whole", "bytewise"])
GET = b"GET /a HTTP/1.1\r\nHost: a\r\n\r\n"


def sends(*events):
    def handler(request):
        for event in events:
            request.send(event)

    return handler


@HOWS
@pytest.mark.parametrize(
    "handler, line",
    [
        (hello, b"HTTP/1.1 200 OK\r\n"),
        (lambda r: r.respond(404, [], b"no"), b"HTTP/1.1 404 Not Found\r\n"),
        (lambda r: r.respond(200, [], b"x", reason=b"Fine"), b"HTTP/1.1 200 Fine\r\n"),
        (sends(h11.Response(status_code=201, headers=[("content-length", "0")]), h11.EndOfMessage()),
         b"HTTP/1.1 201 Created\r\n"),
        (sends(h11.Response(status_code=299, headers=[("content-length", "0")]), h11.EndOfMessage()),
         b"HTTP/1.1 299 \r\n"),
    ],
)
def test_standard_reason_phrases(handler, line, bytewise):
    proto, transport, clock = serve(handler)
    feed(proto, GET, bytewise)
    assert transport.value().startswith(line)


@HOWS
def test_the_server_own_answers_carry_reasons(bytewise):
    proto, transport, clock = serve(hello)
    feed(proto, b"GET / HTTP/1.1\r\nHost a\r\n\r\n", bytewise)
    assert transport.value().startswith(b"HTTP/1.1 400 Bad Request\r\n")


def test_an_informational_response_gets_its_reason():
    def handler(request):
        request.send(h11.InformationalResponse(status_code=103, headers=[("link", "</a>")]))
        hello(request)

    proto, transport, clock = serve(handler)
    proto.dataReceived(GET)
    assert transport.value().startswith(b"HTTP/1.1 103 Early Hints\r\n")


@HOWS
@pytest.mark.parametrize(
    "wire, count",
    [
        (b"\r\n" + GET, 1),
        (b"\r\n" + GET + b"\r\n" + GET, 2),
        (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi\r\n" + GET, 2),
    ],
)
def test_one_empty_line_before_a_request_is_ignored(wire, count, bytewise):
    proto, transport, clock = serve(hello)
    feed(proto, wire, bytewise)
    assert statuses(transport.value()) == [200] * count
    assert not transport.disconnecting


def test_an_empty_line_in_a_later_read_is_ignored():
    proto, transport, clock = serve(hello)
    proto.dataReceived(GET)
    proto.dataReceived(b"\r\n")
    proto.dataReceived(GET)
    assert statuses(transport.value()) == [200, 200]


@HOWS
def test_two_empty_lines_are_refused(bytewise):
    proto, transport, clock = serve(hello)
    feed(proto, b"\r\n\r\n" + GET, bytewise)
    assert statuses(transport.value()) == [400]
    assert b"no request line received" in transport.value()
    assert transport.disconnecting


@HOWS
@pytest.mark.parametrize("line", [b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", b"GET / HTTP/3.0\r\nHost: a\r\n\r\n",
                                  b"GET / HTTP/0.9\r\n\r\n"])
def test_other_major_versions_get_505(line, bytewise):
    handled = []
    proto, transport, clock = serve(handled.append)
    feed(proto, line, bytewise)
    assert statuses(transport.value()) == [505]
    assert transport.value().startswith(b"HTTP/1.1 505 HTTP Version Not Supported\r\n")
    assert transport.disconnecting
    assert handled == []
