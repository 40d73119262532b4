"""
HTTP/2 on :class:`txh11.web.Site`, served by Twisted's own implementation.

When ``twisted.web._http2`` imports (``pip install twisted[http2]``: the
``h2`` and ``priority`` packages), a Site offers ``h2, http/1.1`` in ALPN,
as twisted.web's does, and a connection that negotiated ``h2`` is handed to
Twisted's ``H2Connection`` with the same site, resources and
``requestFactory``.  Beyond twisted.web, a connection of any kind (cleartext
or TLS without ALPN) that begins with the HTTP/2 connection preface
(``PRI * HTTP/2.0``..., RFC 9113 3.3, "prior knowledge") goes there too.
Without the h2 stack a Site offers ``http/1.1`` only, and a preface is what
it always was: an HTTP/1.1 request for an unsupported version (``505``).

``Upgrade: h2c`` (RFC 7540 3.2, removed by RFC 9113) is not acted on: such
a request is answered over HTTP/1.1 like any other.

The decision is made once per connection, on its first bytes: a watcher
installed on the protocol by :func:`watch` looks at them (at most the 24
bytes of the preface are held back while they could still be one), then
removes itself, so HTTP/1.1 connections pay nothing after their first read.
"""

from __future__ import annotations

from typing import Any

try:
    from twisted.web._http2 import H2Connection
except ImportError:  # h2 or priority missing
    H2Connection = None

__all__ = ["PREFACE", "available", "protocols", "watch"]

#: the client connection preface of HTTP/2 (RFC 9113 3.4)
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

_H2 = b"h2"
_HTTP11 = b"http/1.1"


def available() -> bool:
    """Whether Twisted's HTTP/2 implementation can be used."""
    return H2Connection is not None


def protocols() -> list[bytes]:
    """The ALPN protocols a Site offers, most preferred first."""
    return [_H2, _HTTP11] if H2Connection is not None else [_HTTP11]


def watch(protocol: Any, site: Any) -> None:
    """Have ``protocol`` (a :class:`txh11.web.WebProtocol` not yet connected)
    hand its connection to HTTP/2 if it begins as one."""
    if H2Connection is not None:
        protocol.dataReceived = _FirstBytes(protocol, site).dataReceived


class _FirstBytes:
    """
    Sees the first bytes of a connection, then removes itself.

    :ivar protocol: the :class:`txh11.web.WebProtocol` watched
    :ivar site: its :class:`txh11.web.Site`
    :ivar seen: bytes held back while they are a beginning of the preface
    """

    __slots__ = ("protocol", "site", "seen")

    def __init__(self, protocol: Any, site: Any) -> None:
        self.protocol = protocol
        self.site = site
        self.seen = b""

    def dataReceived(self, data: bytes) -> None:
        protocol = self.protocol
        negotiated = getattr(protocol.transport, "negotiatedProtocol", None)
        if negotiated is None:  # cleartext, or TLS without ALPN
            data = self.seen + data
            if len(data) < len(PREFACE) and PREFACE.startswith(data):
                self.seen = data
                return
            if data.startswith(PREFACE):
                negotiated = _H2
        del protocol.dataReceived  # the class's own from now on
        if negotiated == _H2:
            _serveHTTP2(protocol, self.site, data)
        else:
            protocol.dataReceived(data)


def _serveHTTP2(protocol: Any, site: Any, data: bytes) -> None:
    """Hand ``protocol``'s connection to Twisted's HTTP/2 for ``site``, as
    twisted.web's ``_GenericHTTPChannelProtocol`` does, then ``data``."""
    h2 = H2Connection(site.reactor)
    h2.requestFactory = site.requestFactory
    h2.site = site
    h2.factory = site
    h2.timeOut = site.timeOut
    h2.callLater = site.reactor.callLater
    protocol.handOver(h2)
    transport = protocol.transport
    if transport is not None:
        # the transport's producer, so that it can apply back pressure
        transport.registerProducer(h2, True)
        if data:
            h2.dataReceived(data)
