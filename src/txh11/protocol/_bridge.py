"""
:class:`HTTP11Protocol`: a Twisted transport joined to a core
:class:`txh11.Connection`, reporting to a handler.

The protocol owns the connection's state and the hot paths (delivering
events, corking and writing output); the rarely run parts live in modules
of their own: :mod:`._timers` (the deadlines), :mod:`._output` (output held
to the next reactor turn), :mod:`._zerocopy` (passthrough bodies),
:mod:`._producers` (pull producers), :mod:`._closing` (how to close) and
:mod:`._socket` (the one module touching Twisted's transport internals).
See ``docs/design.rst`` for how they fit and ``docs/embedding.rst`` for the
API and its guarantees.
"""

from __future__ import annotations

import socket
from typing import Any, Callable, Iterable, Optional

from twisted.internet import defer
from twisted.internet.interfaces import (
    IConsumer,
    IDelayedCall,
    IHalfCloseableProtocol,
    IPushProducer,
    IReactorTime,
)
from twisted.internet.protocol import Protocol
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

import txh11 as h11

from . import _socket
from ._closing import abortTransport, closeOrHalfClose
from ._hooks import DETACHED, OwnHandler
from ._interfaces import (
    PAUSE_PIPELINE,
    TIMEOUT_BODY,
    TIMEOUT_HEADER,
    TIMEOUT_IDLE,
    IHTTP11Handler,
)
from ._output import Output
from ._producers import Producers
from ._settings import Settings
from ._timers import (
    TIMEOUT_CLOSE,
    TIMEOUT_LINGER,
    Deadlines,
    firstReadTimeout,
    globalReactor,
    readTimeoutFor,
)
from ._zerocopy import BodySender

__all__ = ["HTTP11Protocol"]

_FINISHED = (h11.DONE, h11.MUST_CLOSE, h11.CLOSED)
# module-level names for the per-event checks
_Data = h11.Data
_Request = h11.Request
_EndOfMessage = h11.EndOfMessage
_ConnectionClosed = h11.ConnectionClosed
_NEED_DATA = h11.NEED_DATA
_PAUSED = h11.PAUSED
_DONE = h11.DONE
_IDLE = h11.IDLE
_SWITCHED = h11.SWITCHED_PROTOCOL


