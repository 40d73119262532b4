"""Request bodies into request.content, limits, and error responses."""

from __future__ import annotations

import tempfile
from io import BytesIO

from twisted.logger import globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET

import txh11 as h11

from tests._support.web import feed, get, parse, serve



class WrongLength(Resource):
    """Declares Content-Length ``declared`` and writes ``body``."""

    isLeaf = True

    def __init__(self, declared: bytes, body: bytes) -> None:
        super().__init__()
        self.declared = declared
        self.body = body

    def render(self, request):
        request.setHeader(b"Content-Length", self.declared)
        request.write(self.body)
        request.finish()
        return NOT_DONE_YET

class Echo(Resource):
    """Answers with the body it read from request.content."""

    isLeaf = True

    def __init__(self):
        super().__init__()
        self.requests = []

    def render_POST(self, request):
        self.requests.append(request)
        self.contentType = type(request.content)
        return b"%d:" % len(request.content.getvalue() if hasattr(request.content, "getvalue") else b"") + request.content.read()

    render_PUT = render_POST

    def render_GET(self, request):
        self.requests.append(request)
        return b"get"


def post(path, body, *headers, chunked=False, method=b"POST"):
    if chunked:
        framed = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in body if c) + b"0\r\n\r\n"
        return get(path, b"Transfer-Encoding: chunked", *headers, method=method) + framed
    return get(path, b"Content-Length: %d" % len(body), *headers, method=method) + body


class BodyTests(SynchronousTestCase):
    def check_small(self, bytewise):
        echo = Echo()
        proto, transport, clock, site = serve(echo)
        feed(proto, clock, post(b"/", b"hello world") + get(b"/"), bytewise)
        r1, r2 = parse(transport.value(), [b"POST", b"GET"])
        self.assertEqual(r1.body, b"11:hello world")
        self.assertEqual(r2.body, b"get")
        self.assertIs(echo.contentType, BytesIO)

    def test_small_body_in_memory(self):
        self.check_small(False)

    def test_small_body_bytewise(self):
        self.check_small(True)

    def test_large_body_goes_to_a_temporary_file(self):
        seen = []

        class R(Resource):
            isLeaf = True

            def render_PUT(self, request):
                seen.append(request.content)
                data = request.content.read()
                return b"%d %d" % (len(data), data.count(b"x"))

        proto, transport, clock, site = serve(R())
        body = b"x" * 300_000
        data = get(b"/", b"Content-Length: %d" % len(body), method=b"PUT")
        proto.dataReceived(data)
        for i in range(0, len(body), 16384):
            proto.dataReceived(body[i : i + 16384])
        (r,) = parse(transport.value(), [b"PUT"])
        self.assertEqual(r.body, b"300000 300000")
        self.assertNotIsInstance(seen[0], (BytesIO, tempfile.SpooledTemporaryFile))
        self.assertTrue(seen[0].closed)  # closed when the request finished

    def test_chunked_body_is_spooled(self):
        seen = []

        class R(Resource):
            isLeaf = True

            def render_POST(self, request):
                seen.append((request.content, request.content._rolled))
                return request.content.read()

        proto, transport, clock, site = serve(R(), contentMemoryThreshold=1000)
        feed(proto, clock, post(b"/", [b"abc", b"defg"], chunked=True))
        feed(proto, clock, post(b"/", [b"y" * 600, b"z" * 600], chunked=True))
        r1, r2 = parse(transport.value(), [b"POST", b"POST"])
        self.assertEqual(r1.body, b"abcdefg")
        self.assertEqual(r2.body, b"y" * 600 + b"z" * 600)
        self.assertIsInstance(seen[0][0], tempfile.SpooledTemporaryFile)
        self.assertEqual([rolled for _, rolled in seen], [False, True])

    def test_chunked_body_bytewise(self):
        echo = Echo()
        proto, transport, clock, site = serve(echo)
        feed(proto, clock, post(b"/", [b"abc", b"de"], chunked=True) + get(b"/"), True)
        r1, r2 = parse(transport.value(), [b"POST", b"GET"])
        self.assertTrue(r1.body.endswith(b"abcde"))
        self.assertEqual(r2.body, b"get")

    def test_form_arguments(self):
        class R(Resource):
            isLeaf = True

            def render_POST(self, request):
                return b",".join(sorted(k + b"=" + v[0] for k, v in request.args.items()))

        proto, transport, clock, site = serve(R())
        feed(proto, clock, post(b"/?q=1", b"a=2&b=3",
                                b"Content-Type: application/x-www-form-urlencoded"))
        (r,) = parse(transport.value(), [b"POST"])
        self.assertEqual(r.body, b"a=2,b=3,q=1")

    def test_broken_multipart_is_400(self):
        echo = Echo()
        proto, transport, clock, site = serve(echo)
        feed(proto, clock, post(b"/", b"--xx\r\nnonsense",
                                b"Content-Type: multipart/form-data"))
        (r,) = parse(transport.value(), [b"POST"])
        self.assertEqual(r.status, 400)
        self.assertEqual(echo.requests, [])
        self.assertTrue(transport.disconnecting)

    def test_expect_100_continue(self):
        echo = Echo()
        proto, transport, clock, site = serve(echo)
        proto.dataReceived(get(b"/", b"Content-Length: 5", b"Expect: 100-continue", method=b"POST"))
        self.assertEqual(transport.value(), b"HTTP/1.1 100 Continue\r\n\r\n")
        proto.dataReceived(b"hello")
        (r,) = parse(transport.value(), [b"POST"])
        self.assertEqual([i.status_code for i in r.informational], [100])
        self.assertEqual(r.body, b"5:hello")

    def test_max_body_size_declared(self):
        echo = Echo()
        proto, transport, clock, site = serve(echo, maxBodySize=10)
        feed(proto, clock, post(b"/", b"0123456789"))
        feed(proto, clock, get(b"/", b"Content-Length: 11", method=b"POST"))
        r1, r2 = parse(transport.value(), [b"POST", b"POST"])
        self.assertEqual(r1.body, b"10:0123456789")
        self.assertEqual(r2.status, 413)
        self.assertEqual(len(echo.requests), 1)
        self.assertTrue(transport.disconnecting)

    def test_max_body_size_chunked(self):
        echo = Echo()
        proto, transport, clock, site = serve(echo, maxBodySize=10)
        feed(proto, clock, post(b"/", [b"012345", b"6789abc"], chunked=True))
        (r,) = parse(transport.value(), [b"POST"])
        self.assertEqual(r.status, 413)
        self.assertEqual(echo.requests, [])
        self.assertTrue(transport.disconnecting)


