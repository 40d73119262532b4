"""``--workers 2``: connections spread over two processes; restarts; SIGTERM stops all."""

import json
import os
import re
import signal
import socket
import ssl
import time

import trustme

from tests._support.e2e import get, readResponse


def _pids(server, requests=40):
    return [json.loads(get(server.port, "/")[2])["server"]["pid"] for _ in range(requests)]


def _alive(pid):
    """Running (a zombie that nobody reaped yet is not)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def _workerPids(server):
    """Worker PIDs in the order they were started."""
    return [int(m[2]) for m in re.finditer(r"worker (\d+) started, pid (\d+)", server.output)]


def test_two_workers_share_the_port_restart_and_stop(twistd, tmp_path):
    ca = trustme.CA()
    cert = ca.issue_cert("localhost")
    key, chain = tmp_path / "key.pem", tmp_path / "cert.pem"
    cert.private_key_pem.write_to_path(str(key))
    cert.cert_chain_pems[0].write_to_path(str(chain))
    server = twistd(
        "--echo", "--workers", "2",
        "--listen", "tcp:0:interface=127.0.0.1",
        "--listen", f"ssl:0:interface=127.0.0.1:privateKey={key}:certKey={chain}",
        wait=False,
    )
    # the supervisor's two sockets, then each worker's
    server.waitFor(r"worker \d+ \[\d+\] .*txh11 listening on ssl:", count=2, timeout=30)
    started = _workerPids(server)
    assert len(started) == 2

    seen = set(_pids(server))
    assert seen == set(started), server.output

    # TLS through the inherited socket
    context = ssl.create_default_context()
    ca.configure_trust(context)
    tlsPort = server.addresses()[1][1]
    with socket.create_connection(("127.0.0.1", tlsPort), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall(b"GET /tls HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            status, _, body = readResponse(tls)
    assert status == 200 and json.loads(body)["server"]["pid"] in started

    # a worker that dies is restarted
    os.kill(started[0], signal.SIGKILL)
    server.waitFor(r"exited \(signal 9\) .*restarting", timeout=10)
    server.waitFor(r"worker \d+ started, pid \d+", count=3, timeout=10)
    server.waitFor(r"worker \d+ \[\d+\] .*txh11 listening on ssl:", count=3, timeout=30)
    now = _workerPids(server)
    replacement = now[2]
    assert replacement not in started
    deadline = time.monotonic() + 10
    seen = set()
    while replacement not in seen and time.monotonic() < deadline:
        seen.update(_pids(server, 10))
    assert replacement in seen and started[0] not in seen

    # SIGTERM to the supervisor stops every worker
    assert server.stop() in (0, -signal.SIGTERM)
    for pid in (started[1], replacement):
        deadline = time.monotonic() + 5
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(pid)
    assert "Traceback" not in server.output


def test_workers_stop_when_the_supervisor_is_killed(twistd):
    server = twistd("--echo", "--workers", "2", "--listen", "tcp:0:interface=127.0.0.1", wait=False)
    server.waitFor(r"worker \d+ \[\d+\] .*txh11 listening on", count=2, timeout=30)
    pids = _workerPids(server)
    os.kill(server.proc.pid, signal.SIGKILL)  # no chance to stop them
    deadline = time.monotonic() + 10
    while any(map(_alive, pids)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(map(_alive, pids))
