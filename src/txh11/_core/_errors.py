"""Exceptions raised by the core, and the sentinel type used for its constants."""

from typing import NoReturn

__all__ = [
    "ProtocolError",
    "LocalProtocolError",
    "RemoteProtocolError",
    "DataAfterEOFError",
    "Sentinel",
    "make_sentinel",
]


class ProtocolError(Exception):
    """Base class for HTTP protocol violations; never raised directly.

    ``error_status_hint`` is the status code a server would most sensibly answer
    with (400 unless something more specific applies, such as 431 for a header
    block that is too large).
    """

    def __init__(self, msg: str, error_status_hint: int = 400) -> None:
        if type(self) is ProtocolError:
            raise TypeError("ProtocolError is abstract: raise LocalProtocolError or RemoteProtocolError")
        super().__init__(msg)
        self.error_status_hint = error_status_hint


class LocalProtocolError(ProtocolError):
    """We (the local side) tried to do something HTTP/1.1 does not allow."""

    def _reraise_as_remote_protocol_error(self) -> NoReturn:
        # Checks shared by sending and receiving raise LocalProtocolError; when
        # they fire on received data it is the peer's fault, so the class changes
        # while the message, hint and traceback stay.
        self.__class__ = RemoteProtocolError  # type: ignore[assignment]
        raise self


class RemoteProtocolError(ProtocolError):
    """The remote peer sent something HTTP/1.1 does not allow."""


class DataAfterEOFError(LocalProtocolError, RuntimeError):
    """``receive_data`` was given bytes after it was told the peer closed.

    A RuntimeError too, since code written for h11 catches that.
    """


class Sentinel(type):
    """Metaclass for the core's opaque constants; see :func:`make_sentinel`."""

    def __repr__(cls) -> str:
        return cls.__name__

    def __reduce__(cls) -> str:
        return cls.__name__


def make_sentinel(name: str) -> Sentinel:
    """Make an opaque constant whose type is itself.

    ``type(NEED_DATA) is NEED_DATA``, so dispatch on ``type(event)`` works for
    events and constants alike; its repr is its name.
    """
    cls = Sentinel(name, (Sentinel,), {"__module__": "txh11"})
    cls.__class__ = cls  # type: ignore[assignment]
    return cls
