"""``h11._connection``: the private names real users import (uvicorn:
``DEFAULT_MAX_INCOMPLETE_EVENT_SIZE``)."""

from txh11._core._connection import DEFAULT_MAX_INCOMPLETE_EVENT_SIZE, NEED_DATA, PAUSED, Connection

__all__ = ["Connection", "NEED_DATA", "PAUSED", "DEFAULT_MAX_INCOMPLETE_EVENT_SIZE"]
