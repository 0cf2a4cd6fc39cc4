"""The llama.cpp backend: one loaded model per GGUF file, one context (KV cache) per player.

Built on llama-cpp-python's low-level bindings rather than `llama_cpp.Llama`, because a
`Llama` owns both the weights and a single KV cache: two players on one `Llama` keep
evicting each other's prefix, and two `Llama`s on one file copy the weights to the GPU
twice. Here a file is loaded once and each session gets its own context on it.

llama.cpp's log output never reaches the terminal (a Textual UI owns it): a process-wide
log callback forwards it to the `dictgame.llama` logger.
"""

from __future__ import annotations

import codecs
import ctypes
import json
import logging
import math
import os
import re
import threading
import time
from pathlib import Path
from typing import Any

import jinja2
import llama_cpp
import numpy as np
from llama_cpp._internals import LlamaBatch, LlamaSampler
from llama_cpp.llama_chat_format import Jinja2ChatFormatter
from llama_cpp.llama_grammar import LlamaGrammar

from .backend import (
    CancelToken,
    ChatMessage,
    ContextOverflowError,
    FinishReason,
    Generation,
    GenerationCancelled,
    GenerationRequest,
    LoadProgressCallback,
    TokenCallback,
)
from .chat_template import PLAIN_FORMAT_HINT, ChatFormat, template_problem

__all__ = [
    "ChatTemplateError",
    "ContextOverflowError",
    "LlamaBackend",
    "LlamaSession",
    "LoadedModel",
    "ModelLoadError",
    "SchemaError",
    "default_thread_count",
]

LOGGER_NAME = "dictgame.llama"
_logger = logging.getLogger(LOGGER_NAME)

TOP_K = 40
TOP_P = 0.95
MIN_P = 0.05
REPEAT_PENALTY = 1.15
# Pools of highest-logit tokens the grammar is tried on before the whole vocabulary.
_GRAMMAR_POOLS = (256, 4096)
REPEAT_LAST_N = 64
# llama_sampler_init_dist treats this seed as "pick a random one"; never pass it.
_RANDOM_SEED = 0xFFFFFFFF
# Models without a chat template get this plain format; a base model tends to write the
# next "### User:" turn itself, so generation also stops at the next header.
_FALLBACK_HEADERS = {"system": "### System:", "user": "### User:", "assistant": "### Assistant:"}
_FALLBACK_STOP = "\n### "


class ModelLoadError(Exception):
    """A model file could not be loaded; the UI shows `str(error)` on one line."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        self.problem = " ".join(problem.split())
        super().__init__(f"cannot load model {path}: {self.problem}")


class SchemaError(ValueError):
    """A JSON schema could not be turned into a grammar (rather than silently unconstrained)."""


class ChatTemplateError(Exception):
    """The model's chat template refused or failed to render these messages."""


def default_thread_count() -> int:
    """Half the usable cores: decoding threads spin, and the UI and the OS need a core."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, cores // 2)


# --- llama.cpp logging -------------------------------------------------------------------

# enum ggml_log_level in ggml.h (llama-cpp-python's own _logger maps the older order).
_LOG_LEVELS = {
    0: logging.INFO,  # GGML_LOG_LEVEL_NONE
    1: logging.DEBUG,
    2: logging.INFO,
    3: logging.WARNING,
    4: logging.ERROR,
}
_LOG_LEVEL_CONT = 5


class _LlamaLogForwarder:
    """Joins llama.cpp's log fragments into lines and logs each line once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending = ""
        self._level = logging.INFO

    def __call__(self, level: int, text: bytes | None, _user_data: Any) -> None:
        # An exception escaping a ctypes callback would be printed to stderr.
        try:
            self._take(level, (text or b"").decode("utf-8", errors="replace"))
        except Exception:  # noqa: BLE001, S110 - nothing may escape into C, not even a log
            pass

    def _take(self, level: int, text: str) -> None:
        with self._lock:
            if level != _LOG_LEVEL_CONT:
                if self._pending:
                    lines, self._pending = [self._pending], ""
                    self._emit(lines)
                self._level = _LOG_LEVELS.get(level, logging.INFO)
            self._pending += text
            if "\n" not in self._pending:
                return
            *lines, self._pending = self._pending.split("\n")
            self._emit(lines)

    def _emit(self, lines: list[str]) -> None:
        for line in lines:
            if line.strip():
                _logger.log(self._level, "%s", line.rstrip())


_log_forwarder = _LlamaLogForwarder()
# Module-level so the ctypes trampoline outlives every llama.cpp call that may use it.
_log_callback = llama_cpp.llama_log_callback(_log_forwarder)
_init_lock = threading.Lock()
_initialized = False


