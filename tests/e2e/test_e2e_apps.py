"""``--wsgi``, ``--class``, ``--resource-script`` served by the real twistd."""

import textwrap

from tests._support.e2e import get, request

WSGI_APP = '''
import threading

def application(environ, start_response):
    body = environ["wsgi.input"].read()
    text = "%s %s %s len=%d thread=%s\\n" % (
        environ["REQUEST_METHOD"], environ["PATH_INFO"], environ.get("QUERY_STRING", ""),
        len(body), threading.current_thread().name)
    start_response("201 Created", [("Content-Type", "text/plain"), ("X-App", "wsgi")])
    return [text.encode()]
'''

RESOURCES = '''
from twisted.web.resource import Resource

class Hello(Resource):
    isLeaf = True
    def render_GET(self, request):
        return b"hello from a class"
'''

RPY = '''
from twisted.web.static import Data
resource = Data(b"hello from a script", "text/plain")
resource.isLeaf = True
'''


def test_wsgi_app_from_the_current_directory(twistd, tmp_path):
    (tmp_path / "mysite.py").write_text(textwrap.dedent(WSGI_APP))
    server = twistd("--wsgi", "mysite.application", "--listen", "tcp:0:interface=127.0.0.1",
                    cwd=tmp_path)
    raw = b"PUT /a/b?x=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc"
    status, headers, body = request(server.port, raw)
    assert status == 201
    assert headers["x-app"] == "wsgi"
    assert body.startswith(b"PUT /a/b x=1 len=3 thread=PoolThread-txh11-wsgi")
    assert server.stop() in (0, -15)


def test_class_and_resource_script(twistd, tmp_path):
    (tmp_path / "myresources.py").write_text(RESOURCES)
    (tmp_path / "site.rpy").write_text(RPY)
    byClass = twistd("--class", "myresources.Hello", "--listen", "tcp:0:interface=127.0.0.1",
                     cwd=tmp_path)
    byScript = twistd("--resource-script", "site.rpy", "--listen", "tcp:0:interface=127.0.0.1",
                      cwd=tmp_path)
    assert get(byClass.port, "/anything")[::2] == (200, b"hello from a class")
    assert get(byScript.port, "/")[::2] == (200, b"hello from a script")
