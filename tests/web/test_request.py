"""txh11.webrequest.Request, web.Site's default request: it answers exactly
as twisted.web.server.Request does on the same channel, and its lazy
attributes behave like Twisted's eager ones."""

from __future__ import annotations

import re
import warnings
from typing import Any, Callable

from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase
from twisted.web import server, static
from twisted.internet.error import ConnectionDone
from twisted.web.http_headers import Headers, InvalidHeaderName
from twisted.web.iweb import IRequest
from twisted.web.resource import EncodingResourceWrapper, Resource
from twisted.web.server import NOT_DONE_YET, GzipEncoderFactory
from zope.interface.verify import verifyObject

import txh11.web._request as webrequest
from txh11.web import Request, Site

from tests._support.web import get, parse, serve

# -- resources -------------------------------------------------------------


class Leaf(Resource):
    isLeaf = True

    def __init__(self, render: Callable[[Any], Any]) -> None:
        super().__init__()
        self._render = render

    def render(self, request: Any) -> Any:
        return self._render(request)


class GetOnly(Resource):
    isLeaf = True

    def render_GET(self, request: Any) -> bytes:
        request.setHeader(b"content-type", b"text/plain")
        return b"got " + request.method


class HeadWithBody(Resource):
    isLeaf = True

    def render_HEAD(self, request: Any) -> bytes:
        return b"a body HEAD should not have"


def hello(request: Any) -> bytes:
    request.setHeader(b"content-type", b"text/plain")
    return b"hello"


def defaultType(request: Any) -> bytes:
    return b"<p>html by default</p>"


def empty(request: Any) -> bytes:
    return b""


def status(code: int) -> Callable[[Any], bytes]:
    def render(request: Any) -> bytes:
        request.setResponseCode(code)
        return b""

    return render


def overrides(request: Any) -> bytes:
    request.setHeader(b"server", b"mine/1")
    request.setHeader(b"Date", b"a day")
    request.setHeader(b"Content-Type", b"text/x-mine")
    request.setHeader("X-Text", "v\u00e4lue")
    request.setHeader(b"x-broken", b"one\r\ntwo\nthree")
    request.setHeader(b"X-Twice", b"1")
    request.setHeader(b"x-twice", b"2")
    request.setHeader(b"ETAG", b'"e"')
    return b"overridden"


def direct(request: Any) -> bytes:
    headers = request.responseHeaders
    assert headers.getRawHeaders(b"server") is not None
    headers.setRawHeaders(b"x-direct", [b"1", b"2"])
    headers.addRawHeader(b"Content-Type", b"text/one")
    headers.addRawHeader(b"content-type", b"text/two")
    headers.removeHeader(b"server")
    request.setHeader(b"x-after", b"set")
    headers.setRawHeaders(b"content-length", [])
    return b"direct"


def noDate(request: Any) -> bytes:
    request.responseHeaders.removeHeader(b"date")
    return b"no date from twisted"


def emptyContentType(request: Any) -> bytes:
    request.responseHeaders.setRawHeaders(b"content-type", [])
    return b"empty list"


class OtherHeaders(Headers):
    pass


def replaced(request: Any) -> bytes:
    request.responseHeaders = OtherHeaders()
    request.setHeader(b"x-mine", b"1")
    return b"replaced"


def cookies(request: Any) -> bytes:
    request.addCookie(b"k", b"v", path=b"/", httpOnly=True)
    request.addCookie(b"k2", b"v2")
    return b"cookies"


def cached(request: Any) -> bytes:
    request.setLastModified(1_000_000_000)
    request.setETag(b"tag")
    return b"cached"


def lastModifiedTwice(request: Any) -> bytes:
    request.setHeader(b"last-modified", b"set by hand")
    request.lastModified = 1_000_000_000
    return b"twice"


def redirect(request: Any) -> bytes:
    request.redirect(b"/elsewhere")
    return b""


def raises(request: Any) -> bytes:
    raise ValueError("the resource failed")


def notBytes(request: Any) -> Any:
    return "text, not bytes"


