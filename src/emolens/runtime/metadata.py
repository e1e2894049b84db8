"""The metadata an emolens ONNX file carries: classes, preprocessing, calibration and provenance.

Stored as one JSON string under the ONNX ``metadata_props`` key ``emolens``, so inference code
reads everything from the model file and nothing is re-typed by hand.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from emolens.errors import ModelFileError

METADATA_KEY = "emolens"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class ModelMetadata:
    """Everything needed to use a model file, and where it came from.

    ``input_range`` holds the brightness bounds (``low``, ``high``) and the contrast floor (``min_std``) in
    grey levels that the graph's input-range adapter brings each face into (empty: no adapter); the graph
    applies it itself, not the caller.
    """

    classes: tuple[str, ...]
    input_size: int
    mean: float
    std: float
    color: str = "grey"
    input_range: dict[str, float] = field(default_factory=dict)
    temperature: float = 1.0
    architecture: str = ""
    params: int = 0
    mflops: float = 0.0
    precision: str = "fp32"
    emolens_version: str = ""
    created: str = ""
    training: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, text: str, source: str = "model") -> ModelMetadata:
        try:
            data = json.loads(text)
            data["classes"] = tuple(data["classes"])
            known = set(cls.__dataclass_fields__)
            return cls(**{k: v for k, v in data.items() if k in known})
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelFileError(f"{source}: emolens metadata is unreadable ({exc})") from None
