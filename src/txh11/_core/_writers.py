"""Writers: turn events into bytes (and passthrough placeholders).

Body writers return lists of parts, so that a ``Data`` whose payload is a
placeholder object (anything with ``__len__``) comes back unchanged, wrapped in
whatever framing the body needs.
"""

from typing import Any, Dict, List

from ._caches import SIZE_LINES, SIZE_LINES_LIMIT
from ._errors import LocalProtocolError
from ._events import STANDARD_REASONS, InformationalResponse, Request, Response
from ._headers import Headers

_set = object.__setattr__  # (Headers refuse attribute writes; _wire is a memo)

__all__ = [
    "write_request_head",
    "write_response_head",
    "ContentLengthWriter",
    "ChunkedWriter",
    "Http10Writer",
]

# Status lines with the standard reason, and with none (the core writes the
# reason the event carries, as h11 does: b"" goes out as "200 \r\n").
_STATUS_LINES: Dict[int, bytes] = {
    code: b"HTTP/1.1 %d %s\r\n" % (code, reason) for code, reason in STANDARD_REASONS.items()
}
_BARE_STATUS_LINES: Dict[int, bytes] = {code: b"HTTP/1.1 %d \r\n" % code for code in range(100, 1000)}


def _header_lines(headers: Headers) -> bytes:
    # Headers are immutable and often reused (a cached list, a repeated
    # response), so their wire form is worked out once.
    wire = headers._wire
    if wire is None:
        wire = b"".join([raw + b": " + value + b"\r\n" for raw, (_, value) in zip(headers._raw, headers._items)])
        _set(headers, "_wire", wire)
    return wire


def write_request_head(event: Request, headers: Headers) -> bytes:
    """The request line of ``event`` and ``headers`` (its own, or the ones
    the connection fixed up for it)."""
    return b"%s %s HTTP/1.1\r\n%s\r\n" % (event.method, event.target, _header_lines(headers))


def write_response_head(event: "Response | InformationalResponse", headers: Headers) -> bytes:
    """The status line of ``event`` and ``headers`` (its own, or the ones
    the connection fixed up for it)."""
    code = event.status_code
    reason = event.reason
    if not reason:
        line = _BARE_STATUS_LINES[code]
    elif reason == STANDARD_REASONS.get(code):
        line = _STATUS_LINES[code]
    else:
        line = b"HTTP/1.1 %d %s\r\n" % (code, reason)
    return line + (headers._wire or _header_lines(headers)) + b"\r\n"


class ContentLengthWriter:
    __slots__ = ("remaining", "length")

    def __init__(self, length: int) -> None:
        self.length = self.remaining = length

    def data(self, data: Any) -> List[Any]:
        n = len(data)
        if n > self.remaining:
            raise LocalProtocolError(
                f"too much data for the declared Content-Length: {n} bytes with {self.remaining} left"
            )
        self.remaining -= n
        return [data]

    def end(self, trailers: Headers) -> List[Any]:
        if self.remaining:
            raise LocalProtocolError(
                f"EndOfMessage with {self.remaining} bytes of the declared Content-Length unsent"
            )
        if trailers._items:
            raise LocalProtocolError("trailers need Transfer-Encoding: chunked, not Content-Length")
        return []


class ChunkedWriter:
    __slots__ = ()

    def data(self, data: Any) -> List[Any]:
        n = len(data)
        if n == 0:
            # An empty chunk would end the body.
            return []
        # (chunk-size lines already made: a body's pieces tend to share a size)
        line = SIZE_LINES.get(n)
        if line is None:
            line = b"%x\r\n" % n
            if len(SIZE_LINES) < SIZE_LINES_LIMIT:
                SIZE_LINES[n] = line
        return [line, data, b"\r\n"]

    def end(self, trailers: Headers) -> List[Any]:
        if trailers:
            return [b"0\r\n" + _header_lines(trailers) + b"\r\n"]
        return [b"0\r\n\r\n"]


class Http10Writer:
    __slots__ = ()

    def data(self, data: Any) -> List[Any]:
        return [data]

    def end(self, trailers: Headers) -> List[Any]:
        if trailers:
            raise LocalProtocolError(
                "can't send trailers to an HTTP/1.0 peer: check conn.their_http_version first"
            )
        return []
