"""Safe defaults: loopback only unless told otherwise; hidden files are not served."""

import errno
import socket

import pytest

from tests._support.e2e import get, listeningAddresses, ownNetworkNamespace


@pytest.fixture
def project(tmp_path):
    """A project directory, as ``twistd -n txh11`` would be started in."""
    www = tmp_path / "project"
    (www / ".git").mkdir(parents=True)
    (www / ".git" / "config").write_text("[remote]\n  url = secret\n")
    (www / "a").mkdir()
    (www / "a" / ".env").write_text("PASSWORD=x\n")
    (www / "a" / "page.txt").write_text("visible\n")
    (www / "index.txt").write_text("public\n")
    return www


HIDDEN = ["/.git/config", "/.git/", "/a/.env", "/%2egit/config", "/a/%2Eenv"]


def test_hidden_names_are_404_at_any_depth_and_not_listed(twistd, project):
    server = twistd("--listen", "tcp:0:interface=127.0.0.1", cwd=project)  # the default directory
    for target in HIDDEN:
        assert get(server.port, target)[0] == 404, target
    assert get(server.port, "/a/page.txt")[2] == b"visible\n"
    status, _, listing = get(server.port, "/")
    assert status == 200 and b"index.txt" in listing and b".git" not in listing
    status, _, listing = get(server.port, "/a/")
    assert status == 200 and b"page.txt" in listing and b".env" not in listing


def test_show_hidden_serves_them(twistd, project):
    server = twistd("--path", str(project), "--show-hidden", "--listen", "tcp:0:interface=127.0.0.1")
    status, _, body = get(server.port, "/.git/config")
    assert (status, body) == (200, b"[remote]\n  url = secret\n")
    assert get(server.port, "/a/.env")[2] == b"PASSWORD=x\n"
    assert b".env" in get(server.port, "/a/")[2]


def _portFree(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                return False
            raise
    return True


def test_default_listen_is_loopback_only(twistd, project):
    prefix = ownNetworkNamespace()  # the fixed port 8080 without colliding with anything
    if not prefix and not _portFree(8080):
        pytest.skip("port 8080 is taken and no network namespace of our own is allowed")
    server = twistd(cwd=project, prefix=prefix)
    assert server.addresses() == [("127.0.0.1", 8080)]
    server.waitFor(r"to listen on every interface: --listen tcp:8080")
    assert listeningAddresses(server.proc.pid) == [("127.0.0.1", 8080)]
    if not prefix:
        assert get(8080, "/index.txt")[2] == b"public\n"
