"""
WebSocket hand-over on :class:`txh11.web.Site`: what a twisted.web
``HTTPChannel`` offers a resource that takes the connection over, mapped
onto the server's protocol switch (``ServerRequest.switchProtocols``).

Two stacks do it two ways, and both run unchanged:

- Twisted's ``twisted.web.websocket.WebSocketResource`` (Twisted >= 25, on
  wsproto) reads ``request.channel.transport``, calls
  ``request.channel._protocolUpgradeForWebsockets(protocol)`` (which
  connects ``protocol`` to the transport), then writes the ``101`` head on
  that transport.
- Autobahn's ``autobahn.twisted.resource.WebSocketResource`` takes
  ``request.channel.transport``, sets ``request.channel.transport = None``,
  sets ``transport.protocol`` to its own protocol, connects it, and feeds it
  the request again; that protocol writes the ``101`` head on the transport.

While the request being answered proposes a switch (the core's
``switch_proposed``: an ``Upgrade`` header), ``request.channel.transport``
is a :class:`SwitchingTransport`: the real transport for everything but
``write``, which reads the response head the application writes.  A
``101`` head is sent *through the core* (``switchProtocols`` then the
``InformationalResponse``), so the core knows the connection switched and
the bytes that followed the upgrade request reach the new protocol, on the
next reactor turn (the application is still inside its handshake code when
the ``101`` is written).  Later writes go straight to the transport.  Any
other head written this way (a stack refusing the handshake on its own) is
passed through as it is, and the connection handed to the application's
protocol without the core: the application owns it, as on twisted.web, and
is expected to close it.

Requests pipelined behind an accepted upgrade are not HTTP/1.1 any more
(RFC 9110 7.8: the new protocol starts right after the ``101``): their bytes
go to the WebSocket protocol.  When the resource declines (any response
that is not ``101``), the core goes on with them as HTTP/1.1.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from twisted.internet.interfaces import IProtocol
from twisted.internet.protocol import Protocol
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import directlyProvides, implementer, providedBy

import txh11 as h11

__all__ = ["Relay", "Switch", "SwitchingTransport", "responseHead"]

_log = Logger()

#: what the client side of a core Connection must have sent to read a 101
_PROPOSAL = h11.Request(
    method="GET",
    target="/",
    headers=[("Host", "x"), ("Connection", "upgrade"), ("Upgrade", "websocket")],
)


def responseHead(data: bytes) -> Optional[tuple[Any, Optional[bytes]]]:
    """
    The response head at the start of ``data``, read by the core's client
    side: ``None`` while incomplete, else ``(event, rest)`` with ``rest`` the
    bytes after a ``101`` head, or ``None`` for any other response.
    """
    conn = h11.Connection(h11.CLIENT)
    conn.send(_PROPOSAL)
    conn.send(h11.EndOfMessage())
    conn.receive_data(data)
    event = conn.next_event()
    if event is h11.NEED_DATA:
        return None
    if type(event) is h11.InformationalResponse and event.status_code == 101:
        return event, conn.trailing_data[0]
    return event, None


@implementer(IProtocol)
class Relay:
    """
    What the server switches to: passes bytes and the end of the connection
    on to the application's protocol, which the application connected
    itself.  The bytes that arrive with the switch wait for the next reactor
    turn, when the application is out of its handshake code.

    :ivar protocol: the application's protocol
    :ivar clock: for the one deferred delivery
    :ivar pending: bytes waiting for that delivery (``None`` once it ran)
    :ivar call: the ``DelayedCall`` of that delivery
    """

    def __init__(self, protocol: Any, clock: Any) -> None:
        self.protocol = protocol
        self.clock = clock
        self.pending: Optional[list[bytes]] = []
        self.call: Any = None

    def makeConnection(self, transport: Any) -> None:
        """The switch happened; the protocol is connected already."""
        self.call = self.clock.callLater(0, self._release)

    def connectionMade(self) -> None:
        """Never called: the application connected its protocol."""

    def dataReceived(self, data: bytes) -> None:
        if self.pending is None:
            self.protocol.dataReceived(data)
        else:
            self.pending.append(data)

    def _release(self) -> None:
        self.call = None
        pending, self.pending = self.pending, None
        if pending:
            self.protocol.dataReceived(b"".join(pending))

    def connectionLost(self, reason: Failure) -> None:
        if self.call is not None:
            self.call.cancel()
            self._release()
        self.protocol.connectionLost(reason)


#: attributes of a transport that an application sets to its own protocol to
#: take the connection (Autobahn: ``protocol`` of a TCP transport,
#: ``wrappedProtocol`` of a TLS one)
_ADOPTING = frozenset(["protocol", "wrappedProtocol"])


class SwitchingTransport:
    """
    ``request.channel.transport`` while a request proposes a switch: the
    connection's transport, whose ``write`` reads the response head the
    application writes until it has seen one; ``protocol`` (or
    ``wrappedProtocol``) may be set to the application's protocol
    (Autobahn's way of taking the connection).  It claims the transport's
    class and interfaces, so that code asking what kind of transport it is
    (TLS or not) gets the answer for the real one.

    :ivar switch: the :class:`Switch` it reports to
    """

    def __init__(self, switch: "Switch", transport: Any) -> None:
        self.__dict__["switch"] = switch
        self.__dict__["_transport"] = transport
        directlyProvides(self, providedBy(transport))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["_transport"], name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _ADOPTING:
            self.switch.adopt(value)
        else:
            object.__setattr__(self, name, value)

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        """The transport's class, for ``isinstance``: Autobahn tells TLS
        (``TLSMemoryBIOProtocol``, a ``ProtocolWrapper``) from TCP that way."""
        return type(self.__dict__["_transport"])

    @property
    def protocol(self) -> Any:
        return self.switch.protocol

    @property
    def wrappedProtocol(self) -> Any:
        return self.switch.protocol

    def write(self, data: bytes) -> None:
        self.switch.written(data)

    def writeSequence(self, data: Any) -> None:
        self.switch.written(b"".join(data))

    def passThrough(self) -> None:
        """From now on, writes go to the transport as they are."""
        transport = self.__dict__["_transport"]
        self.__dict__["write"] = transport.write
        self.__dict__["writeSequence"] = transport.writeSequence


class Switch:
    """
    One request that proposes a protocol switch, as twisted.web resources
    take it over.

    :ivar request: its :class:`txh11.server.ServerRequest`
    :ivar protocol: the server protocol of the connection
    :ivar transport: the :class:`SwitchingTransport` handed out
    :ivar target: the application's protocol, once known
    :ivar head: the part of a response head written so far
    :ivar taken: the application set ``request.channel.transport = None``
    :ivar whenSwitched: called once the core has switched
    """

    def __init__(self, request: Any, protocol: Any, whenSwitched: Callable[[], None]) -> None:
        self.request = request
        self.protocol = protocol
        self.whenSwitched = whenSwitched
        self.transport = SwitchingTransport(self, protocol.transport)
        self.target: Any = None
        self.head = b""
        self.taken = False

    def upgrade(self, target: Any) -> None:
        """``_protocolUpgradeForWebsockets``: connect ``target`` to the
        transport now; it gets the connection when the 101 is written."""
        self.target = target
        target.makeConnection(self.protocol.transport)

    def adopt(self, target: Any) -> None:
        """``transport.protocol = target``: the application connects it."""
        self.target = target

    def written(self, data: bytes) -> None:
        """The application wrote ``data`` on the transport."""
        self.head += data
        try:
            found = responseHead(self.head)
        except h11.RemoteProtocolError:
            found = (None, None)
        if found is None:
            return
        event, rest = found
        data, self.head = self.head, b""
        self.transport.passThrough()
        relay = Relay(self.target or Protocol(), self.protocol.clock)
        if rest is None or self.target is None:
            # Not a switch the core can be told of: the application answers
            # on the raw transport (a handshake refused by Autobahn), and
            # owns the connection from now on, as on twisted.web.
            _log.warn(
                "{request}: the application wrote {event!r} on the transport itself;"
                " it owns the connection now",
                request=self.request,
                event=event,
            )
            self.protocol.handOver(relay)  # (output still held goes first)
            self.whenSwitched()
            self.protocol.transport.write(data)
            return
        self.request.switchProtocols(relay)
        self.request.send(event)
        self.whenSwitched()
        if rest:
            self.protocol.transport.write(rest)
