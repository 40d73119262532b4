"""Readers: turn buffered bytes into events.

Each reader's ``read()`` takes the :class:`ReceiveBuffer` and returns an event,
or None when it needs more bytes. Body readers also have ``read_eof()`` for when
the peer closes. Everything malformed raises :exc:`RemoteProtocolError`
(RFC 9112 decides where the h11 docs are silent).
"""

import re
from typing import Callable, List, Optional, Tuple, Union

from . import _caches
from ._abnf import (
    FIELD_VALUE_BYTES,
    TCHAR_BYTES,
    chunk_ext_re,
    field_value_chars_re,
    reason_re,
    target_re,
    token_re,
)
from ._caches import BLOCKS, CHUNK_SIZES, LINES, REQUEST_LINES, remember
from ._errors import RemoteProtocolError
from ._events import (
    Data,
    EndOfMessage,
    InformationalResponse,
    Request,
    Response,
    parsed_data,
    parsed_end_of_message,
    parsed_request,
    parsed_response,
)
from ._headers import EMPTY_HEADERS, Headers, build_headers
from ._receivebuffer import ReceiveBuffer

__all__ = [
    "RequestHeadReader",
    "ResponseHeadReader",
    "ContentLengthReader",
    "ChunkedReader",
    "Http10Reader",
    "parse_header_block",
]

_version_re = re.compile(rb"HTTP/([0-9])\.([0-9])")
# A NUL, a CR not followed by LF, or an LF not preceded by CR: never valid in a head.
_bad_ctl_re = re.compile(rb"\x00|\r(?=[^\n])|(?<!\r)\n")
_chunk_line_re = re.compile(rb"([0-9A-Fa-f]{1,16})(" + chunk_ext_re.pattern + rb")")
_COMMON_METHODS = frozenset([b"GET", b"HEAD", b"POST", b"PUT", b"DELETE", b"OPTIONS", b"PATCH", b"CONNECT", b"TRACE"])


def _parse_version(version: bytes, any_major: bool = False) -> bytes:
    """The ``d.d`` of ``HTTP/d.d``; a major version other than 1 is refused
    (505) unless ``any_major``: a request line takes any, as in h11, so
    that a server sees ``PRI * HTTP/2.0`` and decides itself."""
    if version == b"HTTP/1.1":
        return b"1.1"
    if version == b"HTTP/1.0":
        return b"1.0"
    m = _version_re.fullmatch(version)
    if m is None:
        raise RemoteProtocolError(f"malformed HTTP version {version!r}")
    if m.group(1) != b"1" and not any_major:
        raise RemoteProtocolError(f"unsupported HTTP version {version!r}: only HTTP/1.x", 505)
    return version[5:]


def _unfold_and_pinpoint(block: bytes, obs_fold_ok: bool) -> List[Tuple[bytes, bytes]]:
    """Slow path for a header block the fast regex refused.

    Either raises with a message naming the exact problem, or (for obs-fold in
    a response, which RFC 9112 5.2 says a user agent replaces with SP) returns
    the unfolded pairs.
    """
    pairs: List[List[bytes]] = []
    for line in block.split(b"\r\n"):
        if line[:1] in (b" ", b"\t"):
            if not obs_fold_ok:
                raise RemoteProtocolError("obsolete line folding (obs-fold) in header block is not allowed (RFC 9112 5.2)")
            if not pairs:
                raise RemoteProtocolError("header block starts with a continuation line")
            cont = line.strip(b" \t")
            if field_value_chars_re.fullmatch(cont) is None:
                raise RemoteProtocolError(f"illegal character in folded header value {cont!r}")
            if cont:
                pairs[-1][1] = (pairs[-1][1] + b" " + cont) if pairs[-1][1] else cont
            continue
        name, colon, value = line.partition(b":")
        if not colon:
            raise RemoteProtocolError(f"header line without a colon: {line[:64]!r}")
        if name != name.rstrip(b" \t"):
            raise RemoteProtocolError(f"whitespace between header name {name.rstrip()!r} and colon (RFC 9112 5.1)")
        if token_re.fullmatch(name) is None:
            raise RemoteProtocolError(f"Illegal header name {name[:64]!r}")
        value = value.strip(b" \t")
        if field_value_chars_re.fullmatch(value) is None:
            raise RemoteProtocolError(
                f"illegal character (CR, LF, NUL or other control) in value of header {name!r}"
            )
        pairs.append([name, value])
    return [(n, v) for n, v in pairs]



