"""The ablation table of docs/accuracy.md from training run folders: what each run changed, its network's
size, cost and speed, its best PublicTest accuracy (fp32, the epoch ``emolens train`` chose) and what it
cost to train.

Reads ``config.json`` and ``summary.json`` of each run folder (``emolens train --run-dir``); the cost is
wall time x the CPU cores the run had (``threads of N cores`` in its hardware line), in CPU-hours. The
speed is measured here, on this machine: each run's architecture exported as it would ship (int8, with
random weights, which do not change the speed: ``bench_classifier.py``'s export) and timed at batch 64 with
``--threads`` threads. Run it on an idle machine.

    python benchmarks/ablation_table.py runs/s-base runs/s-blend ... [--copy-to docs/runs] [--threads 2]

``--copy-to`` also keeps each run's small files (config, summary, metrics, curves) there for the record.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from bench_classifier import export_architecture, faces_per_second  # the sibling benchmark
from emolens.cpu import describe_cpu
from emolens.data import load_dataset
from emolens.models import summarize
from emolens.reports.model_card import train_command
from emolens.runtime.classifier import EmotionClassifier

KEPT = ("config.json", "summary.json", "metrics.csv", "curves.png")


def cores(hardware: str) -> int:
    """CPU cores a run used, from its hardware line (GPUs count as one device)."""
    # "(2 threads of 2 cores)", or as the s-mirror run wrote it: ", 2 cores, AVX2 (2 threads)"
    match = re.search(r"\((\d+) threads of (\d+) cores\)", hardware) or re.search(
        r", (\d+) cores, .*\((\d+) threads\)", hardware
    )
    return min(int(match.group(1)), int(match.group(2))) if match else 1


def speeds(architectures: set[str], threads: int, seconds: float) -> dict[str, float]:
    """int8 faces/s at batch 64 of each architecture, exported as it would ship."""
    faces = load_dataset().split("val").images[:512]
    measured = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in sorted(architectures):
            int8 = export_architecture(name, Path(tmp), faces, threads)["int8"]
            measured[name] = faces_per_second(EmotionClassifier(int8, threads=threads), faces, 64, seconds)
    return measured


def row(run: Path, summary: dict[str, Any], faces_per_s: float) -> str:
    config = json.loads((run / "config.json").read_text())
    size = summarize(summary["model"], num_classes=len(summary["classes"]))
    hours = summary["wall_seconds"] * cores(summary["hardware"]) / 3600
    epochs = f"{summary['epochs']}" + (
        "" if summary["epochs"] == summary["planned_epochs"] else f" of {summary['planned_epochs']}"
    )
    command = train_command(config).removeprefix("emolens train ")
    return (
        f"| `{run.name}` | `{command}` | {size.params / 1e6:.2f} M | {size.mflops:.0f} | {faces_per_s:,.0f} | {epochs} | "
        f"{100 * summary['best_val_acc']:.2f} % (epoch {summary['best_epoch']}) | {hours:.2f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--copy-to", type=Path, help="folder to keep each run's config, summary, metrics and curves in")
    parser.add_argument("--threads", type=int, default=2, help="threads for the speed column")
    parser.add_argument("--seconds", type=float, default=3.0, help="timing per architecture")
    args = parser.parse_args()
    summaries = {run: json.loads((run / "summary.json").read_text()) for run in args.runs}
    measured = speeds({s["model"] for s in summaries.values()}, args.threads, args.seconds)
    print(f"faces/s: int8, batch 64, {args.threads} threads; {describe_cpu()}\n")
    print(
        "| run | command (`emolens train ...`) | parameters | MFLOPs | faces/s | epochs | best PublicTest (fp32) "
        "| CPU-hours |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for run, summary in summaries.items():
        print(row(run, summary, measured[summary["model"]]))
        if args.copy_to:
            target = args.copy_to / run.name
            target.mkdir(parents=True, exist_ok=True)
            for name in KEPT:
                if (run / name).exists():
                    shutil.copy(run / name, target / name)


if __name__ == "__main__":
    main()
