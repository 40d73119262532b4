"""
The agent through forward proxies, on real loopback sockets: plain HTTP
through Twisted's own ``twisted.web.proxy`` (absolute-form targets), HTTPS
through a ``CONNECT`` tunnel (tests/_support/proxy.py) with TLS end to end
and the certificate checked against the origin's name, proxy credentials,
and the ``*_proxy`` environment.  The CONNECT proxy maps the name
``origin.test`` to 127.0.0.1, so the origin and the proxy have different
names though both listen on 127.0.0.1.
"""

from __future__ import annotations

import base64
import json

from twisted.internet import defer, reactor, ssl
from twisted.trial import unittest
from twisted.web import resource, server
from twisted.web.client import BrowserLikePolicyForHTTPS, ResponseNeverReceived, readBody

from tests._support.proxy import connectProxy, httpProxy
from txh11.client import Agent, HTTPConnectionPool, ProxyConnectError

try:
    import trustme
except ImportError:  # pragma: no cover
    trustme = None

CREDENTIALS = b"Basic " + base64.b64encode(b"us@r:p:ss")
PROXY_USER = "us%40r:p%3Ass"  # the same, percent-encoded in a URL


class _Echo(resource.Resource):
    """Answers with the request's method, URI and headers as JSON."""

    isLeaf = True

    def render(self, request):
        headers = {k.decode().lower(): [v.decode() for v in vs] for k, vs in request.requestHeaders.getAllRawHeaders()}
        request.setHeader(b"content-type", b"application/json")
        return json.dumps({"method": request.method.decode(), "uri": request.uri.decode(), "headers": headers}).encode()


class _ProxyTests(unittest.TestCase):
    def setUp(self):
        self.pool = HTTPConnectionPool(reactor)
        self.addCleanup(self.pool.closeCachedConnections)

    def listen(self, port):
        self.addCleanup(port.stopListening)

    @defer.inlineCallbacks
    def echo(self, agent, url):
        response = yield agent.request(b"GET", url)
        body = yield readBody(response)
        return response.code, (json.loads(body) if response.code == 200 else body)


class PlainHTTPThroughProxyTests(_ProxyTests):
    def setUp(self):
        super().setUp()
        origin = reactor.listenTCP(0, server.Site(_Echo()), interface="127.0.0.1")
        self.listen(origin)
        self.url = b"http://127.0.0.1:%d/some/path?q=1" % origin.getHost().port

    def proxy(self, credentials=None):
        port, number, factory = httpProxy(credentials)
        self.listen(port)
        return number, factory

    @defer.inlineCallbacks
    def test_absolute_form_through_twisteds_proxy(self):
        number, factory = self.proxy()
        agent = Agent.usingProxy(reactor, f"http://127.0.0.1:{number}", pool=self.pool)
        for _ in range(2):
            code, seen = yield self.echo(agent, self.url + b"#fragment")
            self.assertEqual(code, 200)
            self.assertEqual(seen["uri"], "/some/path?q=1")  # as the origin saw it
        self.assertEqual([(m, t) for m, t, _ in factory.seen], [(b"GET", self.url)] * 2)
        self.assertNotIn(b"proxy-authorization", factory.seen[0][2])

    @defer.inlineCallbacks
    def test_proxy_credentials_from_the_url(self):
        number, factory = self.proxy(CREDENTIALS)
        agent = Agent.usingProxy(reactor, f"http://{PROXY_USER}@127.0.0.1:{number}", pool=self.pool)
        code, _ = yield self.echo(agent, self.url)
        self.assertEqual(code, 200)
        self.assertEqual(factory.seen[0][2][b"proxy-authorization"], [CREDENTIALS])
        # without them the proxy's 407 is the response
        agent = Agent.usingProxy(reactor, f"http://127.0.0.1:{number}")
        code, _ = yield self.echo(agent, self.url)
        self.assertEqual(code, 407)

    @defer.inlineCallbacks
    def test_environment(self):
        number, factory = self.proxy()
        proxyURL = f"http://127.0.0.1:{number}"
        agent = Agent.fromEnvironment(reactor, environ={"HTTP_PROXY": proxyURL}, pool=self.pool)
        code, _ = yield self.echo(agent, self.url)
        self.assertEqual((code, len(factory.seen)), (200, 1))
        for noProxy in ("localhost,127.0.0.1", "127.0.0.0/8", "*", " LOCALHOST , 127.0.0.1:%d" % int(self.url.split(b":")[2].split(b"/")[0])):
            agent = Agent.fromEnvironment(
                reactor, environ={"http_proxy": proxyURL, "NO_PROXY": noProxy}, pool=self.pool
            )
            code, _ = yield self.echo(agent, self.url)
            self.assertEqual((code, len(factory.seen)), (200, 1), noProxy)  # straight to the origin
        agent = Agent.fromEnvironment(reactor, environ={"https_proxy": proxyURL}, pool=self.pool)
        self.assertIsNone(agent.proxies.http)
        code, _ = yield self.echo(agent, self.url)
        self.assertEqual((code, len(factory.seen)), (200, 1))