def _ensure_llama_initialized() -> None:
    """Route llama.cpp's logs to Python logging (before anything can log) and init once."""
    global _initialized
    with _init_lock:
        if _initialized:
            return
        llama_cpp.llama_log_set(_log_callback, ctypes.c_void_p(0))
        llama_cpp.llama_backend_init()
        _initialized = True


def _holding_the_gil(name: str) -> Any:
    """llama.cpp's function `name`, called without releasing Python's GIL.

    ctypes releases the GIL around every foreign call, and taking it back can wait a whole
    switch interval (5 ms) while another thread runs Python, such as the Textual UI drawing
    a frame. The sampling loop makes several calls of a few microseconds per token, each of
    which could wait like that; only the long one (llama_decode) needs to let the UI run.
    Falls back to the ordinary binding if this llama-cpp-python lays its library out otherwise.
    """
    function = getattr(llama_cpp, name)
    try:
        prototype = ctypes.PYFUNCTYPE(function.restype, *function.argtypes)
        return prototype((name, llama_cpp.llama_cpp._lib))
    except (AttributeError, TypeError):
        return function


_sample = _holding_the_gil("llama_sampler_sample")
_sampler_apply_one = _holding_the_gil("llama_sampler_apply")  # a single candidate only
_sampler_accept = _holding_the_gil("llama_sampler_accept")
_is_eog = _holding_the_gil("llama_vocab_is_eog")
_token_to_piece = _holding_the_gil("llama_token_to_piece")


def _flag_abort_callback() -> Any:
    """An abort callback for llama_decode that reads a flag without calling into Python.

    llama.cpp asks its abort callback between the graph's operations, hundreds of times per
    decode; a Python callback would take the GIL each time, behind the UI's drawing. C's own
    `strlen` is the callback instead, its data a one-byte flag: "" goes on, "\x01" stops.
    So a pause stops a long prompt evaluation within one operation, not one whole batch.
    None where the C library cannot be opened: cancellation then waits for the batch.
    """
    try:
        strlen = ctypes.cast(ctypes.CDLL(None).strlen, ctypes.c_void_p).value
    except (OSError, AttributeError, TypeError):
        return None
    return llama_cpp.ggml_abort_callback(strlen) if strlen else None


_ABORT_ON_FLAG = _flag_abort_callback()


