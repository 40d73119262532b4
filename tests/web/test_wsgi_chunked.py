"""
A chunked request body reaches a WSGI application under twisted.web's own
``WSGIResource`` whole: txh11.web's request reads as RFC 9112 7.1.3 decodes
chunked (``Content-Length`` the length received, no ``Transfer-Encoding``),
so ``CONTENT_LENGTH`` is set.  (On twisted.web's own Site the application
gets ``CONTENT_LENGTH`` empty, and a PEP 3333 application reads nothing.)
"""

from __future__ import annotations

import hashlib
import os

from twisted.internet import defer, reactor
from twisted.trial.unittest import TestCase
from twisted.web.resource import Resource
from twisted.web.wsgi import WSGIResource
from werkzeug.wrappers import Request as WerkzeugRequest

from tests._support.web import CURL, TrackingSite, closeAll, feed, parse, run, serve


def pep3333(environ, start_response):
    """Reads CONTENT_LENGTH bytes, as PEP 3333 says an application must."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length)
    start_response("200 OK", [("Content-Type", "text/plain")])
    te = environ.get("HTTP_TRANSFER_ENCODING", "-")
    return [f"{length} {hashlib.sha256(body).hexdigest()} {te}".encode()]


def werkzeug(environ, start_response):
    """Flask's request object."""
    body = WerkzeugRequest(environ).get_data()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"{len(body)} {hashlib.sha256(body).hexdigest()}".encode()]


def makeRoot():
    root = Resource()
    pool = reactor.getThreadPool()
    root.putChild(b"pep3333", WSGIResource(reactor, pool, pep3333))
    root.putChild(b"werkzeug", WSGIResource(reactor, pool, werkzeug))
    return root


class ChunkedUploadTests(TestCase):
    def setUp(self):
        self.site = TrackingSite(makeRoot())
        port = reactor.listenTCP(0, self.site, interface="127.0.0.1")
        self.addCleanup(port.stopListening)
        self.addCleanup(closeAll, self.site)
        self.url = f"http://127.0.0.1:{port.getHost().port}"

    @defer.inlineCallbacks
    def test_curl_chunked_upload_arrives_whole(self):
        body = os.urandom(300_000)
        digest = hashlib.sha256(body).hexdigest()
        for app, expected in [("pep3333", f"300000 {digest} -"), ("werkzeug", f"300000 {digest}")]:
            # -T - reads stdin: curl sends it chunked, with no Content-Length
            r = yield run(CURL, "-sS", "--max-time", "20", "-v", "-T", "-",
                          f"{self.url}/{app}", input=body)
            self.assertIn(b"Transfer-Encoding: chunked", r.stderr)
            self.assertEqual(r.stdout.decode(), expected, r.stderr[-500:])


class RequestHeadersTests(TestCase):
    def test_chunked_request_reads_as_received(self):
        seen = {}

        class Look(Resource):
            isLeaf = True

            def render_POST(self, request):
                seen["te"] = request.getHeader(b"transfer-encoding")
                seen["trailer"] = request.getHeader(b"trailer")
                seen["length"] = request.getHeader(b"content-length")
                seen["body"] = request.content.read()
                return b"ok"

        proto, transport, clock, site = serve(Look())
        feed(proto, clock, b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                           b"Trailer: x-sum\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\nx-sum: 1\r\n\r\n")
        (r,) = parse(transport.value(), [b"POST"])
        self.assertEqual(r.body, b"ok")
        self.assertEqual(seen, {"te": None, "trailer": None, "length": b"11", "body": b"hello world"})

    def test_announced_length_untouched(self):
        seen = []

        class Look(Resource):
            isLeaf = True

            def render_POST(self, request):
                seen.append(request.requestHeaders.getRawHeaders(b"content-length"))
                return b"ok"

        proto, transport, clock, site = serve(Look())
        feed(proto, clock, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
        self.assertEqual(seen, [[b"3"]])
