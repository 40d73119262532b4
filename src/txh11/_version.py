"""The version of txh11, in one place."""

__version__ = "0.1.0.dev0"
