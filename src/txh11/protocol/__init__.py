"""
The bridge: the one place where a Twisted transport meets a core Connection.

:class:`HTTP11Protocol` owns a core :class:`txh11.Connection` and a Twisted
transport, and moves bytes and events between them.  Both the server
(:mod:`txh11.server`, :mod:`txh11.web`) and the client (:mod:`txh11.client`)
subclass it; nothing above this module ever calls ``receive_data``,
``next_event`` or ``transport.write`` itself.

Subclass API
============

Set ``role`` (``h11.SERVER`` or ``h11.CLIENT``) and override the hooks::

    class MyProtocol(HTTP11Protocol):
        role = h11.SERVER

        def eventReceived(self, event): ...        # Request, InformationalResponse,
                                                   # Response, Data, EndOfMessage,
                                                   # ConnectionClosed, in wire order
        def protocolErrorReceived(self, exc): ...  # RemoteProtocolError from the core;
                                                   # default: graceful close
        def cycleCompleted(self, reusable): ...    # both sides finished a message
                                                   # cycle; default: startNextCycle()
                                                   # if reusable else loseConnection()
        def timeoutReached(self, kind): ...        # TIMEOUT_IDLE / _HEADER / _BODY;
                                                   # default: loseConnection()
        def connectionClosed(self, reason): ...    # the transport is gone; fail
                                                   # everything still pending
        def protocolSwitched(self, data): ...      # Upgrade/CONNECT accepted: HTTP
                                                   # is over; data = bytes after it
        def rawDataReceived(self, data): ...       # later bytes after a switch

and drive the connection with:

- ``sendEvent(event)`` / ``sendEvents(events)``: serialise with the core and
  write.  Output is *corked* while events are being delivered and inside
  ``sendEvents``: a head and small bodies go out in one transport write
  (``write`` of the joined bytes below ``coalesceLimit``, ``writeSequence``
  above it).  Outside of those a ``sendEvent`` is
  written at once.  On a plain TCP transport, corked output waits for the
  start of the reactor's next turn, when every connection's output of the
  turn goes out together, straight to the socket (``send``/``sendmsg``) if
  Twisted's buffer is empty: this spares the reactor a buffer, an epoll
  registration and a writability wake-up, and the peers one wake-up per
  response; what the socket does not take goes to the transport, in order.
  A single event outside a cork goes to the transport, whose buffer joins a
  turn's pieces (a head and the body after it, a producer's writes) into
  one ``send()``.  A
  :class:`~txh11.LocalProtocolError` from the core is raised to the caller.
- ``sendBody(body) -> Deferred``: send a passthrough placeholder (anything
  with ``__len__`` and the ``IBodyProducer`` methods, e.g.
  :class:`txh11.bodies.FileBody`) through
  ``Connection.send_with_data_passthrough``.  The framing comes from the core,
  the bytes from the body's ``startProducing(consumer)``; the consumer counts
  them and aborts the connection if the producer yields more or fewer bytes
  than ``len(body)`` (the closing framing is then never written).  The
  Deferred fires with ``None`` once the body is written, or fails.
- ``registerProducer(producer, streaming)`` / ``unregisterProducer()`` /
  ``write(data)``: the protocol is an ``IConsumer`` for message bodies; a
  registered producer becomes a child of the protocol (pull producers are
  adapted to push), ``write`` sends a ``Data`` event.
- ``pauseReading(reason)`` / ``resumeReading(reason)``: stop/restart
  delivering events.  Reasons are strings kept in a set; the transport is
  paused while the set is non-empty (transport pauses do not nest, the set
  does).  ``PAUSE_PIPELINE`` is managed by the bridge itself: it is added
  when the core says ``PAUSED`` and removed by ``startNextCycle()``.
- ``startNextCycle()``: ``conn.start_next_cycle()``, then deliver what the
  core already buffered, then resume the transport.
- ``loseConnection()``: graceful close (flush, half-close when the transport
  supports it, read and discard for ``lingerTimeout``, close; abort after
  ``closeTimeout`` if that stalls).  When the peer said ``Connection: close``
  and nothing it sent is unread, a full close is as safe and skips the
  linger.  ``abortConnection()``: now.
- ``conn``: the core Connection, for reading states.  Do not call its
  ``receive_data``/``next_event``/``send*`` directly.
- ``clock``: the ``IReactorTime`` given to the constructor
  (``HTTP11Protocol(reactor=None)``; ``None`` means the global reactor,
  imported when the connection is made).  ``connected`` drops to 0 on
  ``connectionLost``.

Peer EOF: the protocol provides ``IHalfCloseableProtocol``, so a peer that
shuts down its sending side (``readConnectionLost``) yields a
``ConnectionClosed`` event while we can still answer; the connection closes
once both sides are finished.

Guarantees
==========

- Events are delivered only from a fresh call stack: from ``dataReceived``,
  ``connectionLost``, or a ``callLater(0)`` scheduled after ``resumeReading``
  / ``startNextCycle`` was called from outside a delivery.  A hook that
  answers synchronously never sees the next pipelined request delivered from
  inside its own call; it is delivered after the hook returned.
- When the core says ``PAUSED`` the transport is paused: pipelined bytes stay
  unparsed (and bounded by one read) until the cycle ends.
- The protocol is the transport's one registered streaming producer.  When
  the transport's buffer fills, the current child (an application producer or
  a body) is paused; when it drains, resumed.  A zero-copy body may take
  the transport over for its duration (:class:`IZeroCopyConsumer`).
- On ``connectionLost`` the core is told (``receive_data(b"")``), every event
  it can still produce is delivered (ignoring consumer pauses: the transport
  is gone and the data is bounded), then ``connectionClosed(reason)`` runs.

Timeouts (seconds, ``None`` disables; on the injected ``IReactorTime``):
``idleTimeout`` (both sides idle, nothing received), ``headerTimeout`` (from
the first byte of a head until the head is complete: slowloris),
``bodyTimeout`` (no byte of a body we are reading, while we are not pausing
it), ``lingerTimeout`` (reading and discarding after a half-close) and
``closeTimeout`` (from the start of a graceful close to a forced abort).
"""

