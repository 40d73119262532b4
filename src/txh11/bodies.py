"""
Passthrough body placeholders for ``Connection.send_with_data_passthrough``.

A placeholder has ``__len__`` (for the core, which frames it) and the
``IBodyProducer`` methods (for whoever writes it): ``length``,
``startProducing(consumer) -> Deferred``, ``pauseProducing``,
``resumeProducing``, ``stopProducing``.  Give one to
:meth:`txh11.protocol.HTTP11Protocol.sendBody`.

:class:`FileBody` -- a region of a file
---------------------------------------

When the consumer is a :class:`txh11.protocol.IZeroCopyConsumer` whose
transport is a plain TCP socket (a ``FileDescriptor``, not TLS), the region
goes out with ``os.sendfile()`` from the file descriptor to the socket: no
byte of the file passes through Python.  A region shorter than
``sendfileMinimum`` (32 KiB) is read and written instead: written at once,
inside the protocol's cork, it leaves in the same write as the response
head, and below that size the copy costs less than the sendfile driver's
hand-over (measured with wrk on loopback: the read path used 7-25 µs less
server CPU per response at 4-32 KiB, the same at 48 KiB, more above).

How it is driven (and why this way): Twisted's epoll/poll reactors key their
registrations by file descriptor, so a second selectable with the socket's
fileno (``reactor.addWriter(wrapper)``) would replace the transport in the
reactor's table and steal its read events.  Instead the body borrows the
transport's own writability through the documented *pull producer* contract:
the protocol unregisters itself and registers a small driver as the
transport's non-streaming producer.  ``FileDescriptor.doWrite`` calls a pull
producer's ``resumeProducing`` exactly when its buffer (``dataBuffer`` from
``offset`` plus ``_tempDataBuffer``) is empty; ``registerProducer`` calls it
once at once, so the driver re-checks those two buffers itself and waits if
they still hold bytes (the head, the chunk line).  With an empty buffer it
calls ``os.sendfile`` on the non-blocking socket until ``EAGAIN``, then asks
the transport for the next writability event with ``startWriting()``;
``doWrite`` finds nothing to write, stops writing and calls
``resumeProducing`` again.  When the region is done the protocol takes the
transport back.  If the connection is lost the transport calls the driver's
``stopProducing``.

Everywhere else (TLS, ``StringTransport``, any other consumer, a file object
without a usable descriptor) the same placeholder reads ``chunkSize`` pieces
(``os.pread`` when there is a descriptor, ``seek``/``read`` otherwise) and
writes them while the consumer has not paused it, a bounded number per reactor
turn.  Memory stays flat on both paths.

``stats`` counts calls and bytes per path for tests and benchmarks; every
:class:`FileBody` also has its own ``sendfileCalls``.

:class:`ProducerBody` -- any ``IBodyProducer`` with a known length.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import IO, Any, Optional

from twisted.internet import defer
from twisted.internet.error import ConnectionLost
from twisted.internet.interfaces import IPullProducer, IReactorTime
from twisted.python.failure import Failure
from twisted.web.iweb import UNKNOWN_LENGTH, IBodyProducer
from zope.interface import implementer

from txh11.protocol import NEXT_TURN, IZeroCopyConsumer

__all__ = ["FileBody", "ProducerBody", "stats", "Stats"]


@dataclass
class Stats:
    """Process-wide counters (reset them freely in tests)."""

    sendfile_calls: int = 0
    sendfile_bytes: int = 0
    fallback_chunks: int = 0
    fallback_bytes: int = 0

    def reset(self) -> None:
        self.sendfile_calls = self.sendfile_bytes = 0
        self.fallback_chunks = self.fallback_bytes = 0


stats = Stats()

_SENDFILE_MAX = 16 * 1024 * 1024  # per sendfile() call / per writability event


@implementer(IBodyProducer)
class FileBody:
    """
    ``count`` bytes of ``file`` from ``offset`` (default: to the end of the
    file, measured now).  The file stays open; closing it is the caller's
    business after the Deferred fires.
    """

    chunkSize = 64 * 1024
    #: chunks written per reactor turn on the fallback path at most
    chunksPerTurn = 8
    #: set to False to force the read-and-write path
    useSendfile = hasattr(os, "sendfile")
    #: bodies shorter than this are read and written instead: written at
    #: once, they leave in one write with the response head
    sendfileMinimum = 32 * 1024

    def __init__(
        self,
        file: IO[bytes],
        offset: int = 0,
        count: Optional[int] = None,
        reactor: Optional[IReactorTime] = None,
    ) -> None:
        self.file = file
        self.offset = offset
        try:
            self._fd: Optional[int] = file.fileno()
        except (AttributeError, OSError, ValueError):
            self._fd = None
        if count is None:
            if self._fd is not None:
                size = os.fstat(self._fd).st_size
            else:
                size = file.seek(0, os.SEEK_END)
            count = max(0, size - offset)
        self.count = count
        self.length = count
        self.sendfileCalls = 0
        self._reactor = reactor
        self._pos = offset
        self._remaining = count
        self._consumer: Any = None
        self._deferred: Optional[defer.Deferred[None]] = None
        self._paused = False
        self._stopped = False
        self._call: Any = None
        self._driver: Optional[_SendfileDriver] = None

    def __len__(self) -> int:
        return self.count

    def __repr__(self) -> str:
        return f"<FileBody {getattr(self.file, 'name', self.file)!r} {self.offset}+{self.count}>"

    def _clock(self) -> IReactorTime:
        if self._reactor is None:
            from twisted.internet import reactor

            self._reactor = reactor  # type: ignore[assignment]
        return self._reactor  # type: ignore[return-value]

    # IBodyProducer

    def startProducing(self, consumer: Any) -> "defer.Deferred[None]":
        if self._deferred is not None:
            raise RuntimeError("FileBody can only be produced once")
        self._consumer = consumer
        # kept here: _finish() clears self._deferred, maybe before we return
        d = self._deferred = defer.Deferred(lambda d: self.stopProducing())
        zc = IZeroCopyConsumer(consumer, None)
        transport = zc.zeroCopyTransport() if zc is not None else None
        if (
            transport is not None
            and self._fd is not None
            and self.useSendfile
            and self._remaining >= max(1, self.sendfileMinimum)
        ):
            self._driver = _SendfileDriver(self, zc, transport)
            zc.startZeroCopy(self._driver)
        else:
            self._pump()
        return d

    def pauseProducing(self) -> None:
        self._paused = True
        if self._call is not None:
            self._call.cancel()
            self._call = None

    def resumeProducing(self) -> None:
        if self._stopped or self._driver is not None:
            return
        self._paused = False
        if self._call is None and self._deferred is not None:
            self._call = self._clock().callLater(NEXT_TURN, self._turn)

    def stopProducing(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self._call is not None:
            self._call.cancel()
            self._call = None
        if self._driver is not None:
            self._driver.stopped = True

    # fallback path

    def _turn(self) -> None:
        self._call = None
        self._pump()

    def _read(self, n: int) -> bytes:
        if self._fd is not None:
            return os.pread(self._fd, n, self._pos)
        self.file.seek(self._pos)
        return self.file.read(n)

    def _pump(self) -> None:
        budget = self.chunksPerTurn
        while not self._paused and not self._stopped and self._remaining > 0:
            if budget == 0:
                self._call = self._clock().callLater(NEXT_TURN, self._turn)
                return
            budget -= 1
            try:
                chunk = self._read(min(self.chunkSize, self._remaining))
            except Exception:
                self._finish(Failure())
                return
            if not chunk:
                self._finish(
                    Failure(EOFError(f"{self!r}: file ended {self._remaining} bytes early"))
                )
                return
            self._pos += len(chunk)
            self._remaining -= len(chunk)
            stats.fallback_chunks += 1
            stats.fallback_bytes += len(chunk)
            self._consumer.write(chunk)
        if self._remaining == 0 and not self._stopped:
            self._finish(None)

    def _finish(self, result: Optional[Failure]) -> None:
        d, self._deferred = self._deferred, None
        self._stopped = True
        if d is None or d.called:
            return
        if result is None:
            d.callback(None)
        else:
            d.errback(result)


@implementer(IPullProducer)
class _SendfileDriver:
    """The transport's pull producer while a FileBody is sent with sendfile."""

    def __init__(self, body: FileBody, zc: Any, transport: Any) -> None:
        self.body = body
        self.zc = zc
        self.transport = transport
        self.sock = transport.getHandle().fileno()
        self.stopped = False
        self.done = False

    def _transportBuffered(self) -> int:
        return self.zc.transportBuffered()  # type: ignore[no-any-return]

    def resumeProducing(self) -> None:
        body = self.body
        if self.done or self.stopped:
            return
        if self._transportBuffered():
            # Twisted's doWrite will call us again once it is empty.
            self.transport.startWriting()
            return
        sent_now = 0
        while body._remaining > 0:
            if sent_now >= _SENDFILE_MAX:
                self.transport.startWriting()  # be fair to other connections
                return
            try:
                n = os.sendfile(
                    self.sock, body._fd, body._pos, min(body._remaining, _SENDFILE_MAX)
                )
            except (BlockingIOError, InterruptedError):
                self.transport.startWriting()
                return
            except OSError as e:
                self._end(Failure(ConnectionLost(f"sendfile failed: {e}")))
                return
            body.sendfileCalls += 1
            stats.sendfile_calls += 1
            if n == 0:
                self._end(
                    Failure(EOFError(f"{body!r}: file ended {body._remaining} bytes early"))
                )
                return
            stats.sendfile_bytes += n
            body._pos += n
            body._remaining -= n
            sent_now += n
            if not self.zc.zeroCopyWrote(n):
                self.done = True
                return
        self._end(None)

    def _end(self, result: Optional[Failure]) -> None:
        self.done = True
        body = self.body
        body._driver = None
        self.zc.stopZeroCopy()
        body._finish(result)

    def stopProducing(self) -> None:
        # the transport lost its connection; the protocol fails the body
        self.stopped = True
        self.body._stopped = True


@implementer(IBodyProducer)
class ProducerBody:
    """
    Wrap any ``IBodyProducer`` with a known length as a passthrough
    placeholder.  ``length`` overrides ``producer.length``.
    """

    def __init__(self, producer: IBodyProducer, length: Optional[int] = None) -> None:
        if length is None:
            length = producer.length
        if length is UNKNOWN_LENGTH or length is None:
            raise ValueError("ProducerBody needs a known length")
        self.producer = producer
        self.length = int(length)

    def __len__(self) -> int:
        return self.length

    def startProducing(self, consumer: Any) -> "defer.Deferred[None]":
        return self.producer.startProducing(consumer)

    def pauseProducing(self) -> None:
        self.producer.pauseProducing()

    def resumeProducing(self) -> None:
        self.producer.resumeProducing()

    def stopProducing(self) -> None:
        self.producer.stopProducing()
