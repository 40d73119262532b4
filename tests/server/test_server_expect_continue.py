"""
Automatic 100 Continue at the server API, beyond
tests/server/test_server_exchange.py (deliverBody at once, 417 refusal):
readBody() called later sends it only then; discardBody() never sends it;
a 4xx other than 417 refuses without it and closes.  Fed whole and bytewise.
"""

import pytest

from tests._support.server import feed, serve, statuses

BOTH = pytest.mark.parametrize("bytewise", [False, True], ids=["whole", "bytewise"])
HEAD = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nExpect: 100-continue\r\n\r\n"
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


@BOTH
def test_read_body_later_sends_100_only_then(bytewise):
    requests = []
    proto, transport, clock = serve(requests.append)
    feed(proto, HEAD, bytewise)
    clock.advance(30)
    assert transport.value() == b""  # the handler has not asked for the body
    d = requests[0].readBody()
    assert transport.value() == CONTINUE
    clock.advance(0)
    feed(proto, b"abcdef", bytewise)
    clock.advance(0)
    assert d.result == b"abcdef"
    requests[0].respond(200, [], b"ok")
    assert statuses(transport.value()) == [100, 200]
    assert not transport.disconnecting


@BOTH
def test_discard_body_sends_no_100(bytewise):
    requests = []
    proto, transport, clock = serve(requests.append)
    feed(proto, HEAD, bytewise)
    requests[0].discardBody()
    clock.advance(0)
    assert transport.value() == b""
    requests[0].respond(204, [], b"")
    assert statuses(transport.value()) == [204]
    assert CONTINUE not in transport.value()


@BOTH
@pytest.mark.parametrize("status", [401, 403, 413, 417])
def test_refusal_without_reading_sends_no_100_and_closes(status, bytewise):
    proto, transport, clock = serve(lambda request: request.respond(status, [], b"no"))
    feed(proto, HEAD, bytewise)
    clock.advance(0)
    wire = transport.value()
    assert statuses(wire) == [status]
    assert CONTINUE not in wire
    assert b"connection: close" in wire.lower()
    assert transport.disconnecting