def describe(request: Any) -> bytes:
    request.setHeader(b"content-type", b"text/plain")
    facts = [
        request.method,
        request.uri,
        request.path,
        request.clientproto,
        sorted(request.args.items()),
        request.prepath,
        request.postpath,
        request.sitepath,
        request.received_cookies,
        request.getCookie(b"b"),
        list(request.requestHeaders.getAllRawHeaders()),
        request.getHeader(b"x-custom"),
        request.getHeader("X-Custom"),
        sorted(request.getAllHeaders().items()),
        request.getRequestHostname(),
        request.prePathURL(),
        request.getUser(),
        request.content.read(),
        request.isSecure(),
        request.startedWriting,
        request.finished,
        request.code,
    ]
    return repr(facts).encode()


def streaming(request: Any) -> Any:
    request.setHeader(b"content-type", b"text/plain")
    request.write(b"first,")
    request.site.reactor.callLater(1, later, request)
    return NOT_DONE_YET


def later(request: Any) -> None:
    request.write(b"")
    request.write(b"second,")
    request.write(b"third")
    request.finish()


def session(request: Any) -> bytes:
    s = request.getSession()
    return b"session " + (b"yes" if s.uid else b"no")


def misuse(request: Any) -> Any:
    request.write(b"done")
    request.finish()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        request.finish()
    try:
        request.write(b"more")
    except RuntimeError as e:
        raised = str(e)
    else:  # pragma: no cover
        raised = "nothing"
    request.notifyFinish()
    misuse.seen.append((len(caught), raised))  # type: ignore[attr-defined]
    return NOT_DONE_YET


misuse.seen = []  # type: ignore[attr-defined]


def afterFinishNotified(request: Any) -> Any:
    d = request.notifyFinish()
    d.addCallback(lambda _: afterFinishNotified.seen.append("done"))  # type: ignore[attr-defined]
    request.write(b"x")
    request.finish()
    return NOT_DONE_YET


afterFinishNotified.seen = []  # type: ignore[attr-defined]


def tree() -> Resource:
    root = Resource()
    for name, render in [
        (b"hello", hello),
        (b"default", defaultType),
        (b"empty", empty),
        (b"204", status(204)),
        (b"304", status(304)),
        (b"404", status(404)),
        (b"overrides", overrides),
        (b"direct", direct),
        (b"nodate", noDate),
        (b"emptytype", emptyContentType),
        (b"replaced", replaced),
        (b"cookies", cookies),
        (b"cached", cached),
        (b"twice", lastModifiedTwice),
        (b"redirect", redirect),
        (b"raises", raises),
        (b"notbytes", notBytes),
        (b"describe", describe),
        (b"streaming", streaming),
        (b"session", session),
        (b"misuse", misuse),
        (b"notified", afterFinishNotified),
    ]:
        root.putChild(name, Leaf(render))
    root.putChild(b"getonly", GetOnly())
    root.putChild(b"headbody", HeadWithBody())
    root.putChild(b"gzip", EncodingResourceWrapper(Leaf(hello), [GzipEncoderFactory()]))
    root.putChild(b"data", static.Data(b"static data", "text/plain"))
    return root


