"""Root of the test suite: makes helpers at tests/ (e.g. testproducers.py)
importable from every test directory."""
