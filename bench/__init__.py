"""Benchmarks for eventhub: ``python -m bench`` (``make bench``). Never part of ``make test``."""