#: (request bytes, methods of the responses)
EXCHANGES = {
    "hello": (get(b"/hello"), [b"GET"]),
    "hello, HEAD": (get(b"/hello", method=b"HEAD"), [b"HEAD"]),
    "hello, HTTP/1.0": (b"GET /hello HTTP/1.0\r\n\r\n", [b"GET"]),
    "hello, close": (get(b"/hello", b"Connection: close"), [b"GET"]),
    "default content type": (get(b"/default"), [b"GET"]),
    "empty body": (get(b"/empty"), [b"GET"]),
    "204": (get(b"/204"), [b"GET"]),
    "304": (get(b"/304"), [b"GET"]),
    "404 set by the resource": (get(b"/404"), [b"GET"]),
    "no such resource": (get(b"/nothing/here"), [b"GET"]),
    "setHeader overrides": (get(b"/overrides"), [b"GET"]),
    "responseHeaders used directly": (get(b"/direct"), [b"GET"]),
    "Date removed": (get(b"/nodate"), [b"GET"]),
    "empty Content-Type list": (get(b"/emptytype"), [b"GET"]),
    "responseHeaders replaced": (get(b"/replaced"), [b"GET"]),
    "cookies": (get(b"/cookies"), [b"GET"]),
    "Last-Modified and ETag": (get(b"/cached"), [b"GET"]),
    "not modified": (
        get(b"/cached", b"If-Modified-Since: Sun, 09 Sep 2001 01:46:40 GMT"),
        [b"GET"],
    ),
    "Last-Modified twice": (get(b"/twice"), [b"GET"]),
    "redirect": (get(b"/redirect"), [b"GET"]),
    "exception": (get(b"/raises"), [b"GET"]),
    "not bytes": (get(b"/notbytes"), [b"GET"]),
    "unsupported method, allowed ones known": (
        get(b"/getonly", b"Content-Length: 0", method=b"POST"),
        [b"POST"],
    ),
    "unknown method": (get(b"/getonly", method=b"BREW"), [b"BREW"]),
    "HEAD answered with GET": (get(b"/getonly", method=b"HEAD"), [b"HEAD"]),
    "HEAD with a body": (get(b"/headbody", method=b"HEAD"), [b"HEAD"]),
    "gzip": (get(b"/gzip", b"Accept-Encoding: gzip"), [b"GET"]),
    "gzip not asked for": (get(b"/gzip"), [b"GET"]),
    "static data": (get(b"/data"), [b"GET"]),
    "static data, HEAD": (get(b"/data", method=b"HEAD"), [b"HEAD"]),
    "request facts": (
        get(
            b"/describe/a%20b/c?x=1&x=2&y=",
            b"Cookie: a=1; b=2",
            b"Cookie: =empty; novalue; c=3=4",
            b"X-Custom: yes",
            b"x-custom: again",
            b"Authorization: Basic dXNlcjpwYXNz",
        ),
        [b"GET"],
    ),
    "request facts, no query": (get(b"/describe"), [b"GET"]),
    "urlencoded form": (
        get(
            b"/describe?q=1",
            b"Content-Type: application/x-www-form-urlencoded",
            b"Content-Length: 7",
            method=b"POST",
        )
        + b"a=1&b=2",
        [b"POST"],
    ),
    "multipart form": (
        get(
            b"/describe",
            b"Content-Type: multipart/form-data; boundary=XX",
            b"Content-Length: 63",
            method=b"POST",
        )
        + b'--XX\r\nContent-Disposition: form-data; name="f"\r\n\r\nvalue\r\n--XX--\r\n',
        [b"POST"],
    ),
    "GET with a body": (
        get(b"/describe", b"Content-Length: 4") + b"body",
        [b"GET"],
    ),
    "chunked body": (
        get(b"/describe", b"Transfer-Encoding: chunked", method=b"PUT")
        + b"4\r\nbody\r\n0\r\n\r\n",
        [b"PUT"],
    ),
    "streamed response": (get(b"/streaming"), [b"GET"]),
    "streamed response, HTTP/1.0": (b"GET /streaming HTTP/1.0\r\n\r\n", [b"GET"]),
    "session": (get(b"/session"), [b"GET"]),
    "finish twice, write after finish": (get(b"/misuse"), [b"GET"]),
    "notifyFinish": (get(b"/notified"), [b"GET"]),
    "OPTIONS *": (b"OPTIONS * HTTP/1.1\r\nHost: example.com\r\n\r\n", [b"OPTIONS"]),
    "GET *": (b"GET * HTTP/1.1\r\nHost: example.com\r\n\r\n", [b"GET"]),
    "keep-alive sequence": (
        get(b"/hello") + get(b"/default") + get(b"/hello", method=b"HEAD") + get(b"/redirect"),
        [b"GET", b"GET", b"HEAD", b"GET"],
    ),
}


