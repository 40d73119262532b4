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
    # The rest are seen by no test of these suites today; listed so that the
    # list is the whole of docs/security.rst's "Differences from h11".
    Deviation(
        name="cl-te-request",
        why="a request with both Content-Length and Transfer-Encoding is a 400, where h11 frames it "
        "by Transfer-Encoding (RFC 9112 6.1, 11.2: the request-smuggling vector)",
        suite="",
        tests=(),
    ),
    Deviation(
        name="response-major-version",
        why="a status line of another major version (HTTP/2.0 200) is a RemoteProtocolError (hint "
        "505) for a client, where h11 returns a Response (RFC 9110 6.2)",
        suite="",
        tests=(),
    ),
    Deviation(
        name="content-length-list",
        why="Content-Length: 5, 5 is a 400 and repeated Content-Length headers are kept as received, "
        "where h11 accepts the list and merges the headers into one (RFC 9110 8.6)",
        suite="",
        tests=(),
    ),
    Deviation(
        name="strict-head",
        why="bare LF line endings, obs-fold in a request, Transfer-Encoding in an HTTP/1.0 message and "
        "an invalid Host value are 400s, where h11 accepts them (RFC 9112 2.2, 5.2, 6.1, 3.2)",
        suite="",
        tests=(),
    ),
    Deviation(
        name="http10-keep-alive",
        why="an HTTP/1.0 request with Connection: keep-alive keeps the connection (the response says "
        "Connection: keep-alive), where h11 closes it (RFC 9112 Appendix C.2.2)",
        suite="",
        tests=(),
    ),
)
