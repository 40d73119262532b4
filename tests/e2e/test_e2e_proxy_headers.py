"""``--proxy-headers``: believed from a trusted peer, ignored from anyone else."""

import json
import time

from tests._support.e2e import get

FORWARDED = "X-Forwarded-For: 198.51.100.9, 203.0.113.7\r\nX-Forwarded-Proto: https\r\n"


def _client(port, headers):
    info = json.loads(get(port, "/", headers)[2])
    return info["client"]["host"], info["secure"]


def _logged(path, count, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) >= count or time.monotonic() > deadline:
            return [line.split('"')[1] for line in lines]
        time.sleep(0.05)


def test_trusted_peer_names_the_client(twistd, tmp_path):
    log = tmp_path / "access.log"
    server = twistd("--echo", "--proxy-headers", "--access-log", str(log),
                    "--listen", "tcp:0:interface=127.0.0.1")  # default allow-list: 127.0.0.1
    assert _client(server.port, FORWARDED) == ("203.0.113.7", True)
    assert _client(server.port, "Forwarded: for=192.0.2.60;proto=https\r\n") == ("192.0.2.60", True)
    assert _client(server.port, "") == ("127.0.0.1", False)
    assert _logged(log, 3) == ["203.0.113.7", "192.0.2.60", "127.0.0.1"]


def test_untrusted_peer_is_ignored(twistd, tmp_path):
    log = tmp_path / "access.log"
    server = twistd("--echo", "--proxy-headers", "--forwarded-allow-ips", "10.0.0.1, fd00::/8",
                    "--access-log", str(log), "--listen", "tcp:0:interface=127.0.0.1")
    assert _client(server.port, FORWARDED) == ("127.0.0.1", False)
    assert _client(server.port, "Forwarded: for=192.0.2.60;proto=https\r\n") == ("127.0.0.1", False)
    assert _logged(log, 2) == ["127.0.0.1", "127.0.0.1"]
