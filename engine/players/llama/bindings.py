"""llama-cpp-python as the runtime uses it: the version check before its private parts are
imported, the calls made without releasing the GIL, and llama.cpp's log routed to Python
logging (a Textual UI owns the terminal, so llama.cpp's log never reaches it)."""

from __future__ import annotations

import ctypes
import logging
import threading
from typing import Any

import llama_cpp

from ...versions import check_llama_cpp_version

# Before reaching into its private modules, which differ between releases.
check_llama_cpp_version(llama_cpp.__version__)

from llama_cpp._internals import LlamaBatch, LlamaSampler  # noqa: E402
from llama_cpp.llama_chat_format import Jinja2ChatFormatter  # noqa: E402
from llama_cpp.llama_grammar import LlamaGrammar  # noqa: E402

__all__ = ["Jinja2ChatFormatter", "LlamaBatch", "LlamaGrammar", "LlamaSampler"]

LOGGER_NAME = "dictgame.llama"
_logger = logging.getLogger(LOGGER_NAME)


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
