"""
Helpers for the end-to-end tests: a real ``twistd -n txh11`` subprocess on
127.0.0.1, raw HTTP/1.1 over sockets, bounded waits everywhere.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Optional

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "src"))
ROOT = os.path.dirname(SRC)

_LISTENING = re.compile(
    r"txh11 listening on (?P<desc>.*) \(\[?(?P<host>[^()\[\]]*)\]?:(?P<port>\d+)\)"
)


RUN_TWISTD = "import sys; from twisted.scripts.twistd import run; sys.exit(run())"


def twistdCommand() -> list[str]:
    """``twistd`` of the running interpreter."""
    script = os.path.join(os.path.dirname(sys.executable), "twistd")
    if os.path.exists(script):
        return [sys.executable, script]
    return [sys.executable, "-c", RUN_TWISTD]


def childEnv(extra: Optional[dict] = None) -> dict:
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("LISTEN_FDS", None)
    env.pop("LISTEN_PID", None)
    # src/ importable even without the editable install
    env["PYTHONPATH"] = os.pathsep.join(p for p in (SRC, env.get("PYTHONPATH")) if p)
    if extra:
        env.update(extra)
    return env


def runTwistd(args: list[str], cwd: str, timeout: float = 30, twistdArgs=()) -> subprocess.CompletedProcess:
    """Run ``twistd -n txh11 ARGS`` to completion (for commands that fail at once)."""
    return subprocess.run(
        [*twistdCommand(), "-n", "--pidfile=", *twistdArgs, "txh11", *args],
        cwd=cwd,
        env=childEnv(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=timeout,
        text=True,
    )


class Twistd:
    """One ``twistd -n txh11 ...`` process and its output."""

    def __init__(
        self, args: list[str], cwd: str, twistdArgs=(), env=None, python=None, prefix=(), passFds=()
    ) -> None:
        """
        ``python``: run twistd with that interpreter, in its own environment.
        ``prefix``: a command that ends by exec'ing the arguments after it
        (twistd's command line); ``passFds``: descriptors it inherits.
        """
        self.args = args
        self.cwd = cwd
        self.twistdArgs = list(twistdArgs)
        self.python = python
        self.prefix = list(prefix)
        self.passFds = list(passFds)
        if python is None:
            self.env = childEnv(env)
        else:
            self.env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
            self.env.update(env or {})
        self.proc: Optional[subprocess.Popen] = None
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self._reader: Optional[threading.Thread] = None
        self.stdoutEOF = False

    @property
    def command(self) -> list[str]:
        twistd = twistdCommand() if self.python is None else [self.python, "-c", RUN_TWISTD]
        return [*twistd, "-n", "--pidfile=", *self.twistdArgs, "txh11", *self.args]

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [*self.prefix, *self.command],
            cwd=self.cwd,
            env=self.env,
            pass_fds=self.passFds,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: workers die with it
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for raw in self.proc.stdout:
            with self._cond:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self.stdoutEOF = True
            self._cond.notify_all()

    @property
    def output(self) -> str:
        with self._cond:
            return "\n".join(self.lines)

    def waitFor(self, pattern: str, timeout: float = 15.0, count: int = 1) -> list[re.Match]:
        """Wait until ``count`` output lines match ``pattern``; return the matches."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [m for m in map(regex.search, self.lines) if m]
                if len(found) >= count:
                    return found
                if self.stdoutEOF:
                    raise AssertionError(
                        f"twistd exited ({self.proc.poll()}) before {pattern!r}:\n" + "\n".join(self.lines)
                    )
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no {pattern!r} within {timeout}s:\n" + "\n".join(self.lines))
                self._cond.wait(remaining)

    def waitListening(self, count: Optional[int] = None, timeout: float = 20.0) -> None:
        expected = count or sum(1 for a in self.args if a.startswith("--listen")) or 1
        self.waitFor(r"txh11 listening on ", timeout=timeout, count=expected)

    def addresses(self) -> list[tuple[str, int]]:
        return [(m["host"], int(m["port"])) for m in map(_LISTENING.search, self.lines) if m]

    @property
    def port(self) -> int:
        return self.addresses()[0][1]

    def signal(self, sig: int = signal.SIGTERM) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 20.0) -> int:
        assert self.proc is not None
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"twistd still running after {timeout}s:\n{self.output}")

    def waitEOF(self, timeout: float = 10.0) -> None:
        """Wait until all output is in (end of file on the pipe)."""
        if self._reader is not None:
            self._reader.join(timeout)

    def stop(self, timeout: float = 20.0) -> int:
        self.signal(signal.SIGTERM)
        return self.wait(timeout)

    def kill(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        else:
            # workers of a dead supervisor stop by themselves; make sure anyway
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def _hexAddress(text: str) -> tuple[str, int]:
    """``0100007F:1F90`` (from /proc/net/tcp) -> ``("127.0.0.1", 8080)``."""
    host, port = text.split(":")
    raw = bytes.fromhex(host)
    # the kernel prints each 32-bit word in host byte order
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    family = socket.AF_INET if len(raw) == 4 else socket.AF_INET6
    return socket.inet_ntop(family, words if sys.byteorder == "little" else raw), int(port, 16)


def listeningAddresses(pid: int) -> list[tuple[str, int]]:
    """
    The TCP addresses that process ``pid`` listens on, read from /proc (its
    own descriptors, in its own network namespace).
    """
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    found = []
    for table in ("tcp", "tcp6"):
        with open(f"/proc/{pid}/net/{table}") as f:
            for line in list(f)[1:]:
                fields = line.split()
                if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                    found.append(_hexAddress(fields[1]))
    return found


def ownNetworkNamespace() -> list[str]:
    """
    A command prefix that runs a command in a network namespace of its own
    (``unshare -rn``: its own loopback, nothing else), so that a test can
    use a fixed port; ``[]`` where this system does not allow it.
    """
    try:
        done = subprocess.run(["unshare", "-rn", "true"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return ["unshare", "-rn"] if done.returncode == 0 else []


def connect(port: int, host: str = "127.0.0.1", timeout: float = 10.0) -> socket.socket:
    s = socket.create_connection((host, port), timeout=timeout)
    return s


def readResponse(sock: socket.socket, head: bool = False) -> tuple[int, dict, bytes]:
    """
    Read one response from ``sock``: (status, headers, body). Bodies framed
    by Content-Length, chunked, or the end of the connection.
    """
    f = sock.makefile("rb")
    try:
        status = int(f.readline().split()[1])
        headers: dict[str, str] = {}
        while True:
            line = f.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if head or status in (204, 304) or 100 <= status < 200:
            return status, headers, b""
        if "chunked" in headers.get("transfer-encoding", "").lower():
            parts = []
            while True:
                size = int(f.readline().split(b";")[0], 16)
                if size == 0:
                    while f.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                parts.append(f.read(size))
                f.readline()
            return status, headers, b"".join(parts)
        if "content-length" in headers:
            return status, headers, f.read(int(headers["content-length"]))
        return status, headers, f.read()
    finally:
        f.close()


def request(port: int, raw: bytes, host: str = "127.0.0.1", timeout: float = 10.0) -> tuple[int, dict, bytes]:
    """Send ``raw`` on a new connection; read one response."""
    with connect(port, host, timeout) as s:
        s.sendall(raw)
        return readResponse(s)


def get(port: int, target: str = "/", headers: str = "", host: str = "127.0.0.1") -> tuple[int, dict, bytes]:
    raw = f"GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{headers}\r\n".encode()
    return request(port, raw, host)


class BusyClient(threading.Thread):
    """
    A client that loops keep-alive GETs on one connection, sending the next
    request as soon as it has read a response, until the server closes the
    connection (``reconnect``: then it opens another and goes on, until
    :meth:`stop`). Bounded: at most ``maxRequests`` requests and
    ``maxSeconds`` seconds.

    ``answered`` counts the responses read in full; ``lost`` the requests
    sent in full that got no response (the connection closed or was reset
    first); ``unannounced`` the connections the server closed after a
    response that did not say ``Connection: close``; ``pids`` the
    ``server.pid`` of each ``--echo`` answer.
    """

    def __init__(self, port: int, reconnect: bool = False, maxRequests: int = 100_000,
                 maxSeconds: float = 60.0) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.reconnect = reconnect
        self.maxRequests = maxRequests
        self.maxSeconds = maxSeconds
        self.answered = 0
        self.lost = 0
        self.unannounced = 0
        self.connections = 0
        self.pids: set[int] = set()
        self.errors: list[str] = []
        self._halt = threading.Event()

    def stop(self) -> None:
        self._halt.set()

    def run(self) -> None:
        import json

        deadline = time.monotonic() + self.maxSeconds
        sent = 0
        while not self._halt.is_set() and time.monotonic() < deadline and sent < self.maxRequests:
            try:
                sock = connect(self.port, timeout=10)
            except OSError as e:
                if not self.reconnect:
                    return  # not listening any more: nothing was sent
                self.errors.append(f"connect: {e}")
                return
            self.connections += 1
            with sock:
                closeSaid = False
                while not self._halt.is_set() and sent < self.maxRequests:
                    try:
                        sock.sendall(b"GET /busy HTTP/1.1\r\nHost: localhost\r\n\r\n")
                    except OSError:
                        break  # closed before the request went out: not lost
                    sent += 1
                    try:
                        status, headers, body = readResponse(sock)
                    except (OSError, ValueError, IndexError):
                        self.lost += 1
                        break
                    if status != 200:
                        self.errors.append(f"status {status}")
                        break
                    self.answered += 1
                    self.pids.add(json.loads(body)["server"]["pid"])
                    if headers.get("connection", "").lower() == "close":
                        closeSaid = True
                        break
                if not closeSaid and not self._halt.is_set() and sent < self.maxRequests:
                    self.unannounced += 1
            if not self.reconnect:
                return


def runBusyClients(clients: list[BusyClient], timeout: float = 30.0) -> None:
    """Wait for every client to finish (bounded); fail if one does not."""
    deadline = time.monotonic() + timeout
    for client in clients:
        client.join(max(0.0, deadline - time.monotonic()))
    stuck = [c for c in clients if c.is_alive()]
    assert not stuck, f"{len(stuck)} client(s) still running after {timeout}s"


def waitForAnswers(clients: list[BusyClient], count: int, timeout: float = 20.0) -> None:
    """Wait until every client has had ``count`` answers (bounded)."""
    deadline = time.monotonic() + timeout
    while any(c.answered < count for c in clients):
        assert time.monotonic() < deadline, "clients too slow to get going"
        time.sleep(0.01)
