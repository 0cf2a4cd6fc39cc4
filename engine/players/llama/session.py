"""One player's generation on a shared model: prefix reuse, sampling, streaming,
cancellation between tokens."""

from __future__ import annotations

import codecs
import ctypes
import threading
import time
from collections.abc import Callable

from ...backend import (
    CancelToken,
    ContextOverflowError,
    FinishReason,
    Generation,
    GenerationCancelled,
    GenerationRequest,
    TokenCallback,
)
from .bindings import LlamaSampler, _is_eog, _sample, _token_to_piece
from .context import KvSequence
from .grammar import _GrammarGate
from .model import _FALLBACK_STOP, LoadedModel

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
    """One player on a shared model, its KV cache a context of its own or a sequence of a
    shared one (`context.py`).

    `_tokens` is exactly what the KV cache holds (prompt tokens and the tokens sampled,
    never a re-tokenization of the reply), so the next call only evaluates what differs.
    """

    def __init__(
        self, model: LoadedModel, kv: KvSequence,
        new_session: Callable[[], LlamaSession] | None = None,
    ) -> None:
        self.model = model
        self._kv: KvSequence | None = kv
        # Makes the session for asks put alone (`aside`); None: this session is one.
        self._new_session = new_session
        self._aside: LlamaSession | None = None
        self.n_ctx: int = kv.n_ctx
        self._piece_buffer = ctypes.create_string_buffer(64)
        self._tokens: list[int] = []
        # The batch index of the logits the next token is sampled from.
        self._logits_index = -1
        self._lock = threading.Lock()

    def aside(self) -> LlamaSession:
        """A session beside this one on the same loaded model, with a cache of its own, for
        the asks a game puts without the conversation (Ask.alone): asked here, they would
        evict the conversation's cached tokens, and the next ask would evaluate them again."""
        with self._lock:
            if self._aside is None:
                self._aside = self._new_session() if self._new_session is not None else self
            return self._aside

    @property
    def cached_tokens(self) -> int:
        """How many tokens the KV cache holds now."""
        return len(self._tokens)

    def close(self) -> None:
        """Free its KV cache (the model stays loaded for other sessions)."""
        with self._lock:
            if self._kv is not None:
                self._kv.close()
                self._kv = None
                self._tokens = []

    def reset(self) -> None:
        """Forget the cached tokens, the aside's too (a new episode starts from nothing)."""
        with self._lock:
            self._clear_cache()
            aside = self._aside
        if aside is not None and aside is not self:
            aside.reset()

    def generate(
        self,
        request: GenerationRequest,
        on_text: TokenCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Generation:
        with self._lock:
            if self._kv is None:
                raise RuntimeError("session is closed")
            kv = self._kv
            kv.begin()
            stop_listening = cancel.on_cancel(kv.abort) if cancel is not None else None
            try:
                return self._generate(request, on_text, cancel)
            finally:
                if stop_listening is not None:
                    stop_listening()
                kv.end()

    def _generate(
        self,
        request: GenerationRequest,
        on_text: TokenCallback | None,
        cancel: CancelToken | None,
    ) -> Generation:
        started = time.perf_counter()
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
            if not self._open_kv().forget(reused):
                # Some caches (recurrent models) cannot drop a tail: start over.
                self._clear_cache()
                reused = 0
            del self._tokens[reused:]
        try:
            n_batch = self._open_kv().n_batch
            for start in range(reused, len(prompt), n_batch):
                if cancel is not None:
                    cancel.raise_if_cancelled()
                self._decode(prompt[start : start + n_batch])
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
        context = self._open_kv().context
        chain = sampler.sampler
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        completion_tokens = 0
        while True:
            if cancel is not None and cancel.cancelled:
                raise GenerationCancelled()
            token = _sample(chain, context, self._logits_index)
            if grammar is not None:
                if not grammar.allows(token):
                    token = grammar.resample(chain, context, self._logits_index)
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
        self._logits_index = self._open_kv().decode(tokens, len(self._tokens))
        self._tokens.extend(tokens)

    def _open_kv(self) -> KvSequence:
        if self._kv is None:
            raise RuntimeError("session is closed")
        return self._kv

    def _clear_cache(self) -> None:
        if self._kv is not None:
            self._kv.clear()
        self._tokens = []
