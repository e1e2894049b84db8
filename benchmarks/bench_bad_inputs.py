"""Bad inputs: a corpus of over 500 malformed and unusual files (see :mod:`emolens.testing.corpus`) driven
through the Python API, the CLI, the REST API (``emolens serve`` on loopback) and one batch job; CSVs and
folders of labelled faces go through the dataset readers (``load_dataset`` and ``emolens data info``).

Prints how many answers each channel gave of each sort, then the counts of the bar: inputs tried, clean
results, clean errors, and what must be 0 (unclear errors, tracebacks, server deaths, inputs lost,
answers other than the corpus expects), then the first problems. Exits with status 1 when the bar is
not met.

    python benchmarks/bench_bad_inputs.py                      # the whole corpus
    python benchmarks/bench_bad_inputs.py --sample 60 --keep bad-inputs/
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import cv2
import httpx

from emolens.testing.corpus import Corpus, write_corpus
from emolens.testing.drive import Tally, drive_api, drive_batch, drive_cli, drive_rest
from emolens.testing.server import serve

#: The photo the valid inputs are made from (one face), at a size that keeps the run short.
PHOTO = Path(__file__).resolve().parents[1] / "examples" / "astronaut.jpg"
MUST_BE_ZERO = ("unclear errors", "tracebacks", "server deaths", "inputs lost", "unexpected answers")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sample", type=int, default=None, help="Only this many inputs, spread over every family.")
    parser.add_argument("--keep", type=Path, default=None, help="Write the corpus here (new or empty) and keep it.")
    parser.add_argument("--workers", type=int, default=1, help="Worker processes of the batch job.")
    parser.add_argument("--no-cli-per-input", action="store_true", help="Skip the CLI run of each input.")
    args = parser.parse_args()

    base = cv2.resize(cv2.imread(str(PHOTO)), (256, 256), interpolation=cv2.INTER_AREA)
    with tempfile.TemporaryDirectory(prefix="emolens-bad-inputs-") as tmp:
        scratch = Path(tmp)
        corpus = write_corpus(args.keep or scratch / "corpus", seed=args.seed, base=base, sample=args.sample)
        surfaces = Counter(i.surface for i in corpus.items)
        print(f"{len(corpus.items)} inputs in {corpus.folder}: " + ", ".join(f"{n} {s}s" for s, n in surfaces.items()))
        print(f"expected: {dict(Counter(i.expected for i in corpus.items))}", flush=True)
        tally = Tally()
        steps = {
            "Python API": lambda: drive_api(corpus, tally, scratch / "api-cache"),
            "CLI": lambda: drive_cli(corpus, tally, scratch / "cli-cache", per_input=not args.no_cli_per_input),
            "REST API": lambda: _rest(corpus, tally, scratch / "server"),
            "batch job": lambda: drive_batch(corpus, tally, scratch / "batch", workers=args.workers),
        }
        for name, step in steps.items():
            started = time.perf_counter()
            step()
            print(f"{name}: {time.perf_counter() - started:.1f} s", flush=True)
    print()
    print(tally.report())
    counts = tally.counts()
    return 1 if any(counts[name] for name in MUST_BE_ZERO) else 0


def _rest(corpus: Corpus, tally: Tally, folder: Path) -> None:
    """The REST API of ``emolens serve`` in a subprocess; its log is searched for tracebacks afterwards."""
    folder.mkdir()
    with serve(folder) as url, httpx.Client(base_url=url, timeout=120) as client:
        drive_rest(corpus, tally, client)
    tally.scan_log("rest", (folder / "server.log").read_text(encoding="utf-8", errors="replace"))


if __name__ == "__main__":
    sys.exit(main())
