"""The sans-I/O core of txh11: h11's documented API, with the standard library only."""

from ._connection import DEFAULT_MAX_INCOMPLETE_EVENT_SIZE, NEED_DATA, PAUSED, Connection
from ._errors import LocalProtocolError, ProtocolError, RemoteProtocolError, Sentinel
from ._events import (
    ConnectionClosed,
    Data,
    EndOfMessage,
    Event,
    InformationalResponse,
    Request,
    Response,
)
from ._headers import Headers
from ._state import (
    CLIENT,
    CLOSED,
    DONE,
    ERROR,
    IDLE,
    MIGHT_SWITCH_PROTOCOL,
    MUST_CLOSE,
    SEND_BODY,
    SEND_RESPONSE,
    SERVER,
    SWITCHED_PROTOCOL,
)

__all__ = [
    "Connection",
    "Event",
    "Request",
    "InformationalResponse",
    "Response",
    "Data",
    "EndOfMessage",
    "ConnectionClosed",
    "Headers",
    "CLIENT",
    "SERVER",
    "IDLE",
    "SEND_RESPONSE",
    "SEND_BODY",
    "DONE",
    "MUST_CLOSE",
    "CLOSED",
    "MIGHT_SWITCH_PROTOCOL",
    "SWITCHED_PROTOCOL",
    "ERROR",
    "NEED_DATA",
    "PAUSED",
    "ProtocolError",
    "LocalProtocolError",
    "RemoteProtocolError",
    "DEFAULT_MAX_INCOMPLETE_EVENT_SIZE",
]

# Public classes present themselves as txh11.X (reprs, tracebacks, docs), not
# as the private module that happens to define them.
for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type) and not isinstance(_obj, Sentinel):
        _obj.__module__ = "txh11"
del _name, _obj
