"""Players on an OpenAI-compatible chat-completions server (llama.cpp's llama-server,
llama-cpp-python's server, vLLM, Ollama, LM Studio), through the maintained `openai` client.

The server keeps no conversation for us: each request carries the whole conversation, and a
batching server (llama-server slots, vLLM) reuses its own prefix cache. A backend may be given
several servers; each request goes to the one with the fewest requests in flight, preferring
the one this player used last (its cache holds the player's conversation).

The stream is read on a thread of its own and handed over piece by piece, so a cancel is
honoured at once even while the server is still reading the prompt or has the request queued
behind others: the stream is closed and `GenerationCancelled` raised without waiting for the
next piece.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import openai

from ..backend import (
    CancelToken,
    FinishReason,
    Generation,
    GenerationRequest,
    TokenCallback,
)

# How a JSON schema is sent. llama-cpp-python's server honours only `json_object` with a
# `schema` (it silently ignores `json_schema`); llama-server, vLLM and Ollama take the
# OpenAI `json_schema` form; `none` sends no constraint (the move rules still check answers).
SchemaForm = Literal["json_object", "json_schema", "none"]

# How often a waiting generation looks at its cancel token.
_CANCEL_POLL_SECONDS = 0.05


class ServerError(Exception):
    """A server could not play a request; `str(error)` is one line naming the server."""


class ServerUnreachable(ServerError):
    """No answer: the address is wrong, the server is down, or it took too long."""


class ServerRefused(ServerError):
    """The server answered with an error status."""


class UnknownServerModel(ServerError):
    """The server does not serve the model asked for."""


class MissingApiKey(ServerError):
    """The environment variable said to hold the API key is not set."""


@dataclass(frozen=True)
class ServerOptions:
    """How every request to a server is made."""

    api_key_env: str | None = None
    timeout: float = 120.0
    connect_timeout: float = 5.0
    retries: int = 2
    schema_form: SchemaForm = "json_object"

    def api_key(self) -> str:
        """The key from its environment variable; local servers need none (any text will do)."""
        if self.api_key_env is None:
            return "no-key"
        key = os.environ.get(self.api_key_env)
        if not key:
            raise MissingApiKey(
                f"the environment variable {self.api_key_env} (server.api_key_env) holds no API key"
            )
        return key


class _Server:
    """One base URL: its client, and how many requests it has in flight."""

    def __init__(self, base_url: str, options: ServerOptions) -> None:
        self.base_url = base_url.rstrip("/")
        self.options = options
        self.client = openai.OpenAI(
            base_url=self.base_url,
            api_key=options.api_key(),
            timeout=openai.Timeout(options.timeout, connect=options.connect_timeout),
            max_retries=options.retries,
        )
        self.in_flight = 0

    def models(self) -> list[str]:
        try:
            return [model.id for model in self.client.models.list()]
        except Exception as error:  # noqa: BLE001 - one line, whatever the client raised
            raise _server_error(self, error) from None

    def close(self) -> None:
        self.client.close()


class OpenAIBackend:
    """Sessions on one or more OpenAI-compatible servers that all serve the same models."""

    def __init__(self, base_urls: Sequence[str], options: ServerOptions | None = None) -> None:
        if not base_urls:
            raise ValueError("an OpenAI backend needs at least one base URL")
        self.options = options or ServerOptions()
        self.servers = [_Server(url, self.options) for url in base_urls]
        self._lock = threading.Lock()
        self._checked: set[str] = set()

    def check(self, model: str | None) -> str:
        """Every server answers and serves `model`; returns its name (with None: the first
        server's first model). Raises a `ServerError` naming the server otherwise."""
        for server in self.servers:
            served = server.models()
            if model is None:
                if not served:
                    raise UnknownServerModel(f"the server at {server.base_url} serves no model")
                model = served[0]
            elif model not in served:
                raise UnknownServerModel(
                    f"the server at {server.base_url} does not serve the model {model!r} "
                    f"(it serves: {', '.join(repr(m) for m in served) or 'nothing'})"
                )
        assert model is not None
        with self._lock:
            self._checked.add(model)
        return model

    def session(self, model: str) -> OpenAISession:
        """A player's seat at `model`; the servers are checked the first time it is asked for."""
        with self._lock:
            checked = model in self._checked
        if not checked:
            self.check(model)
        return OpenAISession(self, model)

    def close(self) -> None:
        for server in self.servers:
            server.close()

    @contextmanager
    def busy_server(self, preferred: _Server | None) -> Iterator[_Server]:
        """The server with the fewest requests in flight (ties: `preferred`), held busy."""
        with self._lock:
            server = min(self.servers, key=lambda s: (s.in_flight, s is not preferred))
            server.in_flight += 1
        try:
            yield server
        finally:
            with self._lock:
                server.in_flight -= 1


class OpenAISession:
    """One player on a server model. The server keeps no state for us, so `reset` is free."""

    def __init__(self, backend: OpenAIBackend, model: str) -> None:
        self.backend = backend
        self.model = model
        self._last_server: _Server | None = None

    def reset(self) -> None:
        """Each request carries the whole conversation: nothing to forget."""

    def generate(
        self,
        request: GenerationRequest,
        on_text: TokenCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Generation:
        cancel = cancel or CancelToken()
        cancel.raise_if_cancelled()
        with self.backend.busy_server(self._last_server) as server:
            self._last_server = server
            return _Stream(server, self._parameters(request)).play(on_text, cancel)

    def _parameters(self, request: GenerationRequest) -> dict[str, Any]:
        parameters: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "seed": request.seed,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if request.stop:
            parameters["stop"] = list(request.stop)
        form = self.backend.options.schema_form
        if request.json_schema is not None and form == "json_object":
            parameters["response_format"] = {"type": "json_object", "schema": request.json_schema}
        elif request.json_schema is not None and form == "json_schema":
            parameters["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": request.json_schema, "strict": True},
            }
        return parameters


class _Stream:
    """One streamed answer, read on a thread of its own so the caller can stop waiting."""

    def __init__(self, server: _Server, parameters: dict[str, Any]) -> None:
        self.server = server
        self.parameters = parameters
        self.pieces: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._closed = threading.Event()
        self._response: Any = None
        self._response_lock = threading.Lock()

    def play(self, on_text: TokenCallback | None, cancel: CancelToken) -> Generation:
        started = time.perf_counter()
        first_text_at: float | None = None
        texts: list[str] = []
        finish: FinishReason = "stop"
        usage: Any = None
        reader = threading.Thread(target=self._read, name="openai-stream", daemon=True)
        reader.start()
        try:
            while True:
                try:
                    kind, value = self.pieces.get(timeout=_CANCEL_POLL_SECONDS)
                except queue.Empty:
                    cancel.raise_if_cancelled()
                    continue
                cancel.raise_if_cancelled()
                if kind == "text":
                    first_text_at = first_text_at or time.perf_counter()
                    texts.append(value)
                    if on_text is not None:
                        on_text(value)
                elif kind == "finish":
                    finish = "length" if value == "length" else "stop"
                elif kind == "usage":
                    usage = value
                elif kind == "error":
                    raise value
                else:  # "end"
                    break
        except BaseException:  # cancelled, a failure, or a signal: the server may stop now
            self._close()
            raise
        seconds = time.perf_counter() - started
        return _generation(texts, finish, usage, seconds, (first_text_at or started) - started)

    def _read(self) -> None:
        try:
            response = self.server.client.chat.completions.create(**self.parameters)
            with self._response_lock:
                self._response = response
                if self._closed.is_set():
                    response.close()
                    return
            finished = False
            for chunk in response:
                if self._closed.is_set():
                    return
                if chunk.usage is not None:
                    self.pieces.put(("usage", chunk.usage))
                for choice in chunk.choices:
                    if choice.delta.content:
                        self.pieces.put(("text", choice.delta.content))
                    if choice.finish_reason:
                        finished = True
                        self.pieces.put(("finish", choice.finish_reason))
            if not finished:
                raise ServerError(
                    f"the server at {self.server.base_url} ended an answer before its end "
                    "(llama-cpp-python's server does so when another request arrives: "
                    "start it with --interrupt_requests False)"
                )
            self.pieces.put(("end", None))
        except Exception as error:  # noqa: BLE001 - every failure reaches the caller as one line
            if not self._closed.is_set():
                self.pieces.put(("error", _server_error(self.server, error)))

    def _close(self) -> None:
        """Stop reading and close the connection, so the server stops generating."""
        self._closed.set()
        with self._response_lock:
            response = self._response
        if response is not None:
            try:
                response.close()
            except Exception:  # noqa: BLE001, S110 - closing a stream another thread reads may fail
                pass


def _generation(
    texts: list[str], finish: FinishReason, usage: Any, seconds: float, prompt_seconds: float
) -> Generation:
    """The figures the server reported; without a usage report (llama-cpp-python's server
    streams none), each streamed piece counts as a token and the prompt is not counted."""
    cached = 0
    details = getattr(usage, "prompt_tokens_details", None)
    if details is not None and getattr(details, "cached_tokens", None):
        cached = int(details.cached_tokens)
    prompt = int(usage.prompt_tokens) - cached if usage is not None else 0
    completion = int(usage.completion_tokens) if usage is not None else len(texts)
    return Generation(
        text="".join(texts),
        finish_reason=finish,
        prompt_tokens=prompt,
        cached_tokens=cached,
        completion_tokens=completion,
        seconds=seconds,
        prompt_seconds=prompt_seconds,
    )


def _server_error(server: _Server, error: BaseException) -> ServerError:
    """One line that names the server and what went wrong, from whatever the client raised."""
    where = f"the server at {server.base_url}"
    if isinstance(error, ServerError):
        return error
    if isinstance(error, openai.APITimeoutError):
        return ServerUnreachable(
            f"{where} gave no answer within {server.options.timeout:g} s (raise server.timeout)"
        )
    if isinstance(error, openai.APIConnectionError):
        cause = error.__cause__ or error.__context__
        why = f" ({_first_line(cause)})" if cause is not None else ""
        return ServerUnreachable(f"{where} does not answer{why}; is it running?")
    if isinstance(error, openai.AuthenticationError):
        return ServerRefused(f"{where} refused the API key (HTTP 401); see server.api_key_env")
    if isinstance(error, openai.NotFoundError):
        return ServerRefused(
            f"{where} has no such model or endpoint (HTTP 404: {_first_line(error.message)}); "
            "a base URL usually ends in /v1"
        )
    if isinstance(error, openai.APIStatusError):
        return ServerRefused(
            f"{where} answered HTTP {error.status_code}: {_first_line(error.message)}"
        )
    return ServerUnreachable(f"{where} broke off its answer ({_first_line(error)})")


def _first_line(error: object) -> str:
    text = str(error).strip() or type(error).__name__
    return " ".join(text.splitlines()[0].split())[:300]
