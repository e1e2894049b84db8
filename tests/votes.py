"""FER+ votes for tests: the shared votes file beside the repository and one image's counts by hand
(``from votes import SHARED_VOTES, counts``)."""

from __future__ import annotations

from pathlib import Path

from emolens.labels import FERPLUS_CLASSES

SHARED_VOTES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ferplus" / "votes.csv"


def counts(**votes: int) -> list[float]:
    """One image's votes in emolens order (FER+ classes, unknown, not_face)."""
    names = (*FERPLUS_CLASSES, "unknown", "not_face")
    return [float(votes.get(n, 0)) for n in names]
