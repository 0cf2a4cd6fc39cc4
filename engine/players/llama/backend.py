"""The llama.cpp backend: one loaded model per GGUF file, one context (KV cache) per player.

Built on llama-cpp-python's low-level bindings rather than `llama_cpp.Llama`, because a
`Llama` owns both the weights and a single KV cache: two players on one `Llama` keep
evicting each other's prefix, and two `Llama`s on one file copy the weights to the GPU
twice. Here a file is loaded once and each session gets its own context on it.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from ...backend import (
    LoadProgressCallback,
)
from ...chat_template import ChatFormat
from .bindings import _ensure_llama_initialized
from .model import LoadedModel, _load_model
from .session import LlamaSession


def default_thread_count() -> int:
    """Half the usable cores: decoding threads spin, and the UI and the OS need a core."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, cores // 2)


class LlamaBackend:
    """Loads each GGUF file once and gives every session its own context on it."""

    def __init__(
        self,
        *,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        n_batch: int = 512,
        n_gpu_layers: int = 0,
        on_load_progress: LoadProgressCallback | None = None,
        chat_format: ChatFormat = "template",
    ) -> None:
        _ensure_llama_initialized()
        self.n_ctx = n_ctx
        self.n_threads = n_threads if n_threads is not None else default_thread_count()
        self.n_batch = n_batch
        self.n_gpu_layers = n_gpu_layers
        self.chat_format: ChatFormat = chat_format
        self._on_load_progress = on_load_progress
        self._models: dict[Path, LoadedModel] = {}
        self._sessions: list[LlamaSession] = []
        self._lock = threading.Lock()

    def model(self, model_path: Path) -> LoadedModel:
        """The loaded model for a file, loading it on first use."""
        path = Path(model_path).expanduser().resolve()
        with self._lock:
            loaded = self._models.get(path)
            if loaded is None:
                loaded = _load_model(
                    path, self.n_gpu_layers, self._on_load_progress, self.chat_format
                )
                self._models[path] = loaded
            return loaded

    def session(self, model_path: Path) -> LlamaSession:
        loaded = self.model(model_path)
        session = LlamaSession(
            loaded, n_ctx=self.n_ctx, n_threads=self.n_threads, n_batch=self.n_batch
        )
        with self._lock:
            self._sessions.append(session)
        return session

    def close(self) -> None:
        """Free every context, then the models they use."""
        with self._lock:
            sessions, self._sessions = self._sessions, []
            models, self._models = list(self._models.values()), {}
        for session in sessions:
            session.close()
        for loaded in models:
            loaded.close()
