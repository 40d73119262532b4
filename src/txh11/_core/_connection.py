"""The Connection: one HTTP/1.1 connection's state, parser and serializer.

It never does I/O: :meth:`Connection.receive_data` takes bytes you read,
:meth:`Connection.next_event` hands back events, and :meth:`Connection.send`
turns your events into bytes for you to write.
"""

from typing import AbstractSet, Any, Dict, List, Optional, Tuple, Union

from ._caches import HEAD_READERS_LIMIT, REQUEST_READERS, RESPONSE_READERS, remember
from ._errors import DataAfterEOFError, LocalProtocolError, RemoteProtocolError, make_sentinel
from ._events import (
    ConnectionClosed,
    Data,
    EndOfMessage,
    Event,
    InformationalResponse,
    Request,
    Response,
)
from ._framing import EMPTY_BODY_READER as _EMPTY_BODY_READER
from ._framing import EMPTY_BODY_WRITER as _EMPTY_BODY_WRITER
from ._framing import (
    framing_of,
    reader_for,
    request_headers,
    response_headers,
    writer_for,
)
from ._headers import Headers
from ._readers import (
    ContentLengthReader,
    RequestHeadReader,
    ResponseHeadReader,
    _END,
)
from ._receivebuffer import ReceiveBuffer
from ._state import (
    CLIENT,
    DONE,
    ERROR,
    IDLE,
    MIGHT_SWITCH_PROTOCOL,
    SEND_BODY,
    SEND_RESPONSE,
    SERVER,
    SWITCH_CONNECT,
    SWITCH_UPGRADE,
    NO_PROPOSALS,
    SWITCHED_PROTOCOL,
    after_cycle,
    after_error,
    after_event,
    after_proposal,
    fresh_situation,
    moved_by,
)
from ._writers import (
    ContentLengthWriter,
    write_request_head,
    write_response_head,
)

__all__ = ["Connection", "NEED_DATA", "PAUSED", "DEFAULT_MAX_INCOMPLETE_EVENT_SIZE"]

NEED_DATA = make_sentinel("NEED_DATA")
PAUSED = make_sentinel("PAUSED")

DEFAULT_MAX_INCOMPLETE_EVENT_SIZE = 16 * 1024

# trailing_data with nothing buffered (a server asks after every response).
_NOTHING = (b"", False)
_NOTHING_AT_EOF = (b"", True)





def _head_reader(our_role: Any, max_size: int) -> Any:
    """The head reader of a connection in ``our_role``.  Head readers hold
    only their settings: one per role and size limit serves every connection
    (a server only reads requests, a client responses)."""
    readers = REQUEST_READERS if our_role is SERVER else RESPONSE_READERS
    reader = readers.get(max_size)
    if reader is None:
        if our_role is SERVER:
            reader = RequestHeadReader(max_size, False)
        else:
            reader = ResponseHeadReader(max_size, True)  # only a user agent unfolds obs-fold
        remember(readers, HEAD_READERS_LIMIT, max_size, reader)
    return reader


def _check_http10_framing(headers: Headers) -> None:
    """Transfer-Encoding in a received HTTP/1.0 message means faulty
    framing (RFC 9112 6.1)."""
    if headers.chunked:
        raise RemoteProtocolError("Transfer-Encoding in an HTTP/1.0 message")


def _keep_alive(http_version: bytes, tokens: Tuple[bytes, ...]) -> bool:
    """Whether the sender of a message with this version and these
    Connection tokens lets the connection persist."""
    if http_version < b"1.1":
        # HTTP/1.0 persists only by explicit request (RFC 9112 Appendix C.2.2).
        return b"keep-alive" in tokens and b"close" not in tokens
    return b"close" not in tokens


