"""A response head equal to the previous one reuses its core event (only when
the status, the reason and every header are the same), and so does a first
piece of body that is the very object sent before."""

from __future__ import annotations

from typing import Any

from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET

from tests._support.web import parse, serve


class Answers(Resource):
    """Answers request N with the Nth (code, reason, headers) of ``plan``."""

    isLeaf = True

    def __init__(self, plan: list[tuple[int, bytes, list[tuple[bytes, bytes]]]]) -> None:
        super().__init__()
        self.plan = plan

    def render_GET(self, request: Any) -> bytes:
        code, reason, headers = self.plan.pop(0)
        request.setResponseCode(code, reason)
        for name, value in headers:
            request.setHeader(name, value)
        return b"body"


GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


def answers(plan: list[tuple[int, bytes, list[tuple[bytes, bytes]]]]) -> list[Any]:
    count = len(plan)
    proto, transport, clock, site = serve(Answers(plan))
    for _ in range(count):
        proto.dataReceived(GET)
        clock.advance(0)
    return parse(transport.value(), [b"GET"] * count)


def test_each_difference_makes_a_new_head():
    a = [(b"x-a", b"1")]
    plan = [
        (200, b"OK", a),
        (200, b"OK", a),
        (200, b"Fine", a),
        (201, b"Fine", a),
        (201, b"Fine", [(b"x-a", b"2")]),
        (201, b"Fine", [(b"x-b", b"2")]),
        (200, b"OK", a),
    ]
    expected = [(code, reason, dict(headers)) for code, reason, headers in plan]
    got = [
        (r.status, r.head.reason, {k.encode(): v for k, v in r.headers.items() if k.startswith("x-")})
        for r in answers(plan)
    ]
    assert got == expected


class GivesPairs(Resource):
    """Hands the channel a list of pairs with a mutable value, as a
    request class of its own might."""

    isLeaf = True

    def __init__(self, mutable: bytearray) -> None:
        super().__init__()
        self.mutable = mutable

    def render_GET(self, request: Any) -> bytes:
        pairs = [(b"Content-Length", b"2"), (b"X-Value", self.mutable)]
        request.channel.writeHeaders(b"HTTP/1.1", b"200", b"OK", pairs)
        request.startedWriting = 1
        request.write(b"ok")
        request.finish()
        return b""


def test_pairs_of_any_kind_are_not_remembered():
    mutable = bytearray(b"first")
    proto, transport, clock, site = serve(GivesPairs(mutable))
    proto.dataReceived(GET)
    clock.advance(0)
    mutable[:] = b"second"
    proto.dataReceived(GET)
    clock.advance(0)
    first, second = parse(transport.value(), [b"GET", b"GET"])
    assert first.headers["x-value"] == b"first"
    assert second.headers["x-value"] == b"second"


class Bodies(Resource):
    """Writes the bodies of ``plan`` in turn (without NOT_DONE_YET, so
    that each is the first write of its response)."""

    isLeaf = True

    def __init__(self, plan: list[Any]) -> None:
        super().__init__()
        self.plan = plan

    def render_GET(self, request: Any) -> Any:
        body = self.plan.pop(0)
        request.setHeader(b"content-length", b"%d" % len(body))
        request.write(body)
        request.finish()
        return NOT_DONE_YET


def bodies(plan: list[Any]) -> list[bytes]:
    count = len(plan)
    proto, transport, clock, site = serve(Bodies(plan))
    for _ in range(count):
        proto.dataReceived(GET)
        clock.advance(0)
    return [r.body for r in parse(transport.value(), [b"GET"] * count)]


def test_same_body_object_sent_again():
    same = b"constant"
    other = b"constanT"  # as long
    assert bodies([same, same, other, same]) == [same, same, other, same]



def test_a_memoryview_body_is_not_kept():
    # Kept for reuse, the memoryview would pin the bytearray: resizing it
    # after the response raised BufferError.
    buf = bytearray(b"abcd")
    proto, transport, clock, site = serve(Bodies([memoryview(buf)]))
    proto.dataReceived(GET)
    clock.advance(0)
    buf.extend(b"ef")  # no BufferError: nothing holds an export of buf
    [response] = parse(transport.value(), [b"GET"])
    assert response.body == b"abcd"