@implementer(IHalfCloseableProtocol, IPushProducer, IConsumer, IHTTP11Handler)
class HTTP11Protocol(Protocol, Settings, OwnHandler):
    """``HTTP11Protocol(handler=None, reactor=None)``: see :ref:`bridge-api`.
    ``conn`` is the core Connection, ``clock`` the ``IReactorTime``."""

    _log = Logger()

    # rarely changed state, as class attributes (docs/design.rst, "Speed")
    _drainCall: Optional[IDelayedCall] = None
    _peerEOF = False
    _readError: Optional[BaseException] = None
    _closing = False
    _switched = False

    def __init__(self, handler: Any = None, reactor: Optional[IReactorTime] = None) -> None:
        if reactor is None and getattr(handler, "eventReceived", True) is True:
            handler, reactor = None, handler  # HTTP11Protocol(reactor), as before
        self._handler: Any = handler
        self.clock: IReactorTime = reactor  # type: ignore[assignment]
        self._readPauses: set[str] = set()
        self.conn: Any = None
        self._output: Output = None  # type: ignore[assignment]
        self._stopped = False
        self._lost = False
        self._draining = False
        self._dispatching = False
        self._cycleReported = False
        self._body: Optional[BodySender] = None  # a passthrough body being sent
        self._timers = Deadlines()
        self._producers = Producers()
        self._transportPaused = False
        self._socket: Optional[socket.socket] = None  # a plain transport's

    @property
    def connectionHandler(self) -> Any:
        """The :class:`IHTTP11Handler` reported to (``self`` without one)."""
        return self._handler or self

    def _getReactor(self) -> IReactorTime:
        if self.clock is None:
            self.clock = globalReactor()
        return self.clock

    def makeConnection(self, transport: Any) -> None:
        if self.clock is None:
            self._getReactor()  # resolved once: the timers read self.clock
        self._timers.clock = self.clock
        self.conn = h11.Connection(
            our_role=self.role, max_incomplete_event_size=self.maxIncompleteEventSize
        )
        self.connected = 1  # (Protocol.makeConnection)
        self.transport = transport
        sock = self._socket = _socket.plainSocket(transport)
        self._output = Output(transport, sock, self.coalesceLimit)
        _socket.setNoDelay(transport)
        self.connectionMade()

    def connectionMade(self) -> None:
        """Register as producer, start a read timeout (overrides call it)."""
        self.transport.registerProducer(self, True)
        self._producers.registered = True
        if not (self._readPauses or self._stopped):
            kind = firstReadTimeout(self, _socket.isTLS(self.transport))
            self._timers.startRead(kind, self, self._timersDue)

    # -- input

    def dataReceived(self, data: bytes) -> None:
        if self._lost or not data:
            return
        if self._stopped:
            if self._switched:
                (self._handler or self).rawDataReceived(data)
            return  # else discarding
        timers = self._timers
        timeout = timers.kind
        if timeout is TIMEOUT_IDLE:
            timers.kind = None  # a head begins (the header timeout may follow)
        elif timeout is TIMEOUT_BODY and self.bodyTimeout is not None:
            timers.readDeadline = self.clock.seconds() + self.bodyTimeout
        try:
            self.conn.receive_data(data)
        except (RuntimeError, h11.LocalProtocolError):
            return  # data after EOF; cannot happen with a sane transport
        self._drain()

    def readConnectionLost(self) -> None:
        """The peer half-closed; we may still write."""
        self._peerEOF = True
        if self._timers.kind is TIMEOUT_IDLE:
            self._timers.kind = None  # the EOF is news: not idle
        if self._closing or self._switched:
            self.transport.loseConnection()
            return
        if self._readError is None:
            self.conn.receive_data(b"")
        self._drain()

    def writeConnectionLost(self) -> None:
        """Our half-close completed; we read on (and discard)."""

    def connectionLost(self, reason: Failure = Failure(Exception())) -> None:
        self._lost = self._output.lost = True
        self.connected = 0
        self._timers.cancel()
        if self._drainCall is not None:
            self._cancelDrain()
        if self._body is not None:
            self._body.fail(reason, abort=False)
        producers = self._producers
        if producers.child is not None or producers.pullAdapter is not None:
            producers.lost()  # (we may have unregistered: closing, switch)
        if self._readError is None and not self._closing:
            self.conn.receive_data(b"")
            self._drain()  # ignores pause reasons now that we are lost
        handler = self._handler
        if handler is None:
            self.connectionClosed(reason)
            return
        self._handler = DETACHED
        handler.connectionClosed(reason)

    def pauseReading(self, reason: str) -> None:
        """Stop delivering events and pause the transport for ``reason``."""
        self._readPauses.add(reason)
        self._syncTransportPause()
        self._updateTimers()

    def resumeReading(self, reason: str) -> None:
        """Drop ``reason``; with none left, deliver and read (next turn)."""
        pauses = self._readPauses
        if reason in pauses:
            pauses.discard(reason)
            if not (pauses or self._draining):  # (a running delivery picks up)
                self._scheduleDrain()

    def startNextCycle(self) -> None:
        """Start the next cycle: deliver what is pipelined, resume reading."""
        conn = self.conn
        conn.start_next_cycle()
        self._cycleReported = False
        if PAUSE_PIPELINE in self._readPauses:
            self.resumeReading(PAUSE_PIPELINE)
        elif not self._draining:
            self._updateTimers()
            self._syncTransportPause()
        elif not (self._readPauses or self._stopped or self._lost):
            # in a delivery with nothing buffered: idle from now (see _drain)
            data, eof = conn.trailing_data
            if not data and not eof:
                self._timers.startRead(TIMEOUT_IDLE, self, self._timersDue)

    def _scheduleDrain(self) -> None:
        if self._drainCall is None and not self._lost:
            self._drainCall = self._getReactor().callLater(0, self._scheduledDrain)

    def _cancelDrain(self) -> None:
        if self._drainCall is not None:
            self._drainCall.cancel()
            self._drainCall = None

    def _scheduledDrain(self) -> None:
        self._drainCall = None
        self._drain()

    def _drain(self) -> None:
        """Deliver events until NEED_DATA/PAUSED/a pause reason; never nested."""
        if self._draining:
            return
        self._draining = True
        output = self._output
        output.cork += 1
        nextEvent = self.conn.next_event
        handler = self._handler or self
        idle = False
        try:
            while not self._stopped:
                if self._readPauses and not self._lost:
                    break
                try:
                    event = nextEvent()
                except h11.RemoteProtocolError as exc:
                    self._readFailed(exc)
                    break
                t = type(event)
                if t is not _Data:
                    if event is _NEED_DATA:
                        break
                    if event is _PAUSED:
                        self._readPauses.add(PAUSE_PIPELINE)
                        self._checkSwitch()
                        break
                    if t is _ConnectionClosed:
                        self._stopped = True
                        output.sock = None
                        self._timers.kind = None
                # self._dispatch(handler.eventReceived, event), inlined
                outer = self._dispatching
                self._dispatching = True
                try:
                    handler.eventReceived(event)
                except BaseException:
                    self._hookFailed(handler.eventReceived)
                finally:
                    self._dispatching = outer
                if t is _EndOfMessage or t is _ConnectionClosed:
                    self._checkCycle()  # (sendEvent checks after our message)
                    if self._timers.kind is TIMEOUT_IDLE:
                        idle = True  # startNextCycle found nothing buffered
                        break
        finally:
            self._draining = False
            output.cork -= 1
        if not self._lost:
            if output.out:
                output.flushSoon(self)
            if bool(self._readPauses) is not self._transportPaused:
                self._syncTransportPause()
            if not (idle or self._stopped):
                self._updateTimers()

    def _readFailed(self, exc: BaseException) -> None:
        self._readError = exc
        self._stopped = True
        self._output.sock = None
        self._timers.kind = None
        self._dispatch((self._handler or self).protocolErrorReceived, exc)
        if not self._switched:  # (else the handler took the connection over)
            self._log.info("protocol error from {peer}: {exc!r}", peer=self.peerName(), exc=exc)

    def _checkSwitch(self) -> None:
        conn = self.conn
        if not self._switched and _SWITCHED in (conn.our_state, conn.their_state):
            self.switchNow(conn.trailing_data[0])

    def switchNow(self, data: bytes = b"") -> None:
        """Hand the connection over as after a switch (HTTP/2 by ALPN or
        preface): ``protocolSwitched(data)``, then ``rawDataReceived``."""
        if self._switched:
            return
        self._switched = self._stopped = True
        self._output.sock = None
        self._flush()
        self._timers.cancel()
        self._readPauses.clear()
        self._producers.unregisterFrom(self.transport)
        self._resumeTransport()
        self._dispatch((self._handler or self).protocolSwitched, data)

    def _resumeTransport(self) -> None:
        if self._transportPaused:
            self._transportPaused = False
            self.transport.resumeProducing()

    def _dispatch(self, fn: Callable[[Any], None], arg: Any) -> None:
        outer = self._dispatching  # a hook may trigger another (a switch)
        self._dispatching = True
        try:
            fn(arg)
        except BaseException:
            self._hookFailed(fn)
        finally:
            self._dispatching = outer

    def _hookFailed(self, fn: Callable[..., None]) -> None:
        self._log.failure("Unhandled error in {fn!r}; aborting", fn=fn)
        self.abortConnection()

    def _checkCycle(self) -> None:
        if self._cycleReported or self._lost or self._dispatching:
            return
        conn = self.conn
        ours = conn.our_state
        if ours not in _FINISHED:
            return
        theirs = conn.their_state
        if theirs in _FINISHED:
            self._cycleReported = True
            reusable = ours is _DONE and theirs is _DONE
            handler = self._handler
            # (self._dispatch inlined: once per request)
            self._dispatching = True
            try:
                if handler is None:
                    self.cycleCompleted(reusable)  # a subclass decides
                else:  # the bridge decides; the handler hears about it
                    if reusable:
                        self.startNextCycle()
                    else:
                        self.loseConnection()
                    handler.cycleCompleted(reusable)
            except BaseException:
                self._hookFailed(self.cycleCompleted)
            finally:
                self._dispatching = False

    def _syncTransportPause(self) -> None:
        if self._lost or self._closing or self._switched or self.transport is None:
            return
        if not self._readPauses:
            self._resumeTransport()
        elif not self._transportPaused:
            self._transportPaused = True
            self.transport.pauseProducing()

    # -- timeouts (kept by ._timers)

    def _updateTimers(self) -> None:
        conn = self.conn
        if self._lost or self._stopped or conn is None:
            return
        kind = readTimeoutFor(conn, self._readPauses)
        if kind is not self._timers.kind:
            self._timers.startRead(kind, self, self._timersDue)

    def _timersDue(self) -> None:
        timers = self._timers
        for kind in timers.due(self._timersDue):
            if kind is timers.kind:
                timers.kind = None
            if self._lost:
                return
            if kind == TIMEOUT_LINGER:
                self.transport.loseConnection()
            elif kind == TIMEOUT_CLOSE:
                self._log.info("graceful close of {peer} stalled; aborting", peer=self.peerName())
                self.abortConnection()
            else:
                self._dispatch((self._handler or self).timeoutReached, kind)

    # -- output

    def sendEvent(self, event: Any) -> None:
        """Serialise ``event`` with the core and write it (or hold it)."""
        if self._body is not None:
            raise RuntimeError("sendEvent while a passthrough body is being sent")
        parts = self.conn.send_with_data_passthrough(event)
        if parts:
            if len(parts) == 1:
                data = parts[0]
                if type(data) is not bytes:
                    data = bytes(data)
            else:
                data = b"".join(parts)
            output = self._output
            if data:
                if output.cork == 0 and not output.out:
                    if not output.lost:  # to the transport (docs/design.rst)
                        self.transport.write(data)
                else:
                    output.out.append(data)
                    output.room -= len(data)
                    if output.cork == 0 or output.room <= 0:
                        output.flush()
        t = type(event)
        if t is _Data:
            return
        if t is _EndOfMessage:
            if not self._dispatching:  # else the delivery checks after the hook
                self._checkCycle()
        elif t is _ConnectionClosed:
            self.loseConnection()
        elif t is _Request:
            self._updateTimers()  # we are not idle any more
        elif self.conn.switch_proposed and self.conn.our_state is _SWITCHED:
            self._checkSwitch()  # we accepted a switch (101, 2xx to CONNECT)

    def sendEvents(self, events: Iterable[Any]) -> None:
        """Send several events as one write."""
        with self.corked():
            for event in events:
                self.sendEvent(event)

    def corked(self) -> "HTTP11Protocol":
        """``with protocol.corked():`` holds output, then writes it at once."""
        return self

    def __enter__(self) -> None:
        self._output.cork += 1

    def __exit__(self, *exc_info: Any) -> None:
        output = self._output
        output.cork -= 1
        if output.cork == 0:
            output.flushSoon(self)

    def turnEnded(self) -> None:
        """The turn whose output was held is over: uncork and write."""
        output = self._output
        output.cork -= 1
        if output.cork == 0:
            self._flush()

    def write(self, data: bytes) -> None:
        """IConsumer: ``sendEvent(Data(data=data))`` without the event."""
        if data:
            if self._body is not None:
                raise RuntimeError("write while a passthrough body is being sent")
            if type(data) is not bytes:
                data = bytes(data)  # the caller may reuse its buffer
            parts = self.conn.send_data(data)
            output = self._output
            if output.cork or output.out:
                output.out += parts
                output.room -= len(data)
                if output.cork == 0 or output.room <= 0:
                    output.flush()
            elif parts and not output.lost:
                self.transport.write(parts[0] if len(parts) == 1 else b"".join(parts))

    def _flush(self) -> None:
        self._output.flush()

    def sendBody(self, body: Any) -> "defer.Deferred[None]":
        """Send a passthrough body (``__len__`` + IBodyProducer): fires when
        written; fails and aborts unless exactly ``len(body)`` bytes came."""
        if self._body is not None or self._producers.child is not None:
            raise RuntimeError("another body or producer is active")
        sender = BodySender(body, self, self._producers, self._socket, self._output, self._bodyEnded)
        parts = self.conn.send_with_data_passthrough(h11.Data(data=body))
        self._body = sender
        return sender.send(parts)

    def _bodyEnded(self) -> None:
        self._body = None

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        """Make ``producer`` the child producer for the message body."""
        self._producers.adopt(producer, streaming, self._getReactor(), self._lost)

    def unregisterProducer(self) -> None:
        self._producers.release(keepChild=self._body is not None)

    def pauseProducing(self) -> None:
        self._producers.pause()

    def resumeProducing(self) -> None:
        self._producers.resume()

    def stopProducing(self) -> None:
        self._producers.stop()

    # -- closing

    def loseConnection(self) -> None:
        """Graceful close (flush, half-close, linger; abort on a stall)."""
        if self._closing or self._lost:
            return
        if self._body is not None:
            self._log.warn("close requested in the middle of a body; aborting")
            self.abortConnection()
            return
        self._closing = self._stopped = True
        output = self._output
        output.sock = None
        output.flush()
        if self._drainCall is not None:
            self._cancelDrain()
        t = self.transport
        self._timers.closing(self, self._timersDue)
        if self._producers.registered:
            self._producers.unregisterFrom(t)
        if closeOrHalfClose(self.conn, t, self._socket, self._peerEOF):
            self._readPauses.clear()
            self._resumeTransport()
            self._timers.startRead(TIMEOUT_LINGER, self, self._timersDue)

    def abortConnection(self) -> None:
        """Close now, discarding unsent output."""
        if self._lost:
            return
        self._output.discard()  # (and no direct write)
        self._closing = self._stopped = True  # nothing more happens on this connection
        self._timers.cancel()
        abortTransport(self.transport)

    @property
    def closing(self) -> bool:
        """Whether a close (graceful or not) has begun."""
        return self._closing

    def quietFor(self) -> Optional[float]:
        """Seconds with no request in progress or arriving, else ``None``."""
        if self._closing or self._lost or self._stopped:
            return None
        return self._timers.quietFor(self.conn, self._socket)

    @property
    def lost(self) -> bool:
        """Whether the transport is gone (``connectionLost`` ran)."""
        return self._lost

    def peerName(self) -> str:
        """The peer's address for log lines (``"?"`` if unknown)."""
        try:
            return str(self.transport.getPeer())
        except Exception:
            return "?"
