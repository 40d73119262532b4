"""
Passthrough bodies: a body placeholder (``__len__`` plus the
``IBodyProducer`` methods, e.g. :class:`txh11.bodies.FileBody`) sent through
``Connection.send_with_data_passthrough``.  The core frames the body; the
placeholder's producer writes the raw bytes to a :class:`BodySender`, which
counts them against the promised length, aborts the connection if the
producer yields more or fewer, and offers the zero-copy hand-over of a plain
TCP transport (:class:`~txh11.protocol.IZeroCopyConsumer`).

The protocol hands a sender the capabilities that are not public (write
raw bytes, flush, and tell it the body ended) as callables; everything else is the
protocol's public API and its :class:`~._producers.Producers`.
"""

from __future__ import annotations

import socket
from typing import Any, Callable, Optional

from twisted.internet import abstract, defer
from twisted.internet.interfaces import IPullProducer
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from . import _socket
from ._interfaces import BodyLengthError, IZeroCopyConsumer
from ._output import Output
from ._producers import Producers

__all__ = ["BodySender"]

_log = Logger()


@implementer(IZeroCopyConsumer)
class BodySender:
    """
    One passthrough body on its way out, and the consumer its producer
    writes to.

    :ivar body: the placeholder being sent.
    :ivar length: the bytes it promised (``len(body)``).
    :ivar written: the bytes it wrote so far (through :meth:`write` or
        reported with :meth:`zeroCopyWrote`).
    :ivar failed: the body failed (too many or too few bytes, an error, the
        connection lost); what it still writes is dropped.
    :ivar finished: all of it was written.
    :ivar result: fires with ``None`` once written, or fails.
    """

    def __init__(
        self,
        body: Any,
        protocol: Any,
        producers: Producers,
        sock: Optional[socket.socket],
        output: Output,
        ended: Callable[[], None],
    ) -> None:
        self.body = body
        self.length = len(body)
        self.written = 0
        self.failed = False
        self.finished = False
        self.result: defer.Deferred[None] = defer.Deferred()
        self._protocol = protocol
        self._producers = producers
        self._socket = sock
        self._output = output
        self._writeRaw = output.writeRaw
        self._ended = ended
        self._suffix: list[Any] = []

    def start(self, parts: list[Any]) -> "Optional[defer.Deferred[Any]]":
        """
        Write ``parts`` (what the core framed: the head of the body, the
        placeholder, its tail) and start the body's producer in the
        placeholder's place.  Returns the producer's Deferred, for
        :meth:`send`, or ``None`` if the body is over already (nothing of
        it goes out, or it failed).
        """
        for i, part in enumerate(parts):
            if part is self.body:
                break
        else:  # nothing of the body goes out (a HEAD response, a 304...)
            self._ended()
            self._writeParts(parts)
            self.finished = True
            self.result.callback(None)
            return None
        self._writeParts(parts[:i])
        self._suffix = parts[i + 1 :]
        body = self.body
        if self._protocol.lost:
            self.fail(Failure(ConnectionError("connection lost")), abort=False)
            return None
        try:
            d = body.startProducing(self)
        except BaseException:
            self.fail(Failure())
            return None
        if not self.failed and not self.finished:
            # a child from now on; paused once if the transport is full
            producers = self._producers
            producers.child = body
            if producers.writePaused and producers.driver is None:
                body.pauseProducing()
        return d

    def send(self, parts: list[Any]) -> "defer.Deferred[None]":
        """:meth:`start`, corked: what the body writes at once (a small
        file) joins the head in one write (a zero-copy body flushes the head
        itself before its first ``sendfile()``); then follow the producer.
        Returns :attr:`result`."""
        output = self._output
        output.cork += 1
        try:
            produced = self.start(parts)
        finally:
            output.cork -= 1
            if output.cork == 0:
                output.flush()
        if produced is not None:
            produced.addCallbacks(self._produced, self._error)
        return self.result

    def _writeParts(self, parts: list[Any]) -> None:
        if parts:
            self._writeRaw(parts[0] if len(parts) == 1 else b"".join(parts))

    def _produced(self, _: Any) -> None:
        if self.failed:
            return
        if self.written != self.length:
            self.fail(
                Failure(BodyLengthError(f"body produced {self.written} of {self.length} bytes"))
            )
            return
        self.finished = True
        self._ended()
        if self._producers.child is self.body:
            self._producers.child = None
        self._writeParts(self._suffix)
        self.result.callback(None)

    def _error(self, f: Failure) -> None:
        if not self.failed:
            self.fail(f)

    def fail(self, reason: Failure, abort: bool = True) -> None:
        """End the body with ``reason``: the core's side is marked failed
        and, unless the connection is gone already (``abort`` false), the
        connection is aborted."""
        if self.failed:
            return
        self.failed = True
        body, protocol, producers = self.body, self._protocol, self._producers
        if not self.finished:
            self._ended()
            producers.driver = None
            protocol.conn.send_failed()  # only marks our side ERROR; cannot raise
        if producers.child is body:
            producers.child = None
        if abort:
            _log.error(
                "passthrough body failed ({reason}); aborting {peer}",
                reason=reason.getErrorMessage(),
                peer=protocol.peerName(),
            )
            try:
                body.stopProducing()
            except Exception:
                _log.failure("stopProducing of {body!r} failed", body=body)
            protocol.abortConnection()
        if not self.result.called:
            self.result.errback(reason)

    # IConsumer.  Body producers are children of the protocol already.
    def registerProducer(self, producer: Any, streaming: bool) -> None:
        pass

    def unregisterProducer(self) -> None:
        pass

    def write(self, data: bytes) -> None:
        if self.failed or not self._count(len(data)):
            return
        self._writeRaw(data)

    def _count(self, n: int) -> bool:
        self.written += n
        if self.written > self.length:
            self.fail(Failure(BodyLengthError(f"body produced more than its length {self.length}")))
            return False
        return True

    # IZeroCopyConsumer
    def zeroCopyTransport(self) -> Optional[abstract.FileDescriptor]:
        transport = self._protocol.transport
        if self._protocol.lost or not _socket.isPlain(transport, self._socket):
            return None
        return transport  # type: ignore[no-any-return]

    def transportBuffered(self) -> int:
        return _socket.buffered(self._protocol.transport)

    def startZeroCopy(self, driver: IPullProducer) -> None:
        self._output.flush()  # what is pending goes first
        self._producers.lend(self._protocol.transport, driver)

    def zeroCopyWrote(self, count: int) -> bool:
        if self.failed:
            return False
        return self._count(count)

    def stopZeroCopy(self) -> None:
        protocol = self._protocol
        self._producers.takeBack(protocol.transport, protocol, protocol.lost)
