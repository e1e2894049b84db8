"""Face detection: detectors behind one interface, selected by name, and their benchmark."""

from emolens.detection import detectors as _detectors  # noqa: F401  (registers the detectors)
from emolens.detection.base import Detection, DetectionArray, Detector, create_detector, list_detectors

#: The detector used when none is named (chosen by the WIDER FACE benchmark in docs/detectors.md).
DEFAULT_DETECTOR = "yunet"

__all__ = ["DEFAULT_DETECTOR", "Detection", "DetectionArray", "Detector", "create_detector", "list_detectors"]
