"""
Microseconds per keep-alive hello-world request through each layer of
txh11 (core, bridge, server, web) next to twisted.web's, in-process on an
in-memory transport: where the time goes, without wrk's noise.

    python bench/server.py --layers
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(os.path.dirname(HERE), "src")
HELLO = b"Hello, world!\n"



def layers(n: int = 20000, repeat: int = 5) -> None:
    """Microseconds per keep-alive hello-world request through each layer,
    on an in-memory transport: where the time goes, without wrk's noise."""
    sys.path.insert(0, SRC)
    import time as _time

    from twisted.internet.address import IPv4Address
    from twisted.internet.task import Clock
    from twisted.web import server as tserver
    from twisted.web.resource import Resource

    import txh11 as h11
    from txh11.protocol import HTTP11Protocol
    from txh11.server import HTTP11ServerFactory
    from txh11.web import Site

    REQ = b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n"
    ADDR = IPv4Address("TCP", "127.0.0.1", 5555)

    class Hello(Resource):
        isLeaf = True

        def render_GET(self, request):
            request.setHeader(b"content-type", b"text/plain")
            return HELLO

    class Transport:
        disconnecting = False

        def __init__(self):
            self.n = 0

        def write(self, d):
            self.n += len(d)

        def writeSequence(self, seq):
            for d in seq:
                self.n += len(d)

        def registerProducer(self, p, s):
            pass

        def unregisterProducer(self):
            pass

        def pauseProducing(self):
            pass

        def resumeProducing(self):
            pass

        def loseConnection(self):
            pass

        def getPeer(self):
            return ADDR

        getHost = getPeer

    def drive(factory, clock):
        p = factory.buildProtocol(None)
        p.makeConnection(Transport())
        for _ in range(300):
            p.dataReceived(REQ)
            clock.advance(0)
        t0 = _time.perf_counter()
        for _ in range(n):
            p.dataReceived(REQ)
            clock.advance(0)
        return (_time.perf_counter() - t0) / n * 1e6

    HDRS = [(b"content-type", b"text/plain"), (b"content-length", b"%d" % len(HELLO))]

    def coreOnly():
        conn = h11.Connection(h11.SERVER)
        t0 = _time.perf_counter()
        for _ in range(n):
            conn.receive_data(REQ)
            conn.next_event()
            conn.next_event()
            conn.send(h11.Response(status_code=200, headers=HDRS))
            conn.send(h11.Data(data=HELLO))
            conn.send(h11.EndOfMessage())
            conn.start_next_cycle()
        return (_time.perf_counter() - t0) / n * 1e6

    class Bridge(HTTP11Protocol):
        def eventReceived(self, event):
            if type(event) is h11.Request:
                self.sendEvents(
                    [h11.Response(status_code=200, headers=HDRS), h11.Data(data=HELLO),
                     h11.EndOfMessage()]
                )

    class BridgeFactory:
        def __init__(self, clock):
            self.clock = clock

        def buildProtocol(self, addr):
            return Bridge(self.clock)

    def native(request):
        request.respond(200, [(b"content-type", b"text/plain")], HELLO)

    def twistedRequestAlone():
        site = tserver.Site(Hello())
        site.log = lambda r: None

        class Channel:
            transport = None
            factory = site

            def __init__(self):
                self.site = site

            def getPeer(self):
                return ADDR

            getHost = getPeer

            def writeHeaders(self, v, c, r, h):
                pass

            def write(self, d):
                pass

            def requestDone(self, r):
                pass

        ch = Channel()
        t0 = _time.perf_counter()
        for _ in range(n):
            r = tserver.Request(ch, False)
            r.requestHeaders.addRawHeader(b"host", b"127.0.0.1:8080")
            r.parseCookies()
            r.gotLength(0)
            r.requestReceived(b"GET", b"/", b"HTTP/1.1")
        return (_time.perf_counter() - t0) / n * 1e6

    def site(cls):
        clock = Clock()
        s = cls(Hello(), reactor=clock)
        s.log = lambda r: None
        return lambda: drive(s, clock)

    def bridge():
        clock = Clock()
        return drive(BridgeFactory(clock), clock)

    def nativeServer():
        clock = Clock()
        return drive(HTTP11ServerFactory(native, reactor=clock), clock)

    rows = [
        ("txh11 core alone (parse, 3 sends)", coreOnly),
        ("+ bridge (HTTP11Protocol)", bridge),
        ("+ server.py (native respond())", nativeServer),
        ("+ web.py + twisted.web Request = txh11.web.Site", site(Site)),
        ("twisted.web Request alone (no channel)", twistedRequestAlone),
        ("twisted.web.server.Site (HTTPChannel)", site(tserver.Site)),
    ]
    print(f"in-process cost per keep-alive request, best of {repeat} x {n}:")
    for name, fn in rows:
        best = min(fn() for _ in range(repeat))
        print(f"  {name:50s} {best:6.1f} us")
