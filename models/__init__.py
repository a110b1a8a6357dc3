"""Colorization networks and the registry of named models."""
from .registry import ModelSpec, create_model, get_spec, list_models, load_weights, save_weights

__all__ = ["ModelSpec", "create_model", "get_spec", "list_models", "load_weights", "save_weights"]
