"""Occlusion sensitivity: which regions of a face moved the prediction, computed with the ONNX model.

A grey patch slides over the crop; the drop of the predicted class's probability at each position,
spread back over the patch area, is the heat map (1 = the region that mattered most). All occluded
copies of all faces go through the classifier as one batch.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np


def occlusion_maps(
    crops: np.ndarray, predict: Callable[[np.ndarray], np.ndarray], patch: int = 10, stride: int = 4
) -> np.ndarray:
    """Heat maps (N, S, S) in [0, 1] for (N, S, S) grey crops; ``predict`` maps crops to probabilities."""
    n, size = len(crops), crops.shape[-1]
    if n == 0:
        return np.empty((0, size, size), np.float32)
    positions = [(y, x) for y in range(0, size - patch + 1, stride) for x in range(0, size - patch + 1, stride)]
    base = predict(crops)
    target = base.argmax(axis=1)
    occluded = np.repeat(crops[:, None], len(positions), axis=1).copy()
    fill = crops.reshape(n, -1).mean(axis=1).astype(np.uint8)
    for k, (y, x) in enumerate(positions):
        occluded[:, k, y : y + patch, x : x + patch] = fill[:, None, None]
    probs = predict(occluded.reshape(-1, size, size)).reshape(n, len(positions), -1)
    drop = base[np.arange(n), target][:, None] - probs[np.arange(n), :, target]
    maps = np.zeros((n, size, size), np.float32)
    counts = np.zeros((size, size), np.float32)
    for k, (y, x) in enumerate(positions):
        maps[:, y : y + patch, x : x + patch] += drop[:, k, None, None]
        counts[y : y + patch, x : x + patch] += 1
    maps = np.clip(maps / np.maximum(counts, 1), 0, None)
    peak = maps.reshape(n, -1).max(axis=1)
    return maps / np.maximum(peak, 1e-6)[:, None, None]


def overlay(image: np.ndarray, heatmap: np.ndarray, box: tuple[int, int, int, int], alpha: float = 0.45) -> None:
    """Blend a heat map (JET colours) over ``box`` of a BGR image, in place."""
    x1, y1, x2, y2 = box
    h, w = image.shape[:2]
    cx1, cy1, cx2, cy2 = max(x1, 0), max(y1, 0), min(x2, w), min(y2, h)
    if cx2 <= cx1 or cy2 <= cy1:
        return
    resized = cv2.resize(heatmap, (x2 - x1, y2 - y1), interpolation=cv2.INTER_LINEAR)
    colours = cv2.applyColorMap((resized * 255).astype(np.uint8), cv2.COLORMAP_JET)
    colours = colours[cy1 - y1 : cy2 - y1, cx1 - x1 : cx2 - x1]
    region = image[cy1:cy2, cx1:cx2]
    image[cy1:cy2, cx1:cx2] = cv2.addWeighted(region, 1 - alpha, colours, alpha, 0)
