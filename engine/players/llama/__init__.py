"""llama.cpp as a player backend: one concept a module (bindings, model, grammar, session,
backend)."""

from .backend import LlamaBackend, default_thread_count, usable_cores
from .grammar import SchemaError
from .model import ChatTemplateError, LoadedModel, ModelLoadError, cpu_has_amx
from .session import LlamaSession

__all__ = [
    "ChatTemplateError",
    "LlamaBackend",
    "LlamaSession",
    "LoadedModel",
    "ModelLoadError",
    "SchemaError",
    "cpu_has_amx",
    "default_thread_count",
    "usable_cores",
]
