"""
The settings of :class:`~txh11.protocol.HTTP11Protocol` and their defaults:
class attributes a subclass or a factory overrides (see :ref:`bridge-api`).
The parts read them from the protocol (``Deadlines.startRead`` its
timeouts, the output its ``coalesceLimit``).
"""

from __future__ import annotations

from typing import Any, Optional

import txh11 as h11

__all__ = ["Settings"]


class Settings:
    """The protocol's settings (seconds; ``None``: no such timeout)."""

    role: Any = h11.SERVER
    maxIncompleteEventSize: int = 16 * 1024

    idleTimeout: Optional[float] = 60.0
    headerTimeout: Optional[float] = 20.0
    bodyTimeout: Optional[float] = 60.0
    lingerTimeout: Optional[float] = 2.0
    closeTimeout: Optional[float] = 10.0

    #: Flush corked output once this many bytes are pending.
    coalesceLimit: int = 64 * 1024
