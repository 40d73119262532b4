"""txh11: HTTP/1.1 for Twisted on a sans-I/O core of its own.

``import txh11`` gives the core — h11's documented API, so ``import txh11 as
h11`` runs h11 code unchanged — and imports nothing from Twisted. The Twisted
layers are submodules: :mod:`txh11.protocol`, :mod:`txh11.server`,
:mod:`txh11.web`, :mod:`txh11.client`.
"""

from ._core import *  # noqa: F401,F403
from ._core import __all__ as _core_all
from ._version import __version__

#: Identifies txh11 in ``User-Agent`` or ``Server`` headers.
PRODUCT_ID = f"txh11/{__version__}"

__all__ = [*_core_all, "PRODUCT_ID", "__version__"]
