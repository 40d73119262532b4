"""
txh11 inside your own Twisted program, next to another protocol.

One reactor runs three listeners, each made from an endpoint string:

- a twisted.web resource tree served by :class:`txh11.web.Site`;
- a line-based echo protocol (any ``Protocol`` would do);
- txh11's native event-level server (:class:`txh11.server.HTTP11ServerFactory`)
  answering a status line.

They share state because they share the process: the web page shows how
many lines the echo protocol has echoed. Run::

    python examples/embedding.py                      # tcp:8080, tcp:8081, tcp:8082
    python examples/embedding.py tcp:0 tcp:0 tcp:0    # any free ports

then ``curl localhost:8080/``, ``nc localhost 8081``, ``curl localhost:8082``.
Ctrl-C stops it.
"""

from __future__ import annotations

import sys
from typing import Any

from twisted.internet import defer, endpoints, task
from twisted.internet.protocol import Factory
from twisted.protocols.basic import LineReceiver
from twisted.web.resource import Resource

import txh11
from txh11.server import HTTP11ServerFactory
from txh11.web import Site


class Stats:
    echoed = 0


class Echo(LineReceiver):
    delimiter = b"\n"

    def __init__(self, stats: Stats) -> None:
        self.stats = stats

    def lineReceived(self, line: bytes) -> None:
        self.stats.echoed += 1
        self.sendLine(line)


class Page(Resource):
    isLeaf = True

    def __init__(self, stats: Stats) -> None:
        super().__init__()
        self.stats = stats

    def render_GET(self, request: Any) -> bytes:
        request.setHeader(b"content-type", b"text/plain; charset=utf-8")
        return b"lines echoed so far: %d\n" % self.stats.echoed


def status(request: Any) -> Any:
    """A native handler: called with each request, answers with core events."""
    return request.respond(200, [("content-type", "text/plain")], f"{txh11.PRODUCT_ID} ok\n".encode())


async def main(reactor: Any, web: str = "tcp:8080", echo: str = "tcp:8081", native: str = "tcp:8082") -> None:
    stats = Stats()
    listeners = [
        ("web", web, Site(Page(stats))),
        ("echo", echo, Factory.forProtocol(lambda: Echo(stats))),
        ("native", native, HTTP11ServerFactory(status)),
    ]
    for name, description, factory in listeners:
        port = await endpoints.serverFromString(reactor, description).listen(factory)
        address = port.getHost()
        print(f"{name} listening on {address.host}:{address.port}", flush=True)
    await defer.Deferred()  # serve until the reactor stops (Ctrl-C, SIGTERM)


if __name__ == "__main__":
    task.react(lambda reactor: defer.ensureDeferred(main(reactor, *sys.argv[1:])))
