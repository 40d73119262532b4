"""txh11.web.Site with in-memory transports: the request/channel API."""

from __future__ import annotations

import os
import shutil
import tempfile

from twisted.internet.address import IPv4Address
from twisted.internet.error import ConnectionDone
from twisted.internet.interfaces import (
    IConsumer,
    IHalfCloseableProtocol,
    IProtocol,
    IProtocolFactory,
    IProtocolNegotiationFactory,
    IPushProducer,
    ISSLTransport,
)
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase
from twisted.web import server
from twisted.web.iweb import IRequest
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET
from twisted.web.static import Data
from zope.interface import alsoProvides
from zope.interface.verify import verifyObject

import txh11 as h11
from txh11 import headers as headers_mod
from txh11.server import HTTP11ServerProtocol, IRequestHandler
from txh11.web import Site, WebChannel, WebProtocol

from tests._support.web import get, parse, serve



class StatusFromQuery(Resource):
    """Answers ``body`` with the status code given as ``?c=``."""

    isLeaf = True

    def __init__(self, body: bytes) -> None:
        super().__init__()
        self.body = body

    def render_GET(self, request):
        request.setResponseCode(int(request.args[b"c"][0]))
        return self.body

class Recorder(Resource):
    isLeaf = True

    def __init__(self, body=b"ok"):
        super().__init__()
        self.requests = []
        self.body = body

    def render(self, request):
        self.requests.append(request)
        return self.body


class Streaming(Resource):
    """write()/finish() later, without Content-Length."""

    isLeaf = True

    def __init__(self):
        super().__init__()
        self.requests = []

    def render_GET(self, request):
        self.requests.append(request)
        request.write(b"first,")
        return NOT_DONE_YET


class InterfaceTests(SynchronousTestCase):
    def test_site_is_a_twisted_site(self):
        site = Site(Resource())
        self.assertIsInstance(site, server.Site)
        self.assertTrue(verifyObject(IProtocolNegotiationFactory, site))
        # as twisted.web's Site: h2 first when Twisted's HTTP/2 imports
        self.assertEqual(site.acceptableProtocols(), server.Site(Resource()).acceptableProtocols())
        self.assertEqual(site.acceptableProtocols()[-1], b"http/1.1")

    def test_factory_and_protocol_interfaces(self):
        site = Site(Resource())
        self.assertTrue(verifyObject(IProtocolFactory, site))
        proto = site.buildProtocol(None)
        for iface in (IProtocol, IHalfCloseableProtocol, IPushProducer, IConsumer):
            self.assertTrue(verifyObject(iface, proto))

    def test_protocol_and_channel(self):
        proto, transport, clock, site = serve(Resource())
        self.assertIsInstance(proto, WebProtocol)
        self.assertIsInstance(proto, HTTP11ServerProtocol)
        self.assertIs(proto.site, site)
        self.assertIs(proto.factory, site)
        self.assertTrue(verifyObject(IRequestHandler, proto.webChannel))
        self.assertIsInstance(proto.webChannel, WebChannel)

    def test_request_provides_irequest(self):
        rec = Recorder()
        proto, transport, clock, site = serve(rec)
        proto.dataReceived(get(b"/"))
        (request,) = rec.requests
        self.assertTrue(verifyObject(IRequest, request))
        self.assertIsInstance(request, server.Request)
        self.assertIs(request.channel if not request.finished else proto.webChannel,
                      proto.webChannel)


