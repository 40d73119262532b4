"""
``twistd txh11 --path``: a directory served without its hidden files.

A project directory holds ``.git``, ``.env``, ``.htpasswd`` and the like,
which a static server should not publish. :class:`PublicFile` is a
``twisted.web.static.File`` that answers 404 for any path segment starting
with ``.`` (``/.git/config``, ``/a/.env``), as if the name did not exist,
and leaves such names out of its directory listings. ``--show-hidden`` uses
the plain ``File`` instead.
"""

from __future__ import annotations

from typing import Any

from twisted.web.resource import IResource
from twisted.web.static import File

__all__ = ["PublicFile", "isHidden"]


def isHidden(name: str | bytes) -> bool:
    """Whether a file name (or a decoded path segment) is a hidden one."""
    return name[:1] in (".", b".")


class PublicFile(File):
    """
    A ``File`` that serves no hidden name (see :func:`isHidden`) at any
    depth and does not list one. Its children are ``PublicFile`` too
    (``File.createSimilarFile`` builds instances of the same class).
    """

    def getChild(self, path: bytes, request: Any) -> IResource:
        if isHidden(path):
            return self.childNotFound
        return super().getChild(path, request)

    def listNames(self) -> list[str]:
        return [name for name in super().listNames() if not isHidden(name)]
