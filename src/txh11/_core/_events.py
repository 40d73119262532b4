"""The events of an HTTP/1.1 conversation: what is sent and received.

Events are immutable, final, keyword-only classes. Constructors normalise to
bytes and validate, raising :exc:`LocalProtocolError`; the parser builds them
through ``_parsed`` constructors that skip the checks it has already made.
"""

from http import HTTPStatus
from typing import Any, ClassVar, Dict, Tuple

from ._abnf import http_version_re, method_re, reason_re, target_re
from ._errors import LocalProtocolError
from ._headers import EMPTY_HEADERS, Headers, bytesify, normalize_and_validate

__all__ = [
    "Event",
    "Request",
    "InformationalResponse",
    "Response",
    "Data",
    "EndOfMessage",
    "ConnectionClosed",
]

_set = object.__setattr__


class Event:
    """Base class for all events. Concrete event classes are final."""

    __slots__ = ()
    _fields: ClassVar[Tuple[str, ...]] = ()
    _final: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        for base in cls.__mro__[1:]:
            if base.__dict__.get("_final"):
                raise TypeError(f"{base.__name__} is a final class and cannot be subclassed")
        super().__init_subclass__(**kwargs)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} events are immutable: make a new one")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} events are immutable")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in self._fields)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        fields = ", ".join(f"{f}={getattr(self, f)!r}" for f in self._fields)
        return f"{type(self).__name__}({fields})"

    def __reduce__(self) -> Any:
        return (_rebuild, (type(self), tuple(getattr(self, f) for f in self._fields)))


def _rebuild(cls: type, values: tuple) -> Event:
    self: Event = object.__new__(cls)
    for f, v in zip(cls._fields, values):  # type: ignore[attr-defined]
        _set(self, f, v)
    return self


def _version(value: Any) -> bytes:
    value = bytesify(value)
    if http_version_re.fullmatch(value) is None:
        raise LocalProtocolError(f"illegal http_version {value!r}: expected e.g. b'1.1'")
    return value


class Request(Event):
    """The start of a request: method, target, headers and HTTP version.

    An HTTP/1.1 request must carry exactly one ``Host`` header.
    """

    __slots__ = ("method", "target", "headers", "http_version")
    _fields = __slots__
    _final = True

    method: bytes
    target: bytes
    headers: Headers
    http_version: bytes

    def __init__(
        self, *, method: Any, target: Any, headers: Any, http_version: Any = b"1.1"
    ) -> None:
        method = bytesify(method)
        if method_re.fullmatch(method) is None:
            raise LocalProtocolError(f"illegal method {method!r}: must be a token such as b'GET'")
        target = bytesify(target)
        if target_re.fullmatch(target) is None:
            raise LocalProtocolError(
                f"illegal target {target!r}: no spaces or control characters (percent-encode them)"
            )
        headers = normalize_and_validate(headers)
        http_version = _version(http_version)
        if headers.host_count != 1:
            _check_host(headers, http_version)
        _set_method(self, method)
        _set_target(self, target)
        _set_request_headers(self, headers)
        _set_request_version(self, http_version)

    @classmethod
    def _parsed(cls, method: bytes, target: bytes, headers: Headers, http_version: bytes) -> "Request":
        if headers.host_count != 1:
            _check_host(headers, http_version)
        self = object.__new__(cls)
        _set_method(self, method)
        _set_target(self, target)
        _set_request_headers(self, headers)
        _set_request_version(self, http_version)
        return self


# The events made for every message set their slots through the slot
# descriptors, which skips the attribute lookup object.__setattr__ does.
_set_method = Request.method.__set__  # type: ignore[attr-defined,misc]
_set_target = Request.target.__set__  # type: ignore[attr-defined,misc]
_set_request_headers = Request.headers.__set__  # type: ignore[attr-defined,misc]
_set_request_version = Request.http_version.__set__  # type: ignore[attr-defined,misc]


def _check_host(headers: Headers, http_version: bytes) -> None:
    """Raise unless the Host count suits the version (callers skip it for exactly one)."""
    count = headers.host_count
    if count == 1:
        return
    if count > 1:
        raise LocalProtocolError("a request may carry only one Host header")
    if http_version >= b"1.1":
        raise LocalProtocolError("missing mandatory Host header: HTTP/1.1 requests need one")


#: Each status code's standard reason phrase: what a response with no reason
#: is sent with, and a reason known valid without checking it.
STANDARD_REASONS: Dict[int, bytes] = {s.value: s.phrase.encode("ascii") for s in HTTPStatus}