class BasicTests(SynchronousTestCase):
    def test_get_keepalive(self):
        root = Resource()
        root.putChild(b"a", Data(b"hello", "text/plain"))
        proto, transport, clock, site = serve(root)
        proto.dataReceived(get(b"/a"))
        clock.advance(0)
        proto.dataReceived(get(b"/a"))
        (r1, r2) = parse(transport.value(), [b"GET", b"GET"])
        for r in (r1, r2):
            self.assertEqual(r.status, 200)
            self.assertEqual(r.body, b"hello")
            self.assertEqual(r.headers["content-length"], b"5")
            self.assertEqual(r.headers["content-type"], b"text/plain")
            self.assertIn("date", r.headers)
        self.assertFalse(transport.disconnecting)

    def test_one_byte_at_a_time(self):
        root = Resource()
        root.putChild(b"a", Data(b"hello", "text/plain"))
        proto, transport, clock, site = serve(root)
        data = get(b"/a") + get(b"/a")
        for i in range(len(data)):
            proto.dataReceived(data[i : i + 1])
            clock.advance(0)
        self.assertEqual([r.body for r in parse(transport.value(), [b"GET"] * 2)],
                         [b"hello", b"hello"])

    def test_streamed_response_is_chunked_by_the_core(self):
        res = Streaming()
        proto, transport, clock, site = serve(res)
        proto.dataReceived(get(b"/"))
        (request,) = res.requests
        request.write(b"second")
        self.assertIn(b"first,", transport.value())
        request.finish()
        raw = transport.value()
        self.assertEqual(raw.count(b"\r\n0\r\n\r\n"), 1)
        (r,) = parse(raw, [b"GET"])
        self.assertEqual(r.headers["transfer-encoding"], b"chunked")
        self.assertEqual(r.body, b"first,second")
        self.assertFalse(transport.disconnecting)
        self.assertEqual(proto.conn.our_state, h11.IDLE)

    def test_http10_response_is_close_delimited(self):
        res = Streaming()
        proto, transport, clock, site = serve(res)
        proto.dataReceived(b"GET / HTTP/1.0\r\n\r\n")
        (request,) = res.requests
        self.assertEqual(request.clientproto, b"HTTP/1.0")
        request.write(b"two")
        request.finish()
        raw = transport.value()
        head, body = raw.split(b"\r\n\r\n", 1)
        self.assertTrue(head.startswith(b"HTTP/1.1 200 OK\r\n"))
        self.assertNotIn(b"chunked", head.lower())
        self.assertIn(b"connection: close", head.lower())
        self.assertEqual(body, b"first,two")
        self.assertTrue(transport.disconnecting)

    def test_head(self):
        root = Resource()
        root.putChild(b"data", Data(b"hello", "text/plain"))
        root.putChild(b"rec", Recorder(b"twelve bytes"))
        proto, transport, clock, site = serve(root)
        proto.dataReceived(get(b"/data", method=b"HEAD"))
        clock.advance(0)
        proto.dataReceived(get(b"/rec", method=b"HEAD"))
        clock.advance(0)
        proto.dataReceived(get(b"/data"))
        r1, r2, r3 = parse(transport.value(), [b"HEAD", b"HEAD", b"GET"])
        self.assertEqual((r1.status, r1.body, r1.headers["content-length"]), (200, b"", b"5"))
        self.assertEqual((r2.status, r2.body, r2.headers["content-length"]), (200, b"", b"12"))
        self.assertEqual(r3.body, b"hello")

    def test_no_body_statuses(self):
        proto, transport, clock, site = serve(StatusFromQuery(b""))
        for code in (204, 304, 205):
            proto.dataReceived(get(b"/?c=%d" % code))
            clock.advance(0)
        proto.dataReceived(get(b"/?c=204", method=b"HEAD"))
        rs = parse(transport.value(), [b"GET", b"GET", b"GET", b"HEAD"])
        self.assertEqual([(r.status, r.body) for r in rs], [(204, b""), (304, b""), (205, b""), (204, b"")])
        self.assertFalse(transport.disconnecting)

    def test_connection_close(self):
        proto, transport, clock, site = serve(Recorder())
        proto.dataReceived(get(b"/", b"Connection: close"))
        (r,) = parse(transport.value(), [b"GET"])
        self.assertEqual(r.body, b"ok")
        self.assertEqual(r.headers["connection"].lower(), b"close")
        self.assertTrue(transport.disconnecting)

    def test_status_headers_cookies_redirect(self):
        class R(Resource):
            isLeaf = True

            def render_GET(self, request):
                request.setResponseCode(201, b"Made It")
                request.setHeader(b"X-Thing", b"1")
                request.responseHeaders.addRawHeader(b"X-Multi", b"a")
                request.responseHeaders.addRawHeader(b"X-Multi", b"b")
                request.addCookie(b"k", b"v", path=b"/", httpOnly=True)
                request.addCookie(b"k2", b"v2")
                return b"made"

            def render_POST(self, request):
                request.redirect(b"/elsewhere")
                return b""

        proto, transport, clock, site = serve(R())
        proto.dataReceived(get(b"/"))
        clock.advance(0)
        proto.dataReceived(get(b"/", b"Content-Length: 0", method=b"POST"))
        r1, r2 = parse(transport.value(), [b"GET", b"POST"])
        self.assertEqual((r1.status, r1.head.reason), (201, b"Made It"))
        self.assertEqual(r1.headers["x-thing"], b"1")
        pairs = list(r1.head.headers)
        self.assertEqual([v for k, v in pairs if k == b"x-multi"], [b"a", b"b"])
        self.assertEqual(
            [v for k, v in pairs if k == b"set-cookie"],
            [b"k=v; Path=/; HttpOnly", b"k2=v2"],
        )
        self.assertEqual(r2.status, 302)
        self.assertEqual(r2.headers["location"], b"/elsewhere")

    def test_status_lines_carry_twisteds_reason_phrases(self):
        # 200/404 have the core's phrases, 408/504 twisted's own spelling,
        # 299 no phrase at all in twisted
        proto, transport, clock, site = serve(StatusFromQuery(b"x\r\n"))
        codes = (200, 404, 408, 504, 299)
        for code in codes:
            proto.dataReceived(get(b"/?c=%d" % code))
            clock.advance(0)
        lines = [line for line in transport.value().split(b"\r\n") if line.startswith(b"HTTP/")]
        self.assertEqual(
            lines,
            [
                b"HTTP/1.1 200 OK",
                b"HTTP/1.1 404 Not Found",
                b"HTTP/1.1 408 Request Time-out",
                b"HTTP/1.1 504 Gateway Time-out",
                b"HTTP/1.1 299 Unknown Status",
            ],
        )

    def test_request_attributes(self):
        rec = Recorder()
        proto, transport, clock, site = serve(rec)
        transport.peerAddr = IPv4Address("TCP", "10.0.0.7", 5555)
        transport.hostAddr = IPv4Address("TCP", "10.0.0.1", 8080)
        proto.dataReceived(
            b"GET /x/y?a=1&a=2&b=3 HTTP/1.1\r\nHost: example.com:8080\r\n"
            b"Cookie: c1=v1; c2=v2\r\nX-Custom: yes\r\n"
            b"Authorization: Basic dXNlcjpwYXNz\r\n\r\n"
        )
        (request,) = rec.requests
        self.assertEqual(request.method, b"GET")
        self.assertEqual(request.uri, b"/x/y?a=1&a=2&b=3")
        self.assertEqual(request.path, b"/x/y")
        self.assertEqual(request.args, {b"a": [b"1", b"2"], b"b": [b"3"]})
        self.assertEqual(request.clientproto, b"HTTP/1.1")
        self.assertEqual(request.getHeader(b"x-custom"), b"yes")
        self.assertEqual(request.getHeader("X-Custom"), "yes")
        self.assertEqual(request.received_cookies, {b"c1": b"v1", b"c2": b"v2"})
        self.assertEqual(request.getCookie(b"c2"), b"v2")
        self.assertEqual(request.getClientAddress(), IPv4Address("TCP", "10.0.0.7", 5555))
        self.assertEqual(request.getHost(), IPv4Address("TCP", "10.0.0.1", 8080))
        self.assertEqual(request.getRequestHostname(), b"example.com")
        self.assertEqual(request.getUser(), b"user")
        self.assertEqual(request.getPassword(), b"pass")
        self.assertFalse(request.isSecure())
        self.assertEqual(request.prePathURL(), b"http://example.com:8080/")
        self.assertEqual(request.postpath, [b"x", b"y"])
        self.assertIs(request.site, site)
        self.assertIs(request.transport, transport)

    def test_request_headers_as_twisted_would_store_them(self):
        """The header copy fills requestHeaders exactly as addRawHeader
        would: Twisted's name spelling, repeated fields in order, on the
        fast path and on the fallback for a Headers subclass."""
        from twisted.web.http_headers import Headers

        class MyHeaders(Headers):
            pass

        head = (
            b"GET / HTTP/1.1\r\nHost: example.com\r\nX-Many: 1\r\n"
            b"content-md5: abc\r\nDNT: 1\r\nx-many: 2\r\nWWW-Authenticate: x\r\n"
            b"X-ODD-case: \xe9t\xe9\r\nX-Many: 3\r\nEmpty:\r\n\r\n"
        )

        class MyRequest(server.Request):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.requestHeaders = MyHeaders()

        expected = Headers()
        for name, value in h11.Request(
            method=b"GET",
            target=b"/",
            headers=[
                (b"host", b"example.com"),
                (b"x-many", b"1"),
                (b"content-md5", b"abc"),
                (b"dnt", b"1"),
                (b"x-many", b"2"),
                (b"www-authenticate", b"x"),
                (b"x-odd-case", b"\xe9t\xe9"),
                (b"x-many", b"3"),
                (b"empty", b""),
            ],
        ).headers:
            expected.addRawHeader(name, value)
        self.assertTrue(headers_mod._FAST_HEADERS)  # on the Twisted we test with
        for factory in (server.Request, MyRequest):
            rec = Recorder()
            proto, transport, clock, site = serve(rec, requestFactory=factory)
            proto.dataReceived(head)
            (request,) = rec.requests
            got = request.requestHeaders
            self.assertEqual(list(got.getAllRawHeaders()), list(expected.getAllRawHeaders()))
            self.assertEqual(got.getRawHeaders(b"x-many"), [b"1", b"2", b"3"])
            self.assertEqual(got.getRawHeaders("X-Many"), ["1", "2", "3"])
            self.assertEqual(got.getRawHeaders(b"Content-MD5"), [b"abc"])
            self.assertEqual(request.getHeader(b"empty"), b"")
            self.assertTrue(got.hasHeader(b"dnt"))

    def test_is_secure_on_tls_transport(self):
        res = Streaming()
        proto, transport, clock, site = serve(res)
        alsoProvides(transport, ISSLTransport)
        transport.hostAddr = IPv4Address("TCP", "127.0.0.1", 443)
        proto.dataReceived(get(b"/"))
        (request,) = res.requests
        self.assertTrue(request.isSecure())
        self.assertEqual(request.prePathURL(), b"https://example.com/")
        self.assertTrue(proto.webChannel.isSecure())

    def test_is_secure_answered_for_every_request_of_a_plain_connection(self):
        res = Streaming()
        proto, transport, clock, site = serve(res)
        for _ in range(2):
            proto.dataReceived(get(b"/"))
            request = res.requests[-1]
            self.assertFalse(request.isSecure())
            self.assertFalse(request.isSecure())
            self.assertTrue(request.prePathURL().startswith(b"http://example.com"))
            request.finish()
            clock.advance(0)
        self.assertEqual(len(res.requests), 2)

    def test_sessions(self):
        class S(Resource):
            isLeaf = True

            def render(self, request):
                return request.getSession().uid

        proto, transport, clock, site = serve(S())
        proto.dataReceived(get(b"/"))
        (r1,) = parse(transport.value(), [b"GET"])
        cookie = r1.headers["set-cookie"].split(b";")[0]
        self.assertTrue(cookie.startswith(b"TWISTED_SESSION="))
        self.assertIn(r1.body, site.sessions)
        transport.clear()
        clock.advance(0)
        proto.dataReceived(get(b"/", b"Cookie: " + cookie))
        (r2,) = parse(transport.value(), [b"GET"])
        self.assertEqual(r2.body, r1.body)
        self.assertEqual(len(site.sessions), 1)
        clock.advance(3600)  # sessions expire on the site's reactor
        self.assertEqual(site.sessions, {})

    def test_access_log(self):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        path = os.path.join(tmp, "access.log")
        root = Resource()
        root.putChild(b"a", Data(b"hello", "text/plain"))
        proto, transport, clock, site = serve(root, logPath=path)
        site.startFactory()
        self.addCleanup(site.stopFactory)
        proto.dataReceived(get(b"/a", b"User-Agent: tester"))
        site.stopFactory()
        with open(path) as f:
            line = f.read()
        self.assertIn('"GET /a HTTP/1.1" 200 5 "-" "tester"', line)

    def test_log_formatter_sees_the_request(self):
        seen = []

        def formatter(timestamp, request):
            seen.append((request.code, request.sentLength, request.getClientAddress()))
            return "x"

        class Lines:
            def write(self, s):
                pass

            def close(self):
                pass

        root = Resource()
        root.putChild(b"a", Data(b"hello", "text/plain"))
        proto, transport, clock, site = serve(root, logFormatter=formatter)
        site._logFile = Lines()
        proto.dataReceived(get(b"/a"))
        self.assertEqual(seen, [(200, 5, transport.getPeer())])

    def test_custom_request_factory(self):
        made = []

        class MyRequest(server.Request):
            def process(self):
                made.append(self)
                self.setHeader(b"content-type", b"text/plain")
                self.write(b"custom")
                self.finish()

        proto, transport, clock, site = serve(Resource(), requestFactory=MyRequest)
        proto.dataReceived(get(b"/"))
        (r,) = parse(transport.value(), [b"GET"])
        self.assertEqual(r.body, b"custom")
        self.assertEqual(r.headers["transfer-encoding"], b"chunked")
        self.assertEqual(len(made), 1)

    def test_settings(self):
        site = Site(Resource(), maxBodySize=10, idleTimeout=5, headerTimeout=3)
        p = site.buildProtocol(None)
        self.assertEqual((p.maxBodySize, p.idleTimeout, p.headerTimeout), (10, 5, 3))
        site = Site(Resource(), timeout=7)
        self.assertEqual(site.buildProtocol(None).idleTimeout, 7)
        site = Site(Resource())
        self.assertEqual(site.buildProtocol(None).idleTimeout, WebProtocol.idleTimeout)
        self.assertRaises(TypeError, Site, Resource(), bogusSetting=1)

    def test_settings_are_class_attributes(self):
        """Settings do not add attributes to every connection (past 29,
        CPython 3.11 gives an instance a dict of its own)."""
        settings = dict(
            idleTimeout=5, headerTimeout=3, bodyTimeout=4, lingerTimeout=1,
            closeTimeout=2, maxBodySize=10, maxIncompleteEventSize=4096,
            maxDiscardSize=100, coalesceLimit=1000,
        )
        site = Site(Recorder(), reactor=Clock(), **settings)
        p1, p2 = site.buildProtocol(None), site.buildProtocol(None)
        self.assertIs(type(p1), type(p2))
        self.assertIsInstance(p1, WebProtocol)
        self.assertEqual(type(p1).__name__, "WebProtocol")
        for name, value in settings.items():
            self.assertEqual(getattr(p1, name), value)
            self.assertNotIn(name, vars(p1))
        p1.makeConnection(StringTransport())
        p1.dataReceived(get(b"/"))
        self.assertLessEqual(
            len(vars(p1)),
            29,
            f"past 29 instance attributes CPython 3.11 moves them to a dict of their"
            f" own and every attribute read gets slower: {sorted(vars(p1))}",
        )
        site.protocolSettings["idleTimeout"] = 6
        self.assertEqual(site.buildProtocol(None).idleTimeout, 6)
        self.assertIs(type(Site(Resource()).buildProtocol(None)), WebProtocol)

    def test_idle_timeout_from_site(self):
        proto, transport, clock, site = serve(Recorder(), idleTimeout=5)
        proto.dataReceived(get(b"/"))
        clock.advance(4)
        self.assertFalse(transport.disconnecting)
        clock.advance(1.5)
        self.assertTrue(transport.disconnecting)

    def test_producer_resource(self):
        """A push producer registered with the request is paused and resumed
        with the transport and unregistered at the end."""

        class Producer:
            def __init__(self, request):
                self.request = request
                self.calls = []

            def pauseProducing(self):
                self.calls.append("pause")

            def resumeProducing(self):
                self.calls.append("resume")

            def stopProducing(self):
                self.calls.append("stop")

        producers = []

        class P(Resource):
            isLeaf = True

            def render(self, request):
                p = Producer(request)
                producers.append(p)
                request.registerProducer(p, True)
                request.write(b"a")
                return NOT_DONE_YET

        proto, transport, clock, site = serve(P())
        proto.dataReceived(get(b"/"))
        (p,) = producers
        proto.pauseProducing()  # the transport's buffer is full
        proto.resumeProducing()
        self.assertEqual(p.calls, ["pause", "resume"])
        p.request.write(b"b")
        p.request.unregisterProducer()
        p.request.finish()
        (r,) = parse(transport.value(), [b"GET"])
        self.assertEqual(r.body, b"ab")
        proto.pauseProducing()
        self.assertEqual(p.calls, ["pause", "resume"])

    def test_pull_producer_resource(self):
        class Pull:
            def __init__(self, request):
                self.request = request
                self.n = 0

            def resumeProducing(self):
                self.n += 1
                self.request.write(b"%d," % self.n)
                if self.n == 3:
                    self.request.unregisterProducer()
                    self.request.finish()

            def stopProducing(self):
                pass

        class P(Resource):
            isLeaf = True

            def render(self, request):
                request.registerProducer(Pull(request), False)
                return NOT_DONE_YET

        proto, transport, clock, site = serve(P())
        proto.dataReceived(get(b"/"))
        for _ in range(5):
            clock.advance(0.001)
        (r,) = parse(transport.value(), [b"GET"])
        self.assertEqual(r.body, b"1,2,3,")


