"""SIGTERM: stop accepting, finish the download in progress, close idle connections, exit."""

import hashlib
import os
import signal
import socket
import time

from tests._support.e2e import connect, readResponse

SIZE = 48 * 1024 * 1024


def _openDownload(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)  # a slow reader
    s.settimeout(20)
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    assert head.startswith(b"HTTP/1.1 200 ")
    return s


def test_sigterm_lets_a_slow_download_finish(twistd, tmp_path):
    www = tmp_path / "www"
    www.mkdir()
    data = os.urandom(1024 * 1024) * (SIZE // (1024 * 1024))
    (www / "big.bin").write_bytes(data)
    server = twistd("--path", str(www), "--listen", "tcp:0:interface=127.0.0.1",
                    "--shutdown-timeout", "30")
    port = server.port

    idle = connect(port)  # a kept-alive connection, idle when SIGTERM comes
    idle.sendall(b"HEAD /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
    assert readResponse(idle, head=True)[0] == 200

    download = _openDownload(port)
    received = hashlib.sha256()
    count = 0
    while count < 512 * 1024:
        chunk = download.recv(65536)
        assert chunk
        received.update(chunk)
        count += len(chunk)

    server.signal(signal.SIGTERM)
    server.waitFor(r"txh11 stopping: \d+ connection")

    # no new connections ...
    deadline = time.monotonic() + 5
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        except ConnectionRefusedError:
            break
        assert time.monotonic() < deadline, "still accepting after SIGTERM"
        time.sleep(0.05)
    # ... the idle one is closed ...
    idle.settimeout(5)
    assert idle.recv(1) == b""
    idle.close()
    # ... the download is still going: read it slowly to the end
    time.sleep(0.5)
    assert server.proc.poll() is None
    while count < SIZE:
        chunk = download.recv(1024 * 1024)
        assert chunk, f"connection closed after {count} of {SIZE} bytes"
        received.update(chunk)
        count += len(chunk)
    assert count == SIZE
    assert received.digest() == hashlib.sha256(data).digest()
    download.close()
    assert server.wait(15) in (0, -signal.SIGTERM)
    assert "Traceback" not in server.output


def test_shutdown_timeout_aborts_what_is_left(twistd, tmp_path):
    www = tmp_path / "www"
    www.mkdir()
    (www / "big.bin").write_bytes(b"\0" * SIZE)
    server = twistd("--path", str(www), "--listen", "tcp:0:interface=127.0.0.1",
                    "--shutdown-timeout", "0.5")
    download = _openDownload(server.port)
    download.recv(65536)
    started = time.monotonic()
    server.signal(signal.SIGTERM)
    assert server.wait(15) in (0, -signal.SIGTERM)
    assert time.monotonic() - started < 10
    server.waitFor(r"still busy after 0.5s; aborting")
    download.close()
