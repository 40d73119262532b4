"""
On a plain TCP transport, corked output (a synchronous answer) waits for the
reactor's next turn and then, if Twisted's buffer is empty, goes straight to
the socket (txh11.protocol._output.Output.flushSoon, write); what the socket does not
take, and every write while Twisted still holds bytes, goes through
``transport.write``.

Trial TestCases on real loopback sockets and the real reactor; the clients
are blocking sockets run in the reactor's thread pool.
"""

from __future__ import annotations

import hashlib
import os
import socket
from typing import Any

from twisted.internet import defer, reactor, threads
from twisted.internet.error import ConnectionDone, ConnectionLost
from twisted.internet.protocol import Protocol
from twisted.internet.testing import StringTransport
from twisted.protocols.tls import TLSMemoryBIOFactory
from twisted.test.iosim import FakeTransport
from twisted.trial import unittest

from txh11.protocol._socket import plainSocket as _plainSocket
from txh11.server import HTTP11ServerFactory, HTTP11ServerProtocol

from tests._support.testlib import sleep

BIG = os.urandom(1 << 16) * 128  # 8 MiB: more than loopback's socket buffers


def request(target: bytes) -> bytes:
    return b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def read_responses(sock: socket.socket, count: int) -> list[tuple[bytes, bytes]]:
    """Read ``count`` Content-Length responses: [(head, body)]."""
    data = b""
    out = []
    while len(out) < count:
        while b"\r\n\r\n" not in data:
            more = sock.recv(65536)
            assert more, "connection closed before a response head"
            data += more
        head, _, data = data.partition(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        while len(data) < length:
            more = sock.recv(1 << 20)
            assert more, "connection closed inside a body"
            data += more
        out.append((head, data[:length]))
        data = data[length:]
    return out


class Recording(HTTP11ServerProtocol):
    """Notes, after each read and each flush, what waits where."""

    def connectionLost(self, reason: Any) -> None:
        super().connectionLost(reason)
        self.factory.lost.append(reason)

    def dataReceived(self, data: bytes) -> None:
        super().dataReceived(data)
        # answered synchronously: held back until the reactor's next turn
        self.factory.notes.append(("read", bool(self._output.out), self._output.cork))

    def makeConnection(self, transport: Any) -> None:
        super().makeConnection(transport)
        output = self._output
        flush = output.flush

        def recordingFlush() -> None:  # every flush, also past coalesceLimit
            had = bool(output.out)
            flush()
            if had:
                t = self.transport
                held = len(t.dataBuffer) - t.offset + t._tempDataLen
                self.factory.notes.append(("flush", t in reactor.getWriters(), held))

        output.flush = recordingFlush  # type: ignore[method-assign]


class DirectWriteTests(unittest.TestCase):
    timeout = 30

    def setUp(self) -> None:
        self.factory = HTTP11ServerFactory(self.handle)
        self.factory.protocol = Recording
        self.factory.lost = []
        self.factory.notes = []
        self.port = reactor.listenTCP(0, self.factory, interface="127.0.0.1")
        self.addCleanup(self.port.stopListening)

    def handle(self, req: Any) -> Any:
        if req.target == b"/broken":
            # the socket refuses to send behind Twisted's back: EPIPE
            req.channel.transport.getHandle().shutdown(socket.SHUT_WR)
        body = BIG if req.target == b"/big" else b"hello"
        return req.respond(200, [(b"content-type", b"text/plain")], body)

    def client(self, *targets: bytes, pause: float = 0.0) -> defer.Deferred:
        def run() -> list[tuple[bytes, bytes]]:
            import time

            with socket.create_connection(("127.0.0.1", self.port.getHost().port)) as s:
                if pause:  # all at once, read later
                    s.sendall(b"".join(request(t) for t in targets))
                    time.sleep(pause)
                    return read_responses(s, len(targets))
                out = []
                for target in targets:  # one at a time
                    s.sendall(request(target))
                    out += read_responses(s, 1)
                return out

        return threads.deferToThread(run)

    @defer.inlineCallbacks
    def test_answers_wait_for_the_next_turn_then_skip_the_transport_buffer(self) -> Any:
        yield self.client(b"/a", b"/b", b"/c")
        notes = self.factory.notes
        self.assertEqual(
            [n[0] for n in notes], ["read", "flush"] * 3, "one flush after each read"
        )
        for kind, held_by_us, cork in notes[0::2]:
            self.assertEqual((held_by_us, cork), (True, 1), "the answer left during the read")
        for kind, registered, held in notes[1::2]:
            self.assertFalse(registered, "the answer waited for the reactor to write it")
            self.assertEqual(held, 0)

    @defer.inlineCallbacks
    def test_what_the_socket_does_not_take_goes_through_the_transport(self) -> Any:
        # the client reads only after a pause: the socket takes part of the
        # 8 MiB (sendmsg of head and body, flushed at once: past
        # coalesceLimit nothing waits for the next turn), Twisted buffers
        # the rest, and the response after it waits its turn there
        responses = yield self.client(b"/big", b"/after", pause=0.3)
        self.assertEqual(
            [(len(body), hashlib.sha256(body).digest()) for _, body in responses],
            [(len(BIG), hashlib.sha256(BIG).digest()), (5, hashlib.sha256(b"hello").digest())],
        )
        kind, registered, held = self.factory.notes[0]
        self.assertEqual(kind, "flush")
        self.assertTrue(registered, "the rest of the big body was not left to the reactor")
        self.assertGreater(held, 0)
        self.assertLess(held, len(BIG))  # part of it went straight out

    @defer.inlineCallbacks
    def test_a_send_error_is_left_to_twisted(self) -> Any:
        def run() -> bytes:
            with socket.create_connection(("127.0.0.1", self.port.getHost().port)) as s:
                s.sendall(request(b"/broken"))
                chunks = []
                while more := s.recv(65536):
                    chunks.append(more)
                return b"".join(chunks)

        got = yield threads.deferToThread(run)
        self.assertEqual(got, b"")  # nothing was sent after the shutdown
        while not self.factory.lost:
            yield sleep(0.01)
        self.assertTrue(self.factory.lost[0].check(ConnectionLost, ConnectionDone))
        # the server keeps serving everyone else
        responses = yield self.client(b"/next")
        self.assertEqual(responses[0][1], b"hello")


class PlainSocketTests(unittest.TestCase):
    def test_only_plain_stream_sockets_qualify(self) -> None:
        self.assertIsNone(_plainSocket(StringTransport()))
        self.assertIsNone(_plainSocket(FakeTransport(Protocol(), isServer=True)))

    def test_a_descriptor_without_a_tls_flag_does_not_qualify(self) -> None:
        from twisted.internet.abstract import FileDescriptor

        a, b = socket.socketpair()
        self.addCleanup(a.close)
        self.addCleanup(b.close)

        class Bare(FileDescriptor):
            def getHandle(self) -> socket.socket:
                return a

        class Flagged(Bare):
            TLS = False

        self.assertIsNone(_plainSocket(Bare(reactor)))
        self.assertIs(_plainSocket(Flagged(reactor)), a)

    @defer.inlineCallbacks
    def test_tls_does_not_qualify(self) -> Any:
        """Behind TLS the protocol's transport is the TLS protocol."""
        from twisted.internet.ssl import CertificateOptions

        seen = []

        class Probe(HTTP11ServerProtocol):
            def connectionMade(self) -> None:
                super().connectionMade()
                seen.append(_plainSocket(self.transport))
                self.transport.loseConnection()

        factory = HTTP11ServerFactory(lambda req: None)
        factory.protocol = Probe
        port = reactor.listenTCP(
            0, TLSMemoryBIOFactory(CertificateOptions(), False, factory), interface="127.0.0.1"
        )
        self.addCleanup(port.stopListening)
        plain = reactor.listenTCP(0, factory, interface="127.0.0.1")
        self.addCleanup(plain.stopListening)

        def connect(p: Any) -> None:
            with socket.create_connection(("127.0.0.1", p.getHost().port)) as s:
                try:
                    s.recv(1)
                except ConnectionResetError:  # TLS closed before a handshake
                    pass

        yield threads.deferToThread(connect, port)
        yield threads.deferToThread(connect, plain)
        self.assertIsNone(seen[0])
        self.assertIsInstance(seen[1], socket.socket)


class StartTLSTests(unittest.TestCase):
    timeout = 30

    @defer.inlineCallbacks
    def test_start_tls_later_stops_direct_writes(self) -> Any:
        """A plain transport that ``startTLS`` wraps after the connection
        was made: the response must go out encrypted, not straight to the
        socket (``TLS`` is read on every write)."""
        import ssl

        import trustme
        from twisted.internet import ssl as tssl

        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1")
        pc = tssl.PrivateCertificate.loadPEM(cert.private_key_and_cert_chain_pem.bytes().decode())
        options = tssl.CertificateOptions(privateKey=pc.privateKey.original, certificate=pc.original)

        def handle(req: Any) -> Any:
            req.channel.transport.startTLS(options)
            return req.respond(200, [], b"secret")

        port = reactor.listenTCP(0, HTTP11ServerFactory(handle), interface="127.0.0.1")
        self.addCleanup(port.stopListening)
        context = ssl.create_default_context()
        ca.configure_trust(context)

        def run() -> list[tuple[bytes, bytes]]:
            import time

            with socket.create_connection(("127.0.0.1", port.getHost().port)) as raw:
                raw.sendall(request(b"/"))
                time.sleep(0.2)  # the request is read before the TLS hello arrives
                with context.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                    return read_responses(s, 1)

        responses = yield threads.deferToThread(run)
        self.assertEqual(responses[0][1], b"secret")


class StreamingTests(unittest.TestCase):
    timeout = 30

    @defer.inlineCallbacks
    def test_single_events_outside_a_cork_go_through_the_transport_buffer(self) -> Any:
        """A head and data written piece by piece outside a delivery (a
        producer, a template) are joined by Twisted's buffer into one send,
        not sent one system call (and, under Nagle, one delayed segment)
        per piece."""
        seen = []

        def handle(req: Any) -> Any:
            from txh11 import EndOfMessage, Response

            def stream() -> None:
                req.send(Response(status_code=200, headers=[(b"content-length", b"1000")]))
                t = req.channel.transport
                seen.append(len(t.dataBuffer) - t.offset + t._tempDataLen)
                for _ in range(100):
                    req.write(b"x" * 10)
                seen.append(len(t.dataBuffer) - t.offset + t._tempDataLen)
                req.send(EndOfMessage())

            reactor.callLater(0, stream)
            return req.notifyFinish()

        port = reactor.listenTCP(0, HTTP11ServerFactory(handle), interface="127.0.0.1")
        self.addCleanup(port.stopListening)

        def run() -> list[tuple[bytes, bytes]]:
            with socket.create_connection(("127.0.0.1", port.getHost().port)) as s:
                s.sendall(request(b"/"))
                return read_responses(s, 1)

        responses = yield threads.deferToThread(run)
        self.assertEqual(responses[0][1], b"x" * 1000)
        head = seen[0]
        self.assertGreater(head, 0)  # the head waits in Twisted's buffer
        self.assertEqual(seen, [head, head + 1000])  # and so do the pieces


class TurnFlushTests(unittest.TestCase):
    timeout = 30

    @defer.inlineCallbacks
    def test_a_failing_flush_does_not_hold_back_the_others(self) -> Any:
        """Output of several connections waits for the same turn; if one
        connection's flush fails, it is aborted and logged, and the others'
        answers still go out."""
        from twisted.logger import globalLogPublisher

        from txh11.protocol import _output as P

        class Failing(HTTP11ServerProtocol):
            def _flush(self) -> None:
                if self._output.out and b"/fail" in self.factory.seen[-1]:
                    raise RuntimeError("boom")
                super()._flush()

        seen: list[bytes] = []

        def handle(req: Any) -> Any:
            seen.append(req.target)
            return req.respond(200, [], b"ok")

        factory = HTTP11ServerFactory(handle)
        factory.protocol = Failing
        factory.seen = seen
        port = reactor.listenTCP(0, factory, interface="127.0.0.1")
        self.addCleanup(port.stopListening)
        logged: list[Any] = []
        globalLogPublisher.addObserver(logged.append)
        self.addCleanup(globalLogPublisher.removeObserver, logged.append)

        def run(target: bytes) -> bytes:
            with socket.create_connection(("127.0.0.1", port.getHost().port), timeout=5) as s:
                s.sendall(request(target))
                chunks = []
                while b"ok" not in b"".join(chunks):
                    try:
                        more = s.recv(65536)
                    except ConnectionResetError:  # the abort
                        break
                    if not more:
                        break
                    chunks.append(more)
                return b"".join(chunks)

        failed = yield threads.deferToThread(run, b"/fail")
        self.assertEqual(failed, b"")  # aborted, nothing sent
        self.assertEqual(P._nextTurn, {})
        good = yield threads.deferToThread(run, b"/good")
        self.assertTrue(good.startswith(b"HTTP/1.1 200 "))
        self.assertTrue(any("writing to" in str(e.get("log_format")) for e in logged))
        self.flushLoggedErrors(RuntimeError)

    @defer.inlineCallbacks
    def test_a_cancelled_turn_is_taken_over_by_the_next(self) -> Any:
        """If the call at the next turn is cancelled (a stopped reactor, a
        test's clean-up), the output waiting for it goes with the next
        connection's instead of being stuck behind a call that never runs."""
        from txh11.protocol import _output as P

        answered: list[bytes] = []

        class CancelTurn(HTTP11ServerProtocol):
            def dataReceived(self, data: bytes) -> None:
                super().dataReceived(data)  # answered, waiting for the turn
                if data.startswith(b"GET /a "):
                    P._nextTurn[reactor][0].cancel()
                    answered.append(data)

        factory = HTTP11ServerFactory(lambda req: req.respond(200, [], b"ok"))
        factory.protocol = CancelTurn
        port = reactor.listenTCP(0, factory, interface="127.0.0.1")
        self.addCleanup(port.stopListening)

        def run(target: bytes) -> bytes:
            with socket.create_connection(("127.0.0.1", port.getHost().port), timeout=5) as s:
                s.sendall(request(target))
                return read_responses(s, 1)[0][1]

        a = threads.deferToThread(run, b"/a")
        while not answered:
            yield sleep(0.01)
        b = yield threads.deferToThread(run, b"/b")
        self.assertEqual(b, b"ok")
        self.assertEqual((yield a), b"ok")
