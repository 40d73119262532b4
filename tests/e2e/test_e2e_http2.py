"""
``twistd txh11`` and HTTP/2: the log line that says what each TLS endpoint
offers in ALPN, curl getting h2 over TLS and with prior knowledge on a
cleartext port; and, with the ``h2`` package made unimportable, http/1.1
only (the preface then gets the 505 of any HTTP/2.0 request line).
"""

import subprocess

import pytest
import trustme

from tests._support.e2e import SRC
from tests._support.web import CURL

BODY = b"served by twistd txh11\n"


@pytest.fixture
def served(tmp_path):
    """A directory to serve, a certificate for 127.0.0.1, and its CA."""
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "page.txt").write_bytes(BODY)
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    key, chain, cafile = tmp_path / "key.pem", tmp_path / "cert.pem", tmp_path / "ca.pem"
    cert.private_key_pem.write_to_path(str(key))
    cert.cert_chain_pems[0].write_to_path(str(chain))
    ca.cert_pem.write_to_path(str(cafile))
    listen = [
        "--path", str(tmp_path / "www"),
        "--listen", f"ssl:0:interface=127.0.0.1:privateKey={key}:certKey={chain}",
        "--listen", "tcp:0:interface=127.0.0.1",
    ]
    return listen, str(cafile)


def curl(*args):
    """curl's body and, on the last line, the HTTP version it spoke."""
    result = subprocess.run(
        [CURL, "-sS", "--max-time", "10", "-w", "\n%{http_version}", *args],
        capture_output=True, timeout=30,
    )
    body, _, version = result.stdout.rpartition(b"\n")
    return body, version.decode(), result


def urls(server):
    (tls, port1), (_, port2) = server.addresses()
    return f"https://127.0.0.1:{port1}/page.txt", f"http://127.0.0.1:{port2}/page.txt"


def test_twistd_offers_h2_and_serves_it(twistd, served):
    args, cafile = served
    server = twistd(*args)
    server.waitFor(r"txh11 on ssl:\S+ offers ALPN h2, http/1\.1")
    https, http = urls(server)
    body, version, r = curl("--http2", "--cacert", cafile, https)
    assert (body, version) == (BODY, "2"), r.stderr
    body, version, r = curl("--http2-prior-knowledge", http)
    assert (body, version) == (BODY, "2"), r.stderr


def test_without_h2_only_http11(twistd, served, tmp_path):
    # a package named h2 that cannot be imported, ahead of the real one
    blocker = tmp_path / "block" / "h2"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('h2 blocked by the test')\n")
    args, cafile = served
    server = twistd(*args, env={"PYTHONPATH": f"{blocker.parent}:{SRC}"})
    server.waitFor(r"txh11 on ssl:\S+ offers ALPN http/1\.1$")
    assert "offers ALPN h2" not in server.output
    https, http = urls(server)
    body, version, r = curl("--http2", "--cacert", cafile, https)
    assert (body, version) == (BODY, "1.1"), r.stderr
    # the preface is an HTTP/2.0 request line to an HTTP/1.1 server
    _, _, r = curl("--http2-prior-knowledge", http)
    assert r.returncode != 0 or b"505" in r.stdout