def _normalised(data: bytes) -> bytes:
    data = re.sub(rb"(?im)^(date: ).*$", rb"\1<date>", data)
    data = re.sub(rb"TWISTED_SESSION=[0-9a-f]+", b"TWISTED_SESSION=<uid>", data)
    # reprs in error pages: another tree, request and class each time
    return re.sub(rb"(&lt;|<)[\w.]+ (at|object at) 0x[0-9a-f]+", rb"<object at 0x<id>", data)


def exchange(factory: Any, data: bytes) -> tuple[bytes, Any]:
    """The normalised bytes a Site with ``factory`` sends for ``data``."""
    proto, transport, clock, site = serve(tree(), requestFactory=factory)
    proto.dataReceived(data)
    clock.advance(0)
    clock.advance(1)
    clock.advance(0)
    return _normalised(transport.value()), transport


class SameAsTwistedTests(SynchronousTestCase):
    """Every exchange: the same bytes as with twisted.web.server.Request."""

    def compare(self, factory: Any, reference: Any = server.Request) -> None:
        for name, (data, methods) in EXCHANGES.items():
            expected, t1 = exchange(reference, data)
            got, t2 = exchange(factory, data)
            self.assertEqual(got, expected, name)
            self.assertEqual(t2.disconnecting, t1.disconnecting, name)
            parse(t2.value(), methods, closed=t2.disconnecting)  # well-formed
        self.flushLoggedErrors(ValueError)

    def test_lean_request(self):
        self.assertIs(Site(Resource()).requestFactory, Request)
        self.compare(Request)

    def test_lean_request_through_public_headers_methods(self):
        """Where Headers' storage is not as expected, everything goes
        through its public methods, with the same outcome."""
        self.patch(webrequest, "_RAW", False)
        self.patch(webrequest, "_keys", {})
        self.compare(Request)

    def test_subclass(self):
        class Mine(Request):
            pass

        ours = Mine

        class Mine(server.Request):  # type: ignore[no-redef]
            pass

        self.compare(ours, Mine)

    def test_misuse_seen(self):
        misuse.seen.clear()
        exchange(Request, get(b"/misuse"))
        exchange(server.Request, get(b"/misuse"))
        self.assertEqual(
            misuse.seen,
            [(1, "Request.write called on a request after Request.finish was called.")] * 2,
        )

    def test_notify_finish_fires(self):
        afterFinishNotified.seen.clear()
        exchange(Request, get(b"/notified"))
        self.assertEqual(afterFinishNotified.seen, ["done"])


class Recorder(Resource):
    isLeaf = True

    def __init__(self, answer: Any = b"ok") -> None:
        super().__init__()
        self.requests: list[Any] = []
        self.contents: list[bytes] = []
        self.answer = answer

    def render(self, request: Any) -> Any:
        self.requests.append(request)
        self.contents.append(request.content.read())
        return self.answer


