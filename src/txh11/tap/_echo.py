"""
``twistd txh11 --echo``: a resource that describes every request it gets.

Any method, any path: the answer is ``200`` with a JSON object::

    {"method": "POST", "target": "/a?b=1", "version": "HTTP/1.1",
     "headers": [["Host", "example.com"], ...], "body_length": 12,
     "client": {"type": "IPv4Address", "host": "203.0.113.7", "port": 56324},
     "secure": false, "server": {"pid": 4242}}

``client`` is ``request.getClientAddress()``: behind a ``haproxy:`` endpoint
it is the address from the PROXY header. ``server.pid`` tells worker
processes apart (``--workers``). The body is read and counted, never echoed.
"""

from __future__ import annotations

import json
import os
from typing import Any

from twisted.web.iweb import IRequest
from twisted.web.resource import IResource, Resource
from zope.interface import implementer

__all__ = ["EchoResource", "describeRequest"]


def _text(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def _address(address: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": type(address).__name__}
    for name in ("host", "port", "name"):
        value = getattr(address, name, None)
        if value is not None:
            out[name] = value if name == "port" else _text(value)
    return out


def _bodyLength(content: Any) -> int:
    if content is None:
        return 0
    return content.seek(0, os.SEEK_END)  # the new position: the size


def describeRequest(request: IRequest) -> dict[str, Any]:
    """The JSON-ready description of ``request`` that ``--echo`` answers."""
    headers = [
        [_text(name), _text(value)]
        for name, values in request.requestHeaders.getAllRawHeaders()
        for value in values
    ]
    return {
        "method": _text(request.method),
        "target": _text(request.uri),
        "version": _text(request.clientproto),
        "headers": headers,
        "body_length": _bodyLength(getattr(request, "content", None)),
        "client": _address(request.getClientAddress()),
        "secure": bool(request.isSecure()),
        "server": {"pid": os.getpid()},
    }


@implementer(IResource)
class EchoResource(Resource):
    """Answers every request, at every path, with :func:`describeRequest`."""

    isLeaf = True

    def render(self, request: IRequest) -> bytes:  # type: ignore[override]
        body = json.dumps(describeRequest(request), indent=2).encode("utf-8") + b"\n"
        request.setHeader(b"content-type", b"application/json")
        request.setHeader(b"cache-control", b"no-store")
        return body
