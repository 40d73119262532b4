"""Endpoint strings: ``ssl:`` with a certificate made here, ``haproxy:``, ``tcp6:``."""

import json
import socket
import ssl

import pytest

from tests._support.e2e import connect, readResponse, request


def test_tls_verified_with_hostname(twistd, certificate):
    ca, key, chain = certificate
    server = twistd(
        "--echo",
        "--listen", f"ssl:0:interface=127.0.0.1:privateKey={key}:certKey={chain}",
    )
    context = ssl.create_default_context()
    ca.configure_trust(context)
    assert context.check_hostname and context.verify_mode == ssl.CERT_REQUIRED
    # (h2 when offered too: tests/e2e/test_e2e_http2.py)
    context.set_alpn_protocols(["http/1.1"])
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            assert tls.selected_alpn_protocol() == "http/1.1"
            tls.sendall(b"GET /secret HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            status, _, body = readResponse(tls)
    info = json.loads(body)
    assert status == 200 and info["secure"] is True and info["target"] == "/secret"

    # the same certificate does not pass for another name
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        with pytest.raises(ssl.SSLCertVerificationError):
            context.wrap_socket(raw, server_hostname="not-localhost.example")


def test_haproxy_proxy_v1_header_gives_the_client_address(twistd):
    server = twistd("--echo", "--listen", "haproxy:tcp:0:interface=127.0.0.1")
    raw = (
        b"PROXY TCP4 203.0.113.7 192.0.2.1 56324 8080\r\n"
        b"GET /proxied HTTP/1.1\r\nHost: x\r\nUser-Agent: behind-proxy\r\nConnection: close\r\n\r\n"
    )
    status, _, body = request(server.port, raw)
    info = json.loads(body)
    assert status == 200
    assert info["client"] == {"type": "IPv4Address", "host": "203.0.113.7", "port": 56324}


def test_tcp6_loopback(twistd):
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback")
    server = twistd("--echo", "--listen", r"tcp6:0:interface=\:\:1")
    host, port = server.addresses()[0]
    assert host == "::1"
    with connect(port, "::1") as s:
        s.sendall(b"GET /v6 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        status, _, body = readResponse(s)
    assert status == 200 and json.loads(body)["client"]["type"] == "IPv6Address"


_ACTIVATE = (
    "import os, sys; fd = int(sys.argv[1]); os.dup2(fd, 3); fd == 3 or os.close(fd); "
    "os.environ.update(LISTEN_PID=str(os.getpid()), LISTEN_FDS='1', LISTEN_FDNAMES='http'); "
    "os.execv(sys.argv[2], sys.argv[2:])"
)


def _socketActivated(tmp_path, listener, *args):
    """
    twistd as systemd starts it: the listening socket is fd 3, LISTEN_PID is
    its pid (the wrapper execs twistd, so the pid stays). Its output is read
    all along: an unread pipe would fill up (a line per request) and block it.
    """
    import sys

    from tests._support.e2e import Twistd

    fd = listener.fileno()
    return Twistd(
        list(args), cwd=str(tmp_path), prefix=[sys.executable, "-c", _ACTIVATE, str(fd)], passFds=[fd]
    )


@pytest.mark.parametrize("workers", ["1", "2"])
def test_systemd_socket_activation(tmp_path, workers):
    """``systemd:`` endpoints, also shared by --workers (the socket comes as fd 3)."""
    import re
    import signal
    import time

    from tests._support.e2e import get

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    server = _socketActivated(tmp_path, listener, "--echo", "--workers", workers,
                              "--listen", "systemd:domain=INET:name=http")
    try:
        server.start()
        listener.close()  # systemd would keep it; here twistd has its own copy
        # Start-up (twistd, and the workers' interpreters) is slow on a busy
        # machine: wait for every process that serves to say it listens, so
        # that the requests below do not wait for it.
        if workers == "1":
            server.waitFor(r"txh11 listening on systemd:", timeout=60)
            expected = {server.proc.pid}
        else:
            server.waitFor(r"worker \d+ \[\d+\] .*txh11 listening on systemd:", count=2, timeout=60)
            expected = {int(m[1]) for m in re.finditer(r"worker \d+ started, pid (\d+)", server.output)}
        assert len(expected) == int(workers), server.output
        # both workers accept from the one shared socket: sooner or later each
        # gets a connection
        pids = set()
        deadline = time.monotonic() + 30
        while pids != expected and time.monotonic() < deadline:
            try:
                status, _, body = get(port, "/")
            except OSError as e:
                raise AssertionError(f"request failed: {e!r}\n{server.output}")
            assert status == 200, server.output
            pids.add(json.loads(body)["server"]["pid"])
        assert pids == expected, server.output
        assert server.stop(timeout=30) in (0, -signal.SIGTERM)
        server.waitEOF()
    finally:
        listener.close()
        server.kill()
    assert "Traceback" not in server.output, server.output
