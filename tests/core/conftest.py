"""pytest configuration for the sans-I/O core tests.

The tests are black-box tests of txh11's public API (``import txh11 as h11``).
If txh11 is not installed (``pip install -e .``), fall back to the source tree
so that ``pytest tests/core`` works from a plain checkout too.
"""

import os
import sys

_SRC = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "src"))

try:  # pragma: no cover - depends on how the package is installed
    import txh11  # noqa: F401
except ImportError:  # pragma: no cover
    sys.path.insert(0, _SRC)
