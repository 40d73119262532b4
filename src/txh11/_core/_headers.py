"""Header lists: normalisation, validation and the framing facts they carry.

A :class:`Headers` object is an immutable sequence of ``(name, value)`` pairs
with lowercase byte names, that also remembers each name's original casing
(:meth:`Headers.raw_items`, and what goes on the wire). While a list is
normalised it is scanned once for the headers the connection cares about
(Content-Length, Transfer-Encoding, Connection, Expect, Upgrade, Host), so the
connection never has to look at a header list twice.
"""

from collections.abc import Sequence
from typing import Any, Dict, Iterator, List, Optional, Tuple, overload

from . import _caches
from ._abnf import field_value_re, host_re, token_re
from ._caches import LISTS, NAMES, PAIRS, VALID_HOSTS, remember
from ._errors import LocalProtocolError

__all__ = ["Headers", "normalize_and_validate", "bytesify"]

def bytesify(value: Any) -> bytes:
    """Return ``value`` as bytes: str must be ASCII, bytes-likes are copied."""
    if type(value) is bytes:
        return value
    if isinstance(value, str):
        try:
            return value.encode("ascii")
        except UnicodeEncodeError:
            raise LocalProtocolError(
                f"{value!r} is not ASCII: pass bytes, or encode the text yourself"
            ) from None
    if isinstance(value, int):
        raise TypeError(f"expected bytes or str, not int ({value!r})")
    return bytes(value)




class Headers(Sequence):
    """An immutable list of ``(lowercase_name, value)`` byte pairs.

    Compares equal to any sequence with the same pairs, so
    ``req.headers == [(b"host", b"example.com")]`` holds.
    """

    __slots__ = (
        "_items",
        "_raw",
        "content_length",
        "chunked",
        "connection",
        "expect_continue",
        "upgrade",
        "host_count",
        "_wire",
        "_edits",
    )

    _items: List[Tuple[bytes, bytes]]
    _raw: List[bytes]
    #: The Content-Length value, or None.
    content_length: Optional[int]
    #: Whether ``Transfer-Encoding: chunked`` is present.
    chunked: bool
    #: Lowercase tokens of all Connection headers (a tuple, possibly empty).
    connection: Tuple[bytes, ...]
    expect_continue: bool
    upgrade: bool
    host_count: int
    #: The header lines as sent, once a writer has needed them.
    _wire: Optional[bytes]
    #: Edited copies already made of these headers, by edit (see _remembered).
    _edits: Optional[Dict[tuple, "Headers"]]

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, idx: int) -> Tuple[bytes, bytes]: ...
    @overload
    def __getitem__(self, idx: slice) -> List[Tuple[bytes, bytes]]: ...
    def __getitem__(self, idx):  # type: ignore[no-untyped-def]
        return self._items[idx]

    def __iter__(self) -> Iterator[Tuple[bytes, bytes]]:
        return iter(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            return self._items == other._items
        try:
            return self._items == list(other)  # type: ignore[call-overload]
        except TypeError:
            return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<Headers({self._items!r})>"

    def raw_items(self) -> List[Tuple[bytes, bytes]]:
        """The pairs with each name in the casing it was given or received in."""
        return [(raw, value) for raw, (_, value) in zip(self._raw, self._items)]

    # One Headers object serves every message with the same fields (parsed
    # blocks and given lists are remembered across connections), so none of
    # its attributes may change once it is made.
    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Headers are immutable: make a new list")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Headers are immutable")

    def __reduce__(self) -> Any:
        # (copy and pickle would otherwise store each slot: refused)
        return (build_headers, (list(self._raw), list(self._items)))


_set = object.__setattr__


class _HeadersBuilder(Headers):
    """Headers while they are being made (by :func:`build_headers`, or as an
    edited copy): plain attribute stores, then ``__class__`` becomes
    :class:`Headers`."""

    __slots__ = ()
    __setattr__ = object.__setattr__  # type: ignore[assignment]
    __delattr__ = object.__delattr__  # type: ignore[assignment]


def build_headers(raw_names: List[bytes], items: List[Tuple[bytes, bytes]]) -> Headers:
    """Make Headers from names and values that are already valid.

    Still checks what matters across fields (framing, Host), because parsed
    input and user input share these rules. Raises LocalProtocolError.
    """
    h = _blank(raw_names, items)
    for name, value in items:
        if name in _SPECIAL:
            _NOTE_SPECIAL[name](h, value)
    # (Content-Length beside Transfer-Encoding is allowed here, as in h11:
    # a sender drops it, a server refuses it on receipt, a client frames
    # by Transfer-Encoding and closes; RFC 9112 6.1.)
    h.__class__ = Headers
    return h


