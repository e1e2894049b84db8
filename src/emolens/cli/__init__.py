"""The ``emolens`` command line: every command is a thin layer over the Python API.

The shared parts (the Typer app, consoles, error lines, progress bars) are in :mod:`emolens.cli.shared`,
each surface's commands in its own module; they are all registered here, in the order ``--help`` lists them.
"""

from __future__ import annotations

from emolens.cli import batch, data, detectors, models, photo, service, training, video
from emolens.cli.shared import app

for _surface in (training, photo, video, service, batch, data, models, detectors):
    _surface.register(app)


def main() -> None:
    """Entry point of the ``emolens`` script."""
    app()


__all__ = ["app", "main"]
