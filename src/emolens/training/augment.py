"""Augmentation applied to whole batches of uint8 faces in torch (no per-image Python loop).

One affine warp per face covers the face detector's framing jitter (shift, scale), head roll
(rotation) and mirroring; photometric jitter (brightness, contrast, gamma), blur, noise and random
erasing follow; mixup and cutmix mix whole batches. Every random draw comes from one
``torch.Generator`` so runs repeat exactly from a seed and resume from a checkpoint.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from emolens.training.config import AugmentConfig


def _uniform(n: int, low: float, high: float, gen: torch.Generator) -> Tensor:
    return torch.rand(n, generator=gen, device=gen.device) * (high - low) + low


def random_affine(x: Tensor, cfg: AugmentConfig, gen: torch.Generator) -> Tensor:
    """Warp each face by its own rotation, scale, shift and optional horizontal flip."""
    n = x.shape[0]
    angle = _uniform(n, -cfg.rotate, cfg.rotate, gen) * (math.pi / 180)
    scale = torch.exp(_uniform(n, -math.log1p(cfg.scale), math.log1p(cfg.scale), gen))
    flip = torch.where(torch.rand(n, generator=gen, device=gen.device) < cfg.flip, -1.0, 1.0)
    tx, ty = (_uniform(n, -2 * cfg.shift, 2 * cfg.shift, gen) for _ in range(2))
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos * flip, -sin, tx], 1), torch.stack([sin * flip, cos, ty], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


def photometric(x: Tensor, cfg: AugmentConfig, gen: torch.Generator) -> Tensor:
    """Brightness, contrast and gamma jitter on faces in [0, 1]."""
    n = x.shape[0]
    shape = (n, 1, 1, 1)
    if cfg.gamma:
        gamma = torch.exp(_uniform(n, -cfg.gamma, cfg.gamma, gen)).view(shape)
        x = x.clamp_min(1e-4) ** gamma
    if cfg.contrast:
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        x = (x - mean) * _uniform(n, 1 - cfg.contrast, 1 + cfg.contrast, gen).view(shape) + mean
    if cfg.brightness:
        x = x + _uniform(n, -cfg.brightness, cfg.brightness, gen).view(shape) * 0.5
    return x.clamp(0, 1)


def blur_and_noise(x: Tensor, cfg: AugmentConfig, gen: torch.Generator) -> Tensor:
    """Gaussian blur on a share ``cfg.blur`` of the faces (low-resolution or out-of-focus), then noise."""
    n = x.shape[0]
    if cfg.blur:
        chosen = torch.rand(n, generator=gen, device=gen.device) < cfg.blur
        if chosen.any():
            sigma = float(_uniform(1, 0.5, 1.5, gen))
            k = torch.arange(-2, 3, dtype=x.dtype, device=x.device)
            kernel = torch.exp(-(k**2) / (2 * sigma**2))
            kernel = kernel / kernel.sum()
            blurred = F.conv2d(F.pad(x[chosen], (2, 2, 0, 0), mode="reflect"), kernel.view(1, 1, 1, 5))
            blurred = F.conv2d(F.pad(blurred, (0, 0, 2, 2), mode="reflect"), kernel.view(1, 1, 5, 1))
            x = x.clone()
            x[chosen] = blurred
    if cfg.noise:
        x = x + torch.randn(x.shape, generator=gen, device=gen.device) * _uniform(n, 0, cfg.noise, gen).view(n, 1, 1, 1)
    return x.clamp(0, 1)


def random_erase(x: Tensor, p: float, gen: torch.Generator) -> Tensor:
    """Replace one random rectangle (2-25 % of the area) with noise in a share ``p`` of the faces."""
    n, _, h, w = x.shape
    area = _uniform(n, 0.02, 0.25, gen) * h * w
    aspect = torch.exp(_uniform(n, math.log(0.3), math.log(3.3), gen))
    eh = (area * aspect).sqrt().clamp(1, h).long()
    ew = (area / aspect).sqrt().clamp(1, w).long()
    y0 = (torch.rand(n, generator=gen, device=gen.device) * (h - eh + 1)).long()
    x0 = (torch.rand(n, generator=gen, device=gen.device) * (w - ew + 1)).long()
    ys = torch.arange(h, device=x.device).view(1, h, 1)
    xs = torch.arange(w, device=x.device).view(1, 1, w)
    mask = (ys >= y0.view(n, 1, 1)) & (ys < (y0 + eh).view(n, 1, 1))
    mask = mask & (xs >= x0.view(n, 1, 1)) & (xs < (x0 + ew).view(n, 1, 1))
    mask = mask & (torch.rand(n, generator=gen, device=gen.device) < p).view(n, 1, 1)
    return torch.where(mask.unsqueeze(1), torch.rand(x.shape, generator=gen, device=gen.device), x)


def mix_batch(x: Tensor, target: Tensor, cfg: AugmentConfig, gen: torch.Generator) -> tuple[Tensor, Tensor]:
    """Mixup or cutmix (one chosen per batch) of faces and their target distributions (N, classes);
    both unchanged when mixup and cutmix are off."""
    modes = [m for m, a in (("mixup", cfg.mixup), ("cutmix", cfg.cutmix)) if a > 0]
    if not modes:
        return x, target
    mode = modes[int(torch.randint(len(modes), (1,), generator=gen, device=gen.device))]
    alpha = cfg.mixup if mode == "mixup" else cfg.cutmix
    lam = float(torch.distributions.Beta(alpha, alpha).sample())
    perm = torch.randperm(x.shape[0], generator=gen, device=gen.device)
    if mode == "mixup":
        x = lam * x + (1 - lam) * x[perm]
    else:
        h, w = x.shape[-2:]
        ch, cw = int(h * math.sqrt(1 - lam)), int(w * math.sqrt(1 - lam))
        cy, cx = (
            int(torch.randint(h, (1,), generator=gen, device=gen.device)),
            int(torch.randint(w, (1,), generator=gen, device=gen.device)),
        )
        y0, y1 = max(cy - ch // 2, 0), min(cy + ch // 2, h)
        x0, x1 = max(cx - cw // 2, 0), min(cx + cw // 2, w)
        x = x.clone()
        x[:, :, y0:y1, x0:x1] = x[perm][:, :, y0:y1, x0:x1]
        lam = 1 - (y1 - y0) * (x1 - x0) / (h * w)
    return x, lam * target + (1 - lam) * target[perm]


def augment_batch(images: Tensor, cfg: AugmentConfig, gen: torch.Generator) -> Tensor:
    """uint8 (N,1,H,W) faces -> augmented float faces in [0, 1]."""
    x = images.float().div_(255)
    if cfg.rotate or cfg.scale or cfg.shift or cfg.flip:
        x = random_affine(x, cfg, gen)
    x = photometric(x, cfg, gen)
    x = blur_and_noise(x, cfg, gen)
    if cfg.erase:
        x = random_erase(x, cfg.erase, gen)
    return x
