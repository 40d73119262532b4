"""A pytest plugin the harness loads (``-p compat_probe``) into every suite
it runs: it records which ``h11`` the suite really imported, so that a run
meant to be on txh11 can prove it was, and one meant to be on h11 that it
was not."""

import json
import os


def pytest_sessionfinish(session, exitstatus):  # type: ignore[no-untyped-def]
    import h11

    try:
        import txh11
    except ImportError:
        txh11 = None
    report = {
        "h11_file": h11.__file__,
        "h11_version": getattr(h11, "__version__", None),
        "is_txh11": txh11 is not None and h11.Connection is txh11.Connection,
    }
    with open(os.environ["COMPAT_PROBE_OUT"], "w") as f:
        json.dump(report, f)
