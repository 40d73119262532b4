"""Fetch a URL with txh11's Agent, twice, on one kept-alive connection.

    python docs/_examples/agent_get.py http://127.0.0.1:8080/hello
"""
import sys

from twisted.internet import defer, task
from twisted.web.client import readBody

from txh11.client import Agent, HTTPConnectionPool


async def main(reactor, url):
    pool = HTTPConnectionPool(reactor)
    agent = Agent(reactor, pool=pool)
    for attempt in (1, 2):
        response = await agent.request(b"GET", url.encode("ascii"))
        body = await readBody(response)
        print(attempt, response.code, response.phrase.decode(), body.decode().strip())
    await pool.closeCachedConnections()


task.react(lambda reactor: defer.ensureDeferred(main(reactor, sys.argv[1])))
