"""Face detection: detectors behind one interface, selected by name, and their benchmark."""

from emolens.detection.base import Detection, DetectionArray, Detector, create_detector, list_detectors
from emolens.detection.detectors import default_detector

#: The detector used when none is named (:func:`~emolens.detection.detectors.default_detector`).
DEFAULT_DETECTOR = default_detector()

__all__ = ["DEFAULT_DETECTOR", "Detection", "DetectionArray", "Detector", "create_detector", "list_detectors"]