class _ResponseBase(Event):
    __slots__ = ("status_code", "headers", "http_version", "reason")
    _fields = __slots__
    _range: ClassVar[Tuple[int, int]] = (0, 0)

    status_code: int
    headers: Headers
    http_version: bytes
    reason: bytes

    def __init__(
        self,
        *,
        status_code: Any,
        headers: Any = (),
        http_version: Any = b"1.1",
        reason: Any = b"",
    ) -> None:
        if type(status_code) is not int:
            if isinstance(status_code, int):
                status_code = int(status_code)
            else:
                try:
                    status_code = int(bytesify(status_code))
                except ValueError:
                    raise LocalProtocolError(f"status_code {status_code!r} is not an integer") from None
        low, high = self._range
        if not low <= status_code <= high:
            raise LocalProtocolError(
                f"{type(self).__name__} status_code must be in {low}..{high}, not {status_code}"
            )
        if reason != b"" and (type(reason) is not bytes or reason != STANDARD_REASONS.get(status_code)):
            reason = bytesify(reason)
            if reason_re.fullmatch(reason) is None:
                raise LocalProtocolError(f"illegal reason phrase {reason!r}")
        _set_status_code(self, status_code)
        _set_response_headers(self, normalize_and_validate(headers))
        _set_response_version(self, b"1.1" if http_version == b"1.1" else _version(http_version))
        _set_reason(self, reason)

    @classmethod
    def _parsed(cls, status_code: int, headers: Headers, http_version: bytes, reason: bytes) -> Any:
        self = object.__new__(cls)
        _set_status_code(self, status_code)
        _set_response_headers(self, headers)
        _set_response_version(self, http_version)
        _set_reason(self, reason)
        return self


_set_status_code = _ResponseBase.status_code.__set__  # type: ignore[attr-defined,misc]
_set_response_headers = _ResponseBase.headers.__set__  # type: ignore[attr-defined,misc]
_set_response_version = _ResponseBase.http_version.__set__  # type: ignore[attr-defined,misc]
_set_reason = _ResponseBase.reason.__set__  # type: ignore[attr-defined,misc]


class InformationalResponse(_ResponseBase):
    """A 1xx interim response, e.g. ``100 Continue`` or ``101 Switching Protocols``."""

    __slots__ = ()
    _range = (100, 199)
    _final = True


class Response(_ResponseBase):
    """The start of a final response (status 200-999)."""

    __slots__ = ()
    _range = (200, 999)
    _final = True


class Data(Event):
    """Part of a message body.

    ``data`` is a bytes-like object (or, with
    :meth:`Connection.send_with_data_passthrough`, any placeholder with
    ``__len__``). ``chunk_start``/``chunk_end`` mark the first and last Data
    event of a received chunk of a chunked body.
    """

    __slots__ = ("data", "chunk_start", "chunk_end")
    _fields = __slots__
    _final = True

    data: Any
    chunk_start: bool
    chunk_end: bool

    def __init__(self, *, data: Any, chunk_start: bool = False, chunk_end: bool = False) -> None:
        _set_data(self, data)
        _set_chunk_start(self, chunk_start)
        _set_chunk_end(self, chunk_end)

    @classmethod
    def _parsed(cls, data: Any, chunk_start: bool = False, chunk_end: bool = False) -> "Data":
        self = object.__new__(cls)
        _set_data(self, data)
        _set_chunk_start(self, chunk_start)
        _set_chunk_end(self, chunk_end)
        return self


_set_data = Data.data.__set__  # type: ignore[attr-defined,misc]
_set_chunk_start = Data.chunk_start.__set__  # type: ignore[attr-defined,misc]
_set_chunk_end = Data.chunk_end.__set__  # type: ignore[attr-defined,misc]


class EndOfMessage(Event):
    """The end of a message body, with trailer fields (chunked bodies only)."""

    __slots__ = ("headers",)
    _fields = __slots__
    _final = True

    headers: Headers

    def __init__(self, *, headers: Any = ()) -> None:
        _set_trailers(self, EMPTY_HEADERS if headers == () else normalize_and_validate(headers))

    @classmethod
    def _parsed(cls, headers: Headers = EMPTY_HEADERS) -> "EndOfMessage":
        self = object.__new__(cls)
        _set_trailers(self, headers)
        return self


_set_trailers = EndOfMessage.headers.__set__  # type: ignore[attr-defined,misc]


class ConnectionClosed(Event):
    """The peer (or we) will send nothing more on this connection."""

    __slots__ = ()
    _final = True
