"""Embeddings from a GGUF through llama.cpp (mean-pooled hidden states): an offline
alternative to the n-gram embedder for memory relevance, on a model already installed.
`bench/memory_recall.py` measures both."""

from __future__ import annotations

from collections.abc import Sequence

import llama_cpp
import numpy as np

from .bindings import LlamaBatch
from .model import LoadedModel, ModelLoadError

# Memories are short; longer texts are cut to this many tokens.
EMBED_TOKENS = 256


class LlamaEmbedder:
    """Its own llama.cpp context in embedding mode on a loaded model."""

    def __init__(self, model: LoadedModel, n_threads: int = 1) -> None:
        self.model = model
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = params.n_batch = params.n_ubatch = EMBED_TOKENS
        params.n_seq_max = 1
        params.n_threads = params.n_threads_batch = n_threads
        params.embeddings = True
        params.pooling_type = llama_cpp.LLAMA_POOLING_TYPE_MEAN
        params.no_perf = True
        context = llama_cpp.llama_init_from_model(model.handle, params)
        if not context:
            raise ModelLoadError(model.path, "could not create an embedding context")
        self._context = context
        self._batch = LlamaBatch(n_tokens=EMBED_TOKENS, embd=0, n_seq_max=1, verbose=False)
        self.dimensions = llama_cpp.llama_model_n_embd(model.handle)

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            tokens = self.model.tokenize(text, add_special=True)[:EMBED_TOKENS] or [
                self.model.bos_token]
            llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(self._context), True)
            self._batch.set_batch(tokens, n_past=0, logits_all=True)
            if llama_cpp.llama_decode(self._context, self._batch.batch) != 0:
                raise RuntimeError("llama.cpp could not embed a memory")
            pooled = llama_cpp.llama_get_embeddings_seq(self._context, 0)
            vector = np.ctypeslib.as_array(pooled, shape=(self.dimensions,))
            norm = float(np.linalg.norm(vector))
            vectors[row] = vector / norm if norm > 0 else vector
        return vectors

    def close(self) -> None:
        if self._context is not None:
            llama_cpp.llama_free(self._context)
            self._context = None
