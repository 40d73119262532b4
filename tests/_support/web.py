"""Helpers for the txh11.web tests (in-memory connections, response parsing)."""

from __future__ import annotations

from typing import Any, Optional

from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET

import txh11 as h11
from txh11.web import Site


def serve(resource: Any, **kwargs: Any) -> tuple[Any, StringTransport, Clock, Site]:
    """A txh11.web.Site protocol on a StringTransport, driven by a Clock."""
    clock = Clock()
    site = Site(resource, reactor=clock, **kwargs)
    proto = site.buildProtocol(None)
    transport = StringTransport(peerAddress=None)
    proto.makeConnection(transport)
    return proto, transport, clock, site


class Parsed:
    def __init__(self, head: Any, body: bytes, informational: list[Any]) -> None:
        self.head = head
        self.status = head.status_code
        self.body = body
        self.informational = informational
        self.headers = {k.decode().lower(): v for k, v in head.headers}

    def __repr__(self) -> str:
        return f"<Parsed {self.status} {self.body[:40]!r}>"


def parse(data: bytes, methods: list[bytes], closed: bool = False) -> list[Parsed]:
    """Parse consecutive responses to requests with ``methods`` using the
    core's client side.  ``closed``: the server closed after ``data``."""
    out = []
    for i, method in enumerate(methods):
        conn = h11.Connection(h11.CLIENT)
        conn.send(h11.Request(method=method, target="/", headers=[("host", "x")]))
        conn.send(h11.EndOfMessage())
        conn.receive_data(data)
        if closed and i == len(methods) - 1:
            conn.receive_data(b"")
        head: Optional[Any] = None
        info: list[Any] = []
        body = []
        while True:
            ev = conn.next_event()
            if ev is h11.NEED_DATA:
                raise AssertionError(f"response {i} incomplete; got {data!r}")
            if type(ev) is h11.InformationalResponse:
                info.append(ev)
            elif type(ev) is h11.Response:
                head = ev
            elif type(ev) is h11.Data:
                body.append(ev.data)
            elif type(ev) is h11.EndOfMessage:
                break
        out.append(Parsed(head, b"".join(body), info))
        data = conn.trailing_data[0]
    if data:
        raise AssertionError(f"unexpected trailing bytes {data!r}")
    return out


def feed(proto: Any, clock: Clock, data: bytes, bytewise: bool = False) -> None:
    """Deliver ``data`` in one piece or a byte at a time, turning the clock after each."""
    if bytewise:
        for i in range(len(data)):
            proto.dataReceived(data[i : i + 1])
            clock.advance(0)
    else:
        proto.dataReceived(data)
        clock.advance(0)


def get(path: bytes, *headers: bytes, method: bytes = b"GET") -> bytes:
    lines = [method + b" " + path + b" HTTP/1.1", b"Host: example.com", *headers]
    return b"\r\n".join(lines) + b"\r\n\r\n"


class Later(Resource):
    """Answers ``name`` when ``fire()`` is called (NOT_DONE_YET)."""

    isLeaf = True

    def __init__(self, name: bytes, log: list) -> None:
        super().__init__()
        self.name = name
        self.log = log
        self.pending: list = []

    def render(self, request: Any) -> Any:
        self.log.append(("render", self.name))
        self.pending.append(request)
        return NOT_DONE_YET

    def fire(self) -> None:
        request = self.pending.pop(0)
        self.log.append(("finish", self.name))
        request.setHeader(b"content-type", b"text/plain")
        request.write(self.name)
        request.finish()


class Now(Resource):
    """Answers ``name`` at once."""

    isLeaf = True

    def __init__(self, name: bytes, log: list) -> None:
        super().__init__()
        self.name = name
        self.log = log

    def render(self, request: Any) -> bytes:
        self.log.append(("render", self.name))
        self.log.append(("finish", self.name))
        request.setHeader(b"content-type", b"text/plain")
        return self.name


# ---------------------------------------------------------------------------
# real sockets


CURL = "/usr/bin/curl"


def tlsOptions(directory: str) -> tuple[str, Any]:
    """A trustme CA's certificate written to ``directory``/ca.pem, and server
    TLS options for 127.0.0.1 and localhost signed by it: (CA file, options)."""
    import os

    import trustme
    from twisted.internet import ssl

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    caFile = os.path.join(directory, "ca.pem")
    ca.cert_pem.write_to_path(caFile)
    pem = cert.private_key_and_cert_chain_pem.bytes()
    return caFile, ssl.PrivateCertificate.loadPEM(pem).options()


class TrackingSite(Site):
    """A Site that remembers its connections so a test can wait for them to
    be gone (trial refuses a dirty reactor)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connections: list[Any] = []

    def buildProtocol(self, addr: Any) -> Any:
        p = super().buildProtocol(addr)
        self.connections.append(p)
        return p


def closeAll(site: TrackingSite) -> Any:
    """Abort leftover connections; a Deferred that fires when all are gone."""
    from twisted.internet import reactor, task

    for p in site.connections:
        if not p.lost and p.transport is not None:
            p.transport.abortConnection()

    def wait(n: int = 0) -> Any:
        if all(p.lost for p in site.connections) or n > 200:
            return None
        return task.deferLater(reactor, 0.01, wait, n + 1)

    return wait()


def run(*argv: str, timeout: float = 30, input: Optional[bytes] = None) -> Any:
    """subprocess.run in a thread: a Deferred firing with CompletedProcess
    (the test is skipped if the program is not installed)."""
    import os
    import subprocess

    from twisted.internet import defer, threads
    from twisted.trial.unittest import SkipTest

    if not os.path.exists(argv[0]):
        return defer.fail(SkipTest(f"{argv[0]} is not installed"))

    return threads.deferToThread(
        subprocess.run, list(argv), capture_output=True, timeout=timeout, input=input
    )


def inThread(fn: Any, *args: Any, **kwargs: Any) -> Any:
    from twisted.internet import threads

    return threads.deferToThread(fn, *args, **kwargs)


def rawExchange(port: int, data: bytes, timeout: float = 10, closeAfterSend: bool = False) -> bytes:
    """Send ``data`` on a fresh socket and read until the server closes."""
    import socket

    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        if closeAfterSend:
            return b""
        chunks = []
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        s.close()
