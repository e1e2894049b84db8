"""Tools for testing emolens itself: a corpus of malformed and unusual inputs (:mod:`.corpus`) and the
drivers that push it through the Python API, the CLI, the REST API, batch jobs and the dataset readers
(:mod:`.drive`). Used by ``tests/test_bad_inputs.py`` and ``benchmarks/bench_bad_inputs.py``."""
