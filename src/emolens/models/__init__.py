"""Model zoo (needs the ``train`` extra): ``create_model(name)``, ``list_models()``, ``summarize(name)``."""

from emolens.models import architectures as _architectures  # noqa: F401  (registers the models)
from emolens.models.registry import (
    ModelConfig,
    ModelSummary,
    count_flops,
    create_model,
    list_models,
    model_config,
    register_model,
    summarize,
)

__all__ = [
    "ModelConfig",
    "ModelSummary",
    "count_flops",
    "create_model",
    "list_models",
    "model_config",
    "register_model",
    "summarize",
]
