"""Colorization networks and the registry of named models. The specs need no torch (`spec`,
`zoo`); building a network, loading and saving weights do (`registry`), imported on first use."""
from .spec import ModelSpec, get_spec, list_models, weights_sha256

_TORCH = ("create_model", "load_weights", "save_weights")


def __getattr__(name: str):
    if name in _TORCH:
        from . import registry

        return getattr(registry, name)
    raise AttributeError(name)


__all__ = ["ModelSpec", "get_spec", "list_models", "weights_sha256", *_TORCH]
