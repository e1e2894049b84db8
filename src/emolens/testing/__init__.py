"""Tools for testing emolens itself, importable by the tests, the benchmarks and the examples alike:
synthetic photos and videos made of real faces with their true boxes (:mod:`.media`), ``emolens serve`` in
a subprocess (:mod:`.server`), a corpus of malformed and unusual inputs (:mod:`.corpus`) and the drivers
that push it through the Python API, the CLI, the REST API, batch jobs and the dataset readers
(:mod:`.drive`)."""
