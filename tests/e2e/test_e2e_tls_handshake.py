"""A TLS handshake that stalls is dropped within the header timeout, not the idle one."""

import socket
import ssl
import time

from tests._support.e2e import connect

HEADER_TIMEOUT = 1.0


def halfAClientHello():
    """The first half of a real ClientHello, as Python's ssl module makes it."""
    context = ssl.create_default_context()
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname="localhost")
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = outgoing.read()
    assert hello[:1] == b"\x16" and len(hello) > 100  # a handshake record
    return hello[: len(hello) // 2]


def secondsUntilClosed(sock, limit, started):
    """How long from ``started`` until the server closes ``sock`` (end of file or reset)."""
    sock.settimeout(limit)
    try:
        while sock.recv(4096):
            pass
    except ConnectionResetError:
        pass
    except socket.timeout:
        raise AssertionError(f"still open after {limit}s")
    return time.monotonic() - started


def test_half_a_client_hello_is_dropped_within_the_header_timeout(twistd, certificate):
    ca, key, chain = certificate
    server = twistd(
        "--echo", "--header-timeout", str(HEADER_TIMEOUT), "--idle-timeout", "30",
        "--listen", f"ssl:0:interface=127.0.0.1:privateKey={key}:certKey={chain}",
        "--listen", "tcp:0:interface=127.0.0.1",
    )
    tlsPort, plainPort = [port for _, port in server.addresses()]
    hello = halfAClientHello()
    # timed from before the connect: the server's timer starts at its accept,
    # which cannot come earlier (under load the accept and the send may lag)
    started = time.monotonic()
    with connect(tlsPort) as stalled:
        stalled.sendall(hello)
        took = secondsUntilClosed(stalled, 15, started)
    assert HEADER_TIMEOUT * 0.9 <= took < HEADER_TIMEOUT + 3, took

    # a handshake that completes in time is served as before
    context = ssl.create_default_context()
    ca.configure_trust(context)
    with connect(tlsPort) as raw, context.wrap_socket(raw, server_hostname="localhost") as tls:
        tls.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        assert tls.recv(12) == b"HTTP/1.1 200"
    # a plain connection that says nothing keeps the idle timeout (30 s)
    with connect(plainPort) as quiet:
        quiet.settimeout(HEADER_TIMEOUT + 1)
        try:
            data = quiet.recv(1)
        except socket.timeout:
            data = None
    assert data is None