def _blank(raw_names: List[bytes], items: List[Tuple[bytes, bytes]]) -> Headers:
    """Headers holding ``items``, with the facts of an empty list, still
    open to changes (a builder: the caller makes them final)."""
    h = _HeadersBuilder()  # (no __init__: this is the cheapest way to make one)
    h._items = items
    h._raw = raw_names
    h.content_length = None
    h.chunked = False
    h.connection = ()
    h.expect_continue = False
    h.upgrade = False
    h.host_count = 0
    h._wire = None
    h._edits = None
    return h


def _note_content_length(h: Headers, value: bytes) -> None:
    if not value.isdigit() or not value.isascii():
        raise LocalProtocolError(f"bad Content-Length {value!r}: must be decimal digits only")
    if h.content_length is not None and value != _first_content_length(h):
        # Compared as sent, as h11 and llhttp do: "05" and "5" are two
        # framings, and a message that spells its length two ways is
        # ambiguous to whoever else reads it (RFC 9112 6.3, 8).
        raise LocalProtocolError("conflicting Content-Length headers")
    h.content_length = int(value)


def _first_content_length(h: Headers) -> bytes:
    return next(value for name, value in h._items if name == b"content-length")


def _note_transfer_encoding(h: Headers, value: bytes) -> None:
    if h.chunked:
        raise LocalProtocolError(
            "Transfer-Encoding given twice; only a single 'chunked' is supported",
            error_status_hint=501,
        )
    if value.lower() != b"chunked":
        raise LocalProtocolError(
            f"unsupported Transfer-Encoding {value!r}: only 'chunked' is supported",
            error_status_hint=501,
        )
    h.chunked = True


def _note_connection(h: Headers, value: bytes) -> None:
    # (44 is b",": CPython 3.11 looks for an int in bytes with memchr, but
    # for a bytes needle first fails to read it as an int, at ~2k instructions)
    if 44 in value:
        h.connection += tuple(t.strip().lower() for t in value.split(b",") if t.strip())
    else:
        h.connection += (value.lower(),)


def _note_expect(h: Headers, value: bytes) -> None:
    if value.lower() == b"100-continue":
        h.expect_continue = True


def _note_upgrade(h: Headers, value: bytes) -> None:
    h.upgrade = True


def _note_host(h: Headers, value: bytes) -> None:
    h.host_count += 1
    if value not in VALID_HOSTS:
        if host_re.fullmatch(value) is None:
            raise LocalProtocolError(f"invalid Host header {value!r}")
        if len(VALID_HOSTS) >= _caches.VALID_HOSTS_LIMIT:
            VALID_HOSTS.clear()
        VALID_HOSTS.add(value)


# The headers the connection cares about, and what each tells it.
_NOTE_SPECIAL = {
    b"content-length": _note_content_length,
    b"transfer-encoding": _note_transfer_encoding,
    b"connection": _note_connection,
    b"expect": _note_expect,
    b"upgrade": _note_upgrade,
    b"host": _note_host,
}
_SPECIAL = frozenset(_NOTE_SPECIAL)


def _normalize_name(name: Any) -> Tuple[bytes, bytes]:
    """Return (raw, lowercase) for a header name given by the user."""
    if type(name) is bytes or type(name) is str:
        cached = NAMES.get(name)
        if cached is not None:
            return cached
    raw = bytesify(name)
    if token_re.fullmatch(raw) is None:
        raise LocalProtocolError(f"Illegal header name {raw!r}")
    result = (raw, raw.lower())
    if len(NAMES) < _caches.NAMES_LIMIT and isinstance(name, (bytes, str)):
        NAMES[name] = result
    return result


def _normalize_pair(pair: Any) -> Tuple[bytes, Tuple[bytes, bytes]]:
    name, value = pair
    raw, lname = _normalize_name(name)
    bvalue = value if type(value) is bytes else bytesify(value)
    if field_value_re.fullmatch(bvalue) is None:
        # (h11's words: its users compare the message)
        raise LocalProtocolError(f"Illegal header value {bvalue!r}")
    result = (raw, (lname, bvalue))
    if _is_plain(pair):
        remember(PAIRS, _caches.PAIRS_LIMIT, pair, result)
    return result


def normalize_and_validate(headers: Any) -> Headers:
    """Turn any iterable of (name, value) pairs into validated :class:`Headers`."""
    if type(headers) is Headers:
        return headers
    key = None
    if type(headers) is list or type(headers) is tuple:
        key = tuple(headers)
        try:
            cached = LISTS.get(key)
        except (TypeError, ValueError):  # unhashable: a list pair, a bytearray or writable memoryview inside
            key = None
        else:
            if cached is not None:
                return cached
    result = _normalize_all(headers)
    if key is not None and all([_is_plain(pair) for pair in key]):
        remember(LISTS, _caches.LISTS_LIMIT, key, result)
    return result


