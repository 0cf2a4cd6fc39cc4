"""One player's own llama.cpp context on a shared model: prefix reuse, sampling, streaming,
cancellation between tokens."""

from __future__ import annotations

import codecs
import ctypes
import threading
import time

import llama_cpp

from ...backend import (
    CancelToken,
    ContextOverflowError,
    FinishReason,
    Generation,
    GenerationCancelled,
    GenerationRequest,
    TokenCallback,
)
from .bindings import _ABORT_ON_FLAG, LlamaBatch, LlamaSampler, _is_eog, _sample, _token_to_piece
from .grammar import _GrammarGate
from .model import _FALLBACK_STOP, LoadedModel, ModelLoadError

TOP_K = 40
TOP_P = 0.95
MIN_P = 0.05
REPEAT_PENALTY = 1.15
REPEAT_LAST_N = 64
# llama_sampler_init_dist treats this seed as "pick a random one"; never pass it.
_RANDOM_SEED = 0xFFFFFFFF


def _common_prefix_length(a: list[int], b: list[int]) -> int:
    length = 0
    for x, y in zip(a, b):
        if x != y:
            break
        length += 1
    return length


# An escaped UTF-16 surrogate pair in a GBNF literal (not preceded by an escaped backslash).


class _StopFilter:
    """Turns decoded text into streamed pieces, holding back what may begin a stop string."""

    def __init__(self, stops: tuple[str, ...], on_text: TokenCallback | None) -> None:
        self._stops = tuple(s for s in stops if s)
        self._on_text = on_text
        self._pending = ""
        self.pieces: list[str] = []
        self.stopped = False

    def feed(self, text: str) -> None:
        """Add text; sets `stopped` once a stop string appears (the stop is not emitted)."""
        self._pending += text
        if not self._stops:
            self._emit(self._pending)
            self._pending = ""
            return
        hits = [i for i in (self._pending.find(s) for s in self._stops) if i >= 0]
        if hits:
            self._emit(self._pending[: min(hits)])
            self._pending = ""
            self.stopped = True
            return
        keep = self._longest_stop_prefix_suffix()
        self._emit(self._pending[: len(self._pending) - keep])
        self._pending = self._pending[len(self._pending) - keep :]

    def finish(self) -> None:
        """No more text is coming: what was held back is reply text after all."""
        self._emit(self._pending)
        self._pending = ""

    def _longest_stop_prefix_suffix(self) -> int:
        pending = self._pending
        for length in range(min(len(pending), max(map(len, self._stops)) - 1), 0, -1):
            tail = pending[-length:]
            if any(stop.startswith(tail) for stop in self._stops):
                return length
        return 0

    def _emit(self, piece: str) -> None:
        if piece:
            self.pieces.append(piece)
            if self._on_text is not None:
                self._on_text(piece)


