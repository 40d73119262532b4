"""The protocol as an IConsumer: ``write(data)`` sends the body's next piece
the way ``sendEvent(Data(data=data))`` would, without the event, whether
output is being held (corked) or goes to the transport at once."""

import pytest

import txh11 as h11

from tests._support.bridge import WriteCountingTransport, connect, get

FRAMINGS = {
    "chunked": [("transfer-encoding", "chunked")],
    "length": [("content-length", "9")],
}
PIECES = [b"abc", bytearray(b"def"), memoryview(b"ghi")]
BODIES = {"chunked": b"3\r\nabc\r\n3\r\ndef\r\n3\r\nghi\r\n0\r\n\r\n", "length": b"abcdefghi"}


def body(transport):
    return transport.value().split(b"\r\n\r\n", 1)[1]


def start(framing, transport=None):
    proto, transport, clock = connect(transport=transport)
    proto.dataReceived(get(1))
    proto.sendEvent(h11.Response(status_code=200, headers=FRAMINGS[framing]))
    return proto, transport


@pytest.mark.parametrize("framing", sorted(FRAMINGS))
def test_writes_outside_a_cork_go_out_one_by_one(framing):
    proto, transport = start(framing, WriteCountingTransport())
    before = len(transport.calls)
    for piece in PIECES:
        proto.write(piece)
    assert len(transport.calls) == before + 3
    proto.sendEvent(h11.EndOfMessage())
    assert body(transport) == BODIES[framing]


@pytest.mark.parametrize("framing", sorted(FRAMINGS))
def test_writes_inside_a_cork_leave_in_one_write(framing):
    proto, transport = start(framing, WriteCountingTransport())
    before = len(transport.calls)
    with proto.corked():
        for piece in PIECES:
            proto.write(piece)
        proto.sendEvent(h11.EndOfMessage())
        assert len(transport.calls) == before  # held
    assert len(transport.calls) == before + 1
    assert body(transport) == BODIES[framing]


def test_a_held_buffer_changed_after_write_is_sent_as_it_was():
    proto, transport = start("chunked")
    buffer = bytearray(b"first")
    with proto.corked():
        proto.write(buffer)
        buffer[:] = b"XXXXX"
        proto.write(buffer)
        proto.sendEvent(h11.EndOfMessage())
    assert body(transport) == b"5\r\nfirst\r\n5\r\nXXXXX\r\n0\r\n\r\n"


def test_empty_write_sends_nothing():
    proto, transport = start("chunked")
    sent = transport.value()
    proto.write(b"")
    with proto.corked():
        proto.write(b"")
    assert transport.value() == sent
    assert proto.conn.our_state is h11.SEND_BODY


def test_write_beyond_the_length_raises_and_sends_nothing_more():
    proto, transport = start("length")
    proto.write(b"abcdefgh")
    sent = transport.value()
    with pytest.raises(h11.LocalProtocolError, match="too much data"):
        proto.write(b"ij")
    assert transport.value() == sent
    assert proto.conn.our_state is h11.ERROR


def test_write_before_the_response_raises():
    proto, transport, clock = connect()
    proto.dataReceived(get(1))
    with pytest.raises(h11.LocalProtocolError):
        proto.write(b"body before head")
    assert transport.value() == b""


def test_write_to_a_head_response_raises():
    proto, transport, clock = connect()
    proto.dataReceived(b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n")
    proto.sendEvent(h11.Response(status_code=200, headers=[("content-length", "3")]))
    with pytest.raises(h11.LocalProtocolError):
        proto.write(b"abc")
