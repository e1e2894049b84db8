"""Training throughput per architecture on this machine: fp32 against bf16 autocast and channels-last.

Each setting runs real training steps (batch augmentation of FER2013 faces, forward, backward,
AdamW step) for a fixed time and prints images/s and the resulting seconds per FER2013 epoch
(28,709 faces), with the speed-up over fp32 measured in the same run.

    python benchmarks/bench_training.py [--models resnet-s seed-cnn ...] [--seconds 8]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F

from emolens.data import load_dataset
from emolens.models import create_model, list_models
from emolens.training.augment import AugmentConfig, augment_batch
from emolens.training.hardware import bf16_supported, describe

SETTINGS = (
    ("fp32", False, False),
    ("fp32 + channels-last", False, True),
    ("bf16", True, False),
    ("bf16 + channels-last", True, True),
)
EPOCH = 28_709


def images_per_second(
    name: str, faces: torch.Tensor, labels: torch.Tensor, bf16: bool, channels_last: bool, seconds: float, batch: int
) -> float:
    torch.manual_seed(0)
    model = create_model(name)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(memory_format=memory_format).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(0)
    augment = AugmentConfig()

    def step(i: int) -> None:
        index = torch.randint(len(faces), (batch,), generator=gen)
        x = ((augment_batch(faces[index], augment, gen) - 0.5) / 0.25).contiguous(memory_format=memory_format)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = F.cross_entropy(model(x).float(), labels[index])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    for i in range(3):
        step(i)
    started, steps = time.perf_counter(), 0
    while time.perf_counter() - started < seconds:
        step(steps)
        steps += 1
    return steps * batch / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=[n for n in list_models() if n != "resnet18"])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--batch", type=int, default=128)
    args = parser.parse_args()
    train = load_dataset().split("train")
    faces = torch.from_numpy(train.images[:8192]).unsqueeze(1)
    labels = torch.from_numpy(train.labels[:8192].astype(np.int64))
    settings = [s for s in SETTINGS if not s[1] or bf16_supported(torch.device("cpu"))]
    print(f"# training throughput, batch {args.batch}, {describe(torch.device('cpu'))}, torch {torch.__version__}")
    print(f"| model | {' | '.join(s[0] for s in settings)} | best vs fp32 | s/epoch (best) |")
    print("|---" * (len(settings) + 3) + "|")
    for name in args.models:
        speeds = [
            images_per_second(name, faces, labels, bf16, cl, args.seconds, args.batch) for _, bf16, cl in settings
        ]
        best = max(speeds)
        cells = " | ".join(f"{v:,.0f} img/s" for v in speeds)
        print(f"| {name} | {cells} | x{best / speeds[0]:.2f} | {EPOCH / best:.0f} s |", flush=True)


if __name__ == "__main__":
    main()
