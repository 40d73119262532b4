"""The little HTTP/1.1 server that the tutorial talks to.

Run it in a terminal of its own and leave it running while you follow
"Getting started: the core"::

    python docs/_examples/tutorial_server.py          # listens on 127.0.0.1:8080
    python docs/_examples/tutorial_server.py 8081     # or on another port

It uses only the standard library (``http.server``), so the tutorial's client
talks to a server that txh11 did not write. Its answers are the same every
time, so what you see matches the output printed in the docs:

=================  =========================================================
``GET /hello``     a one-line greeting
``GET /lines``     twenty short numbered lines (280 bytes)
``GET /chunked``   three pieces sent with ``Transfer-Encoding: chunked``
``POST /echo``     your request body, sent straight back
anything else      ``404 Not Found``
=================  =========================================================

Every response goes out in one write, carries ``Server: tutorial-server/1.0``
and a fixed ``Date`` (so the printed output can be reproduced), and the
connection stays open between requests unless the request says
``Connection: close``.
"""

import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FIXED_DATE = "Sat, 01 Jan 2000 00:00:00 GMT"
LINES = b"".join(b"line %02d of 20\n" % i for i in range(1, 21))


class TutorialHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, chunked: speak HTTP/1.1
    wbufsize = 64 * 1024  # buffer each response and send it in one write

    def version_string(self):
        return "tutorial-server/1.0"

    def date_time_string(self, timestamp=None):
        return FIXED_DATE

    def log_message(self, format, *args):
        pass  # keep the terminal quiet

    def _reply(self, status, body, content_type="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if self.headers.get("Connection", "").lower() == "close":
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/hello":
            self._reply(200, b"Hello from the tutorial server!\n")
        elif self.path == "/lines":
            self._reply(200, LINES)
        elif self.path == "/chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in (b"first, ", b"second, ", b"third\n"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self._reply(404, b"Not Found\n")

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if self.path == "/echo":
            content_type = self.headers.get("Content-Type", "application/octet-stream")
            self._reply(200, body, content_type)
        else:
            self._reply(404, b"Not Found\n")


class TutorialServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # a real bug: show it


def start(port=8080, host="127.0.0.1"):
    """Start the server in a background thread; returns it (call ``shutdown()``)."""
    server = TutorialServer((host, port), TutorialHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    server = TutorialServer(("127.0.0.1", port), TutorialHandler)
    print(f"tutorial server on http://127.0.0.1:{port}/ (Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
