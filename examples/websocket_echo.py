"""
A WebSocket echo server on txh11's native API, with wsproto for the frames.

txh11 reads the upgrade request; the handler accepts the switch with
``request.switchProtocols(protocol)`` and the ``101`` response, and from then
on ``protocol`` has the connection: it gets the transport and every byte the
client sent after the request.  Run::

    python examples/websocket_echo.py              # tcp:8080
    python examples/websocket_echo.py tcp:0        # any free port

then talk to ``ws://localhost:8080/`` (``python -m websockets
ws://localhost:8080/``).  Ctrl-C stops it.
"""

from __future__ import annotations

import sys
from typing import Any

from twisted.internet import defer, endpoints, task
from twisted.internet.protocol import Protocol
from wsproto.connection import Connection, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, Ping, TextMessage
from wsproto.utilities import generate_accept_token

import txh11
from txh11.server import HTTP11ServerFactory


class Echo(Protocol):
    """Speaks WebSocket frames (wsproto) on the switched connection."""

    def connectionMade(self) -> None:
        self.ws = Connection(ConnectionType.SERVER)

    def dataReceived(self, data: bytes) -> None:
        self.ws.receive_data(data)
        for event in self.ws.events():
            if isinstance(event, (TextMessage, BytesMessage)):
                # echoed piece by piece, as wsproto delivers a message
                self.send(type(event)(data=event.data, message_finished=event.message_finished))
            elif isinstance(event, Ping):
                self.send(event.response())
            elif isinstance(event, CloseConnection):
                self.send(event.response())
                self.transport.loseConnection()

    def send(self, event: Any) -> None:
        self.transport.write(self.ws.send(event))


def websocket(request: Any) -> Any:
    """A native handler: accepts WebSocket upgrades, refuses anything else."""
    fields = dict(request.headers)
    key = fields.get(b"sec-websocket-key")
    if b"websocket" not in fields.get(b"upgrade", b"").lower() or key is None:
        return request.respond(426, [("upgrade", "websocket")], b"a WebSocket endpoint\n")
    request.switchProtocols(Echo())
    request.send(
        txh11.InformationalResponse(
            status_code=101,
            headers=[
                ("upgrade", "websocket"),
                ("connection", "upgrade"),
                ("sec-websocket-accept", generate_accept_token(key)),
            ],
        )
    )
    return None


async def main(reactor: Any, listen: str = "tcp:8080") -> None:
    port = await endpoints.serverFromString(reactor, listen).listen(HTTP11ServerFactory(websocket))
    address = port.getHost()
    print(f"websocket echo listening on {address.host}:{address.port}", flush=True)
    await defer.Deferred()  # serve until the reactor stops (Ctrl-C, SIGTERM)


if __name__ == "__main__":
    task.react(lambda reactor: defer.ensureDeferred(main(reactor, *sys.argv[1:])))
