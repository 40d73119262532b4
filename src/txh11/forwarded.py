"""
Trusted proxies: who the client is when a reverse proxy stands in between.

A proxy that terminates the client's connection tells the server about it in
request headers: ``X-Forwarded-For`` / ``X-Forwarded-Proto`` (the de facto
ones) or ``Forwarded`` (RFC 7239). Anyone can send those headers, so they
count only when the connection comes from a proxy we trust, and within the
list of hops they carry, only as far as hops we trust added them.

This module decides, with pure functions (standard library only, no I/O):

- :func:`parseTrustedProxies` reads an allow-list (``--forwarded-allow-ips``):
  addresses, CIDR ranges (IPv4 and IPv6), ``unix`` (peers on a UNIX socket)
  and ``*`` (everyone);
- :func:`forwardedFor` takes the peer's address and the request headers and
  returns what they say about the client (:class:`Forwarded`), or ``None``
  when the peer is not trusted or the headers say nothing usable.

The hops are read right to left (the nearest proxy appends last): each hop
that is a trusted proxy passes the question on to the one before it; the
first hop that is not trusted is the client (so a client cannot pose as
another by sending its own ``X-Forwarded-For``); if every hop is trusted the
leftmost one is. ``X-Forwarded-For`` is used when present, else ``Forwarded``
(a proxy that sets only one of them must drop the other from what clients
send). The scheme comes from the rightmost ``X-Forwarded-Proto`` value (set
by the nearest proxy) or from the ``proto=`` of the chosen ``Forwarded``
element.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Iterable, Optional, Union

__all__ = ["TrustedProxies", "Forwarded", "parseTrustedProxies", "forwardedFor"]

_Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]
_Address = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]

_SECURE = {"https": True, "wss": True, "http": False, "ws": False}


def _ip(host: str) -> Optional[_Address]:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:127.0.0.1 from a tcp6 socket
    return address


@dataclass(frozen=True)
class TrustedProxies:
    """
    An allow-list of proxies.

    :ivar networks: the trusted addresses and ranges.
    :ivar everyone: ``*``: every peer is trusted.
    :ivar unix: peers on a UNIX socket (no address) are trusted.
    """

    networks: tuple[_Network, ...] = ()
    everyone: bool = False
    unix: bool = False

    def trusts(self, host: Optional[str]) -> bool:
        """Whether the peer or hop at ``host`` (``None``: a UNIX socket) is trusted."""
        if self.everyone:
            return True
        if host is None:
            return self.unix
        address = _ip(host)
        return address is not None and any(address in network for network in self.networks)


def parseTrustedProxies(text: str) -> TrustedProxies:
    """
    ``"127.0.0.1"``, ``"10.0.0.0/8, ::1, fd00::/8"``, ``"unix"``, ``"*"`` ->
    :class:`TrustedProxies`. Raises ``ValueError`` for anything else.
    """
    networks: list[_Network] = []
    everyone = unix = False
    for entry in (part.strip() for part in text.split(",")):
        if entry == "*":
            everyone = True
        elif entry.lower() == "unix":
            unix = True
        elif entry:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                raise ValueError(f"not an address, a CIDR range, 'unix' or '*': {entry!r}")
    if not (networks or everyone or unix):
        raise ValueError("no address given")
    return TrustedProxies(tuple(networks), everyone, unix)


@dataclass(frozen=True)
class Forwarded:
    """
    What trusted proxy headers say about the client.

    :ivar host: the client's IP address, or ``None`` if not said.
    :ivar port: its port (``0`` if not said).
    :ivar secure: whether the client used TLS (``https``), or ``None`` if not said.
    """

    host: Optional[str]
    port: int = 0
    secure: Optional[bool] = None


def _splitHostPort(text: str) -> Optional[tuple[str, int]]:
    """``1.2.3.4``, ``1.2.3.4:80``, ``::1``, ``[::1]``, ``[::1]:80`` -> (ip, port)."""
    text = text.strip().strip('"')
    host, port = text, "0"
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            return None
        port = rest[1:] or "0"
    elif text.count(":") == 1:
        host, port = text.split(":")
    if _ip(host) is None or not port.isdigit() or int(port) > 65535:
        return None
    return host, int(port)


def _pick(trusted: TrustedProxies, hops: list[Optional[tuple[str, int]]]) -> Optional[int]:
    """The index of the client among ``hops`` (unparseable ones are ``None``)."""
    chosen = None
    for index in range(len(hops) - 1, -1, -1):
        hop = hops[index]
        if hop is None:
            break  # what lies beyond an unreadable hop cannot be trusted
        chosen = index
        if not trusted.trusts(hop[0]):
            break
    return chosen


def _forwardedElements(values: list[str]) -> list[dict[str, str]]:
    """RFC 7239: ``for=a;proto=https, for="[::1]:80"`` -> one dict per element."""
    elements = []
    for element in ",".join(values).split(","):
        pairs: dict[str, str] = {}
        for pair in element.split(";"):
            name, sep, value = pair.partition("=")
            if sep:
                pairs[name.strip().lower()] = value.strip().strip('"')
        elements.append(pairs)
    return elements


def _fromXForwarded(
    trusted: TrustedProxies, forwardedFor: list[str], proto: list[str]
) -> Optional[Forwarded]:
    secure = None
    protos = [p.strip().lower() for p in ",".join(proto).split(",") if p.strip()]
    if protos:
        secure = _SECURE.get(protos[-1])
    hops = [_splitHostPort(hop) for hop in ",".join(forwardedFor).split(",")] if forwardedFor else []
    index = _pick(trusted, hops)
    if index is None:
        return Forwarded(None, 0, secure) if secure is not None else None
    host, port = hops[index]  # type: ignore[misc]
    return Forwarded(host, port, secure)


def _fromForwarded(trusted: TrustedProxies, values: list[str]) -> Optional[Forwarded]:
    elements = _forwardedElements(values)
    hops = [_splitHostPort(e["for"]) if "for" in e else None for e in elements]
    index = _pick(trusted, hops)
    if index is None:
        return None
    host, port = hops[index]  # type: ignore[misc]
    return Forwarded(host, port, _SECURE.get(elements[index].get("proto", "").lower()))


def forwardedFor(
    trusted: TrustedProxies,
    peerHost: Optional[str],
    headers: Iterable[tuple[bytes, bytes]],
) -> Optional[Forwarded]:
    """
    What the proxy headers among ``headers`` (lowercase names, as the core
    gives them) say about the client, if the peer at ``peerHost`` (``None``
    for a UNIX socket) is trusted; else, or if they say nothing usable,
    ``None``.
    """
    if not trusted.trusts(peerHost):
        return None
    found: dict[bytes, list[str]] = {b"x-forwarded-for": [], b"x-forwarded-proto": [], b"forwarded": []}
    for name, value in headers:
        if name in found:
            found[name].append(value.decode("latin-1"))
    if found[b"x-forwarded-for"] or not found[b"forwarded"]:
        return _fromXForwarded(trusted, found[b"x-forwarded-for"], found[b"x-forwarded-proto"])
    return _fromForwarded(trusted, found[b"forwarded"])
