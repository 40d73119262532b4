"""
The bridge: the one place where a Twisted transport meets a core Connection.

:class:`HTTP11Protocol` owns a core :class:`txh11.Connection` and a Twisted
transport, moves bytes and events between them, and reports to an
:class:`IHTTP11Handler` (the server's, the client's, or itself in a
subclass).  Nothing above this package calls ``receive_data``,
``next_event`` or ``transport.write`` itself.  The API and its guarantees
are in :ref:`bridge-api`; the parts and the direction of every call in
:doc:`/design`.
"""

from ._bridge import HTTP11Protocol
from ._interfaces import (
    PAUSE_CONSUMER,
    PAUSE_PIPELINE,
    TIMEOUT_BODY,
    TIMEOUT_HEADER,
    TIMEOUT_IDLE,
    BodyLengthError,
    IHTTP11Handler,
    IZeroCopyConsumer,
)
from ._output import NEXT_TURN  # noqa: F401  (txh11.bodies drives its loops with it)

__all__ = [
    "HTTP11Protocol",
    "IHTTP11Handler",
    "IZeroCopyConsumer",
    "BodyLengthError",
    "PAUSE_PIPELINE",
    "PAUSE_CONSUMER",
    "TIMEOUT_IDLE",
    "TIMEOUT_HEADER",
    "TIMEOUT_BODY",
]
