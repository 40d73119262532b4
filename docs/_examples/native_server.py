"""A native txh11 server: one handler, answering every request.

    python docs/_examples/native_server.py 8080
"""
import sys

from twisted.internet import reactor
from zope.interface import implementer

import txh11
from txh11.server import HTTP11ServerFactory, IRequestHandler


@implementer(IRequestHandler)
class Greeter:
    async def requestReceived(self, request):
        if request.method == b"POST":
            body = await request.readBody(maxSize=1024 * 1024)
            answer = b"you sent %d bytes\n" % len(body)
        else:
            answer = b"hello from txh11, you asked for %s\n" % request.target
        await request.respond(
            200,
            [("Content-Type", "text/plain"), ("Server", txh11.PRODUCT_ID)],
            answer,
        )


port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
reactor.listenTCP(port, HTTP11ServerFactory(Greeter()), interface="127.0.0.1")
print(f"listening on http://127.0.0.1:{port}/", flush=True)
reactor.run()
