"""Core header lists into Twisted's ``Headers``, for the layers above the bridge.

The server side (:mod:`txh11.web`) hands request headers to twisted.web and the
client (:mod:`txh11.client`) hands response headers and trailers to
``IResponse`` users; both go through here.
"""

from typing import Any

from twisted.web.http_headers import Headers

from txh11._twisted import rawHeaders

__all__ = ["copyToTwistedHeaders", "toTwistedHeaders"]


def _rawHeadersUsable() -> bool:
    """
    Whether :func:`copyToTwistedHeaders` may fill a Twisted ``Headers``
    through its private dict (:func:`txh11._twisted.rawHeaders`): only if
    this Twisted keeps the values of a name in a list under one key and
    reads them back from there.
    """
    try:
        probe = Headers()
        probe.addRawHeader(b"x-txh11-probe", b"1")
        raw = rawHeaders(probe)
        if type(raw) is not dict or len(raw) != 1:
            return False
        (key,) = raw
        if raw[key] != [b"1"]:
            return False
        raw[key].append(b"2")
        return (
            probe.getRawHeaders(b"x-txh11-probe") == [b"1", b"2"]
            and list(probe.getAllRawHeaders()) == [(key, [b"1", b"2"])]
        )
    except Exception:
        return False


_FAST_HEADERS = _rawHeadersUsable()

#: core (lowercase) header name -> the key Twisted's Headers files it under
_twistedKeys: dict[bytes, bytes] = {}
_TWISTED_KEYS_LIMIT = 1024


def _twistedKey(name: bytes) -> bytes:
    probe = Headers()
    probe.addRawHeader(name, b"")
    (key,) = rawHeaders(probe)
    if len(_twistedKeys) < _TWISTED_KEYS_LIMIT:
        _twistedKeys[name] = key
    return key


def copyToTwistedHeaders(fields: Any, headers: Headers) -> None:
    """
    Add the core's request header ``fields`` to the Twisted ``headers``, as
    ``addRawHeader`` would, in one pass.  The core validated every name (a
    token) and value (no CR, LF or NUL), so Twisted's checks and line
    folding have nothing to do: the values go straight into their lists.
    """
    raw = rawHeaders(headers) if _FAST_HEADERS and type(headers) is Headers else None
    if raw is None:
        add = headers.addRawHeader
        for name, value in fields:
            add(name, value)
        return
    keys = _twistedKeys
    for name, value in fields:
        key = keys.get(name)
        if key is None:
            key = _twistedKey(name)
        values = raw.get(key)
        if values is None:
            raw[key] = [value]
        else:
            values.append(value)


def toTwistedHeaders(fields: Any) -> Headers:
    """A new Twisted ``Headers`` holding the core's header list ``fields``."""
    headers = Headers()
    copyToTwistedHeaders(fields, headers)
    return headers
