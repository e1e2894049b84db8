"""emolens: find faces in photos, videos and camera streams and tell what each one feels."""

__version__ = "0.1.0"

from emolens.errors import EmolensError
from emolens.labels import FER_CLASSES
from emolens.pipeline import EmotionRecognizer, Face, ImageResult
from emolens.video.analysis import analyze_video

# The photo layer cannot import the video layer above it; the package joins them (docs/architecture.md).
EmotionRecognizer.video_analyser = analyze_video

__all__ = ["FER_CLASSES", "EmolensError", "EmotionRecognizer", "Face", "ImageResult", "__version__"]
