"""
txh11.web.Site: a resource that writes more or less than the
Content-Length it declared is aborted (not closed gracefully, which is all
tests/web/test_bodies_errors.py checks), fed whole and one byte at a time,
both when the response is written inside render() and when it is written
later (NOT_DONE_YET), after the head has gone out.
"""

import pytest
from twisted.logger import globalLogPublisher
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET

from tests._support.web import feed, get, serve

BOTH = pytest.mark.parametrize("bytewise", [False, True], ids=["whole", "bytewise"])
CASES = pytest.mark.parametrize("declared", [b"2", b"5"], ids=["long", "short"])


@pytest.fixture(autouse=True)
def quiet():
    events = []
    globalLogPublisher.addObserver(events.append)
    yield events
    globalLogPublisher.removeObserver(events.append)


class WrongLength(Resource):
    isLeaf = True

    def __init__(self, declared, later):
        super().__init__()
        self.declared = declared
        self.later = later
        self.pending = []

    def render(self, request):
        request.setHeader(b"Content-Length", self.declared)
        if self.later:
            self.pending.append(request)
        else:
            request.write(b"abc")
            request.finish()
        return NOT_DONE_YET


@CASES
@BOTH
def test_wrong_length_in_render_aborts(declared, bytewise):
    proto, transport, clock, site = serve(WrongLength(declared, later=False))
    feed(proto, clock, get(b"/") + get(b"/"), bytewise)
    assert transport.disconnected  # abortConnection, not loseConnection
    assert transport.value().count(b"HTTP/1.1 ") <= 1


@CASES
@BOTH
def test_wrong_length_written_later_aborts(declared, bytewise):
    resource = WrongLength(declared, later=True)
    proto, transport, clock, site = serve(resource)
    feed(proto, clock, get(b"/") + get(b"/"), bytewise)
    (request,) = resource.pending
    request.notifyFinish().addErrback(lambda f: None)
    request.write(b"a")
    clock.advance(0)
    assert transport.value().startswith(b"HTTP/1.1 200 ")  # the head is out
    request.write(b"bc")
    request.finish()
    clock.advance(0)
    assert transport.disconnected
    head, body = transport.value().split(b"\r\n\r\n", 1)
    # long: the write that overflows is refused whole; short: what was
    # written; never anything after it (no closing framing, no 2nd response)
    assert body == (b"a" if declared == b"2" else b"abc")
    assert len(resource.pending) == 1
