"""Root of the test suite.

- Makes ``src/`` importable when txh11 is not installed (CI installs it).
- Makes helpers at tests/ (testlib.py) importable from every test
  directory: pytest puts this file's directory on ``sys.path``.
"""

import os
import sys

_SRC = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "src"))
try:
    import txh11  # noqa: F401
except ImportError:  # pragma: no cover - depends on how the package is installed
    sys.path.insert(0, _SRC)
