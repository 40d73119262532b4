"""
Rolling restart of ``--workers``: ``SIGHUP`` to the supervisor replaces the
workers one at a time, without failing a request.

For each slot in turn, :func:`replaceWorker` starts a new worker on the same
listening socket(s) as the old one, waits until it has logged that it
listens on every endpoint, then sends the old one ``SIGTERM``: it stops
accepting and drains (see :mod:`txh11.server._drain`: keep-alive off, every
request that arrived answered), while the new one accepts from the same
socket queue -- the supervisor holds the socket open throughout, so no
connection attempt is refused. The next slot starts once the old worker has
exited. A new worker that does not come up within ``startTimeout`` seconds
(or exits) is killed and the old one kept; the restart stops there.
"""

from __future__ import annotations

from typing import Any

from twisted.internet import defer
from twisted.logger import Logger

__all__ = ["replaceAll", "replaceWorker"]

_log = Logger()

#: how long a new worker may take to listen (seconds)
START_TIMEOUT = 60.0


async def replaceWorker(supervisor: Any, number: int, startTimeout: float = START_TIMEOUT) -> bool:
    """Replace the worker of slot ``number``; whether it was replaced."""
    old = supervisor.workers.get(number)
    if old is None or supervisor.stopping():
        return False
    new = supervisor.startWorker(number)
    listening = new.listening
    listening.addTimeout(startTimeout, supervisor.reactor)
    try:
        await listening
    except Exception as e:
        _log.error(
            "new worker {number} [{pid}] did not start listening ({why}); keeping the old one",
            number=number, pid=new.pid, why=type(e).__name__,
        )
        if not new.ended:
            supervisor.kill(new)
        return False
    if supervisor.stopping():
        supervisor.kill(new)
        return False
    _log.info(
        "worker {number}: new [{new}] listening, old [{old}] draining",
        number=number, new=new.pid, old=old.pid,
    )
    await supervisor.retire(old, new)
    return True


def replaceAll(supervisor: Any) -> "defer.Deferred[None]":
    """Replace every worker, one at a time, in slot order."""

    async def run() -> None:
        for number in sorted(supervisor.workers):
            if not await replaceWorker(supervisor, number):
                return

    return defer.ensureDeferred(run())