from __future__ import annotations

import socket
from typing import Any, Callable, Iterable, Optional

from twisted.internet import abstract, defer
from twisted.internet.interfaces import (
    IConsumer,
    IDelayedCall,
    IHalfCloseableDescriptor,
    IHalfCloseableProtocol,
    IPullProducer,
    IPushProducer,
    IReactorTime,
    ISSLTransport,
)
from twisted.internet.protocol import Protocol
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

import txh11 as h11

__all__ = [
    "HTTP11Protocol",
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
_TIMEOUT_LINGER = "linger"
_TIMEOUT_CLOSE = "close"

_FINISHED = (h11.DONE, h11.MUST_CLOSE, h11.CLOSED)
_PEER_DONE = (h11.MUST_CLOSE, h11.CLOSED)
# module-level names for the per-event checks
_Data = h11.Data
_Request = h11.Request
_EndOfMessage = h11.EndOfMessage
_ConnectionClosed = h11.ConnectionClosed
_NEED_DATA = h11.NEED_DATA
_PAUSED = h11.PAUSED
_IDLE = h11.IDLE
_SEND_BODY = h11.SEND_BODY
_SEND_RESPONSE = h11.SEND_RESPONSE
_DONE = h11.DONE


try:
    from fcntl import ioctl as _ioctl
    from termios import FIONREAD as _FIONREAD
except ImportError:  # Windows
    _ioctl = None  # type: ignore[assignment]

_NEVER = float("inf")

_NO_BYTES = bytes(4)  # a C int 0, FIONREAD's answer for an empty buffer

#: most buffers one sendmsg() takes (Linux's IOV_MAX)
_IOV_MAX = 1024


def _nothingUnread(sock: socket.socket) -> bool:
    """Whether a stream socket holds no unread byte (its peer's EOF aside)."""
    if _ioctl is not None:
        # FIONREAD answers without the BlockingIOError (twice the
        # instructions) a peek raises when nothing is there.
        try:
            return _ioctl(sock.fileno(), _FIONREAD, _NO_BYTES) == _NO_BYTES
        except (OSError, ValueError):  # ValueError: closed (fileno() is -1)
            return False
    try:
        pending = sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except BlockingIOError:
        return True
    except OSError:
        return False
    return not pending  # b"": the peer's EOF is all that is left


def _plainSocket(transport: Any) -> Optional[socket.socket]:
    """
    The stream socket under ``transport`` if it is a plain (not TLS) Twisted
    ``FileDescriptor`` with Twisted's own write buffer (``dataBuffer`` from
    ``offset`` plus ``_tempDataBuffer``), ``startTLS`` flag (``TLS``) and
    half-close, as Twisted's TCP and UNIX transports have, else ``None``:
    the transports on which bytes may go to the socket behind the
    transport's back once that buffer is empty (sendfile, and
    :meth:`HTTP11Protocol._write`).  The answer for a transport class is
    remembered; ``TLS`` is read each time.
    """
    kind = type(transport)
    plain = _plainKinds.get(kind)
    if plain is None:
        plain = _plainKinds[kind] = _plainKind(transport)
    if not plain or transport.TLS:
        return None
    return transport.getHandle()  # type: ignore[no-any-return]


def _noDelay(transport: Any) -> None:
    """
    ``TCP_NODELAY`` on ``transport``'s socket, if it is TCP (a TLS wrapper
    passes the call on to the TCP transport under it).  A response whose
    head and body leave in two writes, or whose last segment is small, is
    otherwise held back by Nagle's algorithm until the peer acknowledges
    the previous segment, which it delays by ~40 ms: on keep-alive, every
    such response stalled that long.  Everything the bridge sends is
    already coalesced per write (corking), so there is nothing left for
    Nagle to join.
    """
    setNoDelay = getattr(transport, "setTcpNoDelay", None)
    if setNoDelay is not None:
        try:
            setNoDelay(True)
        except OSError:  # not TCP (a UNIX socket), or gone already
            pass


#: transport class -> whether its instances are plain socket transports
_plainKinds: dict[type, bool] = {}


def _plainKind(transport: Any) -> bool:
    """What :func:`_plainSocket` remembers for ``transport``'s class: only
    what the class decides (TLS started on one instance is read each time)."""
    kind = type(transport)
    if not issubclass(kind, abstract.FileDescriptor) or ISSLTransport.implementedBy(kind):
        return False
    if not IHalfCloseableDescriptor.implementedBy(kind):
        return False
    for name in ("_tempDataLen", "dataBuffer", "TLS"):  # what _direct reads
        if not hasattr(transport, name):
            return False
    try:
        handle = transport.getHandle()
    except Exception:
        return False
    return isinstance(handle, socket.socket) and handle.type == socket.SOCK_STREAM


#: reactor -> (the call at its next turn, the protocols whose output waits for it)
_nextTurn: dict[Any, tuple[IDelayedCall, list["HTTP11Protocol"]]] = {}


def _flushTurn(clock: Any) -> None:
    for proto in _nextTurn.pop(clock)[1]:
        proto._cork -= 1
        if proto._cork == 0:
            try:
                proto._flush()
            except Exception:  # the other connections' output still goes
                proto._log.failure("writing to {peer} failed; aborting", peer=proto._peer())
                proto.abortConnection()


def _isTLS(transport: Any) -> bool:
    """Whether ``transport`` is TLS: it declares ``ISSLTransport``, or is a
    ``TLSMemoryBIOProtocol``-style wrapper that says so with ``TLS``."""
    return ISSLTransport.providedBy(transport) or bool(getattr(transport, "TLS", False))


class BodyLengthError(Exception):
    """
    A body producer wrote more or fewer bytes than its length promised.
    The connection has been aborted.
    """


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


#: Delay for "the next reactor turn" in repeating loops.  Not 0: a task.Clock
#: runs calls scheduled at the current time from inside advance(), so a
#: self-rescheduling callLater(0) would never let a test regain control.
NEXT_TURN = 1e-6


@implementer(IPushProducer)
class _PullToPush:
    """Drive a pull producer as a push producer, one call per reactor turn."""

    def __init__(self, producer: IPullProducer, clock: IReactorTime) -> None:
        self._producer = producer
        self._clock = clock
        self._paused = False
        self._stopped = False
        self._call: Optional[IDelayedCall] = None

    def start(self) -> None:
        self._schedule()

    def _schedule(self) -> None:
        if self._call is None and not self._paused and not self._stopped:
            self._call = self._clock.callLater(NEXT_TURN, self._tick)

    def _tick(self) -> None:
        self._call = None
        if self._paused or self._stopped:
            return
        self._producer.resumeProducing()
        self._schedule()

    def pauseProducing(self) -> None:
        self._paused = True
        if self._call is not None:
            self._call.cancel()
            self._call = None

    def resumeProducing(self) -> None:
        self._paused = False
        self._schedule()

    def halt(self) -> None:
        """Stop scheduling, without telling the producer (unregistered)."""
        self._stopped = True
        if self._call is not None:
            self._call.cancel()
            self._call = None

    def stopProducing(self) -> None:
        self.halt()
        self._producer.stopProducing()


@implementer(IZeroCopyConsumer)
class _PassthroughConsumer:
    """
    The consumer handed to a passthrough body's ``startProducing``: writes
    raw bytes (the core already framed them), counts them against the
    promised length, and offers the zero-copy hand-over.
    """

    def __init__(self, proto: "HTTP11Protocol", body: Any, length: int) -> None:
        self._proto = proto
        self._body = body
        self.length = length
        self.written = 0
        self.failed = False
        self.finished = False
        self.result: defer.Deferred[None] = defer.Deferred()

    # IConsumer.  Body producers are children of the protocol already.
    def registerProducer(self, producer: Any, streaming: bool) -> None:
        pass

    def unregisterProducer(self) -> None:
        pass

    def write(self, data: bytes) -> None:
        if self.failed or self._proto._lost:
            return
        if not self._count(len(data)):
            return
        self._proto._writeRaw(data)

    def _count(self, n: int) -> bool:
        self.written += n
        if self.written > self.length:
            self._proto._bodyFailed(
                self,
                Failure(
                    BodyLengthError(
                        f"body produced more than its length {self.length}"
                    )
                ),
            )
            return False
        return True

    # IZeroCopyConsumer
    def zeroCopyTransport(self) -> Optional[abstract.FileDescriptor]:
        return self._proto._zeroCopyTransport()

    def startZeroCopy(self, driver: IPullProducer) -> None:
        self._proto._startZeroCopy(driver)

    def zeroCopyWrote(self, count: int) -> bool:
        if self.failed:
            return False
        return self._count(count)

    def stopZeroCopy(self) -> None:
        self._proto._stopZeroCopy()


@implementer(IHalfCloseableProtocol, IPushProducer, IConsumer)
class HTTP11Protocol(Protocol):
    """
    Base protocol joining a transport and a core Connection.  See the module
    docstring for the subclass API.
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
    _writePaused = False
    _child: Any = None
    _pullAdapter: Optional[_PullToPush] = None
    _zeroCopyDriver: Any = None
    _registered = False  # we are the transport's producer
    _closeDeadline = _NEVER
    #: the one DelayedCall serving every deadline, see _wakeBy
    _timerCall: Optional[IDelayedCall] = None
    # Each of these stops the delivery of events for good, and sets
    # _stopped, the one flag the per-request paths read.
    _readError: Optional[BaseException] = None
    _closing = False
    _switched = False

    def __init__(self, reactor: Optional[IReactorTime] = None) -> None:
        #: the IReactorTime (see the module docstring); None until the
        #: connection is made if none was given
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
        self._activeBody: Optional[_PassthroughConsumer] = None
        # the one running of idle/header/body (linger when closing)
        self._readTimeout: Optional[str] = None
        self._readDeadline = _NEVER
        self._timerAt = _NEVER  # when _timerCall runs
        self._transportPaused = False
        # bytes that may still be held back before a flush (coalesceLimit)
        self._outRoom = self.coalesceLimit
        # the transport's socket while bytes may bypass its buffer (_write)
        self._socket: Optional[socket.socket] = None

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
        self._outRoom = self.coalesceLimit  # a setting may have changed it
        self.conn = h11.Connection(
            our_role=self.role, max_incomplete_event_size=self.maxIncompleteEventSize
        )
        # Protocol.makeConnection
        self.connected = 1
        self.transport = transport
        self._socket = _plainSocket(transport)
        _noDelay(transport)
        self.connectionMade()

    def connectionMade(self) -> None:
        """Register as the transport's streaming producer; start the idle timer.
        Subclasses overriding this must call it."""
        self.transport.registerProducer(self, True)
        self._registered = True
        if not (self._readPauses or self._stopped):
            self._setReadTimeout(TIMEOUT_IDLE)  # what _updateTimers finds now

    def _registerWithTransport(self) -> None:
        self.transport.registerProducer(self, True)
        self._registered = True

    def _unregisterFromTransport(self) -> None:
        """
        Stop being the transport's producer, if we are.  Tracked with a flag,
        not by looking at ``transport.producer``: under TLS that is Twisted's
        ``_ProducerMembrane`` around us (and TLS holds back its close_notify
        while a producer is registered).
        """
        if self._registered:
            self._registered = False
            self.transport.unregisterProducer()

    # ------------------------------------------------------------------
    # hooks for subclasses

    def eventReceived(self, event: Any) -> None:
        """An event from the peer, in wire order."""

    def protocolErrorReceived(self, exc: Exception) -> None:
        """The peer broke the protocol; the core's their_state is ERROR."""
        self.loseConnection()

    def cycleCompleted(self, reusable: bool) -> None:
        """Both sides finished their message (DONE/MUST_CLOSE/CLOSED)."""
        if reusable:
            self.startNextCycle()
        else:
            self.loseConnection()

    def timeoutReached(self, kind: str) -> None:
        """An idle/header/body timeout fired."""
        self._log.info("{kind} timeout on {peer}", kind=kind, peer=self._peer())
        self.loseConnection()

    def connectionClosed(self, reason: Failure) -> None:
        """The transport is gone."""

    def protocolSwitched(self, data: bytes) -> None:
        """
        Both sides switched protocols (Upgrade + 101, or CONNECT + 2xx).  The
        bridge stopped parsing HTTP and no longer is the transport's
        producer; ``data`` are the bytes already received after the switch,
        later bytes go to :meth:`rawDataReceived`.  Default: close.
        """
        self.loseConnection()

    def rawDataReceived(self, data: bytes) -> None:
        """Bytes received after a protocol switch.  Default: dropped."""

    # ------------------------------------------------------------------
    # input

    def dataReceived(self, data: bytes) -> None:
        if self._lost or not data:
            return
        if self._stopped:
            if self._switched:
                self.rawDataReceived(data)
            return  # else discarding
        timeout = self._readTimeout
        if timeout is TIMEOUT_IDLE:
            # a head begins: no longer idle.  The header timeout starts
            # once this delivery ends, if the head is still incomplete.
            self._readTimeout = None
        elif timeout is TIMEOUT_BODY and self.bodyTimeout is not None:
            self._readDeadline = self.clock.seconds() + self.bodyTimeout
        try:
            self.conn.receive_data(data)
        except (RuntimeError, h11.LocalProtocolError):
            return  # data after EOF; cannot happen with a sane transport
        self._drain()

    def readConnectionLost(self) -> None:
        """The peer half-closed (EOF), the write side is still open."""
        self._peerEOF = True
        if self._readTimeout is TIMEOUT_IDLE:
            self._readTimeout = None  # the EOF is news: not idle
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
        self._cancelTimers()
        if self._drainCall is not None:
            self._drainCall.cancel()
            self._drainCall = None
        if self._pullAdapter is not None:
            self._pullAdapter.halt()
        if self._activeBody is not None:
            self._bodyFailed(self._activeBody, reason, abort=False)
        if self._child is not None:
            # we may have unregistered from the transport (closing, switch)
            self.stopProducing()
        if self._readError is None and not self._closing:
            self.conn.receive_data(b"")
            self._drain()  # ignores pause reasons now that we are lost
        self.connectionClosed(reason)

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
                self._setReadTimeout(TIMEOUT_IDLE)

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
        idle = False
        try:
            while not self._stopped:
                if self._readPauses and not self._lost:
                    break
                try:
                    event = nextEvent()
                except h11.RemoteProtocolError as exc:
                    self._readError = exc
                    self._stopped = True
                    self._readTimeout = None
                    self._log.info(
                        "protocol error from {peer}: {exc!r}", peer=self._peer(), exc=exc
                    )
                    self._dispatch(self.protocolErrorReceived, exc)
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
                        self._readTimeout = None
                # self._dispatch(self.eventReceived, event), inlined: the
                # one call made for every event
                outer = self._dispatching
                self._dispatching = True
                try:
                    self.eventReceived(event)
                except BaseException:
                    self._log.failure(
                        "Unhandled error in {fn!r}; aborting", fn=self.eventReceived
                    )
                    self.abortConnection()
                finally:
                    self._dispatching = outer
                if t is _EndOfMessage or t is _ConnectionClosed:
                    # A cycle ends only when a message does: the peer's (here)
                    # or ours (sendEvent checks it).
                    self._checkCycle()
                    if self._readTimeout is TIMEOUT_IDLE:
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

    def _checkSwitch(self) -> None:
        conn = self.conn
        if self._switched or not (
            conn.our_state is h11.SWITCHED_PROTOCOL or conn.their_state is h11.SWITCHED_PROTOCOL
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
        self._cancelTimers()
        self._readPauses.clear()
        self._unregisterFromTransport()
        if self._transportPaused:
            self._transportPaused = False
            self.transport.resumeProducing()
        self._dispatch(self.protocolSwitched, data)

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
            # self._dispatch(self.cycleCompleted, reusable), inlined
            self._dispatching = True
            try:
                self.cycleCompleted(ours is _DONE and theirs is _DONE)
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
    # timeouts

    def _updateTimers(self) -> None:
        """
        Run the read timeout that fits the state now: idle (both sides
        idle, nothing received, not paused), header (part of a head
        received) or body (reading a body, not paused) -- they exclude each
        other, so at most one runs.  One that already runs is left alone.
        """
        conn = self.conn
        if self._lost or self._stopped or conn is None:
            return
        theirs = conn.their_state
        if theirs is _SEND_BODY:
            kind = None if self._readPauses else TIMEOUT_BODY
        elif (theirs is _IDLE or theirs is _SEND_RESPONSE) and conn.trailing_data[0]:
            # part of a head is buffered (the core holds only that while
            # it waits for a head): the slowloris deadline
            kind = TIMEOUT_HEADER
        elif theirs is _IDLE and conn.our_state is _IDLE and not self._readPauses:
            kind = TIMEOUT_IDLE
        else:
            kind = None
        if kind is not self._readTimeout:
            self._setReadTimeout(kind)

    def _setReadTimeout(self, kind: Optional[str]) -> None:
        """Run the read timeout ``kind`` (idle, header, body, linger or
        None) from now."""
        self._readTimeout = kind
        if kind is None:
            return
        if kind is TIMEOUT_IDLE:
            seconds = self.idleTimeout
        elif kind is TIMEOUT_HEADER:
            seconds = self.headerTimeout
        elif kind is TIMEOUT_BODY:
            seconds = self.bodyTimeout
        else:
            seconds = self.lingerTimeout
        if seconds is None:
            self._readDeadline = _NEVER
            return
        now = self.clock.seconds()
        deadline = self._readDeadline = now + seconds
        if deadline < self._timerAt:
            self._wakeBy(deadline, now, True)

    def _wakeBy(self, deadline: float, now: float, early: bool) -> None:
        """
        Have the timer call run by ``deadline``.  One DelayedCall serves all
        deadlines (the read timeout and the close timeout): a deadline moved
        later leaves it to run early, find nothing due and re-arm, so a
        keep-alive connection does not create and cancel a DelayedCall for
        every request.
        """
        call = self._timerCall
        if call is not None:
            # Never DelayedCall.reset() to an earlier time: the reactor does
            # that with a linear search of all its pending calls, so every
            # connection would pay for every other one.  A cancel is O(1) and
            # a new call O(log n).
            call.cancel()
        if early and self.closeTimeout is not None and now + self.closeTimeout < deadline:
            # A new call (not a re-arm) runs no later than closeTimeout from
            # now: a close starting before then finds a call early enough
            # (a connection per request arms one DelayedCall, not two).
            deadline = now + self.closeTimeout
        call = self._timerCall = self.clock.callLater(deadline - now, self._timersDue)
        self._timerAt = call.getTime()

    def _timersDue(self) -> None:
        self._timerCall = None
        self._timerAt = _NEVER
        now = self.clock.seconds()
        due = []
        if self._closeDeadline <= now:
            self._closeDeadline = _NEVER
            due.append(_TIMEOUT_CLOSE)
        read = self._readTimeout
        if read is None:
            nextDeadline = self._closeDeadline
        elif self._readDeadline <= now:
            self._readDeadline = _NEVER
            nextDeadline = self._closeDeadline
            due.append(read)
        else:
            nextDeadline = min(self._readDeadline, self._closeDeadline)
        if nextDeadline != _NEVER:
            self._wakeBy(nextDeadline, now, False)
        for kind in due:
            self._timeoutFired(kind)

    def _cancelTimers(self) -> None:
        self._readTimeout = None
        if self._closeDeadline != _NEVER:
            self._closeDeadline = _NEVER
        if self._timerCall is not None:
            self._timerCall.cancel()
            self._timerCall = None
            self._timerAt = _NEVER

    def _timeoutFired(self, kind: str) -> None:
        if kind is self._readTimeout:
            self._readTimeout = None  # restarted if still wanted at the next update
        if self._lost:
            return
        if kind == _TIMEOUT_LINGER:
            self.transport.loseConnection()
        elif kind == _TIMEOUT_CLOSE:
            self._log.info("graceful close of {peer} stalled; aborting", peer=self._peer())
            self.abortConnection()
        else:
            self._dispatch(self.timeoutReached, kind)

    # ------------------------------------------------------------------
    # output

    def sendEvent(self, event: Any) -> None:
        """Serialise ``event`` with the core and write it (corked inside
        event delivery)."""
        if self._activeBody is not None:
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
        elif self.conn.switch_proposed and self.conn.our_state is h11.SWITCHED_PROTOCOL:
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
        """
        Flush; on a plain TCP transport, at the start of the reactor's next
        turn instead, together with every other connection's output of this
        turn (the protocol stays corked until then; past ``coalesceLimit``
        it flushes at once).  Sent one by one as each answer is made, the
        responses would each wake the peer and interleave the kernel's work
        with ours: under wrk that cost a third of the requests per second.
        Sent together after the turn's reads, they need a third of the
        system time, and none of the epoll registrations and wake-ups of
        Twisted's own write buffer.
        """
        if self._socket is None or not self._out:
            self._flush()
            return
        self._cork += 1
        clock = self.clock
        turn = _nextTurn.get(clock)
        if turn is not None and turn[0].active():
            turn[1].append(self)
            return
        # none yet, or its call was cancelled (a stopped reactor, a test's
        # clean-up): a new call takes over whatever still waits
        waiting = turn[1] if turn is not None else []
        waiting.append(self)
        _nextTurn[clock] = (clock.callLater(0, _flushTurn, clock), waiting)

    def write(self, data: bytes) -> None:
        """IConsumer: send ``data`` as the body's next piece (what
        ``sendEvent(Data(data=data))`` does, without the event)."""
        if data:
            if self._activeBody is not None:
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

    def _flushUncorked(self) -> None:
        """Flush unless output is corked (its holder flushes it)."""
        if self._cork == 0:
            self._flush()

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
        Twisted's.  ``TLS`` is read each time: ``startTLS`` may wrap a
        plain transport later.
        """
        if self._direct():
            try:
                sent = self._socket.send(data)  # type: ignore[union-attr]
            except OSError:  # EAGAIN, or an error Twisted's doWrite reports
                sent = 0
            if sent == len(data):
                return
            data = data[sent:]
        self.transport.write(data)

    def _direct(self) -> bool:
        """
        Whether bytes may go to the socket now, bypassing the transport: a
        plain TCP transport holding nothing back and not closing, on a
        connection still delivering events.  Once that stopped (a close, an
        error, the peer's EOF) the transport takes the last output: its
        close writes and closes in one go, with other connections' writes,
        where a send of our own wakes the peer apart (a Connection: close
        request cost twice the system time that way).
        """
        if self._stopped or not self._plain():
            return False
        t = self.transport
        return not (t._tempDataLen or t.dataBuffer or t.disconnecting or t._writeDisconnecting)

    def _writeSequence(self, parts: list[bytes]) -> None:
        """``transport.writeSequence(parts)``, straight to the socket with
        ``sendmsg()`` (no join) when :meth:`_write` would write directly."""
        if self._direct() and len(parts) <= _IOV_MAX:
            try:
                sent = self._socket.sendmsg(parts)  # type: ignore[union-attr]
            except OSError:
                sent = 0
            if sent:
                i = 0
                while i < len(parts) and sent >= len(parts[i]):
                    sent -= len(parts[i])
                    i += 1
                if i == len(parts):
                    return
                parts = parts[i:]
                parts[0] = parts[0][sent:]
        self.transport.writeSequence(parts)

    def _writeRaw(self, data: Any) -> None:
        """A passthrough body's bytes: held with the rest while corked
        (a small body then leaves in one write with its head), else now."""
        self._append(data)
        if self._cork == 0 or self._outRoom <= 0:
            self._flush()

    # passthrough bodies

    def sendBody(self, body: Any) -> "defer.Deferred[None]":
        """
        Send a passthrough body placeholder (``__len__`` + IBodyProducer
        methods).  Fires with ``None`` when written; fails (and the
        connection is aborted) if the body does not produce exactly
        ``len(body)`` bytes.
        """
        if self._activeBody is not None or self._child is not None:
            raise RuntimeError("another body or producer is active")
        length = len(body)
        parts = self.conn.send_with_data_passthrough(h11.Data(data=body))
        for i, part in enumerate(parts):
            if part is body:
                break
        else:
            for part in parts:
                self._append(part)
            self._flushUncorked()
            return defer.succeed(None)
        for part in parts[:i]:
            self._append(part)
        suffix = parts[i + 1 :]
        consumer = _PassthroughConsumer(self, body, length)
        result = consumer.result
        self._activeBody = consumer
        if self._lost:
            self._bodyFailed(consumer, Failure(ConnectionError("connection lost")), abort=False)
            return result
        # corked while the body starts: what it writes at once (a small
        # file) joins the head in one write; a zero-copy body flushes the
        # head itself before its first sendfile()
        self._cork += 1
        try:
            d = body.startProducing(consumer)
        except BaseException:
            self._cork -= 1
            self._bodyFailed(consumer, Failure())
            return result
        self._cork -= 1
        self._flushUncorked()
        if self._activeBody is consumer:
            # a child from now on; paused once if the transport is full
            self._child = body
            if self._writePaused and self._zeroCopyDriver is None:
                body.pauseProducing()

        def done(_: Any) -> None:
            if consumer.failed:
                return
            if consumer.written != consumer.length:
                self._bodyFailed(
                    consumer,
                    Failure(
                        BodyLengthError(
                            f"body produced {consumer.written} of {consumer.length} bytes"
                        )
                    ),
                )
                return
            consumer.finished = True
            self._activeBody = None
            self._child = None
            for part in suffix:
                self._append(part)
            self._flushUncorked()
            result.callback(None)

        def failed(f: Failure) -> None:
            if not consumer.failed:
                self._bodyFailed(consumer, f)

        d.addCallbacks(done, failed)
        return result

    def _bodyFailed(
        self, consumer: _PassthroughConsumer, reason: Failure, abort: bool = True
    ) -> None:
        if consumer.failed:
            return
        consumer.failed = True
        body, result = consumer._body, consumer.result
        if self._activeBody is consumer:
            self._activeBody = None
            self._zeroCopyDriver = None
        if self._child is body:
            self._child = None
        if not consumer.finished:
            self.conn.send_failed()  # only marks our side ERROR; cannot raise
        if abort:
            self._log.error(
                "passthrough body failed ({reason}); aborting {peer}",
                reason=reason.getErrorMessage(),
                peer=self._peer(),
            )
            try:
                body.stopProducing()
            except Exception:
                self._log.failure("stopProducing of {body!r} failed", body=body)
            self.abortConnection()
        if not result.called:
            result.errback(reason)

    def _zeroCopyTransport(self) -> Optional[abstract.FileDescriptor]:
        if self._lost or not self._plain():
            return None
        return self.transport

    def _plain(self) -> bool:
        """Whether the transport is (still) a plain socket transport: see
        :func:`_plainSocket`; ``startTLS`` may have wrapped it since."""
        return self._socket is not None and not self.transport.TLS

    def _startZeroCopy(self, driver: IPullProducer) -> None:
        self._flush()
        self._zeroCopyDriver = driver
        self._unregisterFromTransport()
        self.transport.registerProducer(driver, False)

    def _stopZeroCopy(self) -> None:
        if self._zeroCopyDriver is None:
            return
        self._zeroCopyDriver = None
        if self._lost:
            return
        self.transport.unregisterProducer()
        self._writePaused = False
        self._registerWithTransport()

    # child producers (IConsumer)

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        """Make ``producer`` the child producer for the message body."""
        if self._child is not None:
            raise RuntimeError(f"cannot register {producer!r}: {self._child!r} is active")
        if streaming:
            self._child = producer
        else:
            adapter = _PullToPush(producer, self._getReactor())
            self._pullAdapter = adapter
            self._child = adapter
            adapter.start()
        if self._lost:
            self._child.stopProducing()
        elif self._writePaused:
            self._child.pauseProducing()

    def unregisterProducer(self) -> None:
        if self._pullAdapter is not None:
            self._pullAdapter.halt()
            self._pullAdapter = None
        if self._activeBody is None:
            self._child = None

    # IPushProducer, as the transport's producer

    def pauseProducing(self) -> None:
        self._writePaused = True
        if self._child is not None:
            self._child.pauseProducing()

    def resumeProducing(self) -> None:
        self._writePaused = False
        if self._child is not None:
            self._child.resumeProducing()

    def stopProducing(self) -> None:
        child = self._child
        if child is not None:
            self._child = None
            try:
                child.stopProducing()
            except Exception:
                self._log.failure("stopProducing of {child!r} failed", child=child)

    # ------------------------------------------------------------------
    # closing

    def loseConnection(self) -> None:
        """Graceful close: flush, half-close, discard input for a bounded
        time, close; abort if it stalls."""
        if self._closing or self._lost:
            return
        if self._activeBody is not None:
            self._log.warn("close requested in the middle of a body; aborting")
            self.abortConnection()
            return
        self._closing = self._stopped = True
        self._flush()
        # the read timeout ends; the timer call stays for the close deadline
        self._readTimeout = None
        if self._drainCall is not None:
            self._drainCall.cancel()
            self._drainCall = None
        t = self.transport
        if self.closeTimeout is not None:
            now = self.clock.seconds()
            deadline = self._closeDeadline = now + self.closeTimeout
            if deadline < self._timerAt:
                self._wakeBy(deadline, now, False)
        self._unregisterFromTransport()
        if self._peerEOF or not self._canHalfClose() or self._peerSentAll():
            t.loseConnection()
            return
        t.loseWriteConnection()
        self._readPauses.clear()
        if self._transportPaused:
            self._transportPaused = False
            t.resumeProducing()
        # the read timeout while discarding what the peer still sends
        self._setReadTimeout(_TIMEOUT_LINGER)

    def _peerSentAll(self) -> bool:
        """
        Whether a full close is as safe as the staged one: the peer declared
        its last message (``Connection: close``, so its side is MUST_CLOSE or
        CLOSED), nothing of its is left unparsed and the socket holds no
        unread byte.  Closing a socket with unread input resets the
        connection, which can destroy our response in flight; that is what
        the half-close and linger guard against (RFC 9112 9.6).
        """
        conn = self.conn
        if conn.their_state not in _PEER_DONE or conn.trailing_data[0]:
            return False
        if not self._plain():
            return False
        return _nothingUnread(self._socket)  # type: ignore[arg-type]

    def _canHalfClose(self) -> bool:
        if self._plain():
            return True
        t = self.transport
        return (
            IHalfCloseableDescriptor.providedBy(t)
            and hasattr(t, "loseWriteConnection")
            and not _isTLS(t)
        )

    def abortConnection(self) -> None:
        """Close now, discarding unsent output."""
        if self._lost:
            return
        self._out = []
        self._outRoom = self.coalesceLimit
        self._closing = self._stopped = True  # nothing more happens on this connection
        self._cancelTimers()
        abort = getattr(self.transport, "abortConnection", None)
        if abort is not None:
            abort()
        else:
            self.transport.loseConnection()

    # ------------------------------------------------------------------

    def _peer(self) -> str:
        try:
            return str(self.transport.getPeer())
        except Exception:
            return "?"