def _parse_line(line: bytes) -> Optional[Tuple[bytes, Tuple[bytes, bytes]]]:
    """A valid header line's (raw name, (lowercase name, value)), or None."""
    name, colon, value = line.partition(b":")
    # A name never holds the colon it was split at; a CR, LF or other
    # control left in the line (a bare CR or LF, a NUL...) stays in the
    # value and fails its check.
    if not colon or not name or name.translate(None, TCHAR_BYTES):
        return None
    value = value.strip(b" \t")
    if value.translate(None, FIELD_VALUE_BYTES):
        return None
    parsed = (name, (name.lower(), value))
    if len(line) <= _caches.LINES_MAX_LINE:
        # (remember(), inlined: once per new header line)
        if len(LINES) >= _caches.LINES_LIMIT:
            LINES.clear()
        LINES[line] = parsed
    return parsed


def parse_header_block(block: bytes, obs_fold_ok: bool = False) -> Headers:
    """Parse header lines, each ending in CRLF, into Headers.

    Each line is looked up among the lines already found valid, else
    validated on its own (name and value each in one ``bytes.translate``:
    anything left over is a forbidden byte); only a block with an invalid
    line goes through the line-by-line slow path, which either names the
    exact problem or unfolds obs-fold for a client.
    """
    headers = BLOCKS.get(block)
    if headers is not None:
        return headers
    if not block:
        return EMPTY_HEADERS
    lines = block.split(b"\r\n")
    if lines[-1] == b"":
        lines.pop()
    raw_names = []
    items = []
    known = LINES.get
    for line in lines:
        parsed = known(line)
        if parsed is None:
            parsed = _parse_line(line)
            if parsed is None:
                break
        raw_names.append(parsed[0])
        items.append(parsed[1])
    else:
        headers = build_headers(raw_names, items)
        if len(block) <= _caches.BLOCKS_MAX_BLOCK:
            if len(BLOCKS) >= _caches.BLOCKS_LIMIT:  # (remember(), inlined)
                BLOCKS.clear()
            BLOCKS[block] = headers
        return headers
    pairs = _unfold_and_pinpoint(block[:-2] if block[-2:] == b"\r\n" else block, obs_fold_ok)
    return build_headers([n for n, _ in pairs], [(n.lower(), v) for n, v in pairs])


class _HeadReader:
    """Shared by request and response head readers: finds a bounded head.

    Holds nothing but its settings, so one reader serves every connection
    with the same ones.
    """

    __slots__ = ("max_size", "obs_fold_ok")
    too_long_line_status = 431
    #: h11's words for an empty line where the start line belongs
    no_start_line = "no start line received"
    # Each subclass says which first bytes can start its kind of head.
    _check_start: Callable[[bytes], None]

    def __init__(self, max_size: int, obs_fold_ok: bool) -> None:
        self.max_size = max_size
        self.obs_fold_ok = obs_fold_ok

    def _take_head(self, buf: ReceiveBuffer) -> Optional[bytes]:
        searched = buf.searched
        head = buf.take_head()
        if not head:
            if head is None:
                self._check_partial_head(buf, searched)
                return None
            # An empty line where the start line belongs: an error at once, as
            # in h11 (a server that follows RFC 9112 2.2 and ignores one drops
            # it before feeding the core, as txh11.server does).
            raise RemoteProtocolError(self.no_start_line)
        if len(head) > self.max_size:
            status = self.too_long_line_status if head.find(b"\r\n") > self.max_size else 431
            raise RemoteProtocolError(f"message head exceeds the {self.max_size}-byte limit", status)
        return head

    def _check_partial_head(self, buf: ReceiveBuffer, searched: int) -> None:
        """The head has not ended yet: raise if it never can."""
        if buf.startswith(b"\r\n"):
            raise RemoteProtocolError(self.no_start_line)
        n = len(buf)
        if n == 0 or (n == 1 and buf.startswith(b"\r")):
            return
        self._check_partial(buf, searched)
        if n > self.max_size:
            status = 431 if buf.find(b"\r\n") >= 0 else self.too_long_line_status
            raise RemoteProtocolError(
                f"message head exceeds the {self.max_size}-byte limit without ending", status
            )

    def _check_partial(self, buf: ReceiveBuffer, searched: int) -> None:
        """Reject bytes that can never become a valid head, without waiting."""
        m = _bad_ctl_re.search(buf.raw(), searched - 1 if searched else 0)
        if m is not None:
            raise RemoteProtocolError("bare CR, bare LF or NUL in message head")
        if searched < 16:
            self._check_start(buf.peek(16).split(b"\r", 1)[0])