class LazyAttributeTests(SynchronousTestCase):
    def one(self, head: bytes, factory: Any = Request) -> Any:
        rec = Recorder()
        proto, transport, clock, site = serve(rec, requestFactory=factory)
        proto.dataReceived(head)
        (request,) = rec.requests
        return request

    def test_interfaces(self):
        request = self.one(get(b"/"))
        self.assertIsInstance(request, server.Request)
        self.assertTrue(verifyObject(IRequest, request))

    def test_attributes_are_made_on_first_use(self):
        request = self.one(get(b"/", b"Cookie: a=1"))
        self.assertNotIn("requestHeaders", vars(request))
        self.assertNotIn("received_cookies", vars(request))
        self.assertEqual(request.received_cookies, {b"a": b"1"})
        self.assertEqual(request.requestHeaders.getRawHeaders(b"cookie"), [b"a=1"])
        self.assertIs(request.requestHeaders, request.requestHeaders)
        self.assertIs(request.received_cookies, request.received_cookies)

    def test_cookies_are_those_received(self):
        """As with Twisted's parse on arrival, a Cookie header changed later
        does not change the cookies."""
        request = self.one(get(b"/", b"Cookie: a=1; b=2"))
        request.requestHeaders.setRawHeaders(b"cookie", [b"a=changed"])
        self.assertEqual(request.received_cookies, {b"a": b"1", b"b": b"2"})
        self.assertEqual(request.getCookie(b"a"), b"1")

    def test_assigned_before_use(self):
        request = self.one(get(b"/", b"Cookie: a=1", b"X-A: 1"))
        request.received_cookies = {b"mine": b"1"}
        request.requestHeaders = Headers({b"x-b": [b"2"]})
        self.assertEqual(request.getCookie(b"mine"), b"1")
        self.assertIsNone(request.getCookie(b"a"))
        self.assertEqual(request.getHeader(b"x-b"), b"2")
        self.assertIsNone(request.getHeader(b"x-a"))

    def test_parse_cookies_override_is_used(self):
        class Mine(Request):
            def parseCookies(self):
                self.received_cookies[b"from"] = b"override"

        request = self.one(get(b"/", b"Cookie: a=1"), Mine)
        self.assertEqual(request.received_cookies, {b"from": b"override"})

    def test_made_in_a_subclass_init(self):
        """A subclass that makes requestHeaders or received_cookies itself
        gets them filled on arrival, as with Twisted's Request."""

        class Mine(Request):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.requestHeaders = OtherHeaders()
                self.received_cookies = {b"early": b"1"}

        request = self.one(get(b"/", b"Cookie: a=1", b"X-A: 1"), Mine)
        self.assertIsInstance(request.requestHeaders, OtherHeaders)
        self.assertEqual(request.getHeader(b"x-a"), b"1")
        self.assertEqual(request.received_cookies, {b"early": b"1", b"a": b"1"})

    def test_request_headers_as_twisted_stores_them(self):
        head = get(b"/", b"X-Many: 1", b"content-md5: abc", b"x-many: 2", b"DNT: 1")
        ours = self.one(head).requestHeaders
        twisteds = self.one(head, server.Request).requestHeaders
        self.assertEqual(list(ours.getAllRawHeaders()), list(twisteds.getAllRawHeaders()))

    def test_copied_state_has_them(self):
        rec = Recorder(NOT_DONE_YET)
        proto, transport, clock, site = serve(rec)
        proto.dataReceived(get(b"/", b"Cookie: a=1"))
        (request,) = rec.requests
        state = request.getStateToCopyFor(None)
        self.assertEqual(dict(state["requestHeaders"])[b"Cookie"], [b"a=1"])
        self.assertEqual(state["received_cookies"], {b"a": b"1"})

    def test_content_of_a_request_without_body(self):
        """Made when first read, by the site's getContentFile(0), and None
        once the request is finished, as twisted.web's."""
        asked = []

        class CountingSite(Site):
            def getContentFile(self, length):
                asked.append(length)
                return super().getContentFile(length)

        class Reader(Resource):
            isLeaf = True

            def __init__(self, read: bool) -> None:
                super().__init__()
                self.read = read
                self.requests: list[Any] = []
                self.contents: list[bytes] = []

            def render(self, request: Any) -> Any:
                self.requests.append(request)
                if self.read:
                    self.contents.append(request.content.read())
                return NOT_DONE_YET

        for read in (False, True):
            del asked[:]
            reader = Reader(read)
            proto = CountingSite(reader, reactor=Clock()).buildProtocol(None)
            proto.makeConnection(StringTransport())
            proto.dataReceived(get(b"/"))
            (request,) = reader.requests
            self.assertEqual(asked, [0] if read else [])
            request.finish()
            self.assertIsNone(request.content)
            self.assertEqual(asked, [0] if read else [])
        self.assertEqual(reader.contents, [b""])

    def test_connection_lost_before_the_answer(self):
        """A request without a body whose connection goes away: its
        notifyFinish fails, as twisted.web's, and nothing else breaks."""
        for factory in (Request, server.Request):
            rec = Recorder(NOT_DONE_YET)
            proto, transport, clock, site = serve(rec, requestFactory=factory)
            proto.dataReceived(get(b"/"))
            (request,) = rec.requests
            failures: list[Any] = []
            request.notifyFinish().addErrback(failures.append)
            proto.connectionLost(Failure(ConnectionDone()))
            clock.advance(0)
            self.assertEqual(len(failures), 1, factory)
            self.assertTrue(request._disconnected)
            self.assertRaises(RuntimeError, request.finish)

    def test_invalid_header_name_raises_as_twisteds(self):
        rec = Recorder(NOT_DONE_YET)
        proto, transport, clock, site = serve(rec)
        proto.dataReceived(get(b"/"))
        (request,) = rec.requests
        self.assertRaises(InvalidHeaderName, request.setHeader, b"bad name", b"v")
        self.assertRaises(InvalidHeaderName, request.setHeader, "bad\x00name", b"v")
        self.assertRaises(AttributeError, request.setHeader, b"x-int", 5)
        self.assertNotIn(b"bad name", webrequest._keys)

    def test_got_length_override_is_called(self):
        lengths = []

        class Mine(Request):
            def gotLength(self, length):
                lengths.append(length)
                super().gotLength(length)

        request = self.one(get(b"/"), Mine)
        self.one(get(b"/", b"Content-Length: 2", method=b"PUT") + b"ab", Mine)
        self.assertEqual(lengths, [0, 2])
        self.assertIsNone(request.content)  # finished

    def test_headers_fast_paths_probed(self):
        """On the Twisted the tests run with, the response headers are
        worked on directly (the fallback is tested with the same exchanges
        above)."""
        self.assertTrue(webrequest._RAW)

    def test_parse_post_form_submission_setting(self):
        head = (
            get(
                b"/",
                b"Content-Type: application/x-www-form-urlencoded",
                b"Content-Length: 3",
                method=b"POST",
            )
            + b"a=1"
        )
        for parse_ in (True, False):
            rec = Recorder()
            proto, transport, clock, site = serve(rec, parsePOSTFormSubmission=parse_)
            proto.dataReceived(head)
            (request,) = rec.requests
            self.assertEqual(request.args, {b"a": [b"1"]} if parse_ else {})
            self.assertEqual(rec.contents, [b"a=1"])

    def test_same_attributes_as_twisteds(self):
        """After an exchange, the same instance attributes as Twisted's
        Request has (the drift check for a new Twisted)."""
        ours = self.one(get(b"/?a=1", b"Cookie: a=1"))
        twisteds = self.one(get(b"/?a=1", b"Cookie: a=1"), server.Request)
        ours.requestHeaders, ours.received_cookies
        for name in vars(twisteds):
            if name == "_parsePOSTFormSubmission":
                continue  # asked of the Site only when a form is posted
            self.assertTrue(hasattr(ours, name), name)
            if name not in ("transport", "client", "host", "requestHeaders", "responseHeaders",
                            "_adapterCache", "site"):
                self.assertEqual(getattr(ours, name), getattr(twisteds, name), name)


