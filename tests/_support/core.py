"""Helpers shared by the core tests (black-box: public API of txh11 only)."""

import txh11 as h11

SENTINELS = (h11.NEED_DATA, h11.PAUSED)


def drain(conn, into=None, limit=100_000):
    """Call ``next_event()`` until it returns NEED_DATA or PAUSED (or a
    ConnectionClosed, which would repeat forever).

    Returns ``(events, last)`` where *last* is the sentinel that stopped the
    loop (or the ConnectionClosed event).  If *into* is given, events are
    appended to it as they arrive, so a caller that catches an exception
    still sees what came before the error.
    """
    events = [] if into is None else into
    for _ in range(limit):
        event = conn.next_event()
        if event is h11.NEED_DATA or event is h11.PAUSED:
            return events, event
        events.append(event)
        if type(event) is h11.ConnectionClosed:
            return events, event
    raise AssertionError("next_event() never returned NEED_DATA/PAUSED")


def receive(conn, data, into=None):
    """Feed *data* in one go, then drain.  Returns the list of events."""
    conn.receive_data(data)
    return drain(conn, into)[0]


def receive_bytewise(conn, data, into=None):
    """Feed *data* one byte at a time, calling next_event() after each byte
    until it returns NEED_DATA/PAUSED.  Returns the list of events."""
    events = [] if into is None else into
    for i in range(len(data)):
        conn.receive_data(data[i : i + 1])
        drain(conn, events)
    return events


def receive_in_pieces(conn, data, cuts, into=None):
    """Feed *data* split at the offsets in *cuts*, draining after each piece."""
    events = [] if into is None else into
    points = sorted(set(c for c in cuts if 0 < c < len(data)))
    start = 0
    for p in points + [len(data)]:
        if p > start:
            conn.receive_data(data[start:p])
            drain(conn, events)
        start = p
    return events


def client_conn_after_request(method="GET", target="/", headers=None, **kw):
    """A CLIENT connection that has sent a complete request (no body)."""
    conn = h11.Connection(our_role=h11.CLIENT, **kw)
    if headers is None:
        headers = [("Host", "example.com")]
    conn.send(h11.Request(method=method, target=target, headers=headers))
    conn.send(h11.EndOfMessage())
    return conn


def split_head(wire):
    """Split serialised bytes into (start_line, [(lower name, value)], body)."""
    head, sep, body = bytes(wire).partition(b"\r\n\r\n")
    assert sep, "no end of head in %r" % (wire,)
    lines = head.split(b"\r\n")
    headers = []
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        assert colon, "bad header line %r" % (line,)
        headers.append((name.lower(), value.strip(b" \t")))
    return lines[0], headers, body


def header_values(wire, name):
    """All values (lower-cased) of header *name* in serialised head *wire*."""
    _, headers, _ = split_head(wire)
    return [v.lower() for (n, v) in headers if n == name.lower()]


def data_payload(events):
    """Concatenation of the payloads of all Data events in *events*."""
    return b"".join(bytes(e.data) for e in events if type(e) is h11.Data)


def summarize(events):
    """Normalise a list of events for comparison: consecutive Data events are
    merged (chunk boundaries are not semantic), everything else is kept as a
    tuple of its fields."""
    out = []
    for e in events:
        t = type(e)
        if t is h11.Data:
            if out and out[-1][0] == "Data":
                out[-1] = ("Data", out[-1][1] + bytes(e.data))
            else:
                out.append(("Data", bytes(e.data)))
        elif t is h11.Request:
            out.append(
                ("Request", e.method, e.target, list(e.headers), e.http_version)
            )
        elif t is h11.InformationalResponse:
            out.append(("InformationalResponse", e.status_code, list(e.headers)))
        elif t is h11.Response:
            out.append(("Response", e.status_code, list(e.headers)))
        elif t is h11.EndOfMessage:
            out.append(("EndOfMessage", list(e.headers)))
        elif t is h11.ConnectionClosed:
            out.append(("ConnectionClosed",))
        else:  # pragma: no cover
            raise AssertionError("unexpected event %r" % (e,))
    return out


def chunk_groups(datas):
    """Check the chunk_start/chunk_end flags on a list of Data events received
    from a chunked body and return the payload of each chunk."""
    chunks = []
    current = None
    for d in datas:
        assert type(d) is h11.Data
        if current is None:
            assert d.chunk_start is True, "first Data of a chunk lacks chunk_start"
            current = bytes(d.data)
        else:
            assert d.chunk_start is False, "chunk_start in the middle of a chunk"
            current += bytes(d.data)
        if d.chunk_end:
            chunks.append(current)
            current = None
    assert current is None, "last chunk never had chunk_end"
    return chunks


class Placeholder:
    """A sendfile()-style placeholder: it has a length and nothing else, so an
    implementation that tried to read or copy it would fail."""

    def __init__(self, count, fill=b"P"):
        self.count = count
        self.fill = fill

    def __len__(self):
        return self.count

    def content(self):
        return self.fill * self.count


def render(parts, placeholder):
    """Join a send_with_data_passthrough() result, substituting the
    placeholder's content for the placeholder object."""
    out = b""
    for p in parts:
        if p is placeholder:
            out += placeholder.content()
        else:
            assert not isinstance(p, Placeholder)
            out += bytes(p)
    return out
