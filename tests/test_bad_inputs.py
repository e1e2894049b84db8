"""A spread of the bad-input corpus (every family of malformed and unusual images, videos, CSVs and folders of
labelled faces) through the Python API, the CLI, the REST API and a batch job: no traceback, no lost input,
every error names its input, and every input gives what the corpus expects of it. The whole corpus runs in
``benchmarks/bench_bad_inputs.py``."""

from __future__ import annotations

import warnings
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest

from emolens.testing.corpus import DATASET, IMAGE, VIDEO, Corpus, write_corpus
from emolens.testing.drive import Tally, drive_api, drive_batch, drive_cli, drive_rest, folder_listed

warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")

from fastapi.testclient import TestClient  # noqa: E402 - after the warning filter

from emolens.service.app import create_app  # noqa: E402
from emolens.service.settings import ServiceSettings  # noqa: E402

PHOTO = Path(__file__).resolve().parents[1] / "examples" / "astronaut.jpg"
SAMPLE = 48


def _base() -> np.ndarray:
    return cv2.resize(cv2.imread(str(PHOTO)), (256, 256), interpolation=cv2.INTER_AREA)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return write_corpus(tmp_path_factory.mktemp("bad-inputs"), seed=0, base=_base(), sample=SAMPLE)


def _assert_clean(tally: Tally, channels: dict[str, int]) -> None:
    """No problem, and each channel answered the number of inputs it was given."""
    assert not tally.problems() and not tally.incidents, tally.report()
    assert {c: sum(n.values()) for c, n in tally.by_channel().items()} == channels, tally.report()


def test_the_sample_spans_every_family_and_is_the_same_for_the_same_seed(corpus: Corpus, tmp_path: Path) -> None:
    assert len(corpus.items) == SAMPLE
    assert {i.surface for i in corpus.items} == {IMAGE, VIDEO, DATASET}
    families = Counter(i.family for i in corpus.items)
    assert len(families) >= 20 and set(families.values()) <= {1, 2}
    assert Corpus.load(corpus.folder).items == corpus.items
    again = write_corpus(tmp_path / "again", seed=0, base=_base(), sample=SAMPLE)
    assert again.items == corpus.items
    for item in (i for i in corpus.items if corpus.path(i).is_file() and "H.264" not in i.kind):
        assert again.path(item).read_bytes() == corpus.path(item).read_bytes(), item.file


def test_python_api(corpus: Corpus, tmp_path: Path) -> None:
    tally = Tally()
    drive_api(corpus, tally, tmp_path / "cache")
    listed = sum(folder_listed(i) for i in corpus.items)
    _assert_clean(tally, {"api": SAMPLE, "api-folder": listed})


def test_cli(corpus: Corpus, tmp_path: Path) -> None:
    tally = Tally()
    drive_cli(corpus, tally, tmp_path / "cache")
    listed = sum(folder_listed(i) for i in corpus.items)
    _assert_clean(tally, {"cli-folder": listed, "cli": SAMPLE})


def test_rest_api(corpus: Corpus, tmp_path: Path) -> None:
    tally = Tally()
    app = create_app(ServiceSettings(jobs_dir=str(tmp_path / "jobs")))
    with TestClient(app, raise_server_exceptions=False) as client:  # a 500 is an answer to judge
        drive_rest(corpus, tally, client)
    uploaded = sum(i.surface != DATASET and i.regular for i in corpus.items)
    _assert_clean(tally, {"rest": uploaded})


def test_batch_job(corpus: Corpus, tmp_path: Path) -> None:
    tally = Tally()
    drive_batch(corpus, tally, tmp_path / "results")
    _assert_clean(tally, {"batch": sum(i.surface != DATASET for i in corpus.items)})
    assert not (tmp_path / "results" / "_errors.log").exists()
