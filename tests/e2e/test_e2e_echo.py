"""``--echo`` under several reactors, on TCP and UNIX sockets; access log; limits; timeouts."""

import json
import os
import re
import socket
import subprocess
import time

import pytest

from tests._support.e2e import connect, get, readResponse, request

CURL = "/usr/bin/curl"


@pytest.mark.parametrize("reactor", [None, "asyncio", "select", "poll"])
def test_echo_under_reactor(twistd, reactor):
    server = twistd(
        "--echo",
        "--listen", "tcp:0:interface=127.0.0.1",
        twistdArgs=[f"--reactor={reactor}"] if reactor else [],
    )
    body = b"x" * 100_000
    raw = (
        b"POST /some/where?q=1 HTTP/1.1\r\nHost: example.test\r\nX-Thing: 1\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
    ) + body
    status, headers, answer = request(server.port, raw)
    assert status == 200
    assert headers["content-type"] == "application/json"
    info = json.loads(answer)
    assert info["method"] == "POST"
    assert info["target"] == "/some/where?q=1"
    assert info["version"] == "HTTP/1.1"
    assert info["body_length"] == len(body)
    assert ["X-Thing", "1"] in info["headers"]
    assert info["client"]["host"] == "127.0.0.1"
    assert info["secure"] is False
    if reactor:
        assert re.search(r"reactor class: .*" + {"asyncio": "Asyncio", "select": "Select",
                                                  "poll": "Poll"}[reactor], server.output)
    assert server.stop() in (0, -15)


def test_keep_alive_unix_socket_access_log_and_limits(twistd, tmp_path):
    sock = tmp_path / "echo.sock"
    log = tmp_path / "access.log"
    server = twistd(
        "--echo",
        "--listen", "tcp:0:interface=127.0.0.1",
        "--listen", f"unix:{sock}",
        "--access-log", str(log),
        "--max-body-size", "1k",
        "--max-header-size", "2k",
    )
    port = server.port
    # two requests on one connection
    with connect(port) as s:
        for target in ("/one", "/two"):
            s.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nUser-Agent: e2e\r\n\r\n".encode())
            status, _, body = readResponse(s)
            assert status == 200 and json.loads(body)["target"] == target
    # the UNIX socket
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(10)
        s.connect(str(sock))
        s.sendall(b"GET /unix HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        status, _, body = readResponse(s)
        assert status == 200 and json.loads(body)["client"]["type"] == "UNIXAddress"
    # limits: 413 and 431
    status, _, _ = request(
        port, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + b"y" * 5000
    )
    assert status == 413
    status, _, _ = request(port, b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"z" * 4000 + b"\r\n\r\n")
    assert status == 431
    # the access log, Combined Log Format
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and log.read_text().count("\n") < 3:
        time.sleep(0.05)
    lines = log.read_text().splitlines()
    assert re.match(r'^"127\.0\.0\.1" - - \[[^]]+\] "GET /one HTTP/1\.1" 200 \d+ "-" "e2e"$', lines[0])
    assert any('"GET /unix HTTP/1.1" 200' in line for line in lines)
    assert server.stop() in (0, -15)
    assert not sock.exists()


def test_access_log_to_stdout_and_header_timeout(twistd):
    server = twistd(
        "--echo", "--listen", "tcp:0:interface=127.0.0.1", "--access-log", "-",
        "--header-timeout", "0.5",
    )
    status, _, _ = get(server.port, "/logged", "User-Agent: e2e-stdout\r\n")
    assert status == 200
    # a raw Combined Log Format line on standard output, not a log event
    server.waitFor(r'^"127\.0\.0\.1" - - \[.*\] "GET /logged HTTP/1\.1" 200 \d+ "-" "e2e-stdout"$')
    # slowloris: an incomplete head is answered 408 after the header timeout
    with connect(server.port) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        status, _, _ = readResponse(s)
        assert status == 408
        assert time.monotonic() - started < 5


@pytest.mark.skipif(not os.path.exists(CURL), reason="needs /usr/bin/curl")
def test_curl_against_echo(twistd):
    server = twistd("--echo", "--listen", "tcp:0:interface=127.0.0.1")
    out = subprocess.run(
        [CURL, "-sSf", "-H", "X-From-Curl: yes", "--data-binary", "abc",
         f"http://127.0.0.1:{server.port}/c"],
        check=True, timeout=30, stdout=subprocess.PIPE,
    ).stdout
    info = json.loads(out)
    assert info["method"] == "POST" and info["body_length"] == 3
    assert ["X-From-Curl", "yes"] in info["headers"]
