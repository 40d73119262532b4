"""The ``twistd`` fixture."""

import pytest
import trustme
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


@pytest.fixture
def certificate(tmp_path):
    """(CA, key file, certificate file) for ``localhost`` and 127.0.0.1."""
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    key, chain = tmp_path / "key.pem", tmp_path / "cert.pem"
    cert.private_key_pem.write_to_path(str(key))
    cert.cert_chain_pems[0].write_to_path(str(chain))
    return ca, key, chain
