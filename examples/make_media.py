"""Write the example inputs the docs' transcripts were made with (docs/video.md, docs/service.md), from
FER2013 PublicTest faces ($EMOLENS_DATA): real faces, composed into a photo and into moving clips.

    python examples/make_media.py [OUT_DIR]        # default: media/

* ``group.jpg``: a happy and an angry face, upscaled to 150 px, on a 640x400 background;
* ``interview.mp4``: 4 s, 640x480, 25 fps, a happy and a surprised face drifting, the happy one
  hidden behind a grey block from 1.0 to 1.4 s; written with its index first, so that
* ``cut.mp4``, its first half (a truncated video), still decodes;
* ``faces.mp4``: 3 s, 320x240, 10 fps, one happy face;
* ``cut.jpg`` (the first half of ``group.jpg``), ``huge.png`` (8,000 x 8,000 pixels) and ``notes.mp4``
  (a text file).
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from emolens.paths import default_data_path
from emolens.testing.media import background, make_video


def first_face(emotion: str) -> np.ndarray:
    """The first PublicTest face of ``emotion`` (48x48 grey)."""
    path = sorted((default_data_path() / "test" / emotion).glob("PublicTest_*.jpg"))[0]
    return cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)


def group_photo(faces: list[np.ndarray], size: tuple[int, int] = (640, 400), face_px: int = 150) -> np.ndarray:
    """``faces`` upscaled to ``face_px`` and pasted side by side, at different heights, on a background."""
    photo = background(size)
    w, h = size
    for k, face in enumerate(faces):
        x = (k + 1) * w // (len(faces) + 1) - face_px // 2
        y = (h - face_px) // 2 + (-1) ** k * h // 6
        big = cv2.resize(face, (face_px, face_px), interpolation=cv2.INTER_CUBIC)
        photo[y : y + face_px, x : x + face_px] = big[..., None]
    return photo


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "media")
    out.mkdir(parents=True, exist_ok=True)
    happy, angry, surprise = (first_face(e) for e in ("happy", "angry", "surprise"))
    jpeg = cv2.imencode(".jpg", group_photo([happy, angry]))[1].tobytes()
    (out / "group.jpg").write_bytes(jpeg)
    (out / "cut.jpg").write_bytes(jpeg[: len(jpeg) // 2])
    pair = np.stack([happy, surprise])
    clip = make_video(out / "interview.mp4", pair, size=(640, 480), face_px=140, seconds=4.0, hide=(0, 1.0, 1.4),
                      faststart=True).path.read_bytes()  # fmt: skip
    (out / "cut.mp4").write_bytes(clip[: len(clip) // 2])
    make_video(out / "faces.mp4", happy[None], size=(320, 240), face_px=110, seconds=3.0, fps=10.0)
    cv2.imwrite(str(out / "huge.png"), np.zeros((8000, 8000), np.uint8))
    (out / "notes.mp4").write_text("not a video\n")
    print("\n".join(sorted(str(p) for p in out.iterdir())))


if __name__ == "__main__":
    main()
