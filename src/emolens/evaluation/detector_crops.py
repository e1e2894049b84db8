"""Accuracy on faces cut by the product's own detector, not on FER2013's ready-made crops.

Each face is upscaled to a random size, placed at a random offset in a larger canvas (its edge
pixels repeated outwards, so the detector sees context rather than a hard border), found by the recognizer's detector,
cropped by the recognizer and classified. A face the detector misses counts as wrong in the
end-to-end accuracy.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import cv2
import numpy as np

from emolens.detection.base import iou
from emolens.pipeline.crops import crop_faces
from emolens.pipeline.recognizer import EmotionRecognizer


@dataclass(frozen=True)
class DetectorCropScore:
    """How a model fares on detector crops of one split."""

    split: str
    detector: str
    count: int
    detected: float
    accuracy_detected: float
    accuracy_end_to_end: float
    agreement_with_plain: float

    def to_dict(self) -> dict[str, float | int | str]:
        return asdict(self)


def reframe(
    face: np.ndarray, rng: np.random.Generator, min_px: int = 96, max_px: int = 192
) -> tuple[np.ndarray, np.ndarray]:
    """Upscale a grey face to a random size and place it off-centre in a canvas about twice as large.

    Returns the BGR canvas and the face's frame (x1, y1, x2, y2) in it."""
    size = int(rng.integers(min_px, max_px + 1))
    big = cv2.resize(face, (size, size), interpolation=cv2.INTER_CUBIC)
    pads = rng.integers(size // 3, size + 1, size=4)
    canvas = cv2.copyMakeBorder(big, int(pads[0]), int(pads[1]), int(pads[2]), int(pads[3]), cv2.BORDER_REPLICATE)
    frame = np.array([pads[2], pads[0], pads[2] + size, pads[0] + size], dtype=np.float32)
    return cv2.cvtColor(canvas, cv2.COLOR_GRAY2BGR), frame


def detector_crop_score(
    recognizer: EmotionRecognizer, images: np.ndarray, labels: np.ndarray, split: str = "val", seed: int = 0
) -> DetectorCropScore:
    """Re-frame (N,48,48) faces, detect, crop and classify them as the product does."""
    rng = np.random.default_rng(seed)
    size = recognizer.classifier.input_size
    crops, found = [], np.zeros(len(images), dtype=bool)
    for i, face in enumerate(images):
        canvas, frame = reframe(face, rng)
        detections = recognizer.detect(canvas)
        if len(detections):
            overlaps = iou(frame, detections.boxes)
            best = int(overlaps.argmax())
            if overlaps[best] >= 0.3:
                found[i] = True
                crops.append(crop_faces(canvas, detections.boxes[best : best + 1], size, recognizer.margin)[0])
    plain = recognizer.classify(images).argmax(1)
    predicted = np.full(len(images), -1)
    if crops:
        predicted[found] = recognizer.classify(np.stack(crops)).argmax(1)
    hits = predicted == labels
    return DetectorCropScore(
        split=split,
        detector=recognizer.face_detector.name,
        count=len(images),
        detected=float(found.mean()) if len(images) else 0.0,
        accuracy_detected=float(hits[found].mean()) if found.any() else 0.0,
        accuracy_end_to_end=float(hits.mean()) if len(images) else 0.0,
        agreement_with_plain=float((predicted[found] == plain[found]).mean()) if found.any() else 0.0,
    )
