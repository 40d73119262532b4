"""The events of an HTTP/1.1 conversation: what is sent and received.

Events are immutable, final, keyword-only classes. Constructors normalise to
bytes and validate, raising :exc:`LocalProtocolError`; the parser builds them
through the ``parsed_*`` functions, which skip the checks it has already made.
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

    def __new__(
        cls, *, method: Any, target: Any, headers: Any, http_version: Any = b"1.1"
    ) -> "Request":
        method = bytesify(method)
        if method_re.fullmatch(method) is None:
            raise LocalProtocolError(f"illegal method {method!r}: must be a token such as b'GET'")
        target = bytesify(target)
        if target_re.fullmatch(target) is None:
            # (h11's words; visible ASCII only: percent-encode the rest)
            raise LocalProtocolError("Illegal target characters")
        return parsed_request(method, target, normalize_and_validate(headers), _version(http_version))


def _check_host(headers: Headers, http_version: bytes) -> None:
    """Raise unless the Host count suits the version (callers skip it for exactly one)."""
    count = headers.host_count
    if count == 1:
        return
    if count > 1:
        raise LocalProtocolError("a request may carry only one Host header")
    if http_version == b"1.1":  # (only 1.1, as h11: PRI * HTTP/2.0 has none)
        raise LocalProtocolError("missing mandatory Host header: HTTP/1.1 requests need one")


#: Each status code's standard reason phrase: a reason known valid without
#: checking it (a response is sent with the reason it carries, even b"").
STANDARD_REASONS: Dict[int, bytes] = {s.value: s.phrase.encode("ascii") for s in HTTPStatus}


def _response_constructor(cls_name: str, low: int, high: int) -> Any:
    """The ``__new__`` of the response class ``cls_name``, whose status
    codes are ``low``..``high`` (a closure: cheaper than a class attribute).

    On the classes themselves, not on their shared base: the builder below
    derives from that base and must keep object's own constructor.
    """

    def __new__(
        cls: Any,
        *,
        status_code: Any,
        headers: Any = (),
        http_version: Any = b"1.1",
        reason: Any = b"",
    ) -> Any:
        if type(status_code) is not int:
            if isinstance(status_code, int):
                status_code = int(status_code)
            else:
                try:
                    status_code = int(bytesify(status_code))
                except ValueError:
                    raise LocalProtocolError(f"status_code {status_code!r} is not an integer") from None
        if not low <= status_code <= high:
            raise LocalProtocolError(
                f"{cls.__name__} status_code must be in {low}..{high}, not {status_code}"
            )
        if reason != b"" and (type(reason) is not bytes or reason != STANDARD_REASONS.get(status_code)):
            reason = bytesify(reason)
            if reason_re.fullmatch(reason) is None:
                raise LocalProtocolError(f"illegal reason phrase {reason!r}")
        # (parsed_response's body, written out: a call more costs a Response 0.5k instructions)
        self = _ResponseBuilder()
        self.status_code = status_code
        self.headers = normalize_and_validate(headers)
        self.http_version = b"1.1" if http_version == b"1.1" else _version(http_version)
        self.reason = reason
        self.__class__ = cls
        return self

    # (so that a call with wrong arguments says whose constructor it was)
    qualname = f"{cls_name}.__new__"
    __new__.__code__ = __new__.__code__.replace(co_qualname=qualname)
    __new__.__qualname__ = qualname
    return __new__


class _ResponseBase(Event):
    __slots__ = ("status_code", "headers", "http_version", "reason")
    _fields = __slots__

    status_code: int
    headers: Headers
    http_version: bytes
    reason: bytes


class InformationalResponse(_ResponseBase):
    """A 1xx interim response, e.g. ``100 Continue`` or ``101 Switching Protocols``."""

    __slots__ = ()
    _final = True
    __new__ = _response_constructor("InformationalResponse", 100, 199)  # type: ignore[assignment]


class Response(_ResponseBase):
    """The start of a final response (status 200-999)."""

    __slots__ = ()
    _final = True
    __new__ = _response_constructor("Response", 200, 999)  # type: ignore[assignment]


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

    def __new__(cls, *, data: Any, chunk_start: bool = False, chunk_end: bool = False) -> "Data":
        # (parsed_data's body, written out: a call more costs a Data 0.4k instructions)
        self = _DataBuilder()
        self.data = data
        self.chunk_start = chunk_start
        self.chunk_end = chunk_end
        self.__class__ = Data
        return self  # type: ignore[no-any-return]


class EndOfMessage(Event):
    """The end of a message body, with trailer fields (chunked bodies only)."""

    __slots__ = ("headers",)
    _fields = __slots__
    _final = True

    headers: Headers

    def __init__(self, *, headers: Any = ()) -> None:
        _set_trailers(self, EMPTY_HEADERS if headers == () else normalize_and_validate(headers))


_set_trailers = EndOfMessage.headers.__set__  # type: ignore[attr-defined,misc]


class ConnectionClosed(Event):
    """The peer (or we) will send nothing more on this connection."""

    __slots__ = ()
    _final = True


# Events are filled in as a mutable twin of their class ("builder"), with
# plain attribute stores, and then become that class: far cheaper than
# storing into the immutable class through its slot descriptors. The
# constructors (__new__, so that the object made is the builder's) check
# what they are given first; the parsed_* functions take parts already
# checked (by the parser, or an edit of an event).


def _builder(cls: type) -> Any:
    """A class with the same base and slots as the event class ``cls``, so
    that its instances may be turned into ``cls`` by ``__class__``
    assignment, but with ordinary attribute stores (both hooks must be
    object's own, or stores go through a Python-level slot) and no
    constructor arguments."""
    return type(
        f"_{cls.__name__}Builder",
        cls.__bases__,
        {
            "__slots__": cls.__dict__["__slots__"],
            "__init__": object.__init__,
            "__setattr__": object.__setattr__,
            "__delattr__": object.__delattr__,
            "__module__": __name__,
        },
    )


_RequestBuilder = _builder(Request)
# (one builder serves both response classes: same base, same slots)
_ResponseBuilder = _builder(Response)
_DataBuilder = _builder(Data)
_EndOfMessageBuilder = _builder(EndOfMessage)


def parsed_request(method: bytes, target: bytes, headers: Headers, http_version: bytes) -> Request:
    """A Request from a valid method, target and version (Host is checked here)."""
    if headers.host_count != 1:
        _check_host(headers, http_version)
    self = _RequestBuilder()
    self.method = method
    self.target = target
    self.headers = headers
    self.http_version = http_version
    self.__class__ = Request
    return self  # type: ignore[no-any-return]


def parsed_response(cls: Any, status_code: int, headers: Headers, http_version: bytes, reason: bytes) -> Any:
    """A ``cls`` (Response, or InformationalResponse) from valid parts, the
    status code in its range."""
    self = _ResponseBuilder()
    self.status_code = status_code
    self.headers = headers
    self.http_version = http_version
    self.reason = reason
    self.__class__ = cls
    return self


def parsed_data(data: Any, chunk_start: bool = False, chunk_end: bool = False) -> Data:
    """A Data event (any object may be its data: nothing to check)."""
    self = _DataBuilder()
    self.data = data
    self.chunk_start = chunk_start
    self.chunk_end = chunk_end
    self.__class__ = Data
    return self  # type: ignore[no-any-return]


def parsed_end_of_message(headers: Headers = EMPTY_HEADERS) -> EndOfMessage:
    self = _EndOfMessageBuilder()
    self.headers = headers
    self.__class__ = EndOfMessage
    return self  # type: ignore[no-any-return]