def _is_plain(pair: Any) -> bool:
    """Whether ``pair`` is a tuple of two bytes or str: safe to remember as
    a cache key (immutable, and equal only to pairs that validate alike)."""
    return (
        type(pair) is tuple
        and len(pair) == 2
        and type(pair[0]) in (bytes, str)
        and type(pair[1]) in (bytes, str)
    )


def _normalize_all(headers: Any) -> Headers:
    raw_names: List[bytes] = []
    items: List[Tuple[bytes, bytes]] = []
    cache_get = PAIRS.get
    for pair in headers:
        try:
            hit = cache_get(pair)
        except (TypeError, ValueError):  # unhashable: a list pair, a bytearray or writable memoryview inside
            hit = None
        if hit is None:
            hit = _normalize_pair(pair)
        raw_names.append(hit[0])
        items.append(hit[1])
    return build_headers(raw_names, items)


EMPTY_HEADERS = build_headers([], [])


def _edited(headers: Headers, raw_names: List[bytes], items: List[Tuple[bytes, bytes]]) -> Headers:
    """Headers for an edited copy of ``headers``, with the same facts: the
    caller updates the facts of whatever fields it changed."""
    h = _blank(raw_names, items)
    h.content_length = headers.content_length
    h.chunked = headers.chunked
    h.connection = headers.connection
    h.expect_continue = headers.expect_continue
    h.upgrade = headers.upgrade
    h.host_count = headers.host_count
    return h


def _remembered(headers: Headers, edit: tuple) -> Optional[Headers]:
    edits = headers._edits
    return None if edits is None else edits.get(edit)


def _remember(headers: Headers, edit: tuple, edited: Headers) -> Headers:
    # Headers are immutable, and a server that reuses a header list (see
    # _caches.LISTS) makes the same edit of it for every response.
    edits = headers._edits
    if edits is None:
        edits = {}
        _set(headers, "_edits", edits)
    edited.__class__ = Headers
    edits[edit] = edited
    return edited


def _without_connection(headers: Headers) -> Tuple[List[bytes], List[Tuple[bytes, bytes]]]:
    """The raw names and items of ``headers`` without their Connection headers."""
    raw_names = []
    items = []
    for raw, item in zip(headers._raw, headers._items):
        if item[0] != b"connection":
            raw_names.append(raw)
            items.append(item)
    return raw_names, items


def with_connection_tokens(headers: Headers, add: bytes, drop: bytes) -> Headers:
    """Return ``headers`` whose Connection header includes ``add`` and not ``drop``."""
    edit = (b"connection", add, drop)
    known = _remembered(headers, edit)
    if known is not None:
        return known
    tokens = [t for t in headers.connection if t not in (add, drop)]
    tokens.append(add)
    raw_names, items = _without_connection(headers)
    raw_names.append(b"Connection")
    items.append((b"connection", b", ".join(tokens)))
    edited = _edited(headers, raw_names, items)
    # What parsing the joined value would give: the tokens are already
    # lowercase and stripped, and an empty one (from an empty header) vanishes.
    edited.connection = tuple([t for t in tokens if t])
    return _remember(headers, edit, edited)


def with_framing(headers: Headers, chunked: bool) -> Headers:
    """Return ``headers`` without framing headers, plus TE: chunked if asked."""
    edit = (b"framing", chunked)
    known = _remembered(headers, edit)
    if known is not None:
        return known
    raw_names = []
    items = []
    for raw, item in zip(headers._raw, headers._items):
        if item[0] not in (b"transfer-encoding", b"content-length"):
            raw_names.append(raw)
            items.append(item)
    if chunked:
        raw_names.append(b"Transfer-Encoding")
        items.append((b"transfer-encoding", b"chunked"))
    edited = _edited(headers, raw_names, items)
    edited.content_length = None
    edited.chunked = chunked
    return _remember(headers, edit, edited)


def with_close(headers: Headers) -> Headers:
    """Return ``headers`` with their Connection headers replaced as h11
    replaces them on a closing response: one ``Connection`` line per token,
    sorted, ``close`` among them and ``keep-alive`` not."""
    edit = (b"close",)
    known = _remembered(headers, edit)
    if known is not None:
        return known
    tokens = sorted({t for t in headers.connection if t and t != b"keep-alive"} | {b"close"})
    raw_names, items = _without_connection(headers)
    for token in tokens:
        raw_names.append(b"Connection")
        items.append((b"connection", token))
    edited = _edited(headers, raw_names, items)
    edited.connection = tuple(tokens)
    return _remember(headers, edit, edited)