class _ErrorCollector(logging.Handler):
    """Keeps this thread's llama.cpp error lines during a load, to explain a failure."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.messages.append(record.getMessage())


# --- models ------------------------------------------------------------------------------


class LoadedModel:
    """One GGUF file loaded into llama.cpp; shared by every session on that file."""

    def __init__(
        self, path: Path, handle: llama_cpp.llama_model_p, chat_format: ChatFormat = "template"
    ) -> None:
        self.path = path
        self._handle: llama_cpp.llama_model_p | None = handle
        self.vocab = llama_cpp.llama_model_get_vocab(handle)
        self.n_vocab: int = llama_cpp.llama_vocab_n_tokens(self.vocab)
        self.n_ctx_train: int = llama_cpp.llama_model_n_ctx_train(handle)
        self.add_bos: bool = llama_cpp.llama_vocab_get_add_bos(self.vocab)
        self.bos_token: int = llama_cpp.llama_vocab_bos(self.vocab)
        raw_template = (
            llama_cpp.llama_model_chat_template(handle, None) if chat_format == "template" else None
        )
        self.chat_template: str | None = (
            raw_template.decode("utf-8", errors="replace") if raw_template else None
        )
        self._formatter = (
            Jinja2ChatFormatter(
                template=self.chat_template,
                eos_token=self._token_text(llama_cpp.llama_vocab_eos(self.vocab)),
                bos_token=self._token_text(self.bos_token),
                add_generation_prompt=True,
            )
            if self.chat_template
            else None
        )

    @property
    def handle(self) -> llama_cpp.llama_model_p:
        if self._handle is None:
            raise RuntimeError(f"model {self.path} was closed")
        return self._handle

    def close(self) -> None:
        if self._handle is not None:
            llama_cpp.llama_model_free(self._handle)
            self._handle = None

    def _token_text(self, token: int) -> str:
        if token < 0:
            return ""
        return llama_cpp.llama_vocab_get_text(self.vocab, token).decode("utf-8", errors="replace")

    def render(self, messages: tuple[ChatMessage, ...]) -> str:
        """The prompt for `messages`, ending where the assistant's reply starts.

        The GGUF's template is untrusted code: it only ever runs in Jinja's sandbox
        (Jinja2ChatFormatter uses an ImmutableSandboxedEnvironment).
        """
        if self._formatter is None:
            turns = [f"{_FALLBACK_HEADERS[m.role]}\n{m.content}\n\n" for m in messages]
            return "".join(turns) + _FALLBACK_HEADERS["assistant"] + "\n"
        as_dicts: list[Any] = [{"role": m.role, "content": m.content} for m in messages]
        try:
            return self._formatter(messages=as_dicts).prompt
        except (jinja2.TemplateError, ValueError, TypeError) as error:
            raise ChatTemplateError(f"chat template of {self.path.name}: {error}") from error

    def tokenize_prompt(self, prompt: str) -> list[int]:
        """Tokens for a rendered prompt: special tokens parsed, BOS added once."""
        tokens = self.tokenize(prompt, add_special=self.add_bos)
        # Templates often write the BOS themselves, and the tokenizer adds one too.
        if len(tokens) >= 2 and tokens[0] == tokens[1] == self.bos_token:
            del tokens[0]
        return tokens

    def tokenize(self, text: str, *, add_special: bool) -> list[int]:
        data = text.encode("utf-8")
        capacity = len(data) + 2
        while True:
            buffer = (llama_cpp.llama_token * capacity)()
            count = llama_cpp.llama_tokenize(
                self.vocab, data, len(data), buffer, capacity, add_special, True
            )
            if count >= 0:
                return buffer[:count]
            capacity = -count


def cpu_has_amx() -> bool:
    """Whether this CPU has Intel AMX. llama.cpp (0.3.36's) repacks weights into AMX buffers
    there, and its AMX matrix product crashes the process on the first decode (seen on
    Sapphire Rapids with SmolLM2 Q4_1); without the extra buffer types the plain CPU kernels
    run, which are what every other CPU uses."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return "amx_tile" in line.split()
    except OSError:
        pass
    return False


def _load_model(
    path: Path,
    n_gpu_layers: int,
    on_progress: LoadProgressCallback | None,
    chat_format: ChatFormat = "template",
) -> LoadedModel:
    if not path.exists():
        raise ModelLoadError(path, "file not found")
    if not path.is_file():
        raise ModelLoadError(path, "not a regular file")
    try:
        with path.open("rb") as file:
            magic = file.read(4)
    except OSError as error:
        raise ModelLoadError(path, error.strerror or str(error)) from error
    if magic != b"GGUF":
        raise ModelLoadError(path, "not a GGUF file")

    def report(progress: float, _user_data: Any) -> bool:
        if on_progress is not None:
            try:
                on_progress(path, progress)
            except Exception:  # an exception cannot cross into C
                _logger.exception("load progress callback failed")
        return True

    params = llama_cpp.llama_model_default_params()
    params.n_gpu_layers = 0x7FFFFFFF if n_gpu_layers < 0 else n_gpu_layers
    params.use_extra_bufts = not cpu_has_amx()
    progress_callback = llama_cpp.llama_progress_callback(report)  # alive during the load
    params.progress_callback = progress_callback
    errors = _ErrorCollector()
    _logger.addHandler(errors)
    try:
        handle = llama_cpp.llama_model_load_from_file(str(path).encode("utf-8"), params)
    finally:
        _logger.removeHandler(errors)
    if not handle:
        problem = errors.messages[-1] if errors.messages else "llama.cpp could not load it"
        if "alloc" in problem or "memory" in problem:
            problem += "; not enough memory: try a smaller quantization, or fewer --gpu-layers"
        raise ModelLoadError(path, problem)
    try:
        loaded = LoadedModel(path, handle, chat_format)
    except jinja2.TemplateError as error:
        llama_cpp.llama_model_free(handle)
        raise ModelLoadError(
            path, f"its chat template is not valid Jinja ({error}); {PLAIN_FORMAT_HINT}"
        ) from error
    # Before any game is stored, rather than at the first move.
    if problem := template_problem(loaded.render):
        loaded.close()
        raise ModelLoadError(path, f"its chat template {problem}; {PLAIN_FORMAT_HINT}")
    return loaded


# --- sessions ----------------------------------------------------------------------------


def _common_prefix_length(a: list[int], b: list[int]) -> int:
    length = 0
    for x, y in zip(a, b):
        if x != y:
            break
        length += 1
    return length


# An escaped UTF-16 surrogate pair in a GBNF literal (not preceded by an escaped backslash).
_SURROGATE_PAIR_ESCAPE = re.compile(
    r"(?<!\\)((?:\\\\)*)\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})", re.IGNORECASE
)


def _join_surrogate_escapes(grammar: str) -> str:
    """Rewrite `\\ud83d\\udc09` as `\\U0001f409`.

    llama-cpp-python's schema converter escapes characters outside the BMP as JSON does,
    as two UTF-16 surrogates; llama.cpp's GBNF parser reads those as two invalid code
    points, so an enum value with an emoji would come out as broken UTF-8.
    """

    def joined(match: re.Match[str]) -> str:
        high, low = int(match[2], 16), int(match[3], 16)
        code_point = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
        return f"{match[1]}\\U{code_point:08x}"

    return _SURROGATE_PAIR_ESCAPE.sub(joined, grammar)


def _grammar_text(schema: dict[str, Any]) -> str:
    """GBNF for `schema`; raises rather than falling back to unconstrained JSON."""
    try:
        grammar = LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)._grammar
    except Exception as error:
        raise SchemaError(f"JSON schema cannot be converted to a grammar: {error}") from error
    return _join_surrogate_escapes(grammar)


