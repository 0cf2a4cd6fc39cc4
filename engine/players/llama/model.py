"""A GGUF file loaded into llama.cpp once, shared by every session on it: its tokenizer and
its chat template (checked when it loads)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import llama_cpp

from ...backend import (
    ChatMessage,
    LoadProgressCallback,
)
from ...chat_template import PLAIN_FORMAT_HINT, ChatFormat, template_problem
from .bindings import (
    Jinja2ChatFormatter,
    _ErrorCollector,
    _logger,
)

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


class ChatTemplateError(Exception):
    """The model's chat template refused or failed to render these messages."""



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
    if refused := template_problem(loaded.render):
        loaded.close()
        raise ModelLoadError(path, f"its chat template {refused}; {PLAIN_FORMAT_HINT}")
    return loaded


# --- sessions ----------------------------------------------------------------------------