class DisconnectTests(SynchronousTestCase):
    def test_notify_finish_success(self):
        res = Streaming()
        proto, transport, clock, site = serve(res)
        proto.dataReceived(get(b"/"))
        (request,) = res.requests
        results = []
        request.notifyFinish().addBoth(results.append)
        request.finish()
        self.assertEqual(results, [None])

    def test_notify_finish_errback_on_connection_lost(self):
        res = Streaming()
        proto, transport, clock, site = serve(res)
        proto.dataReceived(get(b"/"))
        (request,) = res.requests
        results = []
        request.notifyFinish().addBoth(results.append)
        proto.connectionLost(Failure(ConnectionDone()))
        self.assertEqual(len(results), 1)
        self.assertIsInstance(results[0], Failure)
        self.assertTrue(request._disconnected)
        request.write(b"ignored")  # like twisted.web: no error
        self.assertRaises(RuntimeError, request.finish)

    def test_client_half_close_while_waiting_is_a_disconnect(self):
        """Like HTTPChannel: EOF from the client while its response is being
        produced means it is gone."""
        res = Streaming()
        proto, transport, clock, site = serve(res)
        proto.dataReceived(get(b"/"))
        (request,) = res.requests
        results = []
        request.notifyFinish().addBoth(results.append)
        proto.readConnectionLost()
        self.assertTrue(transport.disconnecting)
        proto.connectionLost(Failure(ConnectionDone()))
        self.assertEqual(len(results), 1)
        self.assertIsInstance(results[0], Failure)
        self.flushLoggedErrors()

    def test_client_half_close_after_response_is_fine(self):
        proto, transport, clock, site = serve(Recorder())
        proto.dataReceived(get(b"/"))
        proto.readConnectionLost()
        (r,) = parse(transport.value(), [b"GET"])
        self.assertEqual(r.body, b"ok")
        self.assertTrue(transport.disconnecting)

    def test_lost_mid_body_never_processes(self):
        rec = Recorder()
        proto, transport, clock, site = serve(rec)
        proto.dataReceived(get(b"/", b"Content-Length: 10", method=b"POST") + b"abc")
        proto.connectionLost(Failure(ConnectionDone()))
        self.assertEqual(rec.requests, [])