class LlamaSession:
    """One player's own llama.cpp context on a shared model.

    `_tokens` is exactly what the KV cache holds (prompt tokens and the tokens sampled,
    never a re-tokenization of the reply), so the next call only evaluates what differs.
    """

    def __init__(self, model: LoadedModel, *, n_ctx: int, n_threads: int, n_batch: int) -> None:
        self.model = model
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = n_ctx
        params.n_batch = n_batch
        params.n_ubatch = n_batch
        params.n_seq_max = 1
        params.n_threads = n_threads
        params.n_threads_batch = n_threads
        params.no_perf = True
        # A full-size sliding-window cache, so a partial seq_rm keeps the window intact.
        params.swa_full = True
        # Set to "\x01" by a cancel during a generation (see `_flag_abort_callback`).
        self._abort_flag = ctypes.create_string_buffer(2)
        if _ABORT_ON_FLAG is not None:
            params.abort_callback = _ABORT_ON_FLAG
            params.abort_callback_data = ctypes.cast(self._abort_flag, ctypes.c_void_p)
        context = llama_cpp.llama_init_from_model(model.handle, params)
        if not context:
            raise ModelLoadError(
                model.path,
                f"could not create a context of {n_ctx} tokens (out of memory?); "
                "lower --context-size (context_size in the config)",
            )
        self._context: llama_cpp.llama_context_p | None = context
        self._memory = llama_cpp.llama_get_memory(context)
        self.n_ctx: int = llama_cpp.llama_n_ctx(context)
        self._n_batch = n_batch
        self._batch = LlamaBatch(n_tokens=n_batch, embd=0, n_seq_max=1, verbose=False)
        self._piece_buffer = ctypes.create_string_buffer(64)
        self._tokens: list[int] = []
        self._lock = threading.Lock()

    @property
    def cached_tokens(self) -> int:
        """How many tokens the KV cache holds now."""
        return len(self._tokens)

    def close(self) -> None:
        """Free the context (the model stays loaded for other sessions)."""
        with self._lock:
            if self._context is not None:
                self._batch.close()
                llama_cpp.llama_free(self._context)
                self._context = None
                self._tokens = []

    def reset(self) -> None:
        with self._lock:
            self._clear_cache()

    def generate(
        self,
        request: GenerationRequest,
        on_text: TokenCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Generation:
        with self._lock:
            self._abort_flag.value = b""
            stop_listening = cancel.on_cancel(self._abort) if cancel is not None else None
            try:
                return self._generate(request, on_text, cancel)
            finally:
                if stop_listening is not None:
                    stop_listening()
                self._abort_flag.value = b""

    def _abort(self) -> None:
        """From the cancelling thread: the running llama_decode stops at its next operation."""
        self._abort_flag.value = b"\x01"

    def _generate(
        self,
        request: GenerationRequest,
        on_text: TokenCallback | None,
        cancel: CancelToken | None,
    ) -> Generation:
        started = time.perf_counter()
        if self._context is None:
            raise RuntimeError("session is closed")
        prompt = self.model.tokenize_prompt(self.model.render(request.messages))
        if not prompt:
            raise ValueError("empty prompt")
        if len(prompt) + request.max_tokens > self.n_ctx:
            raise ContextOverflowError(len(prompt), request.max_tokens, self.n_ctx)
        # Built before evaluating, so a bad schema costs nothing.
        grammar = (
            _GrammarGate(
                self.model, request.json_schema, keep=1 if request.temperature <= 0 else TOP_K
            )
            if request.json_schema is not None
            else None
        )
        sampler = self._make_sampler(request)
        try:
            cached = self._evaluate_prompt(prompt, cancel)
            prompt_seconds = time.perf_counter() - started
            stops = request.stop
            if self.model.chat_template is None:
                stops = (*stops, _FALLBACK_STOP)
            if request.json_schema is not None:
                # The grammar decides where the answer ends; a stop string could cut the JSON.
                stops = ()
            text_out = _StopFilter(stops, on_text)
            completion_tokens, finish_reason = self._sample_loop(
                sampler, grammar, request.max_tokens, text_out, cancel
            )
        finally:
            sampler.close()
            if grammar is not None:
                grammar.close()
        return Generation(
            text="".join(text_out.pieces),
            finish_reason=finish_reason,
            prompt_tokens=len(prompt) - cached,
            cached_tokens=cached,
            completion_tokens=completion_tokens,
            seconds=time.perf_counter() - started,
            prompt_seconds=prompt_seconds,
        )

    def _make_sampler(self, request: GenerationRequest) -> LlamaSampler:
        sampler = LlamaSampler()
        if request.temperature <= 0:
            sampler.add_greedy()
        else:
            sampler.add_top_k(TOP_K)
            if request.json_schema is None:
                # Small models loop on one word ("amer amer amer"); JSON needs its repeats.
                sampler.add_penalties(self.model.n_vocab, REPEAT_LAST_N, REPEAT_PENALTY, 0.0, 0.0)
            sampler.add_top_p(TOP_P, 1)
            sampler.add_min_p(MIN_P, 1)
            sampler.add_temp(request.temperature)
            sampler.add_dist(request.seed % _RANDOM_SEED)
        return sampler

    def _evaluate_prompt(self, prompt: list[int], cancel: CancelToken | None) -> int:
        """Bring the KV cache to `prompt`, reusing the common prefix; returns tokens reused."""
        # At least the last prompt token is evaluated: its logits start the reply.
        reused = min(_common_prefix_length(self._tokens, prompt), len(prompt) - 1)
        if reused < len(self._tokens):
            if not llama_cpp.llama_memory_seq_rm(self._memory, 0, reused, -1):
                # Some caches (recurrent models) cannot drop a tail: start over.
                self._clear_cache()
                reused = 0
            del self._tokens[reused:]
        try:
            for start in range(reused, len(prompt), self._n_batch):
                if cancel is not None:
                    cancel.raise_if_cancelled()
                self._decode(prompt[start : start + self._n_batch])
        except GenerationCancelled:
            raise  # `_tokens` already matches what was decoded
        except BaseException:
            self._clear_cache()
            raise
        return reused

    def _sample_loop(
        self,
        sampler: LlamaSampler,
        grammar: _GrammarGate | None,
        max_tokens: int,
        text_out: _StopFilter,
        cancel: CancelToken | None,
    ) -> tuple[int, FinishReason]:
        vocab = self.model.vocab
        context = self._context
        assert context is not None  # checked open at the start of the call
        chain = sampler.sampler
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        completion_tokens = 0
        while True:
            if cancel is not None and cancel.cancelled:
                raise GenerationCancelled()
            token = _sample(chain, context, -1)
            if grammar is not None:
                if not grammar.allows(token):
                    token = grammar.resample(chain, context)
                grammar.accept(token)
            if _is_eog(vocab, token):
                finish_reason: FinishReason = "stop"
                break
            completion_tokens += 1
            # Incomplete UTF-8 sequences wait in the decoder for the next token.
            text_out.feed(decoder.decode(self._piece(token)))
            if text_out.stopped:
                finish_reason = "stop"
                break
            if completion_tokens >= max_tokens:
                finish_reason = "length"
                break
            self._decode([token])
        if not text_out.stopped:
            # Bytes of a character cut off by max_tokens stay in the decoder: never emitted.
            text_out.finish()
        return completion_tokens, finish_reason

    def _piece(self, token: int) -> bytes:
        size = _token_to_piece(
            self.model.vocab, token, self._piece_buffer, len(self._piece_buffer), 0, False
        )
        if size < 0:
            self._piece_buffer = ctypes.create_string_buffer(-size)
            return self._piece(token)
        return self._piece_buffer.raw[:size]

    def _decode(self, tokens: list[int]) -> None:
        """Evaluate `tokens` after the cached ones; `_tokens` follows only on success."""
        self._batch.set_batch(tokens, n_past=len(self._tokens), logits_all=False)
        status = llama_cpp.llama_decode(self._context, self._batch.batch)
        if status == 2 and self._abort_flag.value:
            # Aborted: llama.cpp dropped this batch from the cache, as `_tokens` says.
            raise GenerationCancelled()
        if status != 0:
            raise RuntimeError(f"llama_decode failed with status {status}")
        self._tokens.extend(tokens)

    def _clear_cache(self) -> None:
        if self._context is not None:
            llama_cpp.llama_memory_clear(self._memory, True)
        self._tokens = []
