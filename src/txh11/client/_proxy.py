"""
Which forward proxy a request goes through: :class:`Proxy` and
:class:`ProxySettings`.

A :class:`Proxy` is one ``http://[user:password@]host[:port]`` URL: where
the proxy listens and, when the URL has credentials, the
``Proxy-Authorization: Basic ...`` value it is sent.  :class:`ProxySettings`
says which proxy serves which request: one for ``http`` URIs, one for
``https`` URIs, and the hosts reached directly (``noProxy``).
:meth:`ProxySettings.fromEnvironment` reads them the way curl, requests and
httpx do:

- ``http_proxy`` / ``HTTP_PROXY`` for ``http`` URIs, ``https_proxy`` /
  ``HTTPS_PROXY`` for ``https`` URIs, ``all_proxy`` / ``ALL_PROXY`` for
  either when its own is unset; the lower-case name wins; ``HTTP_PROXY``
  in upper case is ignored when ``REQUEST_METHOD`` is set (a CGI script,
  where a request's ``Proxy:`` header arrives as ``HTTP_PROXY``: "httpoxy");
- ``no_proxy`` / ``NO_PROXY``: a comma-separated list; ``*`` alone means no
  proxy at all; a name matches itself and its subdomains (``example.com``,
  ``.example.com`` and ``*.example.com`` all match ``api.example.com`` and
  ``example.com``); an IP address matches itself, a CIDR range
  (``127.0.0.0/8``, ``::1/128``) the addresses in it; ``host:port`` (or
  ``[v6]:port``) matches that port only.  Names compare without case.

Nothing is special about ``localhost``: list it (``NO_PROXY=localhost,127.0.0.1,::1``)
to reach local servers directly, as with curl and requests.
"""

from __future__ import annotations

import base64
import ipaddress
import os
from typing import Any, Mapping, Optional, Union
from urllib.parse import unquote, urlsplit

from twisted.web.client import URI

__all__ = ["Proxy", "ProxySettings"]

_Address = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]


class Proxy:
    """
    A forward proxy given as ``http://[user:password@]host[:port]`` (port
    80 when left out; a bare ``host:port`` is taken as ``http://``).

    :ivar host: the proxy's host name or address (bytes, IPv6 without
        brackets).
    :ivar port: its port.
    :ivar authorization: ``b"Basic ..."`` for the credentials in the URL,
        else ``None``.
    :ivar endpoint: the ``IStreamClientEndpoint`` to reach it by, when made
        with :meth:`atEndpoint`; else ``None`` (``host`` and ``port``).
    """

    __slots__ = ("host", "port", "authorization", "endpoint")

    @classmethod
    def atEndpoint(cls, endpoint: Any, authorization: Optional[bytes] = None) -> "Proxy":
        """A proxy reached through ``endpoint`` (what Twisted's
        ``ProxyAgent`` takes), sent ``authorization`` as its
        ``Proxy-Authorization`` value if given."""
        proxy = cls.__new__(cls)
        proxy.host, proxy.port = b"", 0
        proxy.authorization = authorization
        proxy.endpoint = endpoint
        return proxy

    @property
    def key(self) -> tuple[Any, ...]:
        """What tells this proxy apart in a pool key."""
        return (self.host, self.port) if self.endpoint is None else (self.endpoint,)

    def __init__(self, url: Union[str, bytes]) -> None:
        self.endpoint: Any = None
        text = url.decode("ascii") if isinstance(url, bytes) else url
        if "://" not in text:
            text = "http://" + text
        parts = urlsplit(text)
        if parts.scheme.lower() != "http":
            raise ValueError(
                f"proxy {self._redacted(text)!r}: only http:// proxies are supported"
            )
        try:
            port = parts.port
        except ValueError:
            raise ValueError(f"proxy {self._redacted(text)!r}: bad port") from None
        if not parts.hostname:
            raise ValueError(f"proxy {self._redacted(text)!r}: no host")
        hostname = parts.hostname
        self.host = hostname.encode("ascii") if hostname.isascii() else hostname.encode("idna")
        self.port = 80 if port is None else port
        self.authorization: Optional[bytes] = None
        if parts.username is not None:
            user = unquote(parts.username)
            password = unquote(parts.password or "")
            token = base64.b64encode(f"{user}:{password}".encode("utf-8"))
            self.authorization = b"Basic " + token

    @staticmethod
    def _redacted(text: str) -> str:
        """``text`` without the password, for messages."""
        scheme, rest = text.split("://", 1) if "://" in text else ("", text)
        if "@" in rest.split("/", 1)[0]:
            rest = "***@" + rest.split("@", 1)[1]
        return f"{scheme}://{rest}" if scheme else rest

    @property
    def authority(self) -> bytes:
        """``host:port`` (IPv6 in brackets)."""
        host = b"[" + self.host + b"]" if b":" in self.host else self.host
        return b"%s:%d" % (host, self.port)

    def __repr__(self) -> str:
        auth = " with credentials" if self.authorization else ""
        where = self.endpoint if self.endpoint is not None else f"http://{self.authority.decode()}"
        return f"<Proxy {where}{auth}>"


