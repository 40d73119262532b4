"""
Turning ``Agent.request()`` arguments into a validated request, before any
connection is made.

:func:`prepareRequest` checks the method, the URI and every header with the
core's own grammar and raises :class:`InvalidRequest` (a ``ValueError``) with
a message that says what is wrong; it decides the framing of the body:

- no body producer: no framing header, except ``Content-Length: 0`` for
  ``POST``, ``PUT`` and ``PATCH`` (RFC 9110 8.6);
- ``bodyProducer.length`` known: ``Content-Length``; the body goes through
  the bridge's passthrough path (``HTTP11Protocol.sendBody``) which checks
  the producer writes exactly that many bytes.  A
  :class:`txh11.bodies.FileBody` (or any placeholder with ``__len__``) is
  used as is, a ``twisted.web.client.FileBodyProducer`` over a regular file
  becomes a ``FileBody`` (``os.sendfile`` on plain TCP; the file is closed
  afterwards, as ``FileBodyProducer`` does), anything else is wrapped in a
  :class:`txh11.bodies.ProducerBody`;
- ``UNKNOWN_LENGTH``: ``Transfer-Encoding: chunked``.

``Content-Length`` and ``Transfer-Encoding`` given by the caller are replaced
by the agent's own framing.
"""

from __future__ import annotations

import os
import re
import stat
from typing import Any, Iterable, Mapping, Optional, Union

from twisted.internet.interfaces import IReactorTime
from twisted.web.client import URI, FileBodyProducer
from twisted.web.error import SchemeNotSupported
from twisted.web.http_headers import Headers
from twisted.web.iweb import UNKNOWN_LENGTH, IBodyProducer

import txh11 as h11
from txh11.client._proxy import Proxy, ProxySettings
from txh11.client._response import ClientRequest
from txh11.bodies import FileBody, ProducerBody

__all__ = ["InvalidRequest", "PreparedRequest", "prepareRequest", "HeadersLike"]

#: What ``Agent.request(headers=...)`` accepts.
HeadersLike = Union[
    Headers,
    Mapping[Union[str, bytes], Union[str, bytes, Iterable[Union[str, bytes]]]],
    Iterable[tuple[Union[str, bytes], Union[str, bytes]]],
    None,
]

BODY_NONE, BODY_LENGTH, BODY_CHUNKED = 0, 1, 2

_IDEMPOTENT_NO_BODY = frozenset([b"GET", b"HEAD", b"OPTIONS", b"DELETE", b"TRACE"])
_BODY_METHODS = frozenset([b"POST", b"PUT", b"PATCH"])
_FRAMING = frozenset([b"content-length", b"transfer-encoding"])
_SENSITIVE = frozenset([b"authorization", b"proxy-authorization", b"cookie"])
_BAD_URI = re.compile(rb"[\x00-\x20\x7f-\xff]")
_DEFAULT_PORTS = {b"http": 80, b"https": 443}


class InvalidRequest(ValueError):
    """The request cannot be sent as given; nothing was sent."""


class PreparedRequest:
    """A validated request: the core ``Request`` event and the body plan."""

    __slots__ = (
        "method",
        "uri",
        "parsedURI",
        "key",
        "event",
        "bodyKind",
        "bodyProducer",
        "placeholder",
        "closeFile",
        "expectContinue",
        "retryable",
        "proxy",
        "_givenHeaders",
        "_hostValue",
        "_clientRequest",
    )

    method: bytes
    uri: bytes
    parsedURI: URI
    key: tuple[bytes, bytes, int]
    event: Any
    bodyKind: int
    bodyProducer: Optional[IBodyProducer]
    placeholder: Any
    closeFile: Any
    expectContinue: bool
    retryable: bool
    #: the :class:`~txh11.client.Proxy` it goes through, or ``None``
    proxy: Optional[Proxy]

    @property
    def clientRequest(self) -> ClientRequest:
        """The ``IClientRequest`` for ``response.request`` (built once)."""
        cr = self._clientRequest
        if cr is None:
            given = self._givenHeaders
            if isinstance(given, Headers):
                headers = given.copy()
            else:
                headers = Headers()
                for name, value in given or ():
                    headers.addRawHeader(name, value)
            if self._hostValue is not None:
                headers.addRawHeader(b"Host", self._hostValue)
            cr = self._clientRequest = ClientRequest(
                self.method, self.uri, headers, self.parsedURI
            )
        return cr