class Connection:
    """One HTTP/1.1 connection, seen from ``our_role`` (:data:`CLIENT` or :data:`SERVER`).

    ``max_incomplete_event_size`` bounds how many bytes of an unfinished
    request/status line and header block (or chunk header, or trailer
    section) are buffered before :exc:`RemoteProtocolError` is raised.
    """

    def __init__(
        self, our_role: Any, max_incomplete_event_size: int = DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
    ) -> None:
        if our_role is not CLIENT and our_role is not SERVER:
            raise ValueError(f"expected CLIENT or SERVER, not {our_role!r}")
        self.our_role = our_role
        self.their_role = SERVER if our_role is CLIENT else CLIENT
        self._max_incomplete_event_size = max_incomplete_event_size
        # The joint situation of both state machines (see _state._Joint),
        # and the protocol switches the client proposed.
        self._node = fresh_situation(our_role)
        self._pending: AbstractSet[Any] = NO_PROPOSALS
        # Only a user agent may unfold obs-fold (RFC 9112 5.2); servers reject it.
        obs_fold_ok = our_role is CLIENT
        self._obs_fold_ok = obs_fold_ok
        self._head_reader: Any = _head_reader(our_role, max_incomplete_event_size)
        self._body_reader: Any = None
        self._writer: Any = None
        # Made on first use, then reused for every Content-Length body.
        self._cl_reader: Optional[ContentLengthReader] = None
        self._cl_writer: Optional[ContentLengthWriter] = None
        self._receive_buffer = ReceiveBuffer()
        self._receive_buffer_closed = False
        #: The HTTP version the peer speaks, or None before its first message.
        self.their_http_version: Optional[bytes] = None
        self._request_method: Optional[bytes] = None
        self._peer_wants_keep_alive_header = False
        #: True between a request with ``Expect: 100-continue`` and the first
        #: response (or the client sending body data anyway).
        self.client_is_waiting_for_100_continue = False

    # -- state -------------------------------------------------------------

    @property
    def states(self) -> Dict[Any, Any]:
        """A dict mapping each role to its current state."""
        node = self._node
        return {CLIENT: node.client, SERVER: node.server}

    @property
    def our_state(self) -> Any:
        """Our role's current state."""
        return self._node.ours

    @property
    def their_state(self) -> Any:
        """The peer's current state."""
        return self._node.theirs

    @property
    def they_are_waiting_for_100_continue(self) -> bool:
        """True when the peer is a client waiting for ``100 Continue`` (see
        :attr:`client_is_waiting_for_100_continue`): send one, or a final
        response, before waiting to read its body."""
        return self.their_role is CLIENT and self.client_is_waiting_for_100_continue

    @property
    def trailing_data(self) -> Tuple[bytes, bool]:
        """``(unprocessed bytes, whether EOF was received)``.

        After a protocol switch, these are the first bytes of the new protocol.
        """
        buf = self._receive_buffer
        whole = buf.whole
        if whole is not None:
            return (whole[buf.start :] if buf.start else whole, self._receive_buffer_closed)
        if buf.data:
            return (bytes(buf.data), self._receive_buffer_closed)
        return _NOTHING_AT_EOF if self._receive_buffer_closed else _NOTHING

    @property
    def their_framing(self) -> Optional[Tuple[str, Optional[int]]]:
        """How the peer's current message body is framed, as the core decided
        when it read the head (a txh11 addition): ``None`` before that (and
        after a protocol switch), else ``("length", n)`` (``n`` bytes; 0 for
        a message without a body), ``("chunked", None)`` or ``("close",
        None)`` (the body ends when the connection closes)."""
        return framing_of(self._body_reader)

    @property
    def our_framing(self) -> Optional[Tuple[str, Optional[int]]]:
        """How our current message body is framed, as the core decided when
        we sent the head (a txh11 addition); the values of
        :attr:`their_framing`."""
        return framing_of(self._writer)

    @property
    def switch_proposed(self) -> bool:
        """Whether the client's current request proposes a protocol switch
        (``CONNECT``, or ``Upgrade``) that the server has not answered yet:
        ``True`` from that request until a final response that does not
        switch, and after one that does (a txh11 addition)."""
        return bool(self._pending)

    def disable_keep_alive(self) -> None:
        """End the connection after the current cycle, as a ``Connection:
        close`` would (a txh11 addition, for a server shutting down): a
        response head sent from now on says ``Connection: close``, and both
        sides go to MUST_CLOSE when the cycle is done."""
        node = self._node
        if node.keep_alive:
            self._node = node.keep_alive_off

    def start_next_cycle(self) -> None:
        """Reset both sides to IDLE for another request/response on this connection.

        Only legal when both are DONE; raises :exc:`LocalProtocolError`
        otherwise (and the connection stays usable).
        """
        after = self._node.next_cycle
        self._node = after if after is not None else after_cycle(self._node)
        self._request_method = None
        self._writer = None
        self._body_reader = None
        self._peer_wants_keep_alive_header = False
        self.client_is_waiting_for_100_continue = False

    def skip_empty_line(self) -> bool:
        """Drop one empty line (CRLF) at the front of the bytes received, if
        the peer's next message has not begun: return whether there was one.

        The core, as h11, takes an empty line where a start line belongs for
        an error; RFC 9112 2.2 says a server *should* ignore at least one
        before a request line (old clients send a CRLF after a body). A
        server that wants that calls this between messages. A txh11
        addition: h11 has no such method.
        """
        buf = self._receive_buffer
        if buf.whole is None and not buf.data:
            return False  # (nothing buffered: the usual case, answered at once)
        state = self._node.theirs
        if (state is IDLE or state is DONE) and buf.startswith(b"\r\n"):
            buf.discard(2)
            return True
        return False

    # -- the shared bookkeeping for sent and received events -----------------

    def _process_event(self, role: Any, event: Event) -> None:
        """``role`` sent an event that next_event and send have no path of
        their own for: an InformationalResponse, a ConnectionClosed, or Data
        while no body may be sent (the transition raises)."""
        t = type(event)
        if t is InformationalResponse:
            switch = SWITCH_UPGRADE if event.status_code == 101 else None  # type: ignore[attr-defined]
            self._node, self._pending = after_event(self._node, self._pending, role, t, switch)
            self.client_is_waiting_for_100_continue = False
            if role is not self.our_role:
                self.their_http_version = event.http_version  # type: ignore[attr-defined]
        else:
            self._moved(role, t)

    # The two below (and EndOfMessage in next_event and send) do what _moved
    # does, written out: they are on every request's path.

    def _process_request(self, role: Any, event: Request) -> None:
        """``role`` (the client, unless this raises) sent or we received a Request."""
        method = event.method
        headers = event.headers
        if method == b"CONNECT":
            self._node, self._pending = after_proposal(self._node, self._pending, SWITCH_CONNECT)
        if headers.upgrade:
            self._node, self._pending = after_proposal(self._node, self._pending, SWITCH_UPGRADE)
        node = self._node
        try:
            self._node = (node.by_client if role is CLIENT else node.by_server)[Request]
        except KeyError:
            moved_by(node, role, Request)  # raises
        self._request_method = method
        version = event.http_version
        received = role is not self.our_role
        if received:
            self.their_http_version = version
            if version < b"1.1":
                _check_http10_framing(headers)
                self._peer_wants_keep_alive_header = _keep_alive(version, headers.connection)
        if headers.expect_continue and version >= b"1.1":
            self.client_is_waiting_for_100_continue = True
        # Without Connection tokens an HTTP/1.1 message keeps the connection.
        if headers.connection or version != b"1.1":
            self._check_keep_alive(version, headers.connection)
        if headers.chunked:
            self._start_body(role, "chunked", 0)
        elif received and not headers.content_length:
            # (_start_body's answer, written out: a call costs 0.4k instructions)
            self._body_reader = _EMPTY_BODY_READER
        else:
            self._start_body(role, "cl", headers.content_length or 0)

    def _process_response(self, role: Any, event: Response, headers: Headers) -> None:
        """``role`` (the server, unless this raises) sent or we received a
        final Response; ``headers`` are the ones that go (or came) with it
        (see _prepare_response)."""
        node = self._node
        status = event.status_code
        switch = None
        if node.no_switch:
            try:
                self._node = (node.by_server if role is SERVER else node.by_client)[Response]
            except KeyError:
                moved_by(node, role, Response)  # raises
        else:
            if 200 <= status < 300 and SWITCH_CONNECT in self._pending:
                switch = SWITCH_CONNECT
            self._node, self._pending = after_event(node, self._pending, role, Response, switch)
        self.client_is_waiting_for_100_continue = False
        version = event.http_version
        received = role is not self.our_role
        if received:
            self.their_http_version = version
            if version < b"1.1":
                _check_http10_framing(headers)
        if switch is not None:
            return  # the connection now speaks another protocol
        if headers.connection or version != b"1.1":
            self._check_keep_alive(version, headers.connection)
        self._start_response_body(role, status, headers, received)

    def _start_response_body(self, role: Any, status: int, headers: Headers, received: bool) -> None:
        """Frame the body of a final response (see _process_response)."""
        method = self._request_method
        # (HEAD or framing.bodiless_status, written out: see docs/performance.rst)
        if (
            status == 204
            or status == 304
            or method == b"HEAD"
            or (method == b"CONNECT" and 200 <= status < 300)
        ):
            self._start_body(role, "cl", 0)
        elif headers.chunked:
            if received and headers.content_length is not None:
                # framed by Transfer-Encoding, and never reused: the other
                # length may be what a proxy on the way went by (RFC 9112 6.1)
                self._check_keep_alive(b"1.1", (b"close",))
            self._start_body(role, "chunked", 0)
        elif headers.content_length is not None:
            length = headers.content_length
            writer = self._cl_writer
            if length and writer is not None and not received:
                # (_start_body's answer, written out: a call costs 0.4k instructions)
                writer.length = writer.remaining = length
                self._writer = writer
            else:
                self._start_body(role, "cl", length)
        else:
            self._start_body(role, "http10", 0)

    def _moved(self, role: Any, event_type: type) -> None:
        """``role`` sent an event of ``event_type`` (not a Response, not
        accepting a switch): the transition its situation knows, or an
        error."""
        node = self._node
        try:
            self._node = (node.by_client if role is CLIENT else node.by_server)[event_type]
        except KeyError:
            moved_by(node, role, event_type)  # raises

    def _check_keep_alive(self, version: bytes, tokens: Tuple[bytes, ...]) -> None:
        """A message of this version with these Connection tokens was sent
        or received: keep-alive goes off unless its sender lets the
        connection persist (and once off, it stays off)."""
        node = self._node
        if node.keep_alive and not _keep_alive(version, tokens):
            self._node = node.keep_alive_off

    def _start_body(self, role: Any, kind: str, length: int) -> None:
        """Set up the writer (we send) or reader (we receive) for a body
        framed as ``kind`` ("cl" with ``length``, "chunked" or "http10")."""
        ours = role is self.our_role
        if kind == "cl" and not length:  # (the commonest case, without a call)
            if ours:
                self._writer = _EMPTY_BODY_WRITER
            else:
                self._body_reader = _EMPTY_BODY_READER
        elif ours:
            self._writer, self._cl_writer = writer_for(kind, length, self._cl_writer)
        else:
            self._body_reader, self._cl_reader = reader_for(
                kind, length, self._cl_reader, self._max_incomplete_event_size, self._obs_fold_ok
            )

    # -- receiving -----------------------------------------------------------

    def receive_data(self, data: Optional[bytes]) -> None:
        """Add bytes read from the peer; ``b""`` (or None) means the peer closed.

        EOF may be signalled repeatedly; data after EOF raises
        :exc:`LocalProtocolError`.
        """
        if data:
            if self._receive_buffer_closed:
                raise DataAfterEOFError("received data after the peer closed the connection (EOF)")
            buf = self._receive_buffer
            if buf.whole is None and not buf.data and type(data) is bytes:
                # An empty buffer keeps the bytes as they are (see ReceiveBuffer).
                buf.whole = data
                buf.start = 0
            else:
                buf.append(data)
        else:
            self._receive_buffer_closed = True

    def _event_between_messages(self, state: Any) -> Any:
        """The next event while the peer is DONE, MUST_CLOSE, CLOSED or
        switching protocols: no reader applies."""
        buf = self._receive_buffer
        if state is DONE:
            if buf.whole is not None or buf.data:
                return PAUSED
        elif state is MIGHT_SWITCH_PROTOCOL or state is SWITCHED_PROTOCOL:
            return PAUSED
        elif buf.whole is not None or buf.data:  # MUST_CLOSE or CLOSED
            raise RemoteProtocolError("peer sent data after a message that ended the connection's reuse")
        if not self._receive_buffer_closed:
            return NEED_DATA
        self._moved(self.their_role, ConnectionClosed)
        return ConnectionClosed()

    def _event_at_eof(self, state: Any, reader: Any) -> Any:
        """The next event once the peer closed and ``reader`` found nothing more."""
        if state is SEND_BODY:
            return reader.read_eof()
        buf = self._receive_buffer
        if buf.whole is not None or buf.data:
            raise RemoteProtocolError("peer closed the connection in the middle of a message head")
        return ConnectionClosed()

    def next_event(self) -> Any:
        """Return the next event from the peer, or :data:`NEED_DATA` / :data:`PAUSED`.

        Raises :exc:`RemoteProtocolError` if the peer broke the protocol; their
        state is then ERROR and every later call raises too.
        """
        their_role = self.their_role
        state = self._node.theirs
        if state is SEND_BODY:
            reader = self._body_reader
        elif state is IDLE or state is SEND_RESPONSE:
            reader = self._head_reader
        elif state is DONE and not self._receive_buffer_closed:
            # Between two messages on a keep-alive connection.
            buf = self._receive_buffer
            return PAUSED if buf.whole is not None or buf.data else NEED_DATA
        elif state is ERROR:
            raise RemoteProtocolError("can't receive data when the peer's state is ERROR")
        else:
            reader = None
        try:
            if reader is None:
                return self._event_between_messages(state)
            # (what the reader of a message without a body says, without a call: 0.4k instructions)
            event = _END if reader is _EMPTY_BODY_READER else reader.read(self._receive_buffer)
            if event is None:
                if not self._receive_buffer_closed:
                    return NEED_DATA
                event = self._event_at_eof(state, reader)
            t = type(event)
            # Only a body reader makes Data and EndOfMessage, so the state is
            # SEND_BODY. Body data from the client ends its wait for 100
            # (from the server, the response before it already did).
            if t is Data:
                self.client_is_waiting_for_100_continue = False
            elif t is EndOfMessage:
                try:
                    self._node = self._node.by_theirs[EndOfMessage]
                except KeyError:
                    moved_by(self._node, their_role, EndOfMessage)  # raises
                self.client_is_waiting_for_100_continue = False
            elif t is Request:
                self._process_request(their_role, event)
            elif t is Response:
                self._process_response(their_role, event, event.headers)
            else:
                self._process_event(their_role, event)
            return event
        except BaseException as exc:
            self._receive_failed(exc)
            raise

    def _receive_failed(self, exc: BaseException) -> None:
        """Reading from the peer raised ``exc``: their state becomes ERROR,
        and a check shared with sending (LocalProtocolError) is the peer's
        fault, so it is raised as a RemoteProtocolError."""
        self._node = after_error(self._node, self.their_role)
        if isinstance(exc, LocalProtocolError):
            exc._reraise_as_remote_protocol_error()

    # -- sending -------------------------------------------------------------

    def send(self, event: Event) -> Optional[bytes]:
        """Return the bytes to write for ``event`` (None for :class:`ConnectionClosed`)."""
        parts = self.send_with_data_passthrough(event)
        if parts is None:
            return None
        if len(parts) == 1:
            return bytes(parts[0]) if type(parts[0]) is not bytes else parts[0]
        return b"".join(parts)

    def send_data(self, data: Any) -> List[Any]:
        """``send_with_data_passthrough(Data(data=data))`` without building the
        event: the list of parts that frame ``data`` as the body needs, with
        ``data`` itself among them (an empty list when nothing is to be
        written).  For a body written piece by piece, where an event per
        piece costs more than the framing.  A txh11 addition: h11 has no
        such method."""
        if self._node.ours is SEND_BODY:
            try:
                if self.our_role is CLIENT:
                    self.client_is_waiting_for_100_continue = False
                return self._writer.data(data)  # type: ignore[no-any-return]
            except BaseException:
                self._node = after_error(self._node, self.our_role)
                raise
        # not in a body: send() says why (it always raises here)
        return self.send_with_data_passthrough(Data(data=data))  # type: ignore[return-value]

    def send_with_data_passthrough(self, event: Event) -> Optional[List[Any]]:
        """Like :meth:`send`, but return a list of parts in which a ``Data``
        payload appears as the very object given (a placeholder with
        ``__len__`` for ``sendfile()``, say), framed as the body needs."""
        our_role = self.our_role
        state = self._node.ours
        if state is ERROR:
            raise LocalProtocolError("can't send data when our state is ERROR: close the connection")
        try:
            t = type(event)
            if t is Data:
                if state is not SEND_BODY:
                    self._process_event(our_role, event)  # raises: Data not allowed now
                elif our_role is CLIENT:
                    self.client_is_waiting_for_100_continue = False
                return self._writer.data(event.data)  # type: ignore[attr-defined]
            if t is Response:
                if event.http_version != b"1.1":  # type: ignore[attr-defined]
                    raise LocalProtocolError("txh11 only speaks HTTP/1.1: leave http_version at its default")
                headers = event.headers  # type: ignore[attr-defined]
                # (_prepare_response leaves these alone: no call for them)
                if (
                    headers.content_length is None
                    or headers.chunked
                    or self._peer_wants_keep_alive_header
                    or not self._node.keep_alive
                ):
                    headers = self._prepare_response(event)  # type: ignore[arg-type]
                self._process_response(our_role, event, headers)  # type: ignore[arg-type]
                return [write_response_head(event, headers)]  # type: ignore[arg-type]
            if t is EndOfMessage:
                try:
                    self._node = self._node.by_ours[EndOfMessage]
                except KeyError:
                    moved_by(self._node, our_role, EndOfMessage)  # raises
                if our_role is CLIENT:
                    self.client_is_waiting_for_100_continue = False
                return self._writer.end(event.headers)  # type: ignore[attr-defined]
            if t is Request or t is InformationalResponse:
                if event.http_version != b"1.1":  # type: ignore[attr-defined]
                    raise LocalProtocolError("txh11 only speaks HTTP/1.1: leave http_version at its default")
                if t is Request:
                    return self._send_request(event)  # type: ignore[arg-type]
                self._process_event(our_role, event)
                return [write_response_head(event, event.headers)]  # type: ignore[arg-type,attr-defined]
            if t is ConnectionClosed:
                self._process_event(self.our_role, event)
                return None
            raise LocalProtocolError(f"can only send events, not {event!r}")
        except BaseException:
            self._node = after_error(self._node, self.our_role)
            raise

    def _send_request(self, event: Request) -> List[bytes]:
        self._process_request(self.our_role, event)
        return [write_request_head(event, request_headers(event.headers))]

    def _prepare_response(self, response: Response) -> Headers:
        """The headers to send ``response`` with (see :func:`response_headers`)."""
        if self.our_role is not SERVER:
            return response.headers  # the state machine will refuse it
        return response_headers(
            response.headers,
            self._request_method,
            response.status_code,
            self.their_http_version,
            self._node.keep_alive,
            self._peer_wants_keep_alive_header,
        )

    def send_failed(self) -> None:
        """Tell the connection that the bytes of the last send never reached the
        peer; our state becomes ERROR."""
        self._node = after_error(self._node, self.our_role)
