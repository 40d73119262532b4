"""Make ``src/`` importable when txh11 is not installed (CI installs it), and
this directory's helpers (``clienthelp``) importable in any import mode."""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
_SRC = os.path.join(_HERE, os.pardir, os.pardir, "src")
try:
    import txh11  # noqa: F401
except ImportError:
    sys.path.insert(0, os.path.abspath(_SRC))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
