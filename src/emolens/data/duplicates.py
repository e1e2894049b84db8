"""Find exact and near-duplicate faces within and across splits.

Exact duplicates share every pixel. Near duplicates are found in two stages:

1. candidates: every face is blurred, shrunk to a 12x12 thumbnail, centred and normalised; pairs
   whose cosine similarity reaches ``candidate_threshold`` are candidates (a blocked matrix
   product, a few seconds for FER2013's 35,887 faces);
2. verification: the sharper face of a pair is blurred to match the blurrier one (the best of a few
   Gaussian sigmas, both with a light common blur against re-compression noise) and the two are
   correlated at full resolution; pairs reaching ``threshold`` are
   the same picture. This finds a blurred training copy of a sharp test face (correlation ~0.9997)
   while rejecting merely similar faces.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np

from emolens.data.quality import constant_mask, sharpness

THUMB = 12
VERIFY_SIGMAS: tuple[float, ...] = (0.0, 1.0, 2.0, 3.0, 3.5, 4.0)
COMMON_SIGMA = 1.0
#: Sharpness (variance of the Laplacian) from which a face counts as sharp; FER2013 test faces: ~2,000.
SHARP = 300.0


@dataclass(frozen=True)
class DuplicatePair:
    """Two faces (dataset indices) that are the same picture; ``similarity`` 1.0 for exact copies."""

    first: int
    second: int
    similarity: float
    exact: bool


def exact_groups(images: np.ndarray) -> list[list[int]]:
    """Groups (of two or more indices) of images with identical pixels."""
    groups: dict[bytes, list[int]] = defaultdict(list)
    for i, image in enumerate(images):
        groups[hashlib.blake2b(image.tobytes(), digest_size=16).digest()].append(i)
    return [g for g in groups.values() if len(g) > 1]


def thumbnails(images: np.ndarray, blur_sigma: float = 3.0) -> np.ndarray:
    """Blurred, 12x12, zero-mean, unit-norm float vectors (N, 144)."""
    out = np.empty((len(images), THUMB * THUMB), dtype=np.float32)
    for i, image in enumerate(images):
        small = cv2.GaussianBlur(image, (0, 0), blur_sigma, borderType=cv2.BORDER_REFLECT_101)
        out[i] = cv2.resize(small, (THUMB, THUMB), interpolation=cv2.INTER_AREA).ravel()
    out -= out.mean(axis=1, keepdims=True)
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-6)
    return out


def _normalised(image: np.ndarray) -> np.ndarray:
    v = image.astype(np.float32).ravel()
    v -= v.mean()
    return v / max(float(np.linalg.norm(v)), 1e-6)


def matched_correlation(images: np.ndarray, sharp: np.ndarray, first: int, second: int) -> float:
    """Correlation of two faces after blurring the sharper one to best match the other."""
    if sharp[first] < sharp[second]:
        first, second = second, first
    target = _normalised(images[second])
    best = -1.0
    for sigma in VERIFY_SIGMAS:
        source = (
            images[first]
            if sigma == 0
            else cv2.GaussianBlur(images[first], (0, 0), sigma, borderType=cv2.BORDER_REFLECT_101)
        )
        best = max(best, float(_normalised(source) @ target))
    return best


def find_duplicates(
    images: np.ndarray,
    threshold: float = 0.995,
    sharp_threshold: float = 0.97,
    candidate_threshold: float = 0.97,
    block: int = 2048,
) -> list[DuplicatePair]:
    """All exact and near-duplicate pairs among (N,H,W) faces, constant (blank) faces excluded.

    Two sharp faces (sharpness >= ``SHARP``) are the same picture from ``sharp_threshold`` on: distinct
    sharp FER2013 faces stay below 0.84 while JPEG re-saves (quality 50+) reach 0.975. When either face
    is blurred, smooth faces correlate more, so ``threshold`` is stricter (blurred copies score ~0.9997).
    """
    pairs: list[DuplicatePair] = []
    exact_seen: set[tuple[int, int]] = set()
    blank = constant_mask(images)
    for group in exact_groups(images):
        if blank[group[0]]:
            continue
        for a in range(len(group)):
            for b in range(a + 1, len(group)):
                exact_seen.add((group[a], group[b]))
                pairs.append(DuplicatePair(group[a], group[b], 1.0, True))
    candidates = np.flatnonzero(~blank)
    vectors = thumbnails(images[candidates])
    sharp = sharpness(images)
    verify = cache(lambda i, j: matched_correlation(images, sharp, i, j))
    for start in range(0, len(candidates), block):
        sims = vectors[start : start + block] @ vectors.T
        rows, cols = np.nonzero(sims >= candidate_threshold)
        for r, c in zip(rows, cols, strict=True):
            i, j = int(candidates[start + r]), int(candidates[c])
            if i < j and (i, j) not in exact_seen:
                score = verify(i, j)
                if score >= (sharp_threshold if min(sharp[i], sharp[j]) >= SHARP else threshold):
                    pairs.append(DuplicatePair(i, j, score, False))
    return pairs
