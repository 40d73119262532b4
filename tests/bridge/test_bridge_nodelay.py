"""
Every TCP connection the bridge runs has ``TCP_NODELAY``: accepted by a
server, connected by txh11's client, and under TLS (the wrapper passes the
option on to the TCP transport).  A UNIX socket, which has no such option,
still works.  Real loopback sockets, the real reactor.
"""

from __future__ import annotations

import os
import socket
import tempfile

import trustme

from twisted.internet import defer, reactor
from twisted.internet import ssl, threads
from twisted.internet.interfaces import ISSLTransport
from twisted.trial import unittest
from twisted.web.client import readBody

from txh11.client import Agent, HTTP11ClientProtocol, HTTPConnectionPool
from txh11.server import HTTP11ServerFactory

from tests._support.testlib import sleep


def hello(request):
    request.respond(200, [(b"content-type", b"text/plain")], b"hi\n")


def nodelay(transport) -> int:
    # .socket: under TLS, getHandle() is the OpenSSL connection
    return transport.socket.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


class Recording(HTTP11ServerFactory):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.protocols = []

    def buildProtocol(self, addr):
        p = super().buildProtocol(addr)
        self.protocols.append(p)
        return p


class NoDelayTests(unittest.TestCase):
    def setUp(self):
        self.factory = Recording(hello)
        self.port = reactor.listenTCP(0, self.factory, interface="127.0.0.1")
        self.addCleanup(self.port.stopListening)

    @defer.inlineCallbacks
    def test_accepted_socket(self):
        client = socket.create_connection(("127.0.0.1", self.port.getHost().port), timeout=5)
        self.addCleanup(client.close)
        while not self.factory.protocols:
            yield sleep(0.01)
        self.assertTrue(nodelay(self.factory.protocols[0].transport))

    @defer.inlineCallbacks
    def test_accepted_tls_socket(self):
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1")
        options = ssl.PrivateCertificate.loadPEM(
            cert.private_key_and_cert_chain_pem.bytes().decode()
        ).options()
        factory = Recording(hello)
        port = reactor.listenSSL(0, factory, options, interface="127.0.0.1")
        self.addCleanup(port.stopListening)
        client = socket.create_connection(("127.0.0.1", port.getHost().port), timeout=5)
        self.addCleanup(client.close)
        while not factory.protocols:
            yield sleep(0.01)
        transport = factory.protocols[0].transport
        self.assertTrue(transport.TLS or ISSLTransport.providedBy(transport))
        self.assertTrue(nodelay(transport))

    @defer.inlineCallbacks
    def test_client_connection(self):
        seen = []

        class Noting(HTTP11ClientProtocol):
            def connectionMade(self):
                seen.append(nodelay(self.transport))
                super().connectionMade()

        pool = HTTPConnectionPool(reactor)
        pool.protocolClass = Noting
        self.addCleanup(pool.closeCachedConnections)
        url = b"http://127.0.0.1:%d/" % self.port.getHost().port
        response = yield Agent(reactor, pool=pool).request(b"GET", url)
        self.assertEqual((yield readBody(response)), b"hi\n")
        self.assertEqual(len(seen), 1)
        self.assertTrue(seen[0])

    @defer.inlineCallbacks
    def test_unix_socket_still_served(self):
        path = os.path.join(tempfile.mkdtemp(), "s")
        port = reactor.listenUNIX(path, Recording(hello))
        self.addCleanup(port.stopListening)
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(5)
        self.addCleanup(s.close)
        s.connect(path)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        def readAll():
            out = b""
            while True:
                more = s.recv(65536)
                if not more:
                    return out
                out += more

        data = yield threads.deferToThread(readAll)
        self.assertTrue(data.startswith(b"HTTP/1.1 200 "), data)
        self.assertTrue(data.endswith(b"hi\n"), data)
