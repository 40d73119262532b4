"""examples/embedding.py: txh11's Site, a line protocol and the native server in one reactor."""

import os
import re
import signal
import socket
import subprocess
import sys
import threading

from tests._support.e2e import ROOT, childEnv, get

EXAMPLE = os.path.join(ROOT, "examples", "embedding.py")


def test_embedding_example(tmp_path):
    local = "tcp:0:interface=127.0.0.1"
    proc = subprocess.Popen(
        [sys.executable, EXAMPLE, local, local, local],
        cwd=str(tmp_path), env=childEnv(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )
    try:
        ports = {}
        timer = threading.Timer(20, proc.kill)
        timer.start()
        try:
            while len(ports) < 3:
                line = proc.stdout.readline()
                assert line, "the example exited early"
                m = re.match(r"(\w+) listening on 127\.0\.0\.1:(\d+)", line)
                if m:
                    ports[m[1]] = int(m[2])
        finally:
            timer.cancel()

        with socket.create_connection(("127.0.0.1", ports["echo"]), timeout=10) as s:
            s.sendall(b"one\ntwo\n")
            got = b""
            while got.count(b"\n") < 2:
                chunk = s.recv(100)
                assert chunk
                got += chunk
        assert got == b"one\ntwo\n"

        assert get(ports["web"], "/")[::2] == (200, b"lines echoed so far: 2\n")
        status, _, body = get(ports["native"], "/")
        assert status == 200 and body.startswith(b"txh11/") and body.endswith(b" ok\n")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        proc.stdout.close()
