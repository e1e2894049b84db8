"""The photo pipeline: detect -> crop -> classify, its results, drawing and input sources (videos: emolens.video)."""

from emolens.pipeline.recognizer import EmotionRecognizer
from emolens.pipeline.results import Face, ImageResult

__all__ = ["EmotionRecognizer", "Face", "ImageResult"]