class InitTests(SynchronousTestCase):
    """Request.__init__ sets responseHeaders and the component cache itself
    (what Headers() and Componentized.__init__ do) when this Twisted's
    do only that; else it calls them."""

    def check(self) -> None:
        rec = Recorder()
        proto, transport, clock, site = serve(rec)
        proto.dataReceived(get(b"/"))
        (request,) = rec.requests
        self.assertIs(type(request.responseHeaders), Headers)
        self.assertIn("_adapterCache", vars(request))
        # components and sessions work as on Twisted's Request
        marker = object()
        request.setComponent(IRequest, marker)
        self.assertIs(request.getComponent(IRequest), marker)
        request.responseHeaders.setRawHeaders(b"x-a", [b"1"])
        self.assertEqual(list(request.responseHeaders.getAllRawHeaders())[-1], (b"X-A", [b"1"]))
        self.assertEqual(parse(transport.value(), [b"GET"])[0].status, 200)

    def test_plain(self):
        self.assertTrue(webrequest._PLAIN_INITS)
        self.check()

    def test_fallback(self):
        self.patch(webrequest, "_PLAIN_INITS", False)
        self.check()

    def test_fresh_state_per_request(self):
        rec = Recorder()
        proto, transport, clock, site = serve(rec)
        proto.dataReceived(get(b"/") + get(b"/"))
        first, second = rec.requests
        self.assertIsNot(first._adapterCache, second._adapterCache)
        self.assertIsNot(first.responseHeaders, second.responseHeaders)


