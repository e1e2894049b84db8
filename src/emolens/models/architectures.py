"""The registered architectures, from the seed projects' small CNN to residual and separable nets.

All take grey 48x48 faces. Widths and depths are arguments, so variants register in one line.
``work_size`` shrinks the face first (24: to 24x24, a quarter of the pixels): the network runs at a
fraction of the cost and gives up the finest detail of the face (on sharp FER2013 faces, 5.5 points of
PublicTest accuracy for resnet-s24 against resnet-s; docs/accuracy.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from emolens.models.layers import BasicBlock, ClassifierHead, ConvBNAct, Downscale, SeparableBlock
from emolens.models.registry import register_model


class SeedCNN(nn.Module):
    """The plain CNN of the seed projects: conv-BN-ReLU-pool-dropout stages, then dense layers."""

    def __init__(self, num_classes: int = 7, in_chans: int = 1, drop_rate: float = 0.5):
        super().__init__()
        self.features = nn.Sequential(
            ConvBNAct(in_chans, 32),
            ConvBNAct(32, 64),
            nn.MaxPool2d(2),
            nn.Dropout(0.25),
            ConvBNAct(64, 128),
            nn.MaxPool2d(2),
            ConvBNAct(128, 128),
            nn.MaxPool2d(2),
            nn.Dropout(0.25),
        )
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(128 * 6 * 6, 1024),
            nn.ReLU(inplace=True),
            nn.Dropout(drop_rate),
            nn.Linear(1024, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))


class VGG(nn.Module):
    """VGG-style: stages of 3x3 conv-BN-ReLU followed by max pooling, global pooling head."""

    def __init__(
        self,
        num_classes: int = 7,
        in_chans: int = 1,
        widths: Sequence[int] = (64, 128, 256, 512),
        convs_per_stage: int = 2,
        drop_rate: float = 0.3,
    ):
        super().__init__()
        layers: list[nn.Module] = []
        cin = in_chans
        for width in widths:
            for _ in range(convs_per_stage):
                layers.append(ConvBNAct(cin, width))
                cin = width
            layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        self.head = ClassifierHead(cin, num_classes, drop_rate)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))


class ResNet(nn.Module):
    """ResNet with basic blocks for small inputs: optional downscaling of the input to ``work_size``, a
    3x3 stem (optionally strided), then stages."""

    def __init__(
        self,
        num_classes: int = 7,
        in_chans: int = 1,
        widths: Sequence[int] = (64, 128, 256, 512),
        depths: Sequence[int] = (2, 2, 2, 2),
        stem_stride: int = 1,
        work_size: int | None = None,
        drop_rate: float = 0.2,
    ):
        super().__init__()
        self.downscale = Downscale(work_size) if work_size else nn.Identity()
        self.stem = ConvBNAct(in_chans, widths[0], 3, stem_stride)
        stages: list[nn.Module] = []
        cin = widths[0]
        for i, (width, depth) in enumerate(zip(widths, depths, strict=True)):
            for j in range(depth):
                stages.append(BasicBlock(cin, width, 2 if (j == 0 and i > 0) else 1))
                cin = width
        self.stages = nn.Sequential(*stages)
        self.head = ClassifierHead(cin, num_classes, drop_rate)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.stages(self.stem(self.downscale(x))))


class SeparableNet(nn.Module):
    """MobileNetV2-style net of inverted residual blocks with depthwise 3x3 convolutions."""

    def __init__(
        self,
        num_classes: int = 7,
        in_chans: int = 1,
        widths: Sequence[int] = (32, 64, 128, 256),
        depths: Sequence[int] = (2, 2, 3, 2),
        expand: int = 4,
        drop_rate: float = 0.2,
    ):
        super().__init__()
        self.stem = ConvBNAct(in_chans, widths[0], 3, 1)
        blocks: list[nn.Module] = []
        cin = widths[0]
        for i, (width, depth) in enumerate(zip(widths, depths, strict=True)):
            for j in range(depth):
                blocks.append(SeparableBlock(cin, width, 2 if (j == 0 and i > 0) else 1, expand))
                cin = width
        self.blocks = nn.Sequential(*blocks)
        self.head = ClassifierHead(cin, num_classes, drop_rate)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.blocks(self.stem(x)))


@register_model("seed-cnn", "the seed projects' plain CNN (4 conv, 2 dense); the baseline")
def seed_cnn(num_classes: int = 7, in_chans: int = 1, **kw: object) -> nn.Module:
    return SeedCNN(num_classes, in_chans, **kw)  # type: ignore[arg-type]


@register_model("vgg", "VGG-style: 4 stages of two 3x3 conv-BN-ReLU and max pooling (64-512 wide)")
def vgg(num_classes: int = 7, in_chans: int = 1, **kw: object) -> nn.Module:
    return VGG(num_classes, in_chans, **kw)  # type: ignore[arg-type]


@register_model("resnet18", "ResNet-18 for 48x48 faces: stride-1 stem, 4 stages of 2 basic blocks (64-512)")
def resnet18(num_classes: int = 7, in_chans: int = 1, **kw: object) -> nn.Module:
    return ResNet(num_classes, in_chans, **kw)  # type: ignore[arg-type]


@register_model("resnet-s", "small ResNet: strided stem, 4 stages of basic blocks (32-256 wide)")
def resnet_s(num_classes: int = 7, in_chans: int = 1, **kw: object) -> nn.Module:
    kw = {"widths": (32, 64, 128, 256), "depths": (1, 2, 2, 1), "stem_stride": 2, **kw}
    return ResNet(num_classes, in_chans, **kw)  # type: ignore[arg-type]


@register_model("resnet-s24", "resnet-s on the face averaged down to 24x24: a quarter of its cost")
def resnet_s24(num_classes: int = 7, in_chans: int = 1, **kw: object) -> nn.Module:
    return resnet_s(num_classes, in_chans, **{"work_size": 24, **kw})


@register_model("resnet-s36", "resnet-s on the face shrunk to 36x36: about two thirds of its cost")
def resnet_s36(num_classes: int = 7, in_chans: int = 1, **kw: object) -> nn.Module:
    return resnet_s(num_classes, in_chans, **{"work_size": 36, **kw})


@register_model("resnet-s40", "resnet-s on the face shrunk to 40x40: about three quarters of its cost")
def resnet_s40(num_classes: int = 7, in_chans: int = 1, **kw: object) -> nn.Module:
    return resnet_s(num_classes, in_chans, **{"work_size": 40, **kw})


@register_model("resnet-m", "medium ResNet: strided stem, 4 stages of 2 basic blocks (48-384 wide)")
def resnet_m(num_classes: int = 7, in_chans: int = 1, **kw: object) -> nn.Module:
    kw = {"widths": (48, 96, 192, 384), "depths": (2, 2, 2, 2), "stem_stride": 2, **kw}
    return ResNet(num_classes, in_chans, **kw)  # type: ignore[arg-type]


@register_model("resnet-l", "large ResNet: strided stem, 4 stages of 2 basic blocks (64-512 wide)")
def resnet_l(num_classes: int = 7, in_chans: int = 1, **kw: object) -> nn.Module:
    kw = {"widths": (64, 128, 256, 512), "depths": (2, 2, 2, 2), "stem_stride": 2, **kw}
    return ResNet(num_classes, in_chans, **kw)  # type: ignore[arg-type]


@register_model("sepnet", "depthwise-separable (MobileNetV2-style) inverted residual net (32-256 wide)")
def sepnet(num_classes: int = 7, in_chans: int = 1, **kw: object) -> nn.Module:
    return SeparableNet(num_classes, in_chans, **kw)  # type: ignore[arg-type]
