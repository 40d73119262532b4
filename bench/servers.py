"""
The servers that ``bench/server.py`` (and ``bench/instructions.py
--socket``) measure, each run in a process of its own::

    python bench/servers.py --serve KIND --port PORT [--dir DIR]

prints ``ready`` once it listens on 127.0.0.1:PORT.  Kinds: ``txh11``
(txh11.web.Site), ``twisted`` (twisted.web.server.Site), ``native`` (a
txh11.server handler), ``h11`` (a hand-written Twisted protocol on h11),
``floor`` (canned bytes per request head: the reactor alone),
``uvicorn`` (uvicorn with httptools and uvloop, an ASGI hello world) --
all answering the same 14-byte hello world, none with an access log --
and ``txh11-file``, ``twisted-file`` (``static.File(DIR)`` on each Site)
and ``floor-file`` (blocking ``os.sendfile`` of DIR/big.bin, no Twisted).
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(os.path.dirname(HERE), "src")
HELLO = b"Hello, world!\n"



def serve(kind: str, port: int, directory: str) -> None:
    if kind == "floor-file":
        fileFloor(port, directory)
        return
    if kind == "uvicorn":
        uvicornHello(port)
        return
    sys.path.insert(0, SRC)
    from twisted.internet import epollreactor

    epollreactor.install()
    from twisted.internet import reactor
    from twisted.web.resource import Resource

    class Hello(Resource):
        isLeaf = True

        def render_GET(self, request):
            request.setHeader(b"content-type", b"text/plain")
            return HELLO

    if kind in ("txh11", "twisted"):
        root = Hello()
    else:
        root = None
    if kind in ("txh11-file", "twisted-file"):
        from twisted.web.static import File

        root = File(directory)

    if kind == "native":
        from txh11.server import HTTP11ServerFactory

        def hello(request):
            return request.respond(200, [(b"content-type", b"text/plain")], HELLO)

        factory = HTTP11ServerFactory(hello)
    elif kind.startswith("txh11"):
        from txh11.web import Site

        factory = Site(root)
    elif kind.startswith("twisted"):
        from twisted.web.server import Site as TwistedSite

        factory = TwistedSite(root)
    elif kind == "h11":
        factory = h11Factory()
    elif kind == "floor":
        factory = floorFactory()
    else:
        raise SystemExit(f"unknown server {kind}")
    factory.noisy = False
    if hasattr(factory, "log"):
        factory.log = lambda request: None  # no access log in either
    reactor.listenTCP(port, factory, interface="127.0.0.1", backlog=1024)

    if os.environ.get("BENCH_NOGC"):
        import gc

        gc.disable()
    profile = os.environ.get("BENCH_PROFILE")
    if profile:
        import cProfile

        prof = cProfile.Profile()

        def dump():
            prof.disable()
            prof.dump_stats(profile)

        reactor.addSystemEventTrigger("before", "shutdown", dump)
        prof.enable()
    print("ready", flush=True)
    reactor.run()  # SIGTERM stops it


def floorFactory():
    """
    Not an HTTP server: a protocol that answers every request head it sees
    (counted by its blank line) with a canned response.  What the reactor
    and the kernel cost per request on their own: no server on Twisted's
    reactor can go faster.  Like txh11, it writes to the socket itself when
    the transport holds nothing back (else the floor would be Twisted's
    write buffer and epoll registration, which txh11 does not pay).
    """
    from twisted.internet.protocol import Factory, Protocol

    response = (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: %d\r\n\r\n%s"
        % (len(HELLO), HELLO)
    )

    class Floor(Protocol):
        def dataReceived(self, data):
            out = response * data.count(b"\r\n\r\n")
            t = self.transport
            if not (t.dataBuffer or t._tempDataLen):
                try:
                    out = out[t.socket.send(out):]
                except OSError:
                    pass
            if out:
                t.write(out)
            if b"Connection: close" in data:
                self.transport.loseConnection()

    return Factory.forProtocol(Floor)


def fileFloor(port: int, directory: str) -> None:
    """
    Not Twisted and hardly HTTP: a thread per connection that answers each
    request head with a fixed head and the whole of ``big.bin`` by blocking
    ``os.sendfile`` calls.  No reactor, no parsing, no Python between the
    kernel's calls: what loopback TCP and the client allow a file server
    on this machine, so the ceiling for txh11's sendfile path.
    """
    import socketserver

    path = os.path.join(directory, "big.bin")
    size = os.path.getsize(path)
    head = (b"HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\n"
            b"content-length: %d\r\n\r\n" % size)

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            sock = self.request
            fd = os.open(path, os.O_RDONLY)
            pending = b""
            try:
                while True:
                    data = sock.recv(65536)
                    if not data:
                        return
                    pending += data
                    while b"\r\n\r\n" in pending:
                        pending = pending.split(b"\r\n\r\n", 1)[1]
                        sock.sendall(head)
                        offset = 0
                        while offset < size:
                            offset += os.sendfile(sock.fileno(), fd, offset, size - offset)
            except OSError:
                return
            finally:
                os.close(fd)

    class Floor(socketserver.ThreadingTCPServer):
        allow_reuse_address = True
        daemon_threads = True

    server = Floor(("127.0.0.1", port), Handler)
    print("ready", flush=True)
    server.serve_forever()  # SIGTERM ends the process


def h11Factory():
    """A hand-written Twisted protocol on h11 (the library), as a baseline."""
    import h11
    from twisted.internet.protocol import Factory, Protocol

    from email.utils import formatdate

    class H11Hello(Protocol):
        def connectionMade(self):
            self.conn = h11.Connection(h11.SERVER)

        def dataReceived(self, data):
            conn = self.conn
            conn.receive_data(data)
            out = []
            while True:
                try:
                    event = conn.next_event()
                except h11.RemoteProtocolError:
                    self.transport.loseConnection()
                    return
                t = type(event)
                if event is h11.NEED_DATA:
                    break
                if event is h11.PAUSED:
                    if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
                        conn.start_next_cycle()
                        continue
                    break
                if t is h11.Request:
                    out.append(conn.send(h11.Response(status_code=200, headers=[
                        ("content-type", "text/plain"),
                        ("content-length", str(len(HELLO))),
                        ("date", formatdate(usegmt=True)),
                        ("server", "h11-bench"),
                    ])))
                    out.append(conn.send(h11.Data(data=HELLO)))
                    out.append(conn.send(h11.EndOfMessage()))
                elif t is h11.EndOfMessage:
                    if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
                        conn.start_next_cycle()
                    elif conn.our_state is h11.MUST_CLOSE:
                        break
                elif t is h11.ConnectionClosed:
                    break
            if out:
                self.transport.writeSequence(out)
            if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.CLOSED:
                self.transport.loseConnection()

    f = Factory()
    f.protocol = H11Hello
    return f


def uvicornHello(port: int) -> None:
    """uvicorn with its fastest parts (httptools' C parser, the uvloop event
    loop) serving the same hello world as an ASGI application, no access
    log: the Python field's best, as an anchor.  ``ready`` is printed
    before uvicorn listens: the driver waits until the port answers."""
    import uvicorn

    headers = [(b"content-type", b"text/plain"), (b"content-length", b"%d" % len(HELLO))]
    start = {"type": "http.response.start", "status": 200, "headers": headers}
    body = {"type": "http.response.body", "body": HELLO}

    async def app(scope, receive, send):
        await send(start)
        await send(body)

    config = uvicorn.Config(app, host="127.0.0.1", port=port, loop="uvloop", http="httptools",
                            lifespan="off", access_log=False, log_level="warning",
                            backlog=1024)
    print("ready", flush=True)
    uvicorn.Server(config).run()


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--serve", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dir", default="/")
    args = ap.parse_args()
    serve(args.serve, args.port, args.dir)


if __name__ == "__main__":
    main()