def _parse_request_line(line: bytes) -> Tuple[bytes, bytes, bytes]:
    parts = line.split(b" ")
    if len(parts) != 3:
        raise RemoteProtocolError(f"malformed request line {line[:80]!r}: expected 'METHOD target HTTP/1.1'")
    method, target, version = parts
    if method not in _COMMON_METHODS and token_re.fullmatch(method) is None:
        raise RemoteProtocolError(f"illegal method {method[:32]!r}")
    if target_re.fullmatch(target) is None:
        raise RemoteProtocolError(f"illegal request target {target[:80]!r}: visible ASCII only")
    parsed = (method, target, b"1.1" if version == b"HTTP/1.1" else _parse_version(version, True))
    if len(line) <= _caches.REQUEST_LINES_MAX_LINE:
        if len(REQUEST_LINES) >= _caches.REQUEST_LINES_LIMIT:  # (remember(), inlined)
            REQUEST_LINES.clear()
        REQUEST_LINES[line] = parsed
    return parsed


class RequestHeadReader(_HeadReader):
    """Reads a request line and headers into a :class:`Request`.

    The request that last arrived alone in one piece is remembered in the
    receive buffer (the connection's own), with its bytes: a client that
    asks for the same thing again (a health check, a poll) sends the very
    same bytes, and events are immutable, so the same Request serves without
    parsing. Never across connections: an application may tell requests
    apart by identity (events are unhashable, ``id()`` is all it has).
    """

    __slots__ = ()
    too_long_line_status = 414
    no_start_line = "no request line received"

    def _check_start(self, prefix: bytes) -> None:
        method = prefix.split(b" ", 1)[0]
        if not method or token_re.fullmatch(method) is None:
            raise RemoteProtocolError(f"this is not an HTTP request: it starts with {prefix[:8]!r}")

    def read(self, buf: ReceiveBuffer) -> Optional[Request]:
        whole = buf.whole
        if whole is not None:
            if buf.start:
                whole = None  # not the first message in these bytes
            elif whole == buf.memo_bytes:
                buf.whole = None
                buf.searched = 0
                return buf.memo_event
        head = self._take_head(buf)
        if head is None:
            return None
        line, _, block = head.partition(b"\r\n")
        parts = REQUEST_LINES.get(line) or _parse_request_line(line)
        headers = parse_header_block(block, self.obs_fold_ok)
        if headers.chunked and headers.content_length is not None:
            # A request framed two ways is how requests are smuggled past a
            # proxy that reads the other framing: refused, where h11 lets
            # Transfer-Encoding win (RFC 9112 6.1 allows either).
            raise RemoteProtocolError("request with both Content-Length and Transfer-Encoding (RFC 9112 6.1)")
        request = parsed_request(parts[0], parts[1], headers, parts[2])
        # All these bytes, from their first, were this one request.
        if whole is not None and buf.whole is None and not buf.data:
            buf.memo_bytes = whole
            buf.memo_event = request
        return request


class ResponseHeadReader(_HeadReader):
    """Reads a status line and headers into a (possibly informational) response."""

    __slots__ = ()
    no_start_line = "no response line received"

    def _check_start(self, prefix: bytes) -> None:
        if not b"HTTP/".startswith(prefix[:5]):
            raise RemoteProtocolError(f"this is not an HTTP response: it starts with {prefix[:8]!r}")

    def read(self, buf: ReceiveBuffer) -> Union[None, InformationalResponse, Response]:
        head = self._take_head(buf)
        if head is None:
            return None
        line, _, block = head.partition(b"\r\n")
        version, _, rest = line.partition(b" ")
        http_version = _parse_version(version)
        code = rest[:3]
        after = rest[3:]
        if len(code) != 3 or not code.isdigit() or not code.isascii() or (after and after[:1] != b" "):
            raise RemoteProtocolError(f"malformed status line {line[:80]!r}")
        reason = after[1:]
        if reason_re.fullmatch(reason) is None:
            raise RemoteProtocolError(f"illegal reason phrase {reason[:80]!r}")
        status = int(code)
        if status < 100:
            raise RemoteProtocolError(f"status code {status} out of range")
        headers = parse_header_block(block, self.obs_fold_ok)
        return parsed_response(
            InformationalResponse if status < 200 else Response, status, headers, http_version, reason
        )


_data = parsed_data


# Events are immutable, so every received body without trailers can end with this one.
_END = parsed_end_of_message()


