"""Bad configuration: one line naming the problem, exit status 1, no traceback."""

import socket

import pytest

from tests._support.e2e import runTwistd


def _assertOneLineError(result, *needles):
    output = result.stdout.strip()
    assert result.returncode == 1, output
    assert "Traceback" not in output, output
    last = output.splitlines()[-1]
    for needle in needles:
        assert needle in last, output
    return last


@pytest.mark.parametrize(
    "args, needles",
    [
        (["--path", "/no/such/dir"], ["--path", "/no/such/dir", "no such file or directory"]),
        (["--listen", "tcp:notaport"], ["--listen", "tcp:notaport"]),
        (["--listen", "nosuchtype:1"], ["--listen", "nosuchtype"]),
        (["--wsgi", "no_such_module_xyz.app"], ["--wsgi", "no_such_module_xyz.app", "cannot load"]),
        (["--wsgi", "os.sep"], ["--wsgi", "not callable"]),
        (["--class", "os.path"], ["--class", "os.path"]),
        (["--listen", "ssl:0:privateKey=/no/key.pem:certKey=/no/cert.pem"],
         ["--listen", "/no/key.pem", "No such file"]),
        (["--max-body-size", "lots"], ["max-body-size"]),
        (["--echo", "--path", "."], ["choose one of"]),
    ],
)
def test_configuration_errors(tmp_path, args, needles):
    result = runTwistd(args, cwd=str(tmp_path))
    _assertOneLineError(result, *needles)


def test_unreadable_certificate(tmp_path):
    key = tmp_path / "key.pem"
    key.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    result = runTwistd(["--listen", f"ssl:0:privateKey={key}:certKey={key}"], cwd=str(tmp_path))
    _assertOneLineError(result, "--listen", str(key))
    assert len(result.stdout.strip().splitlines()) <= 3


def test_broken_wsgi_module(tmp_path):
    (tmp_path / "broken.py").write_text("import no_such_dependency_xyz\napp = None\n")
    result = runTwistd(["--wsgi", "broken.app"], cwd=str(tmp_path))
    _assertOneLineError(result, "--wsgi", "no_such_dependency_xyz")


@pytest.mark.parametrize("workers", [1, 2])
def test_port_in_use(tmp_path, workers):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runTwistd(
            ["--echo", "--workers", str(workers), "--listen", f"tcp:{port}:interface=127.0.0.1"],
            cwd=str(tmp_path),
        )
    last = _assertOneLineError(result, "cannot listen on", str(port), "in use")
    assert last.count("txh11") == 1
