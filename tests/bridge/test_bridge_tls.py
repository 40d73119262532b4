"""
The bridge under Twisted's TLS layer (TLSMemoryBIOProtocol), through
twisted.test.iosim with a trustme certificate: no sockets, no waiting.

Under TLS the transport's ``producer`` is Twisted's ``_ProducerMembrane``
around the protocol, and TLS postpones its shutdown while a producer is
registered.  A graceful close must therefore unregister the protocol itself,
or it only ends when ``closeTimeout`` aborts the connection.
"""

import trustme
from twisted.internet import ssl as tssl
from twisted.internet.error import ConnectionDone
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.task import Clock
from twisted.protocols.tls import TLSMemoryBIOFactory
from twisted.test import iosim

import txh11 as h11

from tests._support.bridge import Recorder

CA = trustme.CA()
CERT = CA.issue_cert("example.com")


class RawClient(Protocol):
    """Sends one request over TLS, records what comes back and how it ends."""

    def __init__(self, request):
        self.request = request
        self.received = b""
        self.lost = None

    def connectionMade(self):
        self.transport.write(self.request)

    def dataReceived(self, data):
        self.received += data

    def connectionLost(self, reason):
        self.lost = reason


def tlsPair(server, client, clock):
    pc = tssl.PrivateCertificate.loadPEM(CERT.private_key_and_cert_chain_pem.bytes().decode())
    serverOptions = pc.options()
    trust = tssl.Certificate.loadPEM(CA.cert_pem.bytes().decode())
    clientOptions = tssl.optionsForClientTLS("example.com", trustRoot=trust)
    serverTLS = TLSMemoryBIOFactory(
        serverOptions, False, Factory.forProtocol(lambda: server), clock
    )
    clientTLS = TLSMemoryBIOFactory(
        clientOptions, True, Factory.forProtocol(lambda: client), clock
    )
    serverWrapper = serverTLS.buildProtocol(None)
    clientWrapper = clientTLS.buildProtocol(None)
    return iosim.connect(
        serverWrapper,
        iosim.makeFakeServer(serverWrapper),
        clientWrapper,
        iosim.makeFakeClient(clientWrapper),
        clock=clock,
    )


def test_graceful_close_over_tls_completes_without_the_close_timeout():
    clock = Clock()
    server = Recorder(clock, respond=True)
    client = RawClient(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    pump = tlsPair(server, client, clock)
    pump.flush()  # also runs calls due now (TLS coalesces writes until then)
    assert client.received.startswith(b"HTTP/1.1 200 ")
    assert client.received.endswith(b"\r\n\r\nok")
    # TLS sent its close_notify and the connection ended cleanly on both
    # sides, with the clock still at 0: closeTimeout (10 s) played no part
    assert client.lost.check(ConnectionDone)
    assert server.types()[-1] == "closed"
    assert server.log[-1][1].check(ConnectionDone)
    assert clock.seconds() == 0
    assert not clock.getDelayedCalls()


class Switcher(Recorder):
    """Accepts an Upgrade; after the switch, a raw protocol's own close."""

    def eventReceived(self, event):
        super().eventReceived(event)
        if type(event) is h11.Request:
            self.sendEvent(h11.InformationalResponse(status_code=101, headers=[("upgrade", "raw")]))

    def protocolSwitched(self, data):
        self.log.append(("switched", data))
        self.transport.write(b"raw:" + data)
        self.transport.loseConnection()


def test_protocol_switch_over_tls_leaves_the_transport_to_the_new_protocol():
    clock = Clock()
    server = Switcher(clock)
    client = RawClient(b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: raw\r\nConnection: upgrade\r\n\r\nhi")
    pump = tlsPair(server, client, clock)
    pump.flush()  # also runs calls due now (TLS coalesces writes until then)
    assert client.received.startswith(b"HTTP/1.1 101 ")
    assert client.received.endswith(b"\r\n\r\nraw:hi")
    assert ("switched", b"hi") in server.log
    # the bridge unregistered as producer at the switch, so TLS could close
    assert client.lost is not None and client.lost.check(ConnectionDone)
    assert server.types()[-1] == "closed"
