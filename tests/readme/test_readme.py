"""README.md stays true: its commands are the ones CI runs, its examples run.

The server example runs as a real subprocess on a free loopback port and the
agent example fetches from it, so both the server and the client are exercised
the way a reader would run them.
"""

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, re.S)


def _block(marker: str) -> str:
    found = [b for b in BLOCKS if marker in b]
    assert len(found) == 1, f"README.md has {len(found)} python blocks with {marker!r}"
    return found[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_readme_names_the_two_commands_ci_runs():
    assert "pip install . && twistd -n txh11" in README
    assert "pip install -e '.[test]' && pytest" in README
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install -e '.[test]' && pytest" in ci


def test_core_example_prints_what_it_says(capsys):
    exec(compile(_block("import txh11 as h11"), "README core example", "exec"), {})
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Response(status_code=200,")
    assert lines[1].startswith("Data(data=b'hi'")
    assert lines[2] == "EndOfMessage(headers=<Headers([])>)"


def test_server_and_agent_examples_talk_to_each_other(tmp_path):
    port = _free_port()
    server_py = tmp_path / "server.py"
    server_py.write_text(_block("from txh11.web import Site").replace("8080", str(port)))
    agent_py = tmp_path / "agent.py"
    agent_py.write_text(_block("from twisted.web.client import readBody").replace("8080", str(port)))
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    server = subprocess.Popen([sys.executable, str(server_py)], env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"README server did not start: {server.stderr.read().decode()}")
                time.sleep(0.05)
        treq_py = tmp_path / "treq_get.py"
        treq_py.write_text(_block("from treq.client import HTTPClient").replace("8080", str(port)))
        for client in (agent_py, treq_py):
            out = subprocess.run(
                [sys.executable, str(client)], env=env, capture_output=True, timeout=30
            )
            assert out.returncode == 0, out.stderr.decode()
            assert out.stdout.decode().strip() == "200 hello from txh11"
    finally:
        server.terminate()
        server.wait(timeout=10)
