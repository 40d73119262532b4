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
from ._closing import peerSentAll
from ._hooks import DETACHED, OwnHandler
from ._interfaces import (
    PAUSE_PIPELINE,
    TIMEOUT_BODY,
    TIMEOUT_HEADER,
    TIMEOUT_IDLE,
    IHTTP11Handler,
)
from ._output import flushAtNextTurn
from ._producers import Producers
from ._timers import TIMEOUT_CLOSE, TIMEOUT_LINGER, Deadlines, firstReadTimeout, readTimeoutFor
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
class HTTP11Protocol(Protocol, OwnHandler):
    """
    The bridge between a Twisted transport and a core Connection (see
    :doc:`/embedding` for the API and :doc:`/design` for its parts).

    ``HTTP11Protocol(handler=None, reactor=None)``: ``handler`` provides
    :class:`IHTTP11Handler` and hears about events, errors, cycles,
    timeouts, switches and the end of the connection; without one the
    protocol is its own handler (a subclass overrides the hooks).
    ``reactor`` is the ``IReactorTime`` of the timeouts (``None``: the
    global reactor, imported when the connection is made).

    :ivar conn: the core Connection (read its states; do not feed it).
    :ivar clock: the ``IReactorTime``.
    """

    role: Any = h11.SERVER
    maxIncompleteEventSize: int = 16 * 1024

    idleTimeout: Optional[float] = 60.0
    headerTimeout: Optional[float] = 20.0
    bodyTimeout: Optional[float] = 60.0
    lingerTimeout: Optional[float] = 2.0
    closeTimeout: Optional[float] = 10.0

    #: Flush corked output once this many bytes are pending.
    coalesceLimit: int = 64 * 1024

    _log = Logger()

    # Starting values of the rarely changed per-connection state, as class
    # attributes: a connection assigns only what changes.  What every
    # request reads is set in __init__ instead: CPython 3.11 does not
    # specialise a read that finds the class's value (the instance has none
    # of its own), so each such read is a slow generic lookup.
    _drainCall: Optional[IDelayedCall] = None
    _peerEOF = False
    # Each of these stops the delivery of events for good, and sets
    # _stopped, the one flag the per-request paths read.
    _readError: Optional[BaseException] = None
    _closing = False
    _switched = False

    def __init__(self, handler: Any = None, reactor: Optional[IReactorTime] = None) -> None:
        if reactor is None and getattr(handler, "eventReceived", True) is True:
            handler, reactor = None, handler  # HTTP11Protocol(reactor), as before
        #: what the protocol reports to; None: itself (see the handler property)
        self._handler: Any = handler
        self.clock: IReactorTime = reactor  # type: ignore[assignment]
        self._readPauses: set[str] = set()
        self._out: list[bytes] = []
        self.conn: Any = None
        self._stopped = False
        self._lost = False
        self._draining = False
        self._dispatching = False
        self._cork = 0
        self._cycleReported = False
        self._body: Optional[BodySender] = None  # a passthrough body being sent
        self._timers = Deadlines()
        self._producers = Producers()
        self._transportPaused = False
        # bytes that may still be held back before a flush (coalesceLimit)
        self._outRoom = self.coalesceLimit
        # the transport's socket while bytes may bypass its buffer (_write)
        self._socket: Optional[socket.socket] = None

    @property
    def connectionHandler(self) -> Any:
        """The :class:`IHTTP11Handler` this protocol reports to (itself if it
        was made without one)."""
        return self._handler or self

    # ------------------------------------------------------------------
    # configuration helpers

    def _getReactor(self) -> IReactorTime:
        if self.clock is None:
            from twisted.internet import reactor

            self.clock = reactor  # type: ignore[assignment]
        return self.clock

    def makeConnection(self, transport: Any) -> None:
        if self.clock is None:
            self._getReactor()  # resolved once: the timers read self.clock
        self._timers.clock = self.clock
        self._outRoom = self.coalesceLimit  # a setting may have changed it
        self.conn = h11.Connection(
            our_role=self.role, max_incomplete_event_size=self.maxIncompleteEventSize
        )
        # Protocol.makeConnection
        self.connected = 1
        self.transport = transport
        self._socket = _socket.plainSocket(transport)
        _socket.setNoDelay(transport)
        self.connectionMade()

    def connectionMade(self) -> None:
        """Register as the transport's streaming producer; start the idle timer.
        Subclasses overriding this must call it."""
        self.transport.registerProducer(self, True)
        self._producers.registered = True
        if not (self._readPauses or self._stopped):
            # (idle: what _updateTimers finds now; header on TLS, see there)
            kind = firstReadTimeout(self, _socket.isTLS(self.transport))
            self._timers.startRead(kind, self, self._timersDue)

    # ------------------------------------------------------------------
    # input

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
            # a head begins: no longer idle.  The header timeout starts
            # once this delivery ends, if the head is still incomplete.
            timers.kind = None
        elif timeout is TIMEOUT_BODY and self.bodyTimeout is not None:
            timers.readDeadline = self.clock.seconds() + self.bodyTimeout
        try:
            self.conn.receive_data(data)
        except (RuntimeError, h11.LocalProtocolError):
            return  # data after EOF; cannot happen with a sane transport
        self._drain()

    def readConnectionLost(self) -> None:
        """The peer half-closed (EOF), the write side is still open."""
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
        """Our half-close completed; we keep reading (and discarding)."""

    def connectionLost(self, reason: Failure = Failure(Exception())) -> None:
        self._lost = True
        self.connected = 0
        self._timers.cancel()
        if self._drainCall is not None:
            self._drainCall.cancel()
            self._drainCall = None
        if self._body is not None:
            self._body.fail(reason, abort=False)
        producers = self._producers
        if producers.child is not None or producers.pullAdapter is not None:
            # (we may have unregistered from the transport: closing, switch)
            producers.lost()
        if self._readError is None and not self._closing:
            self.conn.receive_data(b"")
            self._drain()  # ignores pause reasons now that we are lost
        handler = self._handler
        if handler is None:
            self.connectionClosed(reason)
            return
        # the handler and the protocol refer to each other: let go
        self._handler = DETACHED
        handler.connectionClosed(reason)

    def pauseReading(self, reason: str) -> None:
        """Stop delivering events and pause the transport for ``reason``."""
        self._readPauses.add(reason)
        self._syncTransportPause()
        self._updateTimers()

    def resumeReading(self, reason: str) -> None:
        """Drop ``reason``; once no reason is left deliver buffered events
        (from a fresh call stack) and resume the transport."""
        if reason not in self._readPauses:
            return
        self._readPauses.discard(reason)
        if self._readPauses:
            return
        if self._draining:
            return  # the running loop picks up
        self._scheduleDrain()

    def startNextCycle(self) -> None:
        """Start the next request/response cycle; deliver what the core had
        buffered (pipelined), then resume the transport."""
        conn = self.conn
        conn.start_next_cycle()
        self._cycleReported = False
        if PAUSE_PIPELINE in self._readPauses:
            self.resumeReading(PAUSE_PIPELINE)
        elif not self._draining:
            self._updateTimers()
            self._syncTransportPause()
        elif not (self._readPauses or self._stopped or self._lost):
            # Inside a delivery, both sides IDLE: with nothing buffered the
            # connection is idle from now, and the delivery stops without
            # asking the core for an event (see _drain).
            data, eof = conn.trailing_data
            if not data and not eof:
                self._timers.startRead(TIMEOUT_IDLE, self, self._timersDue)

    def _scheduleDrain(self) -> None:
        if self._drainCall is None and not self._lost:
            self._drainCall = self._getReactor().callLater(0, self._scheduledDrain)

    def _scheduledDrain(self) -> None:
        self._drainCall = None
        self._drain()

    def _drain(self) -> None:
        """Deliver events until NEED_DATA/PAUSED/a pause reason; never nested."""
        if self._draining:
            return
        self._draining = True
        self._cork += 1
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
                        # pipelined bytes after DONE, or a protocol switch pending
                        self._readPauses.add(PAUSE_PIPELINE)
                        self._checkSwitch()
                        break
                    if t is _ConnectionClosed:
                        # the core would repeat it forever; nothing is read after it
                        self._stopped = True
                        self._timers.kind = None
                # self._dispatch(handler.eventReceived, event), inlined: the
                # one call made for every event
                outer = self._dispatching
                self._dispatching = True
                try:
                    handler.eventReceived(event)
                except BaseException:
                    self._log.failure(
                        "Unhandled error in {fn!r}; aborting", fn=handler.eventReceived
                    )
                    self.abortConnection()
                finally:
                    self._dispatching = outer
                if t is _EndOfMessage or t is _ConnectionClosed:
                    # A cycle ends only when a message does: the peer's (here)
                    # or ours (sendEvent checks it).
                    self._checkCycle()
                    if self._timers.kind is TIMEOUT_IDLE:
                        # startNextCycle found nothing buffered: the core
                        # has no event, and the idle timeout runs already.
                        # (New bytes or an EOF would have ended it.)
                        idle = True
                        break
        finally:
            self._draining = False
            self._cork -= 1
        if not self._lost:
            if self._out:
                self._flushSoon()
            if bool(self._readPauses) is not self._transportPaused:
                self._syncTransportPause()
            if not (idle or self._stopped):
                self._updateTimers()

    def _readFailed(self, exc: BaseException) -> None:
        """The core raised RemoteProtocolError: nothing more is read."""
        self._readError = exc
        self._stopped = True
        self._timers.kind = None
        self._dispatch((self._handler or self).protocolErrorReceived, exc)
        if not self._switched:  # (else the handler took it as another protocol's start)
            self._log.info("protocol error from {peer}: {exc!r}", peer=self.peerName(), exc=exc)

    def _checkSwitch(self) -> None:
        conn = self.conn
        if self._switched or not (
            conn.our_state is _SWITCHED or conn.their_state is _SWITCHED
        ):
            return
        self.switchNow(conn.trailing_data[0])

    def switchNow(self, data: bytes = b"") -> None:
        """
        Stop speaking HTTP/1.1 and hand the connection over as after an
        accepted switch: :meth:`protocolSwitched` gets ``data``, later bytes
        go to :meth:`rawDataReceived`.  For switches HTTP/1.1 does not
        negotiate (HTTP/2 chosen by ALPN or begun with its preface), called
        before any byte was given to the core.
        """
        if self._switched:
            return
        self._switched = self._stopped = True
        self._flush()
        self._timers.cancel()
        self._readPauses.clear()
        self._producers.unregisterFrom(self.transport)
        if self._transportPaused:
            self._transportPaused = False
            self.transport.resumeProducing()
        self._dispatch((self._handler or self).protocolSwitched, data)

    def _dispatch(self, fn: Callable[[Any], None], arg: Any) -> None:
        """Call a hook; an exception from it is logged and aborts."""
        outer = self._dispatching  # a hook may trigger another (a switch)
        self._dispatching = True
        try:
            fn(arg)
        except BaseException:
            self._log.failure("Unhandled error in {fn!r}; aborting", fn=fn)
            self.abortConnection()
        finally:
            self._dispatching = outer

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
                else:
                    # the bridge decides; the handler hears about it
                    if reusable:
                        self.startNextCycle()
                    else:
                        self.loseConnection()
                    handler.cycleCompleted(reusable)
            except BaseException:
                self._log.failure("Unhandled error in {fn!r}; aborting", fn=self.cycleCompleted)
                self.abortConnection()
            finally:
                self._dispatching = False

    def _syncTransportPause(self) -> None:
        if self._lost or self._closing or self._switched or self.transport is None:
            return
        want = bool(self._readPauses)
        if want and not self._transportPaused:
            self._transportPaused = True
            self.transport.pauseProducing()
        elif not want and self._transportPaused:
            self._transportPaused = False
            self.transport.resumeProducing()

    # ------------------------------------------------------------------
    # timeouts (the deadlines are kept by self._timers)

    def _updateTimers(self) -> None:
        """Run the read timeout that fits the state now (see
        :func:`._timers.readTimeoutFor`); one that already runs is left alone."""
        conn = self.conn
        if self._lost or self._stopped or conn is None:
            return
        kind = readTimeoutFor(conn, self._readPauses)
        if kind is not self._timers.kind:
            self._timers.startRead(kind, self, self._timersDue)

    def _timersDue(self) -> None:
        for kind in self._timers.due(self._timersDue):
            self._timeoutFired(kind)

    def _timeoutFired(self, kind: str) -> None:
        timers = self._timers
        if kind is timers.kind:
            timers.kind = None  # restarted if still wanted at the next update
        if self._lost:
            return
        if kind == TIMEOUT_LINGER:
            self.transport.loseConnection()
        elif kind == TIMEOUT_CLOSE:
            self._log.info("graceful close of {peer} stalled; aborting", peer=self.peerName())
            self.abortConnection()
        else:
            self._dispatch((self._handler or self).timeoutReached, kind)

    # ------------------------------------------------------------------
    # output

    def sendEvent(self, event: Any) -> None:
        """Serialise ``event`` with the core and write it (corked inside
        event delivery)."""
        if self._body is not None:
            raise RuntimeError("sendEvent while a passthrough body is being sent")
        # conn.send(event), inlined (one call less for every event sent):
        # None for ConnectionClosed, else the framed parts joined into bytes
        parts = self.conn.send_with_data_passthrough(event)
        if parts:
            if len(parts) == 1:
                data = parts[0]
                if type(data) is not bytes:
                    data = bytes(data)
            else:
                data = b"".join(parts)
            if data:
                if self._cork == 0 and not self._out:
                    if not self._lost:
                        # nothing held back: write now, to the transport.
                        # Not _write: an event alone may be a head whose
                        # body follows in this turn, or a producer's piece;
                        # Twisted's buffer joins them into one send() (two
                        # would meet Nagle and the peer's delayed ACK)
                        self.transport.write(data)
                else:
                    self._out.append(data)
                    self._outRoom -= len(data)
                    if self._cork == 0 or self._outRoom <= 0:
                        self._flush()
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
        """``with protocol.corked():`` holds output inside the block and
        writes it in one transport call after.  The protocol is its own
        context manager (the cork is a counter, so blocks nest): a helper
        object would be a reference cycle, left for the garbage collector
        on every connection."""
        return self

    def __enter__(self) -> None:
        self._cork += 1

    def __exit__(self, *exc_info: Any) -> None:
        self._cork -= 1
        if self._cork == 0:
            self._flushSoon()

    def _flushSoon(self) -> None:
        """Flush; on a plain TCP transport, at the start of the reactor's
        next turn instead, together with every other connection's output of
        this turn (see :mod:`._output`; the protocol stays corked until then,
        and past ``coalesceLimit`` it flushes at once)."""
        if self._socket is None or not self._out:
            self._flush()
            return
        self._cork += 1
        flushAtNextTurn(self.clock, self)

    def turnEnded(self) -> None:
        """The reactor turn whose output this protocol held (see
        :meth:`corked`) is over: uncork, and write it unless a cork is still
        held."""
        self._cork -= 1
        if self._cork == 0:
            self._flush()

    def write(self, data: bytes) -> None:
        """IConsumer: send ``data`` as the body's next piece (what
        ``sendEvent(Data(data=data))`` does, without the event)."""
        if data:
            if self._body is not None:
                raise RuntimeError("write while a passthrough body is being sent")
            if type(data) is not bytes:
                data = bytes(data)  # the caller may change its buffer after
            parts = self.conn.send_data(data)
            if self._cork or self._out:
                # held: the parts join the rest, joined once at the flush
                self._out += parts
                self._outRoom -= len(data)
                if self._cork == 0 or self._outRoom <= 0:
                    self._flush()
            elif parts and not self._lost:
                self.transport.write(parts[0] if len(parts) == 1 else b"".join(parts))

    def _append(self, data: Any) -> None:
        if type(data) is not bytes:
            data = bytes(data)
        self._out.append(data)
        self._outRoom -= len(data)

    def _flush(self) -> None:
        if self._out:
            out = self._out
            self._out = []
            small = self._outRoom > 0
            self._outRoom = self.coalesceLimit
            if not self._lost:
                if len(out) == 1:
                    self._write(out[0])
                elif small:
                    # one buffer: a transport's writeSequence checks and
                    # counts each part in Python
                    self._write(b"".join(out))
                else:
                    self._writeSequence(out)

    def _write(self, data: bytes) -> None:
        """
        ``transport.write(data)``, but on a plain TCP transport whose own
        buffer is empty the bytes go to the socket at once: a response that
        fits the socket's buffer then costs one ``send()``, not a write
        buffer, an epoll registration, a writability wake-up and a
        deregistration in the reactor.  What the socket does not take goes
        to ``transport.write``, so order, buffering and producer pauses stay
        Twisted's.  Once delivery stopped (a close, an error, the peer's
        EOF) the transport takes the last output: its close writes and
        closes in one go.
        """
        sock = self._socket
        if sock is not None and not self._stopped and _socket.mayBypass(self.transport):
            data = _socket.sendNow(sock, data)
            if not data:
                return
        self.transport.write(data)

    def _writeSequence(self, parts: list[bytes]) -> None:
        """``transport.writeSequence(parts)``, straight to the socket with
        ``sendmsg()`` (no join) when :meth:`_write` would write directly."""
        sock = self._socket
        if (
            sock is not None
            and not self._stopped
            and len(parts) <= _socket.IOV_MAX
            and _socket.mayBypass(self.transport)
        ):
            parts = _socket.sendSequenceNow(sock, parts)
            if not parts:
                return
        self.transport.writeSequence(parts)

    def _writeRaw(self, data: Any) -> None:
        """A passthrough body's bytes: held with the rest while corked
        (a small body then leaves in one write with its head), else now."""
        self._append(data)
        if self._cork == 0 or self._outRoom <= 0:
            self._flush()

    # ------------------------------------------------------------------
    # passthrough bodies (the consumer is in ._zerocopy)

    def sendBody(self, body: Any) -> "defer.Deferred[None]":
        """
        Send a passthrough body placeholder (``__len__`` + IBodyProducer
        methods).  Fires with ``None`` when written; fails (and the
        connection is aborted) if the body does not produce exactly
        ``len(body)`` bytes.
        """
        if self._body is not None or self._producers.child is not None:
            raise RuntimeError("another body or producer is active")
        sender = BodySender(
            body, self, self._producers, self._socket, self._writeRaw, self._flush, self._bodyEnded
        )
        parts = self.conn.send_with_data_passthrough(h11.Data(data=body))
        self._body = sender
        # corked while the body starts: what it writes at once (a small
        # file) joins the head in one write; a zero-copy body flushes the
        # head itself before its first sendfile()
        self._cork += 1
        try:
            produced = sender.start(parts)
        finally:
            self._cork -= 1
            if self._cork == 0:
                self._flush()
        if produced is not None:
            sender.follow(produced)
        return sender.result

    def _bodyEnded(self) -> None:
        self._body = None

    # ------------------------------------------------------------------
    # producers (the state is in ._producers)

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

    # ------------------------------------------------------------------
    # closing

    def loseConnection(self) -> None:
        """Graceful close: flush, half-close, discard input for a bounded
        time, close; abort if it stalls."""
        if self._closing or self._lost:
            return
        if self._body is not None:
            self._log.warn("close requested in the middle of a body; aborting")
            self.abortConnection()
            return
        self._closing = self._stopped = True
        self._flush()
        # the read timeout ends; the timer call stays for the close deadline
        self._timers.kind = None
        if self._drainCall is not None:
            self._drainCall.cancel()
            self._drainCall = None
        t = self.transport
        if self.closeTimeout is not None:
            self._timers.startClose(self.closeTimeout, self._timersDue)
        if self._producers.registered:
            self._producers.unregisterFrom(t)
        sock = self._socket
        if (
            self._peerEOF
            or not _socket.canHalfClose(t, sock)
            or peerSentAll(self.conn, t, sock)
        ):
            t.loseConnection()
            return
        t.loseWriteConnection()
        self._readPauses.clear()
        if self._transportPaused:
            self._transportPaused = False
            t.resumeProducing()
        # the read timeout while discarding what the peer still sends
        self._timers.startRead(TIMEOUT_LINGER, self, self._timersDue)

    def abortConnection(self) -> None:
        """Close now, discarding unsent output."""
        if self._lost:
            return
        self._out = []
        self._outRoom = self.coalesceLimit
        self._closing = self._stopped = True  # nothing more happens on this connection
        self._timers.cancel()
        abort = getattr(self.transport, "abortConnection", None)
        if abort is not None:
            abort()
        else:
            self.transport.loseConnection()

    @property
    def closing(self) -> bool:
        """Whether a close (graceful or not) has begun."""
        return self._closing

    def quietFor(self) -> Optional[float]:
        """
        For how many seconds this connection has had no request in progress
        and received no byte of one (since the last cycle ended, or the
        accept); ``None`` while a request is in progress, input is paused,
        or the connection is closing.  A server shutting down closes the
        connections that have been quiet a while (see txh11.server.drain).
        """
        if self._closing or self._lost or self._stopped:
            return None
        conn = self.conn
        timers = self._timers
        kind = timers.kind
        if kind is TIMEOUT_HEADER and not conn.trailing_data[0] and conn.their_state is _IDLE:
            pass  # a TLS connection's first head, not begun (firstReadTimeout)
        elif kind is not TIMEOUT_IDLE:
            return None
        sock = self._socket
        if sock is not None and not _socket.nothingUnread(sock):
            return None  # a request is arriving: the reactor reads it next
        return self.clock.seconds() - timers.startedAt

    @property
    def lost(self) -> bool:
        """Whether the transport is gone (``connectionLost`` ran)."""
        return self._lost

    # ------------------------------------------------------------------

    def peerName(self) -> str:
        """The peer's address as a string, for log lines (``"?"`` if the
        transport cannot tell)."""
        try:
            return str(self.transport.getPeer())
        except Exception:
            return "?"

    _peer = peerName  # the name subclasses used