class DateTests(SynchronousTestCase):
    def test_date_from_the_protocol_clock(self):
        rec = Recorder()
        clock = Clock()
        clock.advance(1_000_000_000)
        proto = Site(rec, reactor=clock).buildProtocol(None)
        transport = StringTransport()
        proto.makeConnection(transport)
        proto.dataReceived(get(b"/"))
        clock.advance(0.5)
        proto.dataReceived(get(b"/"))
        clock.advance(0.5)
        proto.dataReceived(get(b"/"))
        rs = parse(transport.value(), [b"GET"] * 3)
        self.assertEqual(
            [r.headers["date"] for r in rs],
            [b"Sun, 09 Sep 2001 01:46:40 GMT"] * 2 + [b"Sun, 09 Sep 2001 01:46:41 GMT"],
        )


class ContentLengthTests(SynchronousTestCase):
    def test_overridden_set_header_sees_content_length(self):
        """A subclass's setHeader is still called for the Content-Length of
        a rendered body (as Twisted's Request calls it)."""
        names = []

        class Recording(Request):
            def setHeader(self, name, value):
                names.append((name.lower(), value))
                super().setHeader(name, value)

        proto, transport, clock, site = serve(Recorder(b"hello"), requestFactory=Recording)
        proto.dataReceived(get(b"/"))
        self.assertIn((b"content-length", b"5"), names)
        (response,) = parse(transport.value(), [b"GET"])
        self.assertEqual(response.headers["content-length"], b"5")
        self.assertEqual(response.body, b"hello")


class OnTwistedsChannelTests(SynchronousTestCase):
    """The class also works on twisted.web's own HTTPChannel (where it
    frames chunked bodies itself, as Twisted's does)."""

    def test_same_bytes(self):
        out = []
        for factory in (server.Request, Request):
            site = server.Site(tree(), requestFactory=factory, reactor=Clock())
            proto = site.buildProtocol(None)
            transport = StringTransport()
            proto.makeConnection(transport)
            proto.dataReceived(get(b"/hello") + get(b"/default") + get(b"/misuse"))
            out.append(transport.value())
            proto.connectionLost(Failure(Exception("done")))
        self.assertEqual(_normalised(out[1]), _normalised(out[0]))
        self.assertEqual(out[1].count(b"Transfer-Encoding: chunked"), 1)
        self.assertTrue(out[1].endswith(b"\r\n4\r\ndone\r\n0\r\n\r\n"))


class HeaderMemoryTests(SynchronousTestCase):
    """What setHeader remembers across requests stays bounded."""

    def test_bounded(self):
        rec = Recorder(NOT_DONE_YET)
        proto, transport, clock, site = serve(rec)
        proto.dataReceived(get(b"/"))
        (request,) = rec.requests
        for i in range(3000):
            request.setHeader(b"x-n-%d" % i, b"value %d" % i)
        request.setHeader(b"x-long", b"v" * 1000)
        self.assertLessEqual(len(webrequest._plainValues), webrequest._PLAIN_VALUES_LIMIT)
        self.assertLessEqual(len(webrequest._keys), webrequest._KEYS_LIMIT)
        self.assertNotIn(b"v" * 1000, webrequest._plainValues)
        self.assertEqual(request.responseHeaders.getRawHeaders(b"x-n-2999"), [b"value 2999"])
        self.assertEqual(request.responseHeaders.getRawHeaders(b"x-long"), [b"v" * 1000])
