"""The API fuzzer: ``tests/fuzz/run.py`` (``make fuzz``, ``.ci/run``)."""
