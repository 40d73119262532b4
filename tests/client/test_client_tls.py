"""
The client protocol under Twisted's TLS layer, through twisted.test.iosim
with a trustme certificate: no sockets, a Clock that never advances.

A graceful close over TLS must not wait for ``closeTimeout``: TLS holds back
its close_notify while a producer is registered, and the bridge unregisters
itself (the producer is Twisted's ``_ProducerMembrane`` around it).
"""

import pytest

trustme = pytest.importorskip("trustme")

from twisted.internet import ssl as tssl  # noqa: E402
from twisted.internet.error import ConnectionDone  # noqa: E402
from twisted.internet.protocol import Factory, Protocol  # noqa: E402
from twisted.internet.task import Clock  # noqa: E402
from twisted.protocols.tls import TLSMemoryBIOFactory  # noqa: E402
from twisted.test import iosim  # noqa: E402
from twisted.web.client import readBody  # noqa: E402

from txh11.client import HTTP11ClientProtocol  # noqa: E402
from txh11.client._request import prepareRequest  # noqa: E402

from tests._support.client import result  # noqa: E402

CA = trustme.CA()
CERT = CA.issue_cert("example.com")


class KeepAliveServer(Protocol):
    """Answers every request with a small keep-alive response; never closes."""

    lost = None

    def dataReceived(self, data):
        if b"\r\n\r\n" in data:
            self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    def connectionLost(self, reason):
        self.lost = reason


def tlsPair(server, client, clock):
    pc = tssl.PrivateCertificate.loadPEM(CERT.private_key_and_cert_chain_pem.bytes().decode())
    trust = tssl.Certificate.loadPEM(CA.cert_pem.bytes().decode())
    serverTLS = TLSMemoryBIOFactory(pc.options(), False, Factory.forProtocol(lambda: server), clock)
    clientTLS = TLSMemoryBIOFactory(
        tssl.optionsForClientTLS("example.com", trustRoot=trust),
        True,
        Factory.forProtocol(lambda: client),
        clock,
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


def test_graceful_close_over_tls_is_prompt():
    clock = Clock()
    server = KeepAliveServer()
    proto = HTTP11ClientProtocol(clock)
    pump = tlsPair(server, proto, clock)
    d = proto.request(prepareRequest(b"GET", b"https://example.com/", reactor=clock))
    pump.flush()
    response = result(d)
    assert response.code == 200
    body = readBody(response)
    pump.flush()
    assert result(body) == b"ok"
    assert proto.isReusable()
    closed = proto.whenClosed()
    proto.close()  # what the pool does to an idle connection
    pump.flush()
    # close_notify went out and both sides ended cleanly with the clock
    # still at 0: closeTimeout (10 s) played no part
    assert closed.called
    assert server.lost is not None and server.lost.check(ConnectionDone)
    assert clock.seconds() == 0
    assert not clock.getDelayedCalls()
