"""
HTTP/2 on :class:`txh11.web.Site`, served by Twisted's own implementation.

When ``twisted.web._http2`` imports (``pip install twisted[http2]``: the
``h2`` and ``priority`` packages), a Site offers ``h2, http/1.1`` in ALPN,
as twisted.web's does, and a connection that negotiated ``h2`` is handed to
Twisted's ``H2Connection`` with the same site, resources and
``requestFactory`` when its TLS handshake completes (:func:`alpnChosen`,
from ``WebProtocol.handshakeCompleted``).  Without the h2 stack a Site
offers ``http/1.1`` only.

Beyond twisted.web, a connection (cleartext, or TLS without ALPN) that
begins with the HTTP/2 connection preface (RFC 9113 3.4, "prior
knowledge") goes there too.  Nothing is looked at on the way in: to the
core the preface's first 18 bytes are a request head of ``HTTP/2.0``
(``PRI *``, parsed as h11 parses it), which the server refuses with
``505``; :func:`prefaceReceived` (from
``WebProtocol.takeProtocolError``, asked only on a connection's first
request) recognises that error followed by the preface's last 6 bytes
(``SM\r\n\r\n``), and hands the connection over instead of answering.
HTTP/1.1 connections pay nothing for it.  Clients send the preface in one
piece; one cut before its end gets the ``505``, as without h2.

``Upgrade: h2c`` (RFC 7540 3.2, removed by RFC 9113) is not acted on: such
a request is answered over HTTP/1.1 like any other.
"""

from __future__ import annotations

from typing import Any

from twisted.logger import Logger

try:
    from twisted.web._http2 import H2Connection
except ImportError:  # h2 or priority missing
    H2Connection = None

__all__ = ["PREFACE", "alpnChosen", "available", "prefaceReceived", "protocols"]

#: the client connection preface of HTTP/2 (RFC 9113 3.4)
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

_log = Logger()

_H2 = b"h2"
_HTTP11 = b"http/1.1"


def available() -> bool:
    """Whether Twisted's HTTP/2 implementation can be used."""
    return H2Connection is not None


def protocols() -> list[bytes]:
    """The ALPN protocols a Site offers, most preferred first."""
    return [_H2, _HTTP11] if H2Connection is not None else [_HTTP11]


def alpnChosen(protocol: Any, site: Any) -> None:
    """``protocol``'s TLS handshake completed: if ALPN chose ``h2``, hand the
    connection to HTTP/2 before any byte of it is read."""
    if H2Connection is not None and protocol.transport.negotiatedProtocol == _H2:
        _serveHTTP2(protocol, site, b"")


#: what the core reads of the preface as a request head
_HEAD = PREFACE[:18]
#: and what is left after it
_REST = PREFACE[18:]


def prefaceReceived(protocol: Any, site: Any, exc: Exception) -> bool:
    """
    Whether ``exc``, the core's error on ``protocol``'s connection, is its
    reading of the HTTP/2 preface as the first request; if so the connection
    is handed to HTTP/2 with the preface and what followed it.
    """
    if H2Connection is None or getattr(exc, "error_status_hint", None) != 505:
        return False
    conn = protocol.conn
    rest = conn.trailing_data[0]
    # (the core parses the preface's head as a request of HTTP/2.0, as h11
    # does; the server refuses that version with this 505)
    if conn.their_http_version != b"2.0" or not rest.startswith(_REST):
        return False  # not the preface
    _log.debug("HTTP/2 with prior knowledge from {peer}", peer=protocol.peerName())
    _serveHTTP2(protocol, site, _HEAD + rest)
    return True


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
    # the transport's producer, so that it can apply back pressure
    transport.registerProducer(h2, True)
    if data:
        h2.dataReceived(data)
