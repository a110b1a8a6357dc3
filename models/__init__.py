"""Colorization networks and the registry of named models."""
from .registry import ModelSpec, create_model, get_spec, list_models, load_weights, save_weights, weights_sha256

__all__ = ["ModelSpec", "create_model", "get_spec", "list_models", "load_weights", "save_weights",
           "weights_sha256"]
