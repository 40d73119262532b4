"""Fetch a URL through a forward proxy with txh11's Agent.

    python docs/_examples/agent_proxy.py URL http://user:password@proxy:3128
    HTTPS_PROXY=http://proxy:3128 python docs/_examples/agent_proxy.py URL
"""
import sys

from twisted.internet import defer, task
from twisted.web.client import readBody

from txh11.client import Agent, HTTPConnectionPool


async def main(reactor, url, proxy=None):
    pool = HTTPConnectionPool(reactor)
    if proxy:  # this proxy for http and https URLs
        agent = Agent.usingProxy(reactor, proxy, pool=pool)
    else:  # http_proxy, https_proxy, all_proxy and no_proxy, as curl reads them
        agent = Agent.fromEnvironment(reactor, pool=pool)
    response = await agent.request(b"GET", url.encode("ascii"))
    print(response.code, (await readBody(response)).decode().strip())
    await pool.closeCachedConnections()


task.react(lambda reactor: defer.ensureDeferred(main(reactor, *sys.argv[1:])))
