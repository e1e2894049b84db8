"""The example inputs of the docs: ``examples/make_media.py`` writes them from FER2013 faces, and they are
what the docs say (the photo's two faces are found, the clip has 100 frames, the cut clip and the broken
inputs fail the way the transcripts show)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from emolens import EmotionRecognizer
from emolens.errors import EmolensError
from emolens.video.io import iter_video_frames

SCRIPT = Path(__file__).resolve().parents[1] / "examples" / "make_media.py"


@pytest.fixture(scope="module")
def media(fer_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("media")
    subprocess.run([sys.executable, str(SCRIPT), str(out)], check=True, capture_output=True)
    return out


def test_make_media_writes_the_docs_inputs(media: Path) -> None:
    names = {p.name for p in media.iterdir()}
    assert names == {"group.jpg", "interview.mp4", "cut.mp4", "faces.mp4", "cut.jpg", "huge.png", "notes.mp4"}
    assert len(EmotionRecognizer(threads=1).analyze(media / "group.jpg").faces) == 2
    assert sum(1 for _ in iter_video_frames(media / "interview.mp4")) == 100
    assert sum(1 for _ in iter_video_frames(media / "faces.mp4")) == 30
    assert 0 < sum(1 for _ in iter_video_frames(media / "cut.mp4")) < 100
    with pytest.raises(EmolensError, match=r"notes\.mp4"):
        iter_video_frames(media / "notes.mp4")
