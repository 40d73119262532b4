"""The ``twistd`` fixture."""

import pytest
from tests._support.e2e import Twistd


@pytest.fixture
def twistd(tmp_path):
    """Start ``twistd -n txh11 ...`` processes; every one is killed afterwards."""
    started = []

    def start(*args, cwd=None, twistdArgs=(), env=None, wait=True, python=None, prefix=()):
        server = Twistd(
            list(args), cwd=str(cwd or tmp_path), twistdArgs=list(twistdArgs), env=env,
            python=python, prefix=prefix,
        )
        started.append(server)
        server.start()
        if wait:
            server.waitListening()
        return server

    yield start
    for server in started:
        server.kill()
