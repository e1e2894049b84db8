"""PublicTest accuracy of a checkpoint for a sweep of input low-pass sigmas (choose ``--lowpass`` here).

The FER2013 Training split here is blurred; a model trained on it sees sharp faces blurred by the
Gaussian low-pass in front of it. This sweep shows how accuracy depends on that sigma, measured on
the validation split only (PublicTest), in fp32 PyTorch.

    python benchmarks/bench_lowpass.py src/emolens/runtime/weights/default.pt --sigmas 0 1.5 2.5 3 3.25 3.5 4
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from emolens.data import load_dataset
from emolens.models.layers import GaussianLowPass
from emolens.training.checkpoint import load_model
from emolens.training.trainer import normalize


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("--sigmas", nargs="+", type=float, default=[0, 1.5, 2.5, 3.0, 3.25, 3.5, 4.0])
    args = parser.parse_args()
    network, state = load_model(args.checkpoint)
    cfg = state["model_config"]
    val = load_dataset(size=cfg["input_size"]).relabel(state["classes"]).split("val")
    faces = torch.from_numpy(val.images[:, None].astype(np.float32) / 255)
    print(f"# PublicTest accuracy of {args.checkpoint} (trained with low-pass {state.get('lowpass_sigma', 0):.2f} px)")
    print("| input low-pass sigma (px) | PublicTest accuracy |")
    print("|---|---|")
    for sigma in args.sigmas:
        with torch.no_grad():
            x = normalize(GaussianLowPass(sigma, cfg["input_size"])(faces), cfg["mean"], cfg["std"])
            predictions = torch.cat([network(b).argmax(1) for b in x.split(512)]).numpy()
        print(f"| {sigma:g} | {100 * (predictions == val.labels).mean():.2f} % |", flush=True)


if __name__ == "__main__":
    main()
