"""
A serving connection keeps few instance attributes.  CPython 3.11 stores an
instance's attributes inline (and specialises every read of them) only up
to 29 names per class; past that each connection's attributes move to a
dict of their own and every attribute read on the request path gets slower
(about 2.5 % of a keep-alive request).  Subclasses (txh11.web's protocol
adds two) and the rarer paths (closing, backpressure, EOF) need room too.
"""

from tests._support.server import hello, serve

#: what the keep-alive request path may set on HTTP11ServerProtocol
STEADY_LIMIT = 26


def _why(proto: object) -> str:
    names = sorted(vars(proto))
    return (
        f"{len(names)} instance attributes (limit {STEADY_LIMIT}): past 29, CPython 3.11"
        " moves them to a dict and every attribute read gets slower; the rest of the"
        f" room is for subclasses and the rarer paths (see the module docstring): {names}"
    )


def test_keep_alive_requests_set_few_attributes():
    proto, transport, clock = serve(hello)
    proto.dataReceived(b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\n" * 3)
    clock.advance(0)
    proto.dataReceived(b"GET /2 HTTP/1.1\r\nHost: a\r\n\r\n")
    assert transport.value().count(b"HTTP/1.1 200 ") == 4
    assert len(vars(proto)) <= STEADY_LIMIT, _why(proto)


def test_settings_add_no_attributes():
    proto, transport, clock = serve(
        hello, idleTimeout=5, headerTimeout=5, bodyTimeout=5, lingerTimeout=1, closeTimeout=5
    )
    proto.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert len(vars(proto)) <= STEADY_LIMIT, _why(proto)