class HTTPSThroughConnectTests(_ProxyTests):
    if trustme is None:
        skip = "trustme is not installed"

    def setUp(self):
        super().setUp()
        self.ca = trustme.CA()
        self.policy = BrowserLikePolicyForHTTPS(trustRoot=ssl.Certificate.loadPEM(self.ca.cert_pem.bytes()))

    def origin(self, *names):
        cert = self.ca.issue_cert(*names)
        pc = ssl.PrivateCertificate.loadPEM(cert.private_key_pem.bytes() + cert.cert_chain_pems[0].bytes())
        port = reactor.listenSSL(0, server.Site(_Echo()), pc.options(), interface="127.0.0.1")
        self.listen(port)
        return b"https://origin.test:%d/secret?x=1" % port.getHost().port

    def proxy(self, credentials=None):
        port, number, factory = connectProxy(credentials, hosts={"origin.test": "127.0.0.1"})
        self.listen(port)
        return number, factory

    def agent(self, proxyURL):
        return Agent.usingProxy(reactor, proxyURL, contextFactory=self.policy, pool=self.pool)

    @defer.inlineCallbacks
    def test_tls_to_the_origin_through_the_tunnel(self):
        url = self.origin("origin.test")
        number, factory = self.proxy()
        agent = self.agent(f"http://127.0.0.1:{number}")
        for _ in range(3):
            code, seen = yield self.echo(agent, url)
            self.assertEqual(code, 200)
            self.assertEqual(seen["uri"], "/secret?x=1")  # origin form, inside TLS
        port = url.split(b":")[2].split(b"/")[0]
        self.assertEqual(len(factory.seen), 1)  # one tunnel, kept alive
        method, target, headers = factory.seen[0]
        self.assertEqual((method, target), (b"CONNECT", b"origin.test:" + port))
        self.assertEqual(headers[b"host"], [b"origin.test:" + port])

    @defer.inlineCallbacks
    def test_certificate_checked_against_the_origin_not_the_proxy(self):
        url = self.origin("127.0.0.1", "localhost")  # the proxy's names, not origin.test
        number, factory = self.proxy()
        d = self.agent(f"http://127.0.0.1:{number}").request(b"GET", url)
        f = yield self.assertFailure(d, ResponseNeverReceived)
        text = repr(f.reasons[0].value)
        self.assertIn("VerificationError", text)
        self.assertIn("origin.test", text)

    @defer.inlineCallbacks
    def test_proxy_credentials_on_connect_only(self):
        url = self.origin("origin.test")
        number, factory = self.proxy(CREDENTIALS)
        code, seen = yield self.echo(self.agent(f"http://{PROXY_USER}@127.0.0.1:{number}"), url)
        self.assertEqual(code, 200)
        self.assertEqual(factory.seen[0][2][b"proxy-authorization"], [CREDENTIALS])
        self.assertNotIn("proxy-authorization", seen["headers"])  # never to the origin
        d = self.agent(f"http://127.0.0.1:{number}").request(b"GET", url)
        f = yield self.assertFailure(d, ProxyConnectError)
        self.assertEqual(f.status, 407)

    @defer.inlineCallbacks
    def test_unreachable_origin(self):
        number, factory = self.proxy()
        from twisted.internet.protocol import Factory

        closed = reactor.listenTCP(0, Factory(), interface="127.0.0.1")
        gone = closed.getHost().port
        yield closed.stopListening()
        d = self.agent(f"http://127.0.0.1:{number}").request(b"GET", b"https://127.0.0.1:%d/" % gone)
        f = yield self.assertFailure(d, ProxyConnectError)
        self.assertEqual(f.status, 502)

    @defer.inlineCallbacks
    def test_environment_https_proxy(self):
        url = self.origin("origin.test")
        number, factory = self.proxy()
        env = {"HTTPS_PROXY": f"http://127.0.0.1:{number}", "NO_PROXY": "localhost,127.0.0.1"}
        agent = Agent.fromEnvironment(reactor, self.policy, environ=env, pool=self.pool)
        code, _ = yield self.echo(agent, url)
        self.assertEqual((code, len(factory.seen)), (200, 1))


class ProxyEndpointTests(_ProxyTests):
    """Agent.usingProxyEndpoint takes what Twisted's ProxyAgent takes."""

    @defer.inlineCallbacks
    def test_plain_http_like_twisteds_proxy_agent(self):
        from twisted.internet.endpoints import TCP4ClientEndpoint

        origin = reactor.listenTCP(0, server.Site(_Echo()), interface="127.0.0.1")
        self.listen(origin)
        url = b"http://127.0.0.1:%d/x" % origin.getHost().port
        port, number, factory = httpProxy()
        self.listen(port)
        endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", number)
        agent = Agent.usingProxyEndpoint(endpoint, reactor, self.pool)
        code, seen = yield self.echo(agent, url)
        self.assertEqual((code, seen["uri"]), (200, "/x"))
        self.assertEqual(factory.seen[0][1], url)

    @defer.inlineCallbacks
    def test_https_through_the_endpoint(self):
        if trustme is None:
            raise unittest.SkipTest("trustme is not installed")
        from twisted.internet.endpoints import TCP4ClientEndpoint

        ca = trustme.CA()
        cert = ca.issue_cert("origin.test")
        pc = ssl.PrivateCertificate.loadPEM(cert.private_key_pem.bytes() + cert.cert_chain_pems[0].bytes())
        origin = reactor.listenSSL(0, server.Site(_Echo()), pc.options(), interface="127.0.0.1")
        self.listen(origin)
        port, number, factory = connectProxy(CREDENTIALS, hosts={"origin.test": "127.0.0.1"})
        self.listen(port)
        policy = BrowserLikePolicyForHTTPS(trustRoot=ssl.Certificate.loadPEM(ca.cert_pem.bytes()))
        agent = Agent.usingProxyEndpoint(
            TCP4ClientEndpoint(reactor, "127.0.0.1", number), reactor, self.pool, policy, CREDENTIALS
        )
        code, seen = yield self.echo(agent, b"https://origin.test:%d/y" % origin.getHost().port)
        self.assertEqual((code, seen["uri"]), (200, "/y"))
        self.assertEqual(factory.seen[0][0], b"CONNECT")
