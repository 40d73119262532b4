"""
treq's whole test suite passes with txh11's Agent in place of Twisted's
(tests/_support/treq_suite.py swaps it before treq is imported): its API
tests give the agent Twisted's ``HTTPConnectionPool`` (including subclasses
that count ``getConnection`` calls), its stubbing tests run the agent over
``iosim`` through ``Agent.usingEndpointFactory``, its integration tests talk
to httpbin on 127.0.0.1 over HTTP and HTTPS.  Twice: as treq's tests make
their agents, and with ``--twisted-pool`` (an agent made without a pool gets
a persistent Twisted ``HTTPConnectionPool``, so the integration tests run
with keep-alive through Twisted's pool, over TLS too).  About 10 s each.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

RUNNER = Path(__file__).resolve().parents[1] / "_support" / "treq_suite.py"


@pytest.mark.parametrize("mode", [[], ["--twisted-pool"]], ids=["as-is", "twisted-pool"])
def test_treqs_own_suite_passes_on_txh11s_agent(tmp_path: Path, mode: list) -> None:
    pytest.importorskip("treq.test.test_api", reason="treq (with its tests) is not installed")
    out = subprocess.run(
        [sys.executable, str(RUNNER), *mode],
        cwd=tmp_path,  # trial writes _trial_temp here
        capture_output=True,
        text=True,
        timeout=180,
        env=dict(os.environ, PYTHONWARNINGS="ignore"),
    )
    tail = out.stdout[-3000:] + out.stderr[-2000:]
    assert "treq runs on txh11.client.Agent" in out.stderr, tail
    assert out.returncode == 0, tail
    ran = re.search(r"^Ran (\d+) tests", out.stdout, re.M)
    assert ran and "PASSED" in out.stdout, tail
    # treq 26.7: 248 tests, 45 of them integration tests needing httpbin
    assert int(ran.group(1)) >= (240 if "left out" not in out.stderr else 150), tail
