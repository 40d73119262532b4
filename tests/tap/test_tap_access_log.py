"""
Access log lines leave once per reactor turn with every line of that turn:
to ``--access-log``'s file (one write) or, without it, to twistd's log (one
event).  Each response still has its own line, in order.
"""

from __future__ import annotations

from twisted.internet.task import Clock
from twisted.logger import capturedLogs
from twisted.web.server import Request
from twisted.web.test.requesthelper import DummyChannel

from txh11.tap._site import AccessLog, TwistdAccessLog


def finished(path: bytes) -> Request:
    request = Request(DummyChannel())
    request.method = b"GET"
    request.uri = path
    request.clientproto = b"HTTP/1.1"
    request.code = 200
    request.sentLength = 14
    request.requestHeaders.addRawHeader(b"User-Agent", b"tester")
    return request


class Counting:
    """A text file that counts its writes."""

    def __init__(self):
        self.writes = []
        self.flushes = 0

    def write(self, text):
        self.writes.append(text)

    def flush(self):
        self.flushes += 1

    def close(self):
        pass


def test_file_lines_of_a_turn_in_one_write(tmp_path, monkeypatch):
    clock = Clock()
    log = AccessLog(str(tmp_path / "access.log"), clock)
    log.open()
    out = Counting()
    monkeypatch.setattr(log, "_file", out)
    for i in range(3):
        log.log(finished(b"/%d" % i))
    assert out.writes == []
    clock.advance(0)
    assert len(out.writes) == 1 and out.flushes == 1
    lines = out.writes[0].splitlines()
    assert [line.split('"')[3] for line in lines] == ["GET /0 HTTP/1.1", "GET /1 HTTP/1.1",
                                                      "GET /2 HTTP/1.1"]
    assert all(line.endswith(' 200 14 "-" "tester"') for line in lines)
    assert out.writes[0].endswith("\n")
    log.log(finished(b"/last"))
    log.close()  # what is held goes before the file closes
    assert len(out.writes) == 2 and "GET /last HTTP/1.1" in out.writes[1]
    assert not clock.getDelayedCalls()


def test_twistd_log_gets_one_event_per_turn():
    clock = Clock()
    log = TwistdAccessLog(clock)
    with capturedLogs() as events:
        log.log(finished(b"/a"))
        log.log(finished(b"/b"))
        assert [e for e in events if e.get("log_namespace") == "txh11.access"] == []
        clock.advance(0)
        log.log(finished(b"/c"))
        log.close()
    access = [e for e in events if e.get("log_namespace") == "txh11.access"]
    assert len(access) == 2
    first = access[0]["lines"].split("\n")
    assert [line.split('"')[3] for line in first] == ["GET /a HTTP/1.1", "GET /b HTTP/1.1"]
    assert "GET /c HTTP/1.1" in access[1]["lines"]
    assert not clock.getDelayedCalls()


def test_time_stamp_follows_the_clock():
    clock = Clock()
    clock.advance(86400 * 365)  # 1971-01-01
    log = TwistdAccessLog(clock)
    with capturedLogs() as events:
        log.log(finished(b"/a"))
        clock.advance(3600)
        log.log(finished(b"/b"))
        log.close()
    lines = "\n".join(e["lines"] for e in events if "lines" in e).split("\n")
    assert "[01/Jan/1971:00:00:00 +0000]" in lines[0]
    assert "[01/Jan/1971:01:00:00 +0000]" in lines[1]
