"""SIGTERM under 50 busy keep-alive clients: no request lost, every close announced."""

import signal

from tests._support.e2e import BusyClient, runBusyClients, waitForAnswers

CLIENTS = 50
ROUNDS = 5


def test_sigterm_loses_no_request_of_50_busy_keep_alive_clients(twistd):
    for round in range(ROUNDS):
        server = twistd("--echo", "--listen", "tcp:0:interface=127.0.0.1", "--shutdown-timeout", "20")
        clients = [BusyClient(server.port, maxSeconds=40) for _ in range(CLIENTS)]
        for client in clients:
            client.start()
        waitForAnswers(clients, 3)
        server.signal(signal.SIGTERM)
        runBusyClients(clients, timeout=30)
        assert server.wait(20) in (0, -signal.SIGTERM)  # by itself, drained
        answered = sum(c.answered for c in clients)
        lost = sum(c.lost for c in clients)
        unannounced = sum(c.unannounced for c in clients)
        errors = [e for c in clients for e in c.errors]
        assert (lost, unannounced, errors) == (0, 0, []), (round, answered, server.output[-3000:])
        assert "Traceback" not in server.output
        assert "still busy" not in server.output