class ErrorTests(SynchronousTestCase):
    def setUp(self):
        self.events = []
        globalLogPublisher.addObserver(self.events.append)
        self.addCleanup(globalLogPublisher.removeObserver, self.events.append)

    def check_rejected(self, data, status, bytewise=False):
        echo = Echo()
        proto, transport, clock, site = serve(echo)
        feed(proto, clock, data, bytewise)
        raw = transport.value()
        self.assertTrue(raw.startswith(b"HTTP/1.1 %d " % status), raw)
        self.assertTrue(transport.disconnecting)
        self.assertEqual(echo.requests, [])
        self.assertTrue(any("protocol error" in str(e.get("log_format", "")) for e in self.events))

    def test_malformed_request_line(self):
        self.check_rejected(b"GET / HTTP/1.1 extra\r\nHost: a\r\n\r\n", 400)

    def test_malformed_bytewise(self):
        self.check_rejected(b"GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n", 400, True)

    def test_smuggling_is_refused(self):
        self.check_rejected(
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400)

    def test_headers_too_large(self):
        self.check_rejected(b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"a" * 20000 + b"\r\n\r\n", 431)

    def test_resource_exception_is_500(self):
        class Boom(Resource):
            isLeaf = True

            def render(self, request):
                raise ZeroDivisionError("boom")

        proto, transport, clock, site = serve(Boom())
        feed(proto, clock, get(b"/") + get(b"/"))
        r1, r2 = parse(transport.value(), [b"GET", b"GET"])
        self.assertEqual((r1.status, r2.status), (500, 500))
        self.assertIn(b"Processing Failed", r1.body)
        self.assertEqual(len(self.flushLoggedErrors(ZeroDivisionError)), 2)
        self.assertFalse(transport.disconnecting)  # twisted.web's own 500 page

    def test_display_tracebacks(self):
        class Boom(Resource):
            isLeaf = True

            def render(self, request):
                raise ZeroDivisionError("boom")

        proto, transport, clock, site = serve(Boom())
        site.displayTracebacks = True
        feed(proto, clock, get(b"/"))
        (r,) = parse(transport.value(), [b"GET"])
        self.assertEqual(r.status, 500)
        self.assertIn(b"ZeroDivisionError", r.body)
        self.flushLoggedErrors(ZeroDivisionError)

    def test_invalid_response_header_is_500(self):
        class Later(Resource):
            isLeaf = True
            pending = []

            def render(self, request):
                request.setHeader(b"Content-Length", b"twelve")
                self.pending.append(request)
                return NOT_DONE_YET

        root = Resource()
        root.putChild(b"later", Later())
        proto, transport, clock, site = serve(root)
        feed(proto, clock, get(b"/later"))
        request = Later.pending[0]
        request.write(b"x")
        request.notifyFinish().addErrback(lambda f: None)
        clock.advance(0)
        self.assertTrue(request._disconnected)  # on the next turn
        (r,) = parse(transport.value(), [b"GET"], closed=True)
        self.assertEqual(r.status, 500)
        self.assertTrue(transport.disconnecting)
        self.assertEqual(len(self.flushLoggedErrors(h11.LocalProtocolError)), 1)

    def test_too_much_body_aborts(self):
        proto, transport, clock, site = serve(WrongLength(b"2", b"abc"))
        feed(proto, clock, get(b"/"))
        self.assertTrue(transport.disconnecting)
        self.assertNotIn(b"abc", transport.value())
        self.assertEqual(len(self.flushLoggedErrors(h11.LocalProtocolError)), 1)

    def test_too_little_body_aborts(self):
        proto, transport, clock, site = serve(WrongLength(b"5", b"abc"))
        feed(proto, clock, get(b"/") + get(b"/"))
        self.assertTrue(transport.disconnecting)
        self.assertNotIn(b"HTTP/1.1 200 OK", transport.value()[20:])  # never a second response
        self.assertEqual(len(self.flushLoggedErrors(h11.LocalProtocolError)), 1)

    def test_header_timeout(self):
        echo = Echo()
        proto, transport, clock, site = serve(echo, headerTimeout=2)
        proto.dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\n")
        clock.advance(2.5)
        self.assertTrue(transport.value().startswith(b"HTTP/1.1 408 "))
        self.assertTrue(transport.disconnecting)

    def test_body_timeout(self):
        echo = Echo()
        proto, transport, clock, site = serve(echo, bodyTimeout=2)
        proto.dataReceived(get(b"/", b"Content-Length: 10", method=b"POST") + b"abc")
        clock.advance(2.5)
        self.assertTrue(transport.value().startswith(b"HTTP/1.1 408 "))
        self.assertTrue(transport.disconnecting)
        self.assertEqual(echo.requests, [])
