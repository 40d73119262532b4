"""Make ``src/`` importable when txh11 is not installed; the ``twistd`` fixture."""

import sys

import pytest
from e2e_helpers import SRC, Twistd

try:
    import txh11  # noqa: F401
except ImportError:
    sys.path.insert(0, SRC)


@pytest.fixture
def twistd(tmp_path):
    """Start ``twistd -n txh11 ...`` processes; every one is killed afterwards."""
    started = []

    def start(*args, cwd=None, twistdArgs=(), env=None, wait=True, python=None):
        server = Twistd(
            list(args), cwd=str(cwd or tmp_path), twistdArgs=list(twistdArgs), env=env, python=python
        )
        started.append(server)
        server.start()
        if wait:
            server.waitListening()
        return server

    yield start
    for server in started:
        server.kill()
