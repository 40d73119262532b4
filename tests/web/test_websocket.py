"""
WebSockets on txh11.web.Site with the two twisted.web stacks, unchanged:
Twisted's ``twisted.web.websocket.WebSocketResource`` and Autobahn's
``autobahn.twisted.resource.WebSocketResource`` (txh11.web._websocket maps
what they do onto the server's protocol switch).  The client is the
``websockets`` package (its sync client, in a thread), on loopback; the
hand-over details (bytes after the upgrade request, pipelined requests,
a declined upgrade) are checked in memory.
"""

from __future__ import annotations

import base64
import os
import shutil
import ssl
import tempfile

from autobahn.twisted.resource import WebSocketResource as AutobahnResource
from autobahn.twisted.websocket import WebSocketServerFactory as AutobahnFactory
from autobahn.twisted.websocket import WebSocketServerProtocol as AutobahnProtocol
from twisted.internet import defer, reactor
from twisted.internet.interfaces import IProtocol
from twisted.internet.task import Clock
from twisted.trial.unittest import TestCase
from twisted.web.resource import Resource
from twisted.web.static import Data
from twisted.web.websocket import WebSocketResource
from websockets.sync.client import connect
from zope.interface.verify import verifyObject

from txh11.web import _websocket

from tests._support.web import TrackingSite, closeAll, feed, inThread, parse, rawExchange, serve, tlsOptions

BIG = os.urandom(300_000)


class TwistedEcho:
    """A twisted.web.websocket WebSocketProtocol that echoes."""

    def negotiationStarted(self, transport):
        self.transport = transport

    def negotiationFinished(self):
        pass

    def textMessageReceived(self, message):
        self.transport.sendTextMessage(message)

    def bytesMessageReceived(self, data):
        self.transport.sendBytesMessage(bytes(data))

    def pongReceived(self, payload):
        pass

    def connectionLost(self, reason):
        pass


class TwistedEchoFactory:
    def buildProtocol(self, request):
        return TwistedEcho()


class AutobahnEcho(AutobahnProtocol):
    def onMessage(self, payload, isBinary):
        self.sendMessage(payload, isBinary)


def makeRoot():
    root = Resource()
    root.putChild(b"twisted", WebSocketResource(TwistedEchoFactory()))
    factory = AutobahnFactory()
    factory.protocol = AutobahnEcho
    factory.setProtocolOptions(maxMessagePayloadSize=0, maxFramePayloadSize=0)
    root.putChild(b"autobahn", AutobahnResource(factory))
    root.putChild(b"plain", Data(b"plain http\n", "text/plain"))
    return root


def session(url, caFile=None):
    """What the websockets client sees: text, a 300 KB binary message, 50
    messages in a row, a ping, then a clean close."""
    seen = {}
    tls = ssl.create_default_context(cafile=caFile) if caFile else None
    with connect(url, ssl=tls, max_size=2**21, open_timeout=10, close_timeout=10) as ws:
        ws.send("hello")
        seen["text"] = ws.recv(timeout=10)
        ws.send(BIG)
        seen["binary"] = ws.recv(timeout=10) == BIG
        for i in range(50):
            ws.send(f"message {i}")
        seen["fifty"] = [ws.recv(timeout=10) for _ in range(50)]
        seen["pong"] = ws.ping(b"are you there").wait(10)
        ws.close()
        seen["close"] = (ws.close_code, ws.protocol.close_rcvd is not None)
    return seen


