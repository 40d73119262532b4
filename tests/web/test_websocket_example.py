"""examples/websocket_echo.py (the native way: switchProtocols and a 101, wsproto
for the frames), run as a program and driven by the ``websockets`` client."""

import os
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request

from tests._support.e2e import ROOT, childEnv
from tests.web.test_websocket import BIG, session

EXAMPLE = os.path.join(ROOT, "examples", "websocket_echo.py")


def test_websocket_echo_example(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, EXAMPLE, "tcp:0:interface=127.0.0.1"],
        cwd=str(tmp_path), env=childEnv(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )
    timer = threading.Timer(30, proc.kill)
    timer.start()
    try:
        line = proc.stdout.readline()
        m = re.match(r"websocket echo listening on 127\.0\.0\.1:(\d+)", line)
        assert m, line
        port = int(m[1])
        seen = session(f"ws://127.0.0.1:{port}/")
        assert seen["text"] == "hello" and seen["binary"] and len(BIG) == 300_000
        assert seen["fifty"] == [f"message {i}" for i in range(50)]
        assert seen["pong"] and seen["close"] == (1000, True)
        # a plain request is refused with 426
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10)
            raise AssertionError("no 426")
        except urllib.error.HTTPError as e:
            assert e.code == 426
    finally:
        timer.cancel()
        proc.kill()
        proc.wait(10)
        proc.stdout.close()
