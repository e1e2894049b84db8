"""Annotated pictures never hide their faces: labels and probability panels of all faces of a picture are
laid out together, beside their faces, inside the picture, shrunk or left out where there is no room."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from emolens import EmotionRecognizer
from emolens.labels import FER_CLASSES, FERPLUS_CLASSES
from emolens.pipeline import drawing
from emolens.pipeline.drawing import EMOTION_COLOURS, FaceDrawing, draw_faces
from emolens.pipeline.layout import MIN_BAR, MIN_SCALE, PANEL_GAP, Placement, layout_faces, overlaps, panel_style
from emolens.video.results import FrameResult, TrackedFace

CLASS_LISTS = pytest.mark.parametrize("classes", [FER_CLASSES, FERPLUS_CLASSES], ids=["fer", "ferplus"])


def assert_nothing_hidden(layout: list[Placement], size: tuple[int, int]) -> None:
    """No label or panel covers a face box (its own included) or another label or panel, and all are
    inside the picture."""
    width, height = size
    drawn = [rect for place in layout for rect in place.annotations]
    for rect in drawn:
        assert 0 <= rect[0] < rect[2] <= width and 0 <= rect[1] < rect[3] <= height, rect
        hidden = [place.box for place in layout if overlaps(rect, place.outline)]
        assert not hidden, f"{rect} covers the face(s) at {hidden}"
    for i, a in enumerate(drawn):
        for b in drawn[i + 1 :]:
            assert not overlaps(a, b), f"{a} and {b} overlap"


def lay_out(boxes: np.ndarray, size: tuple[int, int], classes: tuple[str, ...]) -> list[Placement]:
    """The layout of faces labelled like photos ("12: surprise 97%"), panels for faces of 56 px or more."""
    labels = [f"{i + 1}: surprise 97%" for i in range(len(boxes))]
    panels = [classes if max(b[2] - b[0], b[3] - b[1]) >= 56 else () for b in boxes]
    layout = layout_faces(boxes, labels, size, panels)
    assert_nothing_hidden(layout, size)
    return layout


def row(n: int, face: int, x: int, y: int) -> np.ndarray:
    """``n`` square faces of ``face`` pixels side by side, touching, from (x, y)."""
    return np.array([(x + k * face, y, x + (k + 1) * face, y + face) for k in range(n)], dtype=float)


@CLASS_LISTS
@pytest.mark.parametrize("n", range(3, 9))
def test_touching_faces_in_a_row_keep_their_labels_and_get_panels_where_there_is_room(n, classes) -> None:
    size = (1280, 720)
    layout = lay_out(row(n, 120, 40, 250), size, classes)
    assert all(place.label is not None for place in layout)
    assert sum(place.panel is not None for place in layout) >= 3  # above and below the row there is room


@CLASS_LISTS
def test_two_rows_of_touching_faces(classes) -> None:
    boxes = np.vstack([row(6, 110, 100, 150), row(5, 110, 155, 260)])  # the second row touches the first
    layout = lay_out(boxes, (1024, 768), classes)
    assert sum(place.label is not None for place in layout) >= 9


@CLASS_LISTS
def test_faces_at_the_borders_and_corners(classes) -> None:
    size = (800, 600)
    boxes = np.array(
        [
            *[(0, 0, 150, 150), (650, 0, 800, 150), (0, 450, 150, 600), (650, 450, 800, 600)],  # corners
            *[(0, 230, 90, 330), (330, 0, 470, 140), (330, 520, 410, 600), (730, 260, 800, 340)],  # edges
        ],
        dtype=float,
    )
    layout = lay_out(boxes, size, classes)
    assert all(place.label is not None for place in layout)


@CLASS_LISTS
def test_faces_filling_the_picture_get_boxes_only(classes) -> None:
    size = (600, 400)
    boxes = np.array([(x, y, x + 200, y + 200) for y in (0, 200) for x in (0, 200, 400)], dtype=float)
    layout = lay_out(boxes, size, classes)
    assert all(place.label is None and place.panel is None for place in layout)


@CLASS_LISTS
def test_large_and_tiny_faces_together(classes) -> None:
    big = [(300, 150, 700, 550), (720, 200, 1000, 480)]
    tiny = [(x, y, x + 16, y + 16) for x in range(260, 1040, 40) for y in (120, 560)]
    layout = lay_out(np.array(big + tiny, dtype=float), (1280, 720), classes)
    assert layout[0].panel is not None and layout[1].panel is not None
    assert sum(place.label is not None for place in layout) >= len(big + tiny) // 2


@CLASS_LISTS
def test_random_crowds_of_3_to_8_faces_overlapping_or_not(classes) -> None:
    rng = np.random.default_rng(0)
    for _ in range(100):
        size = (int(rng.integers(320, 1600)), int(rng.integers(240, 1000)))
        n = int(rng.integers(3, 9))
        side = rng.integers(12, min(size) // 2, n)
        corner = (rng.random((n, 2)) * (np.array(size) - side[:, None])).astype(int)
        lay_out(np.hstack([corner, corner + side[:, None]]).astype(float), size, classes)


def test_a_panel_without_room_shrinks_then_falls_back_to_the_label() -> None:
    box = np.array([(10, 30, 130, 150)], dtype=float)
    full = lay_out(box, (1000, 1000), FER_CLASSES)[0]
    assert full.panel is not None and full.panel_style is not None
    assert full.panel[0] == full.outline[2] + PANEL_GAP and full.panel[1] == full.outline[1]  # right, top-aligned
    full_width = full.panel[2] - full.panel[0]
    height = full.outline[3] + 10  # no room above or below for a panel
    shrunk = lay_out(box, (full.panel[2] - full_width // 6, height), FER_CLASSES)[0]
    assert shrunk.panel is not None and shrunk.panel_style is not None
    assert shrunk.panel[2] - shrunk.panel[0] < full_width and shrunk.panel_style.bar_width < full.panel_style.bar_width
    smallest = panel_style(FER_CLASSES, MIN_SCALE, round(MIN_BAR))
    no_room = lay_out(box, (full.panel[0] + smallest.size[0] - 1, height), FER_CLASSES)[0]
    assert no_room.panel is None and no_room.label is not None


def test_panels_have_a_row_per_class_and_contempt_its_own_colour() -> None:
    seven, eight = (lay_out(row(1, 160, 50, 50), (800, 600), c)[0] for c in (FER_CLASSES, FERPLUS_CLASSES))
    assert seven.panel_style is not None and eight.panel_style is not None
    assert (seven.panel_style.rows, eight.panel_style.rows) == (7, 8)
    assert eight.panel[3] - eight.panel[1] > seven.panel[3] - seven.panel[1]  # type: ignore[index]
    assert set(FERPLUS_CLASSES) <= set(EMOTION_COLOURS) and len(set(EMOTION_COLOURS.values())) == len(EMOTION_COLOURS)


@CLASS_LISTS
def test_drawing_stays_inside_the_layout(classes) -> None:
    image = np.full((500, 900, 3), 127, dtype=np.uint8)
    boxes = np.vstack([row(4, 110, 100, 150), [(600, 300, 620, 320), (0, 0, 60, 60)]])
    rng = np.random.default_rng(0)
    faces = [
        FaceDrawing(box, f"{i + 1}: fear 100%", rng.dirichlet(np.ones(len(classes))), classes)
        for i, box in enumerate(boxes)
    ]
    layout = draw_faces(image, faces)
    allowed = np.zeros(image.shape[:2], dtype=bool)
    for place in layout:
        for x1, y1, x2, y2 in [place.outline, *place.annotations]:
            allowed[max(0, y1) : y2, max(0, x1) : x2] = True
    changed = (image != 127).any(axis=2)
    assert changed[allowed].any() and not changed[~allowed].any()
    assert sum(place.panel is not None for place in layout) >= 3 and layout[4].panel is None  # 20 px: no panel
    assert all(place.panel is None for place in draw_faces(image, faces, panels=False))


@pytest.fixture(scope="module")
def rec() -> EmotionRecognizer:
    return EmotionRecognizer(threads=1)


@pytest.fixture
def layouts(monkeypatch) -> list[list[Placement]]:
    """Every layout drawn while the test runs."""
    seen: list[list[Placement]] = []

    def spy(*args, **kwargs) -> list[Placement]:
        seen.append(layout_faces(*args, **kwargs))
        return seen[-1]

    monkeypatch.setattr(drawing, "layout_faces", spy)
    return seen


@pytest.mark.parametrize(
    "name",
    [
        "50--Celebration_Or_Party/50_Celebration_Or_Party_houseparty_50_17.jpg",  # a family party, 11 faces
        "1--Handshaking/1_Handshaking_Handshaking_1_801.jpg",  # 6 faces in a 1024 x 275 strip
        "0--Parade/0_Parade_Parade_0_887.jpg",  # a band of 8 huddled together
    ],
)
def test_real_crowded_photos(rec, wider_root: Path, layouts, name: str) -> None:
    result = rec.analyze(wider_root / "images" / name)
    assert len(result.faces) >= 6
    canvas = result.plot()
    (layout,) = layouts
    assert canvas.shape[:2] == (result.height, result.width) and len(layout) == len(result.faces)
    assert_nothing_hidden(layout, (result.width, result.height))
    assert all(place.label is not None for place in layout)
    assert sum(place.panel is not None for place in layout) >= len(layout) // 2


def test_composed_group_photo_and_its_video_frame(rec, compose, sharp_faces, layouts) -> None:
    faces, _ = sharp_faces
    photo, _boxes = compose(faces[::20][:6], size=(900, 500), face_px=130, seed=1)
    result = rec.analyze(photo)
    assert len(result.faces) == 6
    tracked = [
        TrackedFace(box=f.box, score=f.score, probs=f.probs, classes=f.classes, track=i, smoothed=f.probs)
        for i, f in enumerate(result.faces)
    ]
    result.plot()
    FrameResult(0, 0.0, tracked, 900, 500, image=photo).plot()
    assert len(layouts) == 2
    for layout in layouts:
        assert_nothing_hidden(layout, (900, 500))
        assert all(place.label is not None for place in layout)


def test_a_single_face_keeps_label_above_and_panel_right(rec, layouts) -> None:
    result = rec.analyze(Path(__file__).resolve().parents[1] / "examples" / "astronaut.jpg")
    result.plot()
    (place,) = layouts[-1]
    assert place.label is not None and place.panel is not None
    assert place.label[3] <= place.outline[1] and place.label[0] == place.outline[0]
    assert place.panel[0] == place.outline[2] + PANEL_GAP and place.panel[1] == place.outline[1]
    assert place.panel_style is not None and place.panel_style.scale >= 0.38  # full size, not shrunk
