"""Test helpers, each written once: ``testlib`` for every layer, one module per layer."""
