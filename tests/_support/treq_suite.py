"""
Run treq's own test suite (the ``treq.test`` package that ships with treq)
with ``twisted.web.client.Agent`` replaced by ``txh11.client.Agent`` before
treq is imported, so every agent treq or its tests build is txh11's, given
Twisted's ``HTTPConnectionPool`` wherever treq passes one.

    python tests/_support/treq_suite.py [--twisted-pool] [trial arguments]   # default: treq

With ``--twisted-pool`` an agent made without a pool gets a persistent
``twisted.web.client.HTTPConnectionPool`` of its own (idle connections
expire after 0.05 s, so that treq's tearDown, which waits until no client
socket is left, does not wait long): treq's integration tests then run
against httpbin with keep-alive through Twisted's pool.

Without ``httpbin`` (treq's integration tests serve it in a child process)
those tests are left out and the run says so on stderr.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

import twisted.web.client

import txh11.client


class _PooledAgent(txh11.client.Agent):
    """txh11's Agent with a persistent Twisted pool when given none."""

    def __init__(
        self,
        reactor: Any,
        contextFactory: Any = twisted.web.client.BrowserLikePolicyForHTTPS(),
        connectTimeout: Any = None,
        bindAddress: Any = None,
        pool: Any = None,
    ) -> None:
        if pool is None:
            pool = twisted.web.client.HTTPConnectionPool(reactor, persistent=True)
            pool.cachedConnectionTimeout = 0.05
        super().__init__(reactor, contextFactory, connectTimeout, bindAddress, pool)


def main(argv: list[str]) -> None:
    agent: Any = txh11.client.Agent
    if argv[:1] == ["--twisted-pool"]:
        argv, agent = argv[1:], _PooledAgent
    twisted.web.client.Agent = agent  # type: ignore[misc]
    sys.stderr.write(f"treq runs on {txh11.client.Agent.__module__}.Agent ({agent.__name__})\n")
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
