"""
The agent against real server implementations over ``twisted.test.iosim``
(no sockets): txh11's own server and ``twisted.web.server.Site``.
"""

from __future__ import annotations

import json

from twisted.internet.testing import MemoryReactorClock
from twisted.test.iosim import ConnectionCompleter
from twisted.web import resource, server
from twisted.web.client import readBody
from twisted.web.http_headers import Headers

import txh11 as h11
from txh11.client import Agent, HTTPConnectionPool
from txh11.server import HTTP11ServerFactory

from tests._support.client import BytesProducer, ManualProducer, result

URL = b"http://127.0.0.1:8080/echo"
KEY = (b"http", b"127.0.0.1", 8080)


def setup(serverFactory):
    reactor = MemoryReactorClock()
    if isinstance(serverFactory, HTTP11ServerFactory):
        # the server's timers on this clock too: on the global reactor, which
        # these tests never run, its idle timeouts would outlive the test and
        # make the next trial test's reactor unclean
        serverFactory.reactor = reactor
    reactor.listenTCP(8080, serverFactory)
    pool = HTTPConnectionPool(reactor)
    return Agent(reactor, pool=pool), reactor, pool, ConnectionCompleter(reactor)


class Recorder:
    """A txh11 handler: echoes method, target and body; records requests."""

    def __init__(self, read=True):
        self.read = read
        self.requests = []

    def __call__(self, request):
        self.requests.append(request)
        if not self.read:
            return request.respond(417, [("content-type", "text/plain")], b"no thanks")

        def answer(body):
            payload = json.dumps(
                {
                    "method": request.method.decode(),
                    "target": request.target.decode(),
                    "body": body.decode("latin-1"),
                    "headers": {k.decode(): v.decode() for k, v in request.headers},
                }
            ).encode()
            return request.respond(200, [("content-type", "application/json")], payload)

        return request.readBody().addCallback(answer)


def test_get_and_keep_alive_against_txh11_server():
    handler = Recorder()
    agent, reactor, pool, completer = setup(HTTP11ServerFactory(handler))
    d = agent.request(b"GET", URL, Headers({b"X-A": [b"1"]}))
    pump = completer.succeedOnce()
    pump.flush()
    r = result(d)
    body = readBody(r)
    pump.flush()
    data = json.loads(result(body))
    assert data["method"] == "GET" and data["target"] == "/echo"
    assert data["headers"]["x-a"] == "1" and data["headers"]["host"] == "127.0.0.1:8080"
    d = agent.request(b"GET", URL)
    assert completer.succeedOnce() is None  # reused: no new connection
    pump.flush()
    body = readBody(result(d))
    pump.flush()
    assert json.loads(result(body))["method"] == "GET"
    assert len(handler.requests) == 2


def test_chunked_upload_against_txh11_server():
    agent, reactor, pool, completer = setup(HTTP11ServerFactory(Recorder()))
    producer = ManualProducer()
    d = agent.request(b"POST", URL, None, producer)
    pump = completer.succeedOnce()
    producer.write(b"part one, ")
    pump.flush()
    producer.write(b"part two")
    producer.finish()
    pump.flush()
    body = readBody(result(d))
    pump.flush()
    data = json.loads(result(body))
    assert data["body"] == "part one, part two"
    assert data["headers"]["transfer-encoding"] == "chunked"


def test_expect_100_continue_accepted_by_txh11_server():
    handler = Recorder()
    agent, reactor, pool, completer = setup(HTTP11ServerFactory(handler))
    producer = BytesProducer(b"the body")
    d = agent.request(b"PUT", URL, Headers({b"Expect": [b"100-continue"]}), producer)
    pump = completer.succeedOnce()
    pump.flush()
    body = readBody(result(d))
    pump.flush()
    assert json.loads(result(body))["body"] == "the body"
    # the server sent 100 Continue because the client waited (no timeout)
    assert reactor.seconds() < 1
    assert len(pool.cachedConnections(KEY)) == 1


def test_expect_100_continue_refused_by_txh11_server():
    handler = Recorder(read=False)
    agent, reactor, pool, completer = setup(HTTP11ServerFactory(handler))
    producer = ManualProducer(length=8)
    d = agent.request(b"PUT", URL, Headers({b"Expect": [b"100-continue"]}), producer)
    pump = completer.succeedOnce()
    pump.flush()
    r = result(d)
    assert r.code == 417
    body = readBody(r)
    pump.flush()
    assert result(body) == b"no thanks"
    assert producer.events == []  # the body was never sent
    assert pool.cachedConnections(KEY) == []


def test_trailers_from_txh11_server():
    def handler(request):
        request.send(h11.Response(status_code=200, headers=[("transfer-encoding", "chunked")]))
        request.send(h11.Data(data=b"abc"))
        request.send(h11.EndOfMessage(headers=[("x-digest", "sha-256=xyz")]))

    agent, reactor, pool, completer = setup(HTTP11ServerFactory(handler))
    d = agent.request(b"GET", URL, Headers({b"TE": [b"trailers"]}))
    pump = completer.succeedOnce()
    pump.flush()
    r = result(d)
    body = readBody(r)
    pump.flush()
    assert result(body) == b"abc"
    assert r.trailers.getRawHeaders(b"x-digest") == [b"sha-256=xyz"]


class Resource(resource.Resource):
    isLeaf = True

    def render_GET(self, request):
        return b"GET " + request.uri

    def render_POST(self, request):
        return b"POST " + request.content.read()


def test_against_twisted_web_site():
    reactor = MemoryReactorClock()
    site = server.Site(Resource(), reactor=reactor)
    agent, reactor2, pool, completer = setup(site)
    del reactor2
    d = agent.request(b"GET", URL)
    pump = completer.succeedOnce()
    pump.flush()
    body = readBody(result(d))
    pump.flush()
    assert result(body) == b"GET /echo"
    d = agent.request(b"POST", URL, None, BytesProducer(b"payload"))
    assert completer.succeedOnce() is None
    pump.flush()
    body = readBody(result(d))
    pump.flush()
    assert result(body) == b"POST payload"


def test_server_closing_the_cached_connection_over_iosim():
    agent, reactor, pool, completer = setup(HTTP11ServerFactory(Recorder()))
    d = agent.request(b"GET", URL)
    pump = completer.succeedOnce()
    pump.flush()
    body = readBody(result(d))
    pump.flush()
    result(body)
    assert len(pool.cachedConnections(KEY)) == 1
    pump.server.transport.loseConnection()
    pump.flush()
    assert pool.cachedConnections(KEY) == []
    d = agent.request(b"GET", URL)
    pump2 = completer.succeedOnce()
    assert pump2 is not None
    pump2.flush()
    assert result(d).code == 200