class ContentLengthReader:
    """A body of exactly ``length`` bytes."""

    __slots__ = ("remaining", "length")

    def __init__(self, length: int) -> None:
        self.length = length
        self.remaining = length

    def read(self, buf: ReceiveBuffer) -> Union[None, Data, EndOfMessage]:
        if self.remaining == 0:
            return _END
        if buf.whole is None and not buf.data:
            return None
        data = buf.take(self.remaining)
        self.remaining -= len(data)
        return _data(data)

    def read_eof(self) -> EndOfMessage:
        # (h11's words: its users compare the message)
        raise RemoteProtocolError(
            "peer closed connection without sending complete message body: "
            f"received {self.length - self.remaining} bytes, expected {self.length}"
        )




def _chunk_size(line: bytes) -> int:
    m = _chunk_line_re.fullmatch(line)
    if m is None:
        raise RemoteProtocolError(
            f"malformed chunk header {line[:40]!r}: expected hex size and optional extensions"
        )
    size = int(m.group(1), 16)
    if len(line) <= _caches.CHUNK_SIZES_MAX_LINE:
        remember(CHUNK_SIZES, _caches.CHUNK_SIZES_LIMIT, line, size)
    return size


class ChunkedReader:
    """A ``Transfer-Encoding: chunked`` body, with trailers."""

    __slots__ = ("max_size", "obs_fold_ok", "remaining", "need_crlf", "in_trailers", "chunk_start")

    def __init__(self, max_size: int, obs_fold_ok: bool = False) -> None:
        self.max_size = max_size
        self.obs_fold_ok = obs_fold_ok
        self.remaining = 0
        self.need_crlf = False
        self.in_trailers = False
        self.chunk_start = False

    def read(self, buf: ReceiveBuffer) -> Union[None, Data, EndOfMessage]:
        start = self.chunk_start
        if self.remaining == 0:
            if self.in_trailers:
                return self._trailers(buf)
            # At a chunk boundary: [CRLF after the previous chunk] chunk-size
            # line, looked for where the buffered bytes are (no copy).
            data: "bytes | bytearray"
            whole = buf.whole
            if whole is None:
                data = buf.data
                base = 0
            else:
                data = whole
                base = buf.start
            pos = base
            if self.need_crlf:
                if len(data) - pos < 2:
                    if len(data) > pos and data[pos] != 13:
                        raise RemoteProtocolError("chunk data not followed by CRLF")
                    return None
                if data[pos] != 13 or data[pos + 1] != 10:
                    raise RemoteProtocolError("chunk data not followed by CRLF")
                pos += 2
            idx = data.find(b"\r\n", pos)
            if idx < 0:
                if len(data) - pos > self.max_size:
                    raise RemoteProtocolError("chunk header line too long")
                if _bad_ctl_re.search(data, pos) is not None:
                    raise RemoteProtocolError("bare CR, bare LF or NUL in chunk header")
                return None
            line = bytes(data[pos:idx]) if whole is None else whole[pos:idx]
            size = CHUNK_SIZES.get(line)
            if size is None:
                size = _chunk_size(line)
            buf.discard(idx + 2 - base)
            self.need_crlf = False
            if size == 0:
                self.in_trailers = True
                return self._trailers(buf)
            self.remaining = size
            start = True
        if buf.whole is None and not buf.data:
            self.chunk_start = start
            return None
        out = buf.take(self.remaining)
        n = self.remaining - len(out)
        self.remaining = n
        self.chunk_start = False
        if n == 0:
            self.need_crlf = True
            return _data(out, start, True)
        return _data(out, start, False)

    def _trailers(self, buf: ReceiveBuffer) -> Optional[EndOfMessage]:
        if buf.startswith(b"\r\n"):
            buf.discard(2)
            return _END
        if len(buf) == 1 and buf.startswith(b"\r"):
            return None
        searched = buf.searched
        block = buf.take_until(b"\r\n\r\n", keep=2)
        if block is None:
            if len(buf) > self.max_size:
                raise RemoteProtocolError("trailer section too large", 431)
            if _bad_ctl_re.search(buf.raw(), searched - 1 if searched else 0) is not None:
                raise RemoteProtocolError("bare CR, bare LF or NUL in trailer section")
            return None
        if len(block) > self.max_size:
            raise RemoteProtocolError("trailer section too large", 431)
        return parsed_end_of_message(parse_header_block(block, self.obs_fold_ok))

    def read_eof(self) -> EndOfMessage:
        raise RemoteProtocolError("peer closed the connection in the middle of a chunked body")


class Http10Reader:
    """A body that ends when the connection closes (HTTP/1.0-style responses)."""

    __slots__ = ()

    def read(self, buf: ReceiveBuffer) -> Optional[Data]:
        if buf.whole is None and not buf.data:
            return None
        return _data(buf.take_all())

    def read_eof(self) -> EndOfMessage:
        return _END
