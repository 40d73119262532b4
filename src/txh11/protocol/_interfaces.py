"""
What the bridge's parts and its users agree on: the handler interface the
bridge reports to, the zero-copy consumer interface, and the names of pause
reasons and timeouts.
"""

from __future__ import annotations

from typing import Any, Optional

from twisted.internet import abstract
from twisted.internet.interfaces import IConsumer, IPullProducer
from twisted.python.failure import Failure
from zope.interface import Interface

__all__ = [
    "IHTTP11Handler",
    "IZeroCopyConsumer",
    "BodyLengthError",
    "PAUSE_PIPELINE",
    "PAUSE_CONSUMER",
    "TIMEOUT_IDLE",
    "TIMEOUT_HEADER",
    "TIMEOUT_BODY",
]

PAUSE_PIPELINE = "pipeline"
PAUSE_CONSUMER = "consumer"

TIMEOUT_IDLE = "idle"
TIMEOUT_HEADER = "header"
TIMEOUT_BODY = "body"


class BodyLengthError(Exception):
    """
    A body producer wrote more or fewer bytes than its length promised.
    The connection has been aborted.
    """


class IHTTP11Handler(Interface):
    """
    What :class:`~txh11.protocol.HTTP11Protocol` reports to: the server's
    and the client's per-connection logic, or the protocol itself (a
    subclass overriding these methods) when it was made without a handler.

    Every method is called from the bridge with a fresh call stack (see
    the guarantees in :doc:`/embedding`); an exception raised by one is
    logged and aborts the connection.  A handler drives the connection
    through the protocol's public methods (``sendEvent``, ``pauseReading``,
    ``loseConnection``, ...), never the other way round.
    """

    def eventReceived(event: Any) -> None:
        """An event from the peer, in wire order: ``Request``,
        ``InformationalResponse``, ``Response``, ``Data``, ``EndOfMessage``,
        ``ConnectionClosed``."""

    def protocolErrorReceived(exc: Exception) -> None:
        """The peer broke the protocol (a ``RemoteProtocolError`` from the
        core; its ``their_state`` is ``ERROR``).  Nothing more is read."""

    def cycleCompleted(reusable: bool) -> None:
        """
        Both sides finished their message.  For a handler other than the
        protocol itself, the bridge has already started the next cycle
        (``reusable``) or begun a graceful close (not reusable) when this
        is called; a handler that wants the connection closed anyway calls
        ``loseConnection()``.  (A subclass's own ``cycleCompleted`` decides
        instead, as it always did: its default starts the next cycle or
        closes.)
        """

    def timeoutReached(kind: str) -> None:
        """The read timeout ``kind`` (``TIMEOUT_IDLE``, ``TIMEOUT_HEADER``,
        ``TIMEOUT_BODY``) fired."""

    def connectionClosed(reason: Failure) -> None:
        """The transport is gone: fail everything still pending."""

    def protocolSwitched(data: bytes) -> None:
        """Both sides switched protocols (Upgrade + 101, or CONNECT + 2xx):
        the bridge stopped parsing HTTP and is no longer the transport's
        producer; ``data`` are the bytes already received after the switch,
        later bytes go to :meth:`rawDataReceived`."""

    def rawDataReceived(data: bytes) -> None:
        """Bytes received after a protocol switch."""


class IZeroCopyConsumer(IConsumer):
    """
    A consumer that can lend its plain TCP transport to a producer, so that
    the producer can write to the socket without Python seeing the bytes
    (``os.sendfile``).

    Protocol: ``zeroCopyTransport()``; if not ``None``,
    ``startZeroCopy(driver)`` (flushes pending output, then registers
    ``driver`` as the transport's *pull* producer, whose ``resumeProducing``
    the transport calls whenever its own buffer is empty: that is the
    writability signal), report every byte with ``zeroCopyWrote(n)``, and
    finish with ``stopZeroCopy()``.
    """

    def zeroCopyTransport() -> Optional[abstract.FileDescriptor]:
        """
        The plain TCP transport (a ``FileDescriptor`` whose ``getHandle()``
        is a stream socket, not TLS) or ``None``.
        """

    def transportBuffered() -> int:
        """
        How many bytes the transport still holds in its own write buffer;
        the driver writes to the socket only while that is 0 (else bytes
        would overtake them).
        """

    def startZeroCopy(driver: IPullProducer) -> None:
        """Hand the transport to ``driver`` (registered as a pull producer)."""

    def zeroCopyWrote(count: int) -> bool:
        """
        Account for ``count`` bytes written behind the transport's back.
        Returns ``False`` if that exceeded the promised length (the
        connection is then being aborted and the driver must stop).
        """

    def stopZeroCopy() -> None:
        """Give the transport back to the protocol."""