def _asProxy(value: Union[Proxy, str, bytes, None]) -> Optional[Proxy]:
    if value is None or isinstance(value, Proxy):
        return value
    if not value:
        return None
    return Proxy(value)


class _Bypass:
    """One ``no_proxy`` entry."""

    __slots__ = ("name", "network", "port")

    def __init__(self, entry: str) -> None:
        self.port: Optional[int] = None
        self.network: Optional[Union[ipaddress.IPv4Network, ipaddress.IPv6Network]] = None
        entry = entry.strip().lower()
        if entry.startswith("["):  # [v6] or [v6]:port
            host, _, rest = entry[1:].partition("]")
            if rest.startswith(":") and rest[1:].isdigit():
                self.port = int(rest[1:])
            entry = host
        elif entry.count(":") == 1:
            host, _, port = entry.partition(":")
            if port.isdigit():
                entry, self.port = host, int(port)
        try:
            self.network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            pass
        self.name = entry.lstrip("*").lstrip(".")

    def matches(self, host: str, address: Optional[_Address], port: int) -> bool:
        if self.port is not None and self.port != port:
            return False
        if self.network is not None:
            return address is not None and address in self.network
        name = self.name
        return bool(name) and (host == name or host.endswith("." + name))


class ProxySettings:
    """
    Which proxy serves which request: ``http`` and ``https`` (each a
    :class:`Proxy`, a proxy URL or ``None`` for none) and ``noProxy`` (a
    ``no_proxy`` string or a list of its entries; see the module docstring).
    """

    def __init__(
        self,
        http: Union[Proxy, str, bytes, None] = None,
        https: Union[Proxy, str, bytes, None] = None,
        noProxy: Union[str, list[str], tuple[str, ...]] = (),
    ) -> None:
        self.http = _asProxy(http)
        self.https = _asProxy(https)
        entries = noProxy.split(",") if isinstance(noProxy, str) else list(noProxy)
        entries = [e.strip() for e in entries if e.strip()]
        self.bypassAll = "*" in entries
        self._bypass = [_Bypass(e) for e in entries if e != "*"]

    @classmethod
    def fromEnvironment(cls, environ: Optional[Mapping[str, str]] = None) -> "ProxySettings":
        """The settings ``http_proxy``, ``https_proxy``, ``all_proxy`` and
        ``no_proxy`` give (``os.environ`` unless ``environ`` is given)."""
        env = os.environ if environ is None else environ
        cgi = "REQUEST_METHOD" in env

        def get(name: str) -> str:
            value = env.get(name)
            if value is None and not (cgi and name == "http_proxy"):
                value = env.get(name.upper())
            return (value or "").strip()

        anyProxy = get("all_proxy")
        return cls(
            http=get("http_proxy") or anyProxy or None,
            https=get("https_proxy") or anyProxy or None,
            noProxy=get("no_proxy"),
        )

    def proxyFor(self, uri: URI) -> Optional[Proxy]:
        """The proxy for ``uri``, or ``None`` to connect directly."""
        scheme = uri.scheme
        proxy = self.http if scheme == b"http" else self.https if scheme == b"https" else None
        if proxy is None or self.bypassAll:
            return None
        if self._bypass and self._bypasses(uri.host, uri.port):
            return None
        return proxy

    def _bypasses(self, rawHost: bytes, port: int) -> bool:
        host = rawHost.decode("ascii", "replace").lower().strip("[]").rstrip(".")
        try:
            address: Optional[_Address] = ipaddress.ip_address(host)
        except ValueError:
            address = None
        return any(b.matches(host, address, port) for b in self._bypass)

    def __repr__(self) -> str:
        return f"<ProxySettings http={self.http!r} https={self.https!r}>"
