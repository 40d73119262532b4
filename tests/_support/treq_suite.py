"""
Run treq's own test suite (the ``treq.test`` package that ships with treq)
with ``twisted.web.client.Agent`` replaced by ``txh11.client.Agent`` before
treq is imported, so every agent treq or its tests build is txh11's, given
Twisted's ``HTTPConnectionPool`` wherever treq passes one.

    python tests/_support/treq_suite.py [trial arguments]   # default: treq

Without ``httpbin`` (treq's integration tests serve it in a child process)
those tests are left out and the run says so on stderr.
"""

from __future__ import annotations

import importlib.util
import sys

import twisted.web.client

import txh11.client


def main(argv: list[str]) -> None:
    twisted.web.client.Agent = txh11.client.Agent  # type: ignore[misc]
    sys.stderr.write(f"treq runs on {twisted.web.client.Agent.__module__}.Agent\n")
    from twisted.scripts.trial import run

    targets = argv or ["treq"]
    if targets == ["treq"] and importlib.util.find_spec("httpbin") is None:
        sys.stderr.write("httpbin is not installed: treq's integration tests left out\n")
        targets = [
            "treq.test.test_agentspy", "treq.test.test_api", "treq.test.test_auth",
            "treq.test.test_client", "treq.test.test_content", "treq.test.test_cookies",
            "treq.test.test_multipart", "treq.test.test_response", "treq.test.test_testing",
        ]
    sys.argv = ["trial", *targets]
    run()


if __name__ == "__main__":
    main(sys.argv[1:])
