"""SIGHUP to the ``--workers`` supervisor: new workers one at a time, no failed request."""

import os
import re
import signal
import time

from tests._support.e2e import BusyClient, runBusyClients, waitForAnswers

CLIENTS = 8


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_sighup_replaces_the_workers_without_a_failed_request(twistd):
    server = twistd("--echo", "--workers", "2", "--listen", "tcp:0:interface=127.0.0.1",
                    "--shutdown-timeout", "20", wait=False)
    server.waitFor(r"worker \d+ \[\d+\] .*txh11 listening on", count=2, timeout=30)
    old = [int(m[1]) for m in re.finditer(r"worker \d+ started, pid (\d+)", server.output)]
    assert len(old) == 2

    clients = [BusyClient(server.port, reconnect=True, maxSeconds=90) for _ in range(CLIENTS)]
    for client in clients:
        client.start()
    try:
        waitForAnswers(clients, 3)
        server.signal(signal.SIGHUP)
        server.waitFor(r"rolling restart done", timeout=60)
        time.sleep(0.5)  # the clients go on with the new workers
    finally:
        for client in clients:
            client.stop()
        runBusyClients(clients, timeout=30)

    new = [int(m[1]) for m in re.finditer(r"worker \d+ started, pid (\d+)", server.output)][2:]
    assert len(new) == 2 and not set(new) & set(old), server.output
    assert server.output.count("listening, old") == 2  # one at a time, each after the new listened
    lost = sum(c.lost for c in clients)
    unannounced = sum(c.unannounced for c in clients)
    errors = [e for c in clients for e in c.errors]
    assert (lost, unannounced, errors) == (0, 0, []), server.output[-3000:]
    served = set().union(*(c.pids for c in clients))
    assert set(new) <= served, (new, served)
    assert all(c.answered > 0 for c in clients)
    assert not any(map(_alive, old))
    assert server.stop() in (0, -signal.SIGTERM)
    assert "Traceback" not in server.output
