"""The ablation table of docs/accuracy.md from training run folders: what each run changed, its network's
size and cost, its best PublicTest accuracy (fp32, the epoch ``emolens train`` chose) and what it cost.

Reads ``config.json`` and ``summary.json`` of each run folder (``emolens train --run-dir``); the cost is
wall time x the CPU cores the run had (``threads of N cores`` in its hardware line), in CPU-hours.

    python benchmarks/ablation_table.py runs/s-base runs/s-blend ... [--copy-to docs/runs]

``--copy-to`` also keeps each run's small files (config, summary, metrics, curves) there for the record.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
from pathlib import Path

from emolens.models import summarize
from emolens.reports.model_card import train_command

KEPT = ("config.json", "summary.json", "metrics.csv", "curves.png")


def cores(hardware: str) -> int:
    """CPU cores a run used, from its hardware line (GPUs count as one device)."""
    # "(2 threads of 2 cores)", or as the s-mirror run wrote it: ", 2 cores, AVX2 (2 threads)"
    match = re.search(r"\((\d+) threads of (\d+) cores\)", hardware) or re.search(
        r", (\d+) cores, .*\((\d+) threads\)", hardware
    )
    return min(int(match.group(1)), int(match.group(2))) if match else 1


def row(run: Path) -> str:
    config = json.loads((run / "config.json").read_text())
    summary = json.loads((run / "summary.json").read_text())
    size = summarize(summary["model"], num_classes=len(summary["classes"]))
    hours = summary["wall_seconds"] * cores(summary["hardware"]) / 3600
    epochs = f"{summary['epochs']}" + (
        "" if summary["epochs"] == summary["planned_epochs"] else f" of {summary['planned_epochs']}"
    )
    command = train_command(config).removeprefix("emolens train ")
    return (
        f"| `{run.name}` | `{command}` | {size.params / 1e6:.2f} M | {size.mflops:.0f} | {epochs} | "
        f"{100 * summary['best_val_acc']:.2f} % (epoch {summary['best_epoch']}) | {hours:.2f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--copy-to", type=Path, help="folder to keep each run's config, summary, metrics and curves in")
    args = parser.parse_args()
    print("| run | command (`emolens train ...`) | parameters | MFLOPs | epochs | best PublicTest (fp32) | CPU-hours |")
    print("|---|---|---|---|---|---|---|")
    for run in args.runs:
        print(row(run))
        if args.copy_to:
            target = args.copy_to / run.name
            target.mkdir(parents=True, exist_ok=True)
            for name in KEPT:
                if (run / name).exists():
                    shutil.copy(run / name, target / name)


if __name__ == "__main__":
    main()
