"""
How a message's body is framed, decided in one place: which responses have
no body, the reader or writer for each framing, what framing a reader or
writer stands for, and the framing and Connection headers a message goes
out with (RFC 9112 6 and 9.3, h11's fix-ups of what an application built).
"""

from __future__ import annotations

from typing import Any, Optional, Tuple

from ._headers import Headers, with_close, with_connection_tokens, with_framing
from ._readers import ChunkedReader, ContentLengthReader, Http10Reader
from ._writers import ChunkedWriter, ContentLengthWriter, Http10Writer

__all__ = [
    "EMPTY_BODY_READER",
    "EMPTY_BODY_WRITER",
    "bodiless_status",
    "framing_of",
    "reader_for",
    "request_headers",
    "response_headers",
    "writer_for",
]

# Shared by every message without a body: with nothing left to count they
# never change (the writer only ever subtracts 0); and by every chunked or
# close-delimited message we send, or close-delimited one we read: those
# readers and writers have no state.
EMPTY_BODY_READER = ContentLengthReader(0)
EMPTY_BODY_WRITER = ContentLengthWriter(0)
_CHUNKED_WRITER = ChunkedWriter()
_HTTP10_WRITER = Http10Writer()
_HTTP10_READER = Http10Reader()


def bodiless_status(method: Optional[bytes], status: int) -> bool:
    """Whether a final response's ``status`` (to a ``method`` request) says
    it has no body whatever its headers say: 204, 304, a successful
    CONNECT's (RFC 9112 6.3).  A HEAD response has none either, but carries
    the headers a GET's would have had."""
    return status == 204 or status == 304 or (method == b"CONNECT" and 200 <= status < 300)


def writer_for(
    kind: str, length: int, cached: Optional[ContentLengthWriter]
) -> Tuple[Any, Optional[ContentLengthWriter]]:
    """The writer for a body we send framed as ``kind`` ("cl" with
    ``length``, "chunked" or "http10"), and the connection's reusable
    Content-Length writer afterwards."""
    if kind == "cl":
        if not length:
            return EMPTY_BODY_WRITER, cached
        if cached is None:
            cached = ContentLengthWriter(length)
        else:
            cached.length = cached.remaining = length
        return cached, cached
    return (_CHUNKED_WRITER if kind == "chunked" else _HTTP10_WRITER), cached


def reader_for(
    kind: str, length: int, cached: Optional[ContentLengthReader], max_size: int, obs_fold_ok: bool
) -> Tuple[Any, Optional[ContentLengthReader]]:
    """The reader for a body we receive framed as ``kind`` (see
    :func:`writer_for`), and the connection's reusable Content-Length
    reader afterwards; a chunked reader bounds its lines by ``max_size``."""
    if kind == "cl":
        if not length:
            return EMPTY_BODY_READER, cached
        if cached is None:
            cached = ContentLengthReader(length)
        else:
            cached.length = cached.remaining = length
        return cached, cached
    if kind == "chunked":
        return ChunkedReader(max_size, obs_fold_ok), cached
    return _HTTP10_READER, cached


def framing_of(part: Any) -> Optional[Tuple[str, Optional[int]]]:
    """The framing a body reader or writer stands for (see
    :attr:`Connection.their_framing`)."""
    if part is None:
        return None
    kind = type(part)
    if kind is ContentLengthReader or kind is ContentLengthWriter:
        return ("length", part.length)
    if kind is ChunkedReader or kind is ChunkedWriter:
        return ("chunked", None)
    return ("close", None)


def request_headers(headers: Headers) -> Headers:
    """The headers to send a request with: Transfer-Encoding wins over a
    Content-Length beside it, which is left off the wire (RFC 9112 6.1)."""
    if headers.chunked and headers.content_length is not None:
        return with_framing(headers, chunked=True)
    return headers


def response_headers(
    headers: Headers,
    method: Optional[bytes],
    status: int,
    their_version: Optional[bytes],
    keep_alive: bool,
    peer_wants_keep_alive_header: bool,
) -> Headers:
    """
    The headers to send a response with: its own, or a copy with framing and
    Connection headers fixed up for what the peer can handle.  Unless its
    status (or a successful CONNECT) says there is no body, a response
    without Content-Length is chunked or, to HTTP/1.0, close-delimited; a
    HEAD response carries the headers a GET would have had.  Transfer-Encoding
    wins over a Content-Length beside it (RFC 9112 6.1).  A response after
    which the connection closes carries exactly one ``Connection: close``, in
    h11's spelling, in place of what the application put there.
    """
    need_close = False
    if (headers.content_length is None or headers.chunked) and not bodiless_status(method, status):
        if their_version is None or their_version < b"1.1":
            # No chunked for HTTP/1.0: the body ends when we close.
            if headers.chunked:
                headers = with_framing(headers, chunked=False)
            need_close = True
        elif not headers.chunked or headers.content_length is not None:
            headers = with_framing(headers, chunked=True)
    if need_close or not keep_alive:
        return with_close(headers)
    tokens = headers.connection
    if peer_wants_keep_alive_header and b"close" not in tokens and b"keep-alive" not in tokens:
        headers = with_connection_tokens(headers, add=b"keep-alive", drop=b"close")
    return headers
