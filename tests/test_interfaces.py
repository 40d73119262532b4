"""verifyObject for the @implementer / @provider claims in src/ that no
other test verifies: _PullToPush, _SendfileDriver, ProducerBody,
HTTP11OnlyCreator, _ChunkedConsumer, the client's _BodyTransport and
txh11.web's Request as an INonQueuedRequestFactory."""

import socket

from twisted.internet.interfaces import (
    IConsumer,
    IOpenSSLClientConnectionCreator,
    IPullProducer,
    IPushProducer,
)
from twisted.internet.ssl import optionsForClientTLS
from twisted.internet.task import Clock
from twisted.web.iweb import IBodyProducer, INonQueuedRequestFactory
from zope.interface.verify import verifyClass, verifyObject

from tests._support.testlib import TickingProducer


def test_pull_to_push_is_a_push_producer():
    from txh11.protocol._producers import PullToPush as _PullToPush

    class Pull:
        def resumeProducing(self):
            pass

        def stopProducing(self):
            pass

    assert verifyClass(IPushProducer, _PullToPush)
    assert verifyObject(IPushProducer, _PullToPush(Pull(), Clock()))


def test_sendfile_driver_is_a_pull_producer(tmp_path):
    from txh11.bodies import FileBody, _SendfileDriver

    a, b = socket.socketpair()

    class Transport:
        def getHandle(self):
            return a

    path = tmp_path / "f"
    path.write_bytes(b"abc")
    try:
        with open(path, "rb") as f:
            driver = _SendfileDriver(FileBody(f), None, Transport())
            assert verifyClass(IPullProducer, _SendfileDriver)
            assert verifyObject(IPullProducer, driver)
    finally:
        a.close()
        b.close()


def test_producer_body_is_a_body_producer():
    from txh11.bodies import ProducerBody

    body = ProducerBody(TickingProducer(b"abc", Clock()))
    assert verifyObject(IBodyProducer, body)
    assert body.length == 3


def test_http11_only_creator_is_a_connection_creator():
    from txh11.client._endpoints import HTTP11OnlyCreator

    creator = HTTP11OnlyCreator(optionsForClientTLS("example.com"))
    assert verifyClass(IOpenSSLClientConnectionCreator, HTTP11OnlyCreator)
    assert verifyObject(IOpenSSLClientConnectionCreator, creator)


def test_chunked_consumer_is_a_consumer():
    from txh11.client._exchange import _ChunkedConsumer

    assert verifyClass(IConsumer, _ChunkedConsumer)
    assert verifyObject(IConsumer, _ChunkedConsumer(object()))


def test_client_body_transport_is_a_push_producer():
    from txh11.client._response import ResponseBody

    assert verifyClass(IPushProducer, ResponseBody)
    assert verifyObject(IPushProducer, ResponseBody(object(), 10, 0))


def test_web_request_class_is_a_non_queued_request_factory():
    from txh11.web import Site
    from txh11.webrequest import Request

    assert INonQueuedRequestFactory.providedBy(Request)
    assert verifyObject(INonQueuedRequestFactory, Request)
    # and it is what a Site uses by default
    from twisted.web.resource import Resource

    assert Site(Resource()).requestFactory is Request


def test_client_parts_provide_their_interfaces():
    from twisted.internet.interfaces import IHalfCloseableProtocol, IProtocol
    from twisted.internet.task import Clock

    from txh11.client import HTTP11ClientProtocol
    from txh11.client._exchange import Exchange
    from txh11.client._interfaces import IBodySource, IClientConnection
    from txh11.client._request import prepareRequest
    from txh11.protocol import IHTTP11Handler

    proto = HTTP11ClientProtocol(Clock())
    for iface in (IProtocol, IHalfCloseableProtocol, IHTTP11Handler, IClientConnection):
        assert verifyObject(iface, proto)
    exchange = Exchange(proto, prepareRequest(b"GET", b"http://example.com/"))
    assert verifyClass(IBodySource, Exchange)
    assert verifyObject(IBodySource, exchange)
