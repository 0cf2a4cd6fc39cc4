"""Where a session's KV cache lives: a llama.cpp context of its own (one game at a time), or
one sequence of a context that several sessions decode in together (`batched.py`). The
session's generation code is the same on either."""

from __future__ import annotations

import ctypes
from typing import Protocol

import llama_cpp

from ...backend import GenerationCancelled
from .bindings import _ABORT_ON_FLAG, LlamaBatch
from .model import LoadedModel, ModelLoadError


class KvSequence(Protocol):
    """One session's sequence in a context: what its KV cache holds is the session's business
    (`LlamaSession._tokens`); this only evaluates tokens and forgets them."""

    n_ctx: int
    """Tokens this session's sequence may hold."""
    n_batch: int
    """The most tokens one `decode` takes."""

    @property
    def context(self) -> llama_cpp.llama_context_p:
        """The context whose logits `decode`'s index points into."""
        ...

    def decode(self, tokens: list[int], n_past: int) -> int:
        """Evaluate `tokens` after the `n_past` cached ones; the index of the last token's
        logits for `llama_sampler_sample`, valid until this sequence's next decode or `end`."""
        ...

    def forget(self, start: int) -> bool:
        """Drop the cached tokens from `start` on; False where the cache cannot drop a tail."""
        ...

    def clear(self) -> None: ...

    def begin(self) -> None:
        """A generation starts (and with it, decodes)."""
        ...

    def abort(self) -> None:
        """From the cancelling thread: stop the running decode if that can be done alone."""
        ...

    def end(self) -> None:
        """The generation is over: its last logits are no longer needed."""
        ...

    def close(self) -> None: ...


def context_params(n_ctx: int, n_threads: int, n_batch: int, n_seq_max: int) -> llama_cpp.llama_context_params:
    params = llama_cpp.llama_context_default_params()
    params.n_ctx = n_ctx
    params.n_batch = n_batch
    params.n_ubatch = n_batch
    params.n_seq_max = n_seq_max
    params.n_threads = n_threads
    params.n_threads_batch = n_threads
    params.no_perf = True
    # A full-size sliding-window cache, so a partial seq_rm keeps the window intact.
    params.swa_full = True
    return params


def new_context(
    model: LoadedModel, params: llama_cpp.llama_context_params, n_ctx: int
) -> llama_cpp.llama_context_p:
    context = llama_cpp.llama_init_from_model(model.handle, params)
    if not context:
        raise ModelLoadError(
            model.path,
            f"could not create a context of {n_ctx} tokens (out of memory?); "
            "lower --context-size (context_size in the config)",
        )
    return context


class OwnContext:
    """A context with the one sequence of one session: a cancel stops its decode within one
    operation of the graph, through llama.cpp's abort callback."""

    def __init__(self, model: LoadedModel, *, n_ctx: int, n_threads: int, n_batch: int) -> None:
        params = context_params(n_ctx, n_threads, n_batch, 1)
        # Set to "\x01" by a cancel during a generation (see `_flag_abort_callback`).
        self._abort_flag = ctypes.create_string_buffer(2)
        if _ABORT_ON_FLAG is not None:
            params.abort_callback = _ABORT_ON_FLAG
            params.abort_callback_data = ctypes.cast(self._abort_flag, ctypes.c_void_p)
        self._context: llama_cpp.llama_context_p | None = new_context(model, params, n_ctx)
        self._memory = llama_cpp.llama_get_memory(self._context)
        self.n_ctx: int = llama_cpp.llama_n_ctx(self._context)
        self.n_batch = n_batch
        self._batch = LlamaBatch(n_tokens=n_batch, embd=0, n_seq_max=1, verbose=False)

    @property
    def context(self) -> llama_cpp.llama_context_p:
        if self._context is None:
            raise RuntimeError("session is closed")
        return self._context

    def decode(self, tokens: list[int], n_past: int) -> int:
        self._batch.set_batch(tokens, n_past=n_past, logits_all=False)
        status = llama_cpp.llama_decode(self.context, self._batch.batch)
        if status == 2 and self._abort_flag.value:
            # Aborted: llama.cpp dropped this batch from the cache.
            raise GenerationCancelled()
        if status != 0:
            raise RuntimeError(f"llama_decode failed with status {status}")
        return -1

    def forget(self, start: int) -> bool:
        return bool(llama_cpp.llama_memory_seq_rm(self._memory, 0, start, -1))

    def clear(self) -> None:
        if self._context is not None:
            llama_cpp.llama_memory_clear(self._memory, True)

    def begin(self) -> None:
        self._abort_flag.value = b""

    def abort(self) -> None:
        self._abort_flag.value = b"\x01"

    def end(self) -> None:
        self._abort_flag.value = b""

    def close(self) -> None:
        if self._context is not None:
            self._batch.close()
            llama_cpp.llama_free(self._context)
            self._context = None
