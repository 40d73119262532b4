"""
How the client's parts know each other: a response body knows the exchange
that feeds it as an :class:`IBodySource` (never the connection), and an
exchange knows its connection as an :class:`IClientConnection` (so calls
go down to the exchange and its body, and report up through these
interfaces only).
"""

from __future__ import annotations

from typing import Any

from zope.interface import Attribute, Interface

__all__ = ["IBodySource", "IClientConnection"]


class IBodySource(Interface):
    """
    Where a response body comes from (one exchange on one connection).
    Every method is a no-op once the exchange is over.
    """

    def pause() -> None:
        """Stop reading the body from the network (the consumer is full, or
        nobody has claimed the body yet and enough of it is held)."""

    def resume() -> None:
        """Read the body again."""

    def abort() -> None:
        """The body is not wanted: close the connection (it cannot be
        reused with the rest of the body unread)."""

    def dropped() -> None:
        """The response was garbage collected with its body unclaimed and
        unfinished: close the connection soon (from a fresh call stack)."""

    def getPeer() -> Any:
        """The connection's remote address."""

    def getHost() -> Any:
        """The connection's local address."""


class IClientConnection(Interface):
    """What an exchange needs from the connection it runs on."""

    bridge = Attribute("The connection's txh11.protocol.HTTP11Protocol.")
    exchange = Attribute("The exchange in progress, or None.")
    expectContinueTimeout = Attribute("Seconds a body waits for 100 Continue.")
    unclaimedBodyLimit = Attribute("Bytes of a body read ahead before deliverBody.")

    def deliverResponse(d: Any, response: Any) -> None:
        """Fire ``d`` with ``response`` (once the current read is parsed)."""

    def exchangeEnded(exchange: Any, resume: bool = False) -> None:
        """``exchange`` is over; with ``resume``, read again."""

    def release() -> None:
        """Back to the pool, if the connection can be reused."""

    def close() -> None:
        """Close gracefully; the connection is never reused."""

    def abortConnection() -> None:
        """Close now; the connection is never reused."""