class EchoTests(TestCase):
    tls = False

    def setUp(self):
        self.site = TrackingSite(makeRoot())
        self.caFile = None
        if self.tls:
            directory = tempfile.mkdtemp()
            self.addCleanup(shutil.rmtree, directory)
            self.caFile, options = tlsOptions(directory)
            port = reactor.listenSSL(0, self.site, options, interface="127.0.0.1")
        else:
            port = reactor.listenTCP(0, self.site, interface="127.0.0.1")
        self.addCleanup(port.stopListening)
        self.addCleanup(closeAll, self.site)
        scheme = "wss" if self.tls else "ws"
        self.url = f"{scheme}://127.0.0.1:{port.getHost().port}"

    @defer.inlineCallbacks
    def check(self, path):
        seen = yield inThread(session, self.url + path, self.caFile)
        self.assertEqual(seen["text"], "hello")
        self.assertTrue(seen["binary"])
        self.assertEqual(seen["fifty"], [f"message {i}" for i in range(50)])
        self.assertTrue(seen["pong"])
        self.assertEqual(seen["close"], (1000, True))
        # the server saw a switch: its bridge stopped speaking HTTP/1.1
        (proto,) = self.site.connections
        self.assertEqual(str(proto.conn.our_state), "SWITCHED_PROTOCOL", proto.conn.states)

    def test_twisted_websocket_resource(self):
        return self.check("/twisted")

    @defer.inlineCallbacks
    def test_autobahn_refusing_the_handshake_owns_the_connection(self):
        """Autobahn writes its refusal on the raw transport and closes, as on
        twisted.web; the connection was handed to it, so the close ends it."""
        if self.tls:
            return
        port = int(self.url.rsplit(":", 1)[1])
        bad = upgrade(b"/autobahn").replace(b"Version: 13", b"Version: 7")
        got = yield inThread(rawExchange, port, bad + b"GET /plain HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertTrue(got.startswith(b"HTTP/1.1 400 WebSocket version 7 not supported"), got)
        self.assertNotIn(b"plain http", got)

    def test_autobahn_websocket_resource(self):
        return self.check("/autobahn")


class TLSEchoTests(EchoTests):
    tls = True


KEY = base64.b64encode(b"0123456789abcdef")


def upgrade(path: bytes) -> bytes:
    return (b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
            b"Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + KEY + b"\r\n\r\n")


def maskedText(text: bytes) -> bytes:
    """A client text frame (masked with a zero key: the payload as it is)."""
    return bytes([0x81, 0x80 | len(text)]) + b"\0\0\0\0" + text


class HandOverTests(TestCase):
    """In memory: what reaches the WebSocket protocol, and what the core sees."""

    def test_bytes_after_the_upgrade_reach_the_websocket(self):
        for path in (b"/twisted", b"/autobahn"):
            proto, transport, clock, site = serve(makeRoot())
            # a frame sent right behind the request, before the 101 came back
            feed(proto, clock, upgrade(path) + maskedText(b"early"))
            clock.advance(0)
            out = transport.value()
            head, _, rest = out.partition(b"\r\n\r\n")
            self.assertTrue(head.startswith(b"HTTP/1.1 101 "), out)
            self.assertEqual(head.count(b"HTTP/1.1"), 1)  # written once, by the core
            self.assertEqual(rest, b"\x81\x05early", path)
            self.assertEqual(str(proto.conn.our_state), "SWITCHED_PROTOCOL")

    def test_pipelined_request_behind_an_accepted_upgrade_is_websocket_data(self):
        """RFC 9110 7.8: the new protocol starts right after the 101; an HTTP
        request behind it is not answered as HTTP (wsproto fails the
        connection on the bytes, which are no frame)."""
        proto, transport, clock, site = serve(makeRoot())
        feed(proto, clock, upgrade(b"/twisted") + b"GET /plain HTTP/1.1\r\nHost: x\r\n\r\n")
        clock.advance(0)
        self.assertNotIn(b"plain http", transport.value())
        self.assertEqual(transport.value().count(b"HTTP/1.1 "), 1)

    def test_declined_upgrade_then_pipelined_request(self):
        """A resource that answers an upgrade request normally declines it:
        the next request is HTTP/1.1 as usual."""
        proto, transport, clock, site = serve(makeRoot())
        feed(proto, clock, upgrade(b"/plain") + b"GET /plain HTTP/1.1\r\nHost: x\r\n\r\n")
        r1, r2 = parse(transport.value(), [b"GET", b"GET"])
        self.assertEqual((r1.status, r1.body, r2.body), (200, b"plain http\n", b"plain http\n"))

    def test_refused_handshake_by_twisted(self):
        """Twisted's resource refuses a bad handshake with a normal 400."""
        proto, transport, clock, site = serve(makeRoot())
        bad = upgrade(b"/twisted").replace(b"Sec-WebSocket-Version: 13", b"Sec-WebSocket-Version: 7")
        feed(proto, clock, bad + b"GET /plain HTTP/1.1\r\nHost: x\r\n\r\n")
        r1, r2 = parse(transport.value(), [b"GET", b"GET"])
        self.assertEqual((r1.status, r2.body), (400, b"plain http\n"))

    def test_relay_is_a_protocol(self):
        relay = _websocket.Relay(TwistedEcho(), Clock())
        self.assertTrue(verifyObject(IProtocol, relay))

    def test_response_head(self):
        head = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"
        self.assertIsNone(_websocket.responseHead(head[:-1]))
        event, rest = _websocket.responseHead(head + b"\x81\x00")
        self.assertEqual((event.status_code, rest), (101, b"\x81\x00"))
        event, rest = _websocket.responseHead(b"HTTP/1.1 400 No\r\nContent-Length: 0\r\n\r\n")
        self.assertEqual((event.status_code, rest), (400, None))

    def test_channel_transport(self):
        """Without a switch proposed, request.channel.transport is the
        connection's transport and cannot be set."""
        seen = []

        class Look(Resource):
            isLeaf = True

            def render_GET(self, request):
                seen.append(request.channel.transport)
                try:
                    request.channel.transport = None
                except AttributeError:
                    seen.append("refused")
                return b"ok"

        proto, transport, clock, site = serve(Look())
        feed(proto, clock, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(seen, [transport, "refused"])
        feed(proto, clock, upgrade(b"/"))
        self.assertIsInstance(seen[2], _websocket.SwitchingTransport)
        self.assertTrue(seen[2].getPeer() is transport.getPeer() or seen[2].getPeer() == transport.getPeer())