def _bytes(value: Any, what: str) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        try:
            return value.encode("ascii")
        except UnicodeEncodeError:
            raise InvalidRequest(f"{what} {value!r} is not ASCII") from None
    raise InvalidRequest(f"{what} must be bytes, not {type(value).__name__}")


def _headerValue(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("latin-1")
    raise InvalidRequest(f"header value {value!r} must be bytes or str")


def _pairs(headers: HeadersLike) -> Iterable[tuple[bytes, list[bytes]]]:
    if headers is None:
        return ()
    if isinstance(headers, Headers):
        return headers.getAllRawHeaders()
    if isinstance(headers, Mapping):
        items: Iterable[Any] = headers.items()
    else:
        items = headers
    out = []
    for name, value in items:
        if isinstance(value, (bytes, str)):
            values = [_headerValue(value)]
        elif isinstance(value, (list, tuple)):
            values = [_headerValue(v) for v in value]
        else:
            raise InvalidRequest(f"header {name!r}: value {value!r} must be bytes, str or a list")
        out.append((_bytes(name, "header name"), values))
    return out


def hostValue(scheme: bytes, host: bytes, port: int) -> bytes:
    """The ``Host`` header for a URI (port omitted when it is the default)."""
    # (58 is b":": an int needle is searched for with memchr, while a bytes
    # one costs CPython 3.11 ~2k instructions for a failed int conversion)
    if 58 in host and not host.startswith(b"["):
        host = b"[" + host + b"]"
    if _DEFAULT_PORTS.get(scheme) == port:
        return host
    return host + b":%d" % (port,)


def _placeholder(
    producer: Any, length: int, reactor: Optional[IReactorTime]
) -> tuple[Any, Any]:
    """(passthrough placeholder, file to close afterwards or None)."""
    if hasattr(type(producer), "__len__"):
        if len(producer) != length:
            raise InvalidRequest(
                f"body {producer!r}: len() is {len(producer)} but length is {length}"
            )
        return producer, None
    if type(producer) is FileBodyProducer:
        f = getattr(producer, "_inputFile", None)
        try:
            fd = f.fileno()  # type: ignore[union-attr]
            if stat.S_ISREG(os.fstat(fd).st_mode) and f.tell() + length <= os.fstat(fd).st_size:  # type: ignore[union-attr]
                return FileBody(f, offset=f.tell(), count=length, reactor=reactor), f  # type: ignore[union-attr,arg-type]
        except (AttributeError, OSError, ValueError, TypeError):
            pass
    return ProducerBody(producer, length), None


def prepareRequest(
    method: Union[bytes, str],
    uri: Union[bytes, str],
    headers: HeadersLike = None,
    bodyProducer: Optional[IBodyProducer] = None,
    persistent: bool = True,
    reactor: Optional[IReactorTime] = None,
    proxies: Optional[ProxySettings] = None,
) -> PreparedRequest:
    """
    Validate and prepare a request.  Raises :class:`InvalidRequest` for a bad
    method, URI or header (CR, LF, spaces, control characters...).  With
    ``proxies``, a request that goes through a proxy is prepared for it
    (see :func:`_throughProxy`).
    """
    method = _bytes(method, "method")
    uri = _bytes(uri, "URI").strip()
    parsed, key, target, defaultHost = _parseURI(uri)
    proxy = None if proxies is None else proxies.proxyFor(parsed)
    simple = headers is None and bodyProducer is None
    if simple:
        event = _EVENT_CACHE.get((method, uri, persistent, proxy))
        if event is not None:
            if proxy is not None:
                key, target = _throughProxy(proxy, parsed, uri, key, target)
            return _prepared(method, uri, parsed, key, event, BODY_NONE, None, None, None,
                             False, None, defaultHost, proxy)

    fields, flags = _headerFields(headers)
    given: Any = headers if headers is None or isinstance(headers, Headers) else list(fields)
    host: Optional[bytes] = None
    if not flags & _HOST_GIVEN:
        host = defaultHost
        fields.insert(0, (b"Host", host))
    kind, placeholder, closeFile = _bodyFraming(method, bodyProducer, fields, reactor)
    if not persistent and not flags & _CONNECTION_GIVEN:
        fields.append((b"Connection", b"close"))
    if proxy is not None:
        key, target = _throughProxy(proxy, parsed, uri, key, target)
        if parsed.scheme == b"http" and proxy.authorization is not None:
            fields.append((b"Proxy-Authorization", proxy.authorization))
            flags |= _SENSITIVE_GIVEN
    event = _requestEvent(method, uri, target, fields, not flags & _SENSITIVE_GIVEN)
    if simple:
        _remember((method, uri, persistent, proxy), event)
    return _prepared(
        method, uri, parsed, key, event, kind, bodyProducer, placeholder, closeFile,
        kind != BODY_NONE and event.headers.expect_continue, given, host, proxy,
    )


_HOST_GIVEN, _CONNECTION_GIVEN, _SENSITIVE_GIVEN = 1, 2, 4


def _headerFields(headers: HeadersLike) -> tuple[list[tuple[bytes, bytes]], int]:
    """The caller's header fields less the framing ones, and which of
    ``Host``, ``Connection`` and credentials were among them."""
    fields: list[tuple[bytes, bytes]] = []
    flags = 0
    for name, values in _pairs(headers):
        lname = name.lower()
        if lname in _FRAMING:
            continue
        if lname in _SENSITIVE:
            flags |= _SENSITIVE_GIVEN
        elif lname == b"host":
            flags |= _HOST_GIVEN
        elif lname == b"connection":
            flags |= _CONNECTION_GIVEN
        fields.extend([(name, v) for v in values])
    return fields, flags


def _bodyFraming(
    method: bytes,
    bodyProducer: Optional[IBodyProducer],
    fields: list[tuple[bytes, bytes]],
    reactor: Optional[IReactorTime],
) -> tuple[int, Any, Any]:
    """Add the framing header for the body to ``fields``; return (body
    kind, passthrough placeholder, file to close afterwards)."""
    if bodyProducer is None:
        if method in _BODY_METHODS:
            fields.append((b"Content-Length", b"0"))
        return BODY_NONE, None, None
    if bodyProducer.length is UNKNOWN_LENGTH:
        fields.append((b"Transfer-Encoding", b"chunked"))
        return BODY_CHUNKED, None, None
    length = int(bodyProducer.length)  # type: ignore[call-overload]
    if length < 0:
        raise InvalidRequest(f"body length {length} is negative")
    fields.append((b"Content-Length", b"%d" % (length,)))
    if length == 0:
        return BODY_NONE, None, None
    placeholder, closeFile = _placeholder(bodyProducer, length, reactor)
    return BODY_LENGTH, placeholder, closeFile


def _requestEvent(
    method: bytes, uri: bytes, target: bytes, fields: list[tuple[bytes, bytes]], cacheable: bool
) -> Any:
    """The core's ``Request`` for these parts (cached unless it carries
    credentials, which are not kept in a module-level cache)."""
    fullKey = (method, target, tuple(fields)) if cacheable else None
    event = _EVENT_CACHE.get(fullKey) if fullKey is not None else None
    if event is None:
        try:
            # the core's own checks: method token, header names and values
            # (CR, LF, NUL...), target
            event = h11.Request(method=method, target=target, headers=fields)
        except h11.LocalProtocolError as e:
            raise InvalidRequest(f"cannot send {method!r} {uri!r}: {e}") from None
        if fullKey is not None:
            _remember(fullKey, event)
    return event


def _remember(key: Any, event: Any) -> None:
    if len(_EVENT_CACHE) >= _CACHE_SIZE:
        _EVENT_CACHE.clear()
    _EVENT_CACHE[key] = event


def _throughProxy(
    proxy: Proxy, parsed: URI, uri: bytes, key: tuple[Any, ...], target: bytes
) -> tuple[tuple[Any, ...], bytes]:
    """(pool key, request target) of a request through ``proxy``: plain
    ``http`` goes to the proxy in absolute form on connections shared by
    every origin; ``https`` goes through a tunnel of its own per origin and
    proxy credentials (a tunnel opened with other credentials is not
    reused), in origin form."""
    if parsed.scheme == b"http":
        return (b"http-proxy",) + proxy.key, uri.split(b"#", 1)[0]
    return key + (b"via",) + proxy.key + (proxy.authorization,), target


def _prepared(
    method: bytes,
    uri: bytes,
    parsed: URI,
    key: tuple[bytes, bytes, int],
    event: Any,
    kind: int,
    bodyProducer: Any,
    placeholder: Any,
    closeFile: Any,
    expectContinue: bool,
    givenHeaders: Any,
    host: Optional[bytes],
    proxy: Optional[Proxy] = None,
) -> PreparedRequest:
    p = PreparedRequest()
    p.method = method
    p.uri = uri
    p.parsedURI = parsed
    p.key = key
    p.event = event
    p.bodyKind = kind
    p.bodyProducer = bodyProducer
    p.placeholder = placeholder
    p.closeFile = closeFile
    p.expectContinue = expectContinue
    p.retryable = bodyProducer is None and method in _IDEMPOTENT_NO_BODY
    p._givenHeaders = givenHeaders
    p._hostValue = host
    p._clientRequest = None
    p.proxy = proxy
    return p


def _parseURI(uri: bytes) -> tuple[URI, tuple[bytes, bytes, int], bytes, bytes]:
    """(parsed URI, pool key, request target, Host value); cached."""
    hit = _URI_CACHE.get(uri)
    if hit is not None:
        return hit
    bad = _BAD_URI.search(uri)
    if bad is not None:
        raise InvalidRequest(
            f"invalid URI {uri!r}: byte {bad.group()!r} at {bad.start()} "
            "(spaces, CR, LF, control and non-ASCII bytes must be percent-encoded)"
        )
    try:
        parsed = URI.fromBytes(uri)
    except Exception as e:
        raise InvalidRequest(f"invalid URI {uri!r}: {e}") from None
    if not parsed.host:
        if parsed.scheme not in _DEFAULT_PORTS:
            # what the endpoint factory of Twisted's agent would say first
            raise SchemeNotSupported(f"Unsupported scheme: {parsed.scheme!r}")
        raise InvalidRequest(f"invalid URI {uri!r}: no host")
    result = (
        parsed,
        (parsed.scheme, parsed.host, parsed.port),
        parsed.originForm,
        hostValue(parsed.scheme, parsed.host, parsed.port),
    )
    if len(_URI_CACHE) >= _CACHE_SIZE:
        _URI_CACHE.clear()
    _URI_CACHE[uri] = result
    return result


# Bounded caches (cleared when full): URIs and request heads repeat; a
# cached head is an immutable core event that was validated once.
_CACHE_SIZE = 512
_URI_CACHE: dict[bytes, tuple[URI, tuple[bytes, bytes, int], bytes, bytes]] = {}
_EVENT_CACHE: dict[Any, Any] = {}
