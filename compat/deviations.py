"""The deliberate differences between txh11 and h11 0.16.0 that the test
suites of h11's users can see: each one documented in docs/security.rst
(the RFC section that asks for it) and tested in tests/core.

The compat harness (``run.py``) does not count a test that fails only under
txh11 when it is listed here.
"""

from typing import NamedTuple, Tuple


class Deviation(NamedTuple):
    #: short name, as in docs/security.rst
    name: str
    #: what txh11 does instead, and why
    why: str
    #: the suite whose tests see it
    suite: str
    #: test ids (or their ends) that fail because of it
    tests: Tuple[str, ...]


DEVIATIONS: Tuple[Deviation, ...] = (
    Deviation(
        name="head-size-limit",
        why=(
            "max_incomplete_event_size also bounds a head that arrives complete: h11 checks "
            "it only while the head is unfinished, so whether a 70 KiB head passes depends on "
            "how the peer's bytes were split (h11's own tracker calls that a bug); txh11 "
            "answers 431 either way (RFC 9112 2.3 and 5, RFC 6585 5)"
        ),
        suite="uvicorn",
        tests=("tests.protocols.test_http::test_huge_headers_h11_max_incomplete",),
    ),
)
