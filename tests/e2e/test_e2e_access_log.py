"""``twistd -n txh11 --path DIR`` without ``--access-log``: every response
has its Combined Log Format line in twistd's own log, one per line, in order."""

import http.client

from tests._support.e2e import get

LINE = r'\[txh11\.access#info\] "127\.0\.0\.1" - - \[[^]]+\] "GET /{} HTTP/1\.1" {} {} "-" "e2e"'


def test_default_access_log_in_twistds_log(tmp_path, twistd):
    www = tmp_path / "www"
    www.mkdir()
    (www / "hello.txt").write_bytes(b"Hello, world!\n")
    server = twistd("--path", str(www), "--listen", "tcp:0:interface=127.0.0.1")
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    for target in ("hello.txt", "nope", "hello.txt"):
        c.request("GET", "/" + target, headers={"User-Agent": "e2e"})
        c.getresponse().read()
    c.close()
    server.waitFor(LINE.format("hello.txt", 200, 14), count=2)
    server.waitFor(LINE.format("nope", 404, r"\d+"))
    # the three lines in the order of the responses, none lost or repeated
    out = server.output
    assert out.count('"GET /hello.txt HTTP/1.1"') == 2
    assert out.count('"GET /nope HTTP/1.1"') == 1
    assert out.index('"GET /nope') < out.rindex('"GET /hello.txt')
    assert get(server.port, "/hello.txt")[0] == 200
