"""Endpoint strings: ``ssl:`` with a certificate made here, ``haproxy:``, ``tcp6:``."""

import json
import socket
import ssl

import pytest
import trustme

from e2e_helpers import connect, readResponse, request


@pytest.fixture
def certificate(tmp_path):
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    key, chain = tmp_path / "key.pem", tmp_path / "cert.pem"
    cert.private_key_pem.write_to_path(str(key))
    cert.cert_chain_pems[0].write_to_path(str(chain))
    return ca, key, chain


def test_tls_verified_with_hostname(twistd, certificate):
    ca, key, chain = certificate
    server = twistd(
        "--echo",
        "--listen", f"ssl:0:interface=127.0.0.1:privateKey={key}:certKey={chain}",
    )
    context = ssl.create_default_context()
    ca.configure_trust(context)
    assert context.check_hostname and context.verify_mode == ssl.CERT_REQUIRED
    context.set_alpn_protocols(["h2", "http/1.1"])
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
    """twistd as systemd starts it: the listening socket is fd 3, LISTEN_PID is its pid."""
    import subprocess
    import sys

    from e2e_helpers import Twistd, childEnv

    command = Twistd(list(args), cwd=str(tmp_path)).command
    return subprocess.Popen(
        [sys.executable, "-c", _ACTIVATE, str(listener.fileno()), *command],
        cwd=str(tmp_path), env=childEnv(), pass_fds=[listener.fileno()],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,
    )


@pytest.mark.parametrize("workers", ["1", "2"])
def test_systemd_socket_activation(tmp_path, workers):
    """``systemd:`` endpoints, also shared by --workers (the socket comes as fd 3)."""
    import os
    import signal
    import subprocess
    import time

    from e2e_helpers import get

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    proc = _socketActivated(tmp_path, listener, "--echo", "--workers", workers,
                            "--listen", "systemd:domain=INET:name=http")
    listener.close()  # systemd would keep it; here twistd has its own copy
    try:
        pids = set()
        deadline = time.monotonic() + 20
        while len(pids) < int(workers) and time.monotonic() < deadline:
            # connections queue in the backlog until twistd accepts them
            try:
                pids.add(json.loads(get(port, "/")[2])["server"]["pid"])
            except OSError:
                proc.kill()
                raise AssertionError(proc.communicate(timeout=10)[0].decode())
        assert len(pids) == int(workers)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        output = proc.stdout.read().decode()
        proc.stdout.close()
    assert "Traceback" not in output, output