class ReferenceCycleTests(SynchronousTestCase):
    """A closed connection is freed by reference counting, not left as a
    WebProtocol <-> WebChannel cycle for the garbage collector."""

    def test_closed_connection_is_freed_without_the_gc(self):
        import gc
        import weakref

        from twisted.internet.error import ConnectionDone

        class Hello(Resource):
            isLeaf = True

            def render_GET(self, request):
                return b"hello"

        gc.collect()
        gc.disable()
        try:
            proto, transport, clock, site = serve(Hello())
            proto.dataReceived(get(b"/", b"Connection: close"))
            clock.advance(0)
            self.assertTrue(transport.value().startswith(b"HTTP/1.1 200 "))
            channel = weakref.ref(proto.webChannel)
            proto.connectionLost(Failure(ConnectionDone()))
            ref = weakref.ref(proto)
            del proto, transport
            self.assertIsNone(ref())
            self.assertIsNone(channel())
        finally:
            gc.enable()


class _Moving(Resource):
    """A child that sends the rest of the traversal elsewhere by giving the
    request a new postpath list, as twisted.web.rewrite's rules do."""

    def getChild(self, path, request):
        request.postpath = [b"there"]
        return self


class ResourceTraversalTests(SynchronousTestCase):
    def traverse(self, site, segments):
        from twisted.web.test.requesthelper import DummyRequest

        root = Resource()
        moving = _Moving()
        moving.putChild(b"there", Data(b"there", "text/plain"))
        root.putChild(b"move", moving)
        site.resource = root
        request = DummyRequest(segments)
        found = site.getResourceFor(request)
        return getattr(found, "data", found), request.prepath, request.postpath

    def test_same_resource_as_twisteds_site(self):
        """Site.getResourceFor walks the request's postpath as it stands at
        each step, as twisted.web's does, also when a resource replaces
        the list."""
        segments = [b"move", b"here", b"x"]
        expected = self.traverse(server.Site(Resource()), list(segments))
        got = self.traverse(Site(Resource()), list(segments))
        self.assertEqual(got, expected)
        self.assertEqual(got[0], b"there")
