"""ServerExchange's public methods, the ones txh11.web and the server's
handler use (and ServerRequest, the old name, is the same class); the
server's connection handler provides IHTTP11Handler."""

from __future__ import annotations

from typing import Any

from twisted.internet.error import ConnectionDone, ConnectionLost
from twisted.python.failure import Failure
from zope.interface.verify import verifyObject

import txh11 as h11
from txh11.protocol import IHTTP11Handler
from txh11.server import IServerRequest, ServerExchange, ServerRequest
from txh11.server._handler import ServerHandler

from tests._support.server import serve, statuses

GET = b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n"


def held(**settings: Any) -> tuple[list[ServerExchange], Any, Any, Any]:
    """A server whose handler keeps each exchange and answers nothing."""
    exchanges: list[ServerExchange] = []
    proto, transport, clock = serve(exchanges.append, **settings)
    return exchanges, proto, transport, clock


def test_the_exchange_and_its_old_name():
    assert ServerRequest is ServerExchange
    exchanges, proto, transport, clock = held()
    proto.dataReceived(GET)
    assert verifyObject(IServerRequest, exchanges[0])
    assert type(exchanges[0]) is ServerExchange


def test_the_server_handler_provides_the_bridge_interface():
    exchanges, proto, transport, clock = held()
    assert verifyObject(IHTTP11Handler, ServerHandler(proto, exchanges.append))


def test_send_response_adds_the_date_and_writes_the_data():
    exchanges, proto, transport, clock = held(idleTimeout=None)
    clock.advance(784111777)  # Sun, 06 Nov 1994 08:49:37 GMT
    proto.dataReceived(GET)
    exchange = exchanges[0]
    assert exchange.date() == b"Sun, 06 Nov 1994 08:49:37 GMT"
    assert not exchange.responseStarted
    exchange.sendResponse(h11.Response(status_code=200, headers=[("Content-Length", "2")]), False, b"hi")
    assert exchange.responseStarted and not exchange.responseComplete
    exchange.sendEndOfMessage()
    assert exchange.responseComplete
    wire = transport.value()
    assert wire.startswith(b"HTTP/1.1 200 ")
    assert b"\r\ndate: Sun, 06 Nov 1994 08:49:37 GMT\r\n" in wire
    assert wire.endswith(b"\r\n\r\nhi")


def test_a_dated_response_gets_no_second_date():
    exchanges, proto, transport, clock = held()
    proto.dataReceived(GET)
    headers = [("Content-Length", "0"), ("Date", "then")]
    exchanges[0].sendResponse(h11.Response(status_code=204, headers=headers), True)
    assert transport.value().lower().count(b"date:") == 1


def test_fail_answers_500_before_a_response_and_aborts_after_one():
    exchanges, proto, transport, clock = held()
    proto.dataReceived(GET)
    exchanges[0].fail(Failure(RuntimeError("late")))
    assert statuses(transport.value()) == [500]
    assert exchanges[0].abandoned

    exchanges, proto, transport, clock = held()
    proto.dataReceived(GET)
    exchanges[0].sendResponse(h11.Response(status_code=200, headers=[]), False, b"part")
    exchanges[0].fail(Failure(RuntimeError("late")))
    assert transport.disconnected  # aborted: the client sees a cut response


def test_when_abandoned_runs_once_the_connection_ends_the_exchange():
    exchanges, proto, transport, clock = held()
    proto.dataReceived(GET)
    seen: list[Any] = []
    exchanges[0].whenAbandoned(lambda reason, tag: seen.append((reason.type, tag)), "x")
    proto.connectionLost(Failure(ConnectionDone()))
    assert seen == [(ConnectionDone, "x")]
    assert exchanges[0].abandoned


def test_when_abandoned_is_quiet_once_the_response_is_complete():
    exchanges, proto, transport, clock = held()
    proto.dataReceived(GET)
    seen: list[Any] = []
    exchanges[0].whenAbandoned(lambda reason: seen.append(reason))
    exchanges[0].respond(200, [], b"ok")
    proto.connectionLost(Failure(ConnectionLost()))
    assert seen == []


def test_the_body_reported_by_the_server():
    """bodyReceived / bodyEnded, as the server reports a request body."""
    exchanges, proto, transport, clock = held()
    proto.dataReceived(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n")
    got = exchanges[0].readBody()
    proto.dataReceived(b"abc")
    assert got.result == b"abc"
    assert exchanges[0].trailers is not None
