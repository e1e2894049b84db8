"""Image-quality measurements for data understanding: sharpness, constant images, and how blurred
one split is compared with another.

A split much blurrier than the others is a real finding in a user's data (a first copy of FER2013 had
its Training faces Gaussian-blurred by its uploader, which capped every model trained on it): a model
learns the look of its training faces. :func:`estimate_blur` measures the Gaussian blur that turns a
sharp split into the blurred one by matching their radial power spectra (no labels involved).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


def sharpness(images: np.ndarray) -> np.ndarray:
    """Variance of the Laplacian of each (N,H,W) image: low means blurred or flat."""
    return np.array([cv2.Laplacian(im, cv2.CV_32F).var() for im in images], dtype=np.float32)


def constant_mask(images: np.ndarray, max_std: float = 2.0) -> np.ndarray:
    """Images whose pixel standard deviation is below ``max_std`` (blank, black or white faces)."""
    return images.reshape(len(images), -1).std(axis=1) < max_std


def radial_power(images: np.ndarray) -> np.ndarray:
    """Mean log power spectrum of (N,H,W) square images per integer radius (0 .. H/2)."""
    x = images.astype(np.float32)
    x = x - x.mean(axis=(1, 2), keepdims=True)
    power = (np.abs(np.fft.fftshift(np.fft.fft2(x), axes=(1, 2))) ** 2).mean(axis=0)
    h = power.shape[0]
    y, xx = np.indices(power.shape)
    radius = np.hypot(y - h // 2, xx - h // 2).astype(int)
    keep = radius <= h // 2
    sums = np.bincount(radius[keep], power[keep])
    counts = np.bincount(radius[keep])
    return np.log(sums / np.maximum(counts, 1) + 1e-6)


def gaussian_blur(images: np.ndarray, sigma: float) -> np.ndarray:
    """Blur each (N,H,W) uint8 image with a Gaussian of ``sigma`` pixels (reflected borders)."""
    if sigma <= 0:
        return images
    return np.stack([cv2.GaussianBlur(im, (0, 0), sigma, borderType=cv2.BORDER_REFLECT_101) for im in images])


def jpeg_roundtrip(images: np.ndarray, quality: int = 75) -> np.ndarray:
    """Encode and decode each (N,H,W) uint8 grey image as a JPEG of ``quality`` (1-100)."""
    params = [cv2.IMWRITE_JPEG_QUALITY, quality]
    return np.stack([cv2.imdecode(cv2.imencode(".jpg", im, params)[1], cv2.IMREAD_GRAYSCALE) for im in images])


@dataclass(frozen=True)
class BlurEstimate:
    """The Gaussian sigma that best turns ``reference`` faces into ``images``, and how well it fits."""

    sigma: float
    spectrum_error: float
    sharpness_images: float
    sharpness_reference: float

    @property
    def blurred(self) -> bool:
        """Whether the images are clearly blurrier than the reference (not just noise in the fit)."""
        return self.sigma >= 0.75 and self.sharpness_images < 0.5 * self.sharpness_reference


def estimate_blur(
    images: np.ndarray, reference: np.ndarray, sample: int = 600, sigmas: np.ndarray | None = None, seed: int = 0
) -> BlurEstimate:
    """Estimate the blur of ``images`` relative to ``reference`` (both (N,H,W) uint8 faces).

    Each candidate sigma blurs (and JPEG re-encodes, as the datasets are JPEGs) a sample of the
    reference; the sigma whose mean log radial spectrum is closest to that of ``images`` wins.
    """
    rng = np.random.default_rng(seed)
    imgs = images[rng.permutation(len(images))[:sample]]
    ref = reference[rng.permutation(len(reference))[:sample]]
    target = radial_power(imgs)
    radii = slice(1, images.shape[-1] // 2)
    candidates = np.arange(0.0, 6.01, 0.25) if sigmas is None else sigmas
    errors = [
        float(np.abs(radial_power(jpeg_roundtrip(gaussian_blur(ref, float(s))))[radii] - target[radii]).mean())
        for s in candidates
    ]
    best = int(np.argmin(errors))
    return BlurEstimate(
        sigma=float(candidates[best]),
        spectrum_error=errors[best],
        sharpness_images=float(np.median(sharpness(imgs))),
        sharpness_reference=float(np.median(sharpness(ref))),
    )
