"""
Root of the test suite.

``tests`` is a package: pytest puts the project's root on ``sys.path`` and
each test module imports its helpers from :mod:`tests._support`, where each
helper is written once (``testlib`` for all layers, one module per layer).
txh11 itself is imported as installed (``pip install -e '.[test]'``).
"""
