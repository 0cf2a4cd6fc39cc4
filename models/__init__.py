"""Finds, describes and resolves the GGUF model files the game plays with, without loading weights."""

from .discovery import (
    FoundModel,
    default_search_dirs,
    find_models,
    huggingface_hub_cache,
    lm_studio_dirs,
    resolve_model,
)
from .embedded import EMBEDDED_DISTRIBUTION, embedded_model_path
from .gguf_info import ModelFileError, ModelInfo, read_model_info

__all__ = [
    "EMBEDDED_DISTRIBUTION",
    "FoundModel",
    "ModelFileError",
    "ModelInfo",
    "default_search_dirs",
    "embedded_model_path",
    "find_models",
    "huggingface_hub_cache",
    "lm_studio_dirs",
    "read_model_info",
    "resolve_model",
]
