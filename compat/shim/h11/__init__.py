"""A package named ``h11`` that is txh11: what the compat harness puts first
on ``sys.path`` so that libraries written for h11 run on txh11 unchanged."""

from txh11 import *  # noqa: F401,F403
from txh11 import __all__  # noqa: F401

# Libraries print or compare h11's version; this is the h11 release whose
# behaviour txh11 follows.
__version__ = "0.16.0"
