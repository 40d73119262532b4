"""
Pipelined requests: responses always in request order, and a request is
not even handed to its resource before the previous response is complete.

Twisted's CVE-2023-46137 (GHSA-xc8x-vp79-p3wm): a slow resource (a reverse
proxy) followed by a fast one in the same packet -- the fast response went
out first.  CVE-2024-41671 (GHSA-c8m8-j448-xjx7): the same disorder when the
pipelined request arrives in a later packet / after a request with a body.
Each scenario is fed in one write and one byte at a time.
"""

from __future__ import annotations

import random

from twisted.trial.unittest import SynchronousTestCase
from twisted.web.resource import Resource

from tests._support.web import Later, Now, feed, get, parse, serve


class PipeliningTests(SynchronousTestCase):
    def site(self):
        self.log = []
        root = Resource()
        self.slow = Later(b"slow", self.log)
        self.fast = Now(b"fast", self.log)
        root.putChild(b"slow", self.slow)
        root.putChild(b"fast", self.fast)
        return serve(root)

    def check_order(self, data, methods, bodies, closed=False):
        proto, transport, clock, site = self.serve
        (responses) = parse(transport.value(), methods, closed=closed)
        self.assertEqual([r.body for r in responses], bodies)

    def scenario_same_packet(self, bytewise):
        proto, transport, clock, site = self.serve = self.site()
        feed(proto, clock, get(b"/slow") + get(b"/fast") + get(b"/fast"), bytewise)
        # the fast ones were not even rendered
        self.assertEqual(self.log, [("render", b"slow")])
        self.assertEqual(transport.value(), b"")
        self.slow.fire()
        clock.advance(0)
        self.assertEqual(
            self.log,
            [("render", b"slow"), ("finish", b"slow"),
             ("render", b"fast"), ("finish", b"fast"),
             ("render", b"fast"), ("finish", b"fast")],
        )
        self.check_order(None, [b"GET"] * 3, [b"slow", b"fast", b"fast"])

    def test_cve_2023_46137_same_packet(self):
        self.scenario_same_packet(False)

    def test_cve_2023_46137_same_packet_bytewise(self):
        self.scenario_same_packet(True)

    def scenario_later_packet(self, bytewise):
        proto, transport, clock, site = self.serve = self.site()
        feed(proto, clock, get(b"/slow"), bytewise)
        feed(proto, clock, get(b"/fast"), bytewise)
        clock.advance(1)
        self.assertEqual(self.log, [("render", b"slow")])
        self.slow.fire()
        clock.advance(0)
        self.check_order(None, [b"GET"] * 2, [b"slow", b"fast"])

    def test_cve_2024_41671_later_packet(self):
        self.scenario_later_packet(False)

    def test_cve_2024_41671_later_packet_bytewise(self):
        self.scenario_later_packet(True)

    def scenario_after_body(self, bytewise, chunked):
        proto, transport, clock, site = self.serve = self.site()
        if chunked:
            first = get(b"/slow", b"Transfer-Encoding: chunked", method=b"POST")
            first += b"5\r\nhello\r\n0\r\n\r\n"
        else:
            first = get(b"/slow", b"Content-Length: 5", method=b"POST") + b"hello"
        feed(proto, clock, first + get(b"/fast") + get(b"/slow") + get(b"/fast"), bytewise)
        self.assertEqual(self.log, [("render", b"slow")])
        self.slow.fire()
        clock.advance(0)
        self.assertEqual(self.log[-1], ("render", b"slow"))
        self.slow.fire()
        clock.advance(0)
        self.check_order(None, [b"POST", b"GET", b"GET", b"GET"],
                         [b"slow", b"fast", b"slow", b"fast"])

    def test_after_content_length_body(self):
        self.scenario_after_body(False, False)

    def test_after_content_length_body_bytewise(self):
        self.scenario_after_body(True, False)

    def test_after_chunked_body(self):
        self.scenario_after_body(False, True)

    def test_after_chunked_body_bytewise(self):
        self.scenario_after_body(True, True)

    def test_last_request_connection_close(self):
        """The issue's PoC ends with Connection: close: every earlier response
        still goes out, in order, before the close."""
        proto, transport, clock, site = self.serve = self.site()
        feed(proto, clock, get(b"/slow") + get(b"/fast", b"Connection: close") + get(b"/fast"), False)
        self.assertFalse(transport.disconnecting)
        self.slow.fire()
        clock.advance(0)
        self.assertTrue(transport.disconnecting)
        self.check_order(None, [b"GET", b"GET"], [b"slow", b"fast"])
        self.assertEqual(self.log.count(("render", b"fast")), 1)

    def test_many_random(self):
        """50 pipelined requests, a random half answered later in a random
        order of firing: the wire order is the request order."""
        rnd = random.Random(46137)
        proto, transport, clock, site = self.serve = self.site()
        names = [rnd.choice([b"slow", b"fast"]) for _ in range(50)]
        proto.dataReceived(b"".join(get(b"/" + n) for n in names))
        for _ in range(200):
            clock.advance(0)
            if self.slow.pending:
                clock.advance(rnd.random())
                self.slow.fire()
        self.check_order(None, [b"GET"] * 50, names)

    def test_pipelined_bytes_stay_unparsed_while_waiting(self):
        """While a response is pending the next request is not parsed, and
        the transport is paused once more than a head is buffered."""
        proto, transport, clock, site = self.serve = self.site()
        proto.dataReceived(get(b"/slow") + get(b"/fast") * 20)
        self.assertEqual(transport.producerState, "paused")
        self.assertEqual(self.log, [("render", b"slow")])
        self.slow.fire()
        for _ in range(30):
            clock.advance(0)
        self.assertEqual(transport.producerState, "producing")
        self.check_order(None, [b"GET"] * 21, [b"slow"] + [b"fast"] * 20)
