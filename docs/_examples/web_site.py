"""twisted.web resources, a Klein app and a WSGI app on one txh11 Site.

    python docs/_examples/web_site.py 8080 /path/to/static/files

/static/...  twisted.web.static.File (sent with sendfile() on plain TCP)
/klein/...   a Klein app
/wsgi/...    a WSGI app, in Twisted's thread pool
"""
import sys

from klein import Klein
from twisted.internet import reactor
from twisted.web.resource import Resource
from twisted.web.static import File
from twisted.web.wsgi import WSGIResource

from txh11.web import Site

app = Klein()


@app.route("/hello/<name>")
def hello(request, name):
    request.setHeader("Content-Type", "text/plain")
    return f"hello, {name}, from Klein\n"


def wsgi_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello from WSGI, path %s\n" % environ["PATH_INFO"].encode()]


root = Resource()
root.putChild(b"static", File(sys.argv[2] if len(sys.argv) > 2 else "."))
root.putChild(b"klein", app.resource())
root.putChild(b"wsgi", WSGIResource(reactor, reactor.getThreadPool(), wsgi_app))

port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
reactor.listenTCP(port, Site(root, maxBodySize=10 * 2**20), interface="127.0.0.1")
print(f"listening on http://127.0.0.1:{port}/", flush=True)
reactor.run()
