"""Building blocks shared by the architectures: input downscaling, conv-BN-activation, residual and
separable blocks, the classifier head, and the input-range adapter exported in front of every network."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class Downscale(nn.Module):
    """Shrinks the face to ``size`` x ``size`` before the network: 2x2 averaging when the input is twice
    that size (as exact as it is cheap), else bilinear interpolation. Has no weights, so a network keeps
    the weights it learned at full size."""

    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-1] == 2 * self.size:
            return F.avg_pool2d(x, 2)
        return F.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False)


class ConvBNAct(nn.Sequential):
    """Convolution, batch norm and ReLU (or none)."""

    def __init__(self, cin: int, cout: int, kernel: int = 3, stride: int = 1, groups: int = 1, act: bool = True):
        super().__init__(
            nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True) if act else nn.Identity(),
        )


class BasicBlock(nn.Module):
    """ResNet basic block: two 3x3 convs with an identity (or 1x1 projection) shortcut."""

    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.body = nn.Sequential(ConvBNAct(cin, cout, 3, stride), ConvBNAct(cout, cout, 3, 1, act=False))
        self.shortcut = nn.Identity() if stride == 1 and cin == cout else ConvBNAct(cin, cout, 1, stride, act=False)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.body(x) + self.shortcut(x))


class SeparableBlock(nn.Module):
    """Inverted residual (MobileNetV2-style): 1x1 expand, 3x3 depthwise, 1x1 project, residual when shapes match."""

    def __init__(self, cin: int, cout: int, stride: int = 1, expand: int = 4):
        super().__init__()
        hidden = cin * expand
        self.body = nn.Sequential(
            ConvBNAct(cin, hidden, 1),
            ConvBNAct(hidden, hidden, 3, stride, groups=hidden),
            ConvBNAct(hidden, cout, 1, act=False),
        )
        self.residual = stride == 1 and cin == cout

    def forward(self, x: Tensor) -> Tensor:
        out = self.body(x)
        return x + out if self.residual else out


class ClassifierHead(nn.Sequential):
    """Global average pooling, dropout and a linear layer to the class logits."""

    def __init__(self, cin: int, num_classes: int, drop_rate: float = 0.0):
        super().__init__(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(drop_rate), nn.Linear(cin, num_classes))


class InputRangeAdapter(nn.Module):
    """Brings each face's brightness and contrast into the range of the training faces.

    A face whose mean grey lies outside ``[low, high]`` is moved to the nearer bound, and one whose
    standard deviation is below ``min_std`` is stretched to it; faces inside the training range pass
    unchanged. Dark, backlit or washed-out faces from real footage thus reach the network looking
    like the faces it learnt from. Statistics are in the units of the network's input, per face.
    """

    def __init__(self, low: float, high: float, min_std: float):
        super().__init__()
        self.low, self.high, self.min_std = float(low), float(high), float(min_std)

    @classmethod
    def fit(
        cls, x: Tensor, mean_percentiles: tuple[float, float] = (5, 95), std_percentile: float = 25
    ) -> InputRangeAdapter:
        """Bounds from training faces ``x`` (N,1,H,W) as the network sees them: the given percentiles of
        their per-face means and standard deviations (chosen on PublicTest with exposure and contrast
        corruptions: 5-95 and 25 keep clean accuracy and recover most of the loss)."""
        means = x.mean(dim=(-2, -1)).flatten()
        stds = x.std(dim=(-2, -1), unbiased=False).flatten()
        low, high = (torch.quantile(means, p / 100).item() for p in mean_percentiles)
        return cls(low, high, torch.quantile(stds, std_percentile / 100).item())

    def to_grey(self, mean: float, std: float) -> dict[str, float]:
        """The bounds in grey levels (0-255) of faces that a network normalises with ``mean`` and ``std``."""
        return {
            "low": 255 * (self.low * std + mean),
            "high": 255 * (self.high * std + mean),
            "min_std": 255 * self.min_std * std,
        }

    @classmethod
    def from_grey(cls, bounds: dict[str, float], mean: float, std: float) -> InputRangeAdapter:
        """The adapter whose :meth:`to_grey` gives ``bounds``."""
        low, high = ((bounds[k] / 255 - mean) / std for k in ("low", "high"))
        return cls(low, high, bounds["min_std"] / (255 * std))

    def forward(self, x: Tensor) -> Tensor:
        mean = x.mean(dim=(-2, -1), keepdim=True)
        centred = x - mean
        std = centred.pow(2).mean(dim=(-2, -1), keepdim=True).sqrt()
        scale = (self.min_std / std.clamp_min(1e-6)).clamp_min(1.0)
        return centred * scale + mean.clamp(self.low, self.high)
