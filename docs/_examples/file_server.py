"""Serve one directory's files with zero-copy bodies (native handler API).

    python docs/_examples/file_server.py 8080 /path/to/dir
"""
import mimetypes
import os
import sys

from twisted.internet import reactor

from txh11.bodies import FileBody
from txh11.server import HTTP11ServerFactory

ROOT = os.path.realpath(sys.argv[2] if len(sys.argv) > 2 else ".")


async def serve_file(request):
    if request.method not in (b"GET", b"HEAD"):
        await request.respond(405, [("Allow", "GET, HEAD")])
        return
    path = os.path.realpath(os.path.join(ROOT, request.target.decode("latin-1").lstrip("/")))
    if not path.startswith(ROOT + os.sep) or not os.path.isfile(path):
        await request.respond(404, [("Content-Type", "text/plain")], b"not found\n")
        return
    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    with open(path, "rb") as f:
        # len(FileBody) is the file's size: respond() sets Content-Length,
        # and the bytes go from the file to the socket with os.sendfile().
        await request.respond(200, [("Content-Type", content_type)], FileBody(f))


port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
reactor.listenTCP(port, HTTP11ServerFactory(serve_file), interface="127.0.0.1")
print(f"serving {ROOT} on http://127.0.0.1:{port}/", flush=True)
reactor.run()
