"""Upload with treq on txh11's Agent, given Twisted's own connection pool.

    python docs/_examples/treq_post.py http://127.0.0.1:8080/upload
"""
import sys

from treq.client import HTTPClient
from twisted.internet import defer, task
from twisted.web.client import HTTPConnectionPool

from txh11.client import Agent


async def main(reactor, url):
    pool = HTTPConnectionPool(reactor)  # Twisted's pool or txh11's: both work
    http = HTTPClient(Agent(reactor, pool=pool))
    response = await http.post(url, data=b"x" * 100_000)
    print(response.code, (await response.text()).strip())
    await pool.closeCachedConnections()


task.react(lambda reactor: defer.ensureDeferred(main(reactor, sys.argv[1])))
