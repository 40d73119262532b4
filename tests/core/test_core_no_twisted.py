"""The sans-I/O core must not pull in Twisted (or any I/O machinery)."""

import os
import subprocess
import sys

SRC = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "src"))

CHECK = r"""
import sys
import txh11
import txh11 as h11
# exercise the core a little, in case something is imported lazily
conn = h11.Connection(our_role=h11.SERVER)
conn.receive_data(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
conn.next_event()
conn.send(h11.Response(status_code=200, headers=[("Content-Length", "0")]))
bad = sorted(m for m in sys.modules if m == "twisted" or m.startswith("twisted."))
print(",".join(bad))
"""


def _run(code):
    env = dict(os.environ)
    env["PYTHONPATH"] = SRC + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )


def test_importing_txh11_does_not_import_twisted():
    proc = _run(CHECK)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", "twisted modules imported: " + proc.stdout


def test_the_check_can_detect_twisted():
    # guard against a vacuous test: the same check does see twisted when it
    # is imported (skipped if twisted is not installed at all)
    probe = _run("import twisted")
    if probe.returncode != 0:
        import pytest

        pytest.skip("twisted not installed")
    proc = _run("import twisted\n" + CHECK)
    assert proc.returncode == 0, proc.stderr
    assert "twisted" in proc.stdout
