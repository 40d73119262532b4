"""Make ``src/`` importable when txh11 is not installed (CI installs it)."""

import os
import sys

_SRC = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "src")
try:
    import txh11  # noqa: F401
except ImportError:
    sys.path.insert(0, os.path.abspath(_SRC))
