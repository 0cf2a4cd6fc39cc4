"""The llama.cpp backend: one loaded model per GGUF file, one context (KV cache) per player.

Built on llama-cpp-python's low-level bindings rather than `llama_cpp.Llama`, because a
`Llama` owns both the weights and a single KV cache: two players on one `Llama` keep
evicting each other's prefix, and two `Llama`s on one file copy the weights to the GPU
twice. Here a file is loaded once and each session gets its own context on it, or, for
episodes played at once, its own sequence of a context that decodes them together.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from ...backend import DEFAULT_CONTEXT_TOKENS, LoadProgressCallback
from ...chat_template import ChatFormat
from .batched import SharedContext
from .bindings import _ensure_llama_initialized
from .context import KvSequence, OwnContext
from .model import LoadedModel, _load_model
from .session import LlamaSession

# The window of a player's aside session: a free game's update prompt with its memories and
# the answer's budget at the default 3 operations is about 1,100 tokens at most; each KV
# cache costs about 23 MiB of SmolLM2 per 1,024 tokens. An ask that does not fit goes to the
# player's own session instead (engine/core/referee.py).
ASIDE_CONTEXT_TOKENS = 1536


def usable_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_thread_count() -> int:
    """Half the usable cores: decoding threads spin, and the UI and the OS need a core."""
    return max(1, usable_cores() // 2)


class LlamaBackend:
    """Loads each GGUF file once and gives every session its own KV cache on it.

    `batch_sequences` above one: sessions on a file share contexts of that many sequences
    each (`batched.py`), so the players of episodes played at once decode together.
    """

    # What a game records as the backend of the seats it plays (engine/core/provenance.py).
    kind = "llama.cpp"

    def __init__(
        self,
        *,
        n_ctx: int = DEFAULT_CONTEXT_TOKENS,
        n_threads: int | None = None,
        n_batch: int = 512,
        n_gpu_layers: int = 0,
        on_load_progress: LoadProgressCallback | None = None,
        chat_format: ChatFormat = "template",
        batch_sequences: int = 1,
    ) -> None:
        _ensure_llama_initialized()
        self.n_ctx = n_ctx
        self.n_threads = n_threads if n_threads is not None else default_thread_count()
        self.n_batch = n_batch
        self.n_gpu_layers = n_gpu_layers
        self.chat_format: ChatFormat = chat_format
        self.batch_sequences = batch_sequences
        self._on_load_progress = on_load_progress
        self._models: dict[Path, LoadedModel] = {}
        self._sessions: list[LlamaSession] = []
        self._shared: dict[Path, list[SharedContext]] = {}
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

    def session(self, model_path: Path, *, aside: bool = True) -> LlamaSession:
        """A player's session; `aside`: it can make the session beside it that asks put
        alone go to (LlamaSession.aside), when the first such ask comes. An aside holds one
        prompt and its answer, never a conversation: its window is ASIDE_CONTEXT_TOKENS."""
        loaded = self.model(model_path)
        kv: KvSequence
        if self.batch_sequences > 1:
            kv = self._shared_sequence(loaded)
        else:
            n_ctx = self.n_ctx if aside else min(self.n_ctx, ASIDE_CONTEXT_TOKENS)
            kv = OwnContext(loaded, n_ctx=n_ctx, n_threads=self.n_threads, n_batch=self.n_batch)
        session = LlamaSession(
            loaded, kv, (lambda: self.session(model_path, aside=False)) if aside else None
        )
        with self._lock:
            self._sessions.append(session)
        return session

    def _shared_sequence(self, loaded: LoadedModel) -> KvSequence:
        """A free sequence of a shared context on this model; a new context when all are taken."""
        with self._lock:
            shared = self._shared.setdefault(loaded.path, [])
            for context in shared:
                sequence = context.sequence()
                if sequence is not None:
                    return sequence
            context = SharedContext(
                loaded, sequences=self.batch_sequences, n_ctx=self.n_ctx,
                n_threads=self.n_threads, n_batch=self.n_batch,
            )
            shared.append(context)
            sequence = context.sequence()
            assert sequence is not None  # a new context has every sequence free
            return sequence

    def shared_contexts(self) -> int:
        """How many shared contexts (decode loops) the sessions have opened."""
        with self._lock:
            return sum(len(contexts) for contexts in self._shared.values())

    def decode_counts(self) -> tuple[int, int]:
        """Shared decodes so far, and the sequences they took (their ratio: the mean batch)."""
        with self._lock:
            shared = [context for contexts in self._shared.values() for context in contexts]
        return (sum(c.decodes for c in shared), sum(c.sequences_decoded for c in shared))

    def close(self) -> None:
        """Free every session and context, then the models they use."""
        with self._lock:
            sessions, self._sessions = self._sessions, []
            shared = [context for contexts in self._shared.values() for context in contexts]
            self._shared = {}
            models, self._models = list(self._models.values()), {}
        for session in sessions:
            session.close()
        for context in shared:
            context.close()
        for loaded in models:
            loaded.close()