class _GrammarGate:
    """A grammar that checks the token the sampler chain picked, as llama.cpp's own
    common_sampler does: only when that token breaks the grammar is the grammar applied to
    the whole vocabulary and the token sampled again. Applying it to every token first
    costs ~7 ms per token with SmolLM2's 49k vocabulary on these CPUs.
    """

    def __init__(self, model: LoadedModel, schema: dict[str, Any], keep: int) -> None:
        self._keep = keep
        sampler = llama_cpp.llama_sampler_init_grammar(
            model.vocab, _grammar_text(schema).encode("utf-8"), b"root"
        )
        if not sampler:
            raise SchemaError("llama.cpp rejected the grammar built from the JSON schema")
        self._sampler: llama_cpp.llama_sampler_p | None = sampler
        self._one = (llama_cpp.llama_token_data * 1)()
        self._one_array = llama_cpp.llama_token_data_array(
            data=self._one, size=1, selected=-1, sorted=False
        )
        self._n_vocab = model.n_vocab
        self._all = (llama_cpp.llama_token_data * model.n_vocab)()
        self._all_view = np.ctypeslib.as_array(self._all)
        self._token_ids = np.arange(model.n_vocab, dtype=np.int32)
        self._all_array = llama_cpp.llama_token_data_array(
            data=self._all, size=model.n_vocab, selected=-1, sorted=False
        )

    def allows(self, token: int) -> bool:
        self._one[0].id = token  # type: ignore[assignment]  # ctypes converts the int
        self._one[0].logit = 0.0
        self._one_array.size = 1
        self._one_array.selected = -1
        self._one_array.sorted = False
        _sampler_apply_one(self._sampler, ctypes.byref(self._one_array))
        return self._one[0].logit != -math.inf

    def resample(self, chain: llama_cpp.llama_sampler_p, context: llama_cpp.llama_context_p) -> int:
        """Sample the last logits again as if the grammar were applied to the whole vocabulary.

        The chain keeps at most `keep` tokens (top-k; one when greedy): the valid tokens of
        highest logit. So the grammar is first applied to a pool of the highest logits: when
        at least `keep` of them are valid, no valid token outside the pool could be kept, and
        the chain samples exactly what it would after a full pass (with the same one random
        draw). A full pass costs ~30 ms with Gemma's 262k-token vocabulary.
        """
        logits = np.ctypeslib.as_array(
            llama_cpp.llama_get_logits_ith(context, -1), shape=(self._n_vocab,)
        )
        for size in _GRAMMAR_POOLS:
            if size >= self._n_vocab:
                break
            pool = np.argpartition(logits, -size)[-size:]
            if self._apply_to(pool, logits[pool]) >= self._keep:
                return self._sample(chain)
        self._apply_to(self._token_ids, logits)
        return self._sample(chain)

    def _apply_to(self, token_ids: np.ndarray, logits: np.ndarray) -> int:
        """Load these candidates and mask those the grammar refuses; returns how many remain."""
        size = len(token_ids)
        view = self._all_view[:size]
        view["id"] = token_ids
        view["logit"] = logits
        view["p"] = 0.0
        candidates = self._all_array
        candidates.data = self._all
        candidates.size = size
        candidates.selected = -1
        candidates.sorted = False
        llama_cpp.llama_sampler_apply(self._sampler, ctypes.byref(candidates))
        return int(np.count_nonzero(view["logit"] != -np.inf))

    def _sample(self, chain: llama_cpp.llama_sampler_p) -> int:
        candidates = self._all_array
        llama_cpp.llama_sampler_apply(chain, ctypes.byref(candidates))
        # No accept on the chain: it keeps no state that depends on the chosen token.
        return int(candidates.data[candidates.selected].id)

    def accept(self, token: int) -> None:
        _sampler_accept(self._sampler, token)

    def close(self) -> None:
        if self._sampler is not None:
            llama_cpp.llama_sampler_free(self._sampler)
            self._sampler = None


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
