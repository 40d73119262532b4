"""``twistd -n txh11 --path DIR``: files byte for byte, ranges, listings, HEAD."""

import hashlib
import os
import subprocess

import pytest

from tests._support.e2e import connect, get, readResponse

CURL = "/usr/bin/curl"


@pytest.fixture
def site(tmp_path, twistd):
    www = tmp_path / "www"
    (www / "sub").mkdir(parents=True)
    data = os.urandom(3 * 1024 * 1024 + 123)
    (www / "blob.bin").write_bytes(data)
    (www / "sub" / "hello.txt").write_bytes(b"hello, world\n")
    server = twistd("--path", str(www), "--listen", "tcp:0:interface=127.0.0.1")
    return server, data


@pytest.mark.skipif(not os.path.exists(CURL), reason="needs /usr/bin/curl")
def test_curl_downloads_byte_for_byte_and_ranges(site, tmp_path):
    server, data = site
    url = f"http://127.0.0.1:{server.port}/blob.bin"
    out = tmp_path / "download.bin"
    subprocess.run([CURL, "-sSf", "-o", str(out), url], check=True, timeout=30)
    assert hashlib.sha256(out.read_bytes()).digest() == hashlib.sha256(data).digest()

    part = subprocess.run(
        [CURL, "-sSf", "-r", "1000-1999", url], check=True, timeout=30, stdout=subprocess.PIPE
    ).stdout
    assert part == data[1000:2000]
    suffix = subprocess.run(
        [CURL, "-sSf", "-r", "-10", url], check=True, timeout=30, stdout=subprocess.PIPE
    ).stdout
    assert suffix == data[-10:]


def test_range_last_modified_listing_and_head(site):
    server, data = site
    status, headers, body = get(server.port, "/blob.bin", "Range: bytes=5-9\r\n")
    assert status == 206
    assert headers["content-range"] == f"bytes 5-9/{len(data)}"
    assert body == data[5:10]

    status, headers, body = get(server.port, "/sub/hello.txt")
    assert (status, body) == (200, b"hello, world\n")
    status, _, body = get(server.port, "/sub/hello.txt", f"If-Modified-Since: {headers['last-modified']}\r\n")
    assert (status, body) == (304, b"")

    status, _, body = get(server.port, "/sub/")
    assert status == 200 and b"hello.txt" in body  # directory listing

    status, _, _ = get(server.port, "/nope")
    assert status == 404

    raw = b"HEAD /sub/hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    with connect(server.port) as s:
        s.sendall(raw)
        status, headers, body = readResponse(s, head=True)
    assert (status, headers["content-length"], body) == (200, "13", b"")
