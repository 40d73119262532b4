"""
The old name of :class:`txh11.web.Request`'s module, kept importable: the
request now lives in the :mod:`txh11.web` package.
"""

from txh11.web import Request

__all__ = ["Request"]
