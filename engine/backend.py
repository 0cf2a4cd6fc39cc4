"""What the game master needs from a language model, whatever runs it.

A backend hands out one `PlayerSession` per player. A session owns that player's
conversation state (for llama.cpp: its own KV cache on a model shared with the other
player), so each move only evaluates what is new since the player's last move.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

Role = Literal["system", "user", "assistant"]

# Each player's window by default, in tokens. Every stored game so far fits in well under
# half of it (a 10-round free game at most 932 tokens, a grounded move about 340: the
# grounded modes show no history); a free game shows its recent talk within the settings'
# `history_tokens`, and drops the older half of what it shows if the window fills anyway. At
# 4096 a move at round 150 attended to about 3,100 tokens and cost twice a move at round 2,
# and each player's KV cache held 90 MiB instead of 45 (issue 25, docs/benchmarks.md "Long
# games stay cheap").
DEFAULT_CONTEXT_TOKENS = 2048


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str


@dataclass(frozen=True)
class GenerationRequest:
    """One call to the model: the whole conversation so far, and the bounds of the answer."""

    messages: tuple[ChatMessage, ...]
    max_tokens: int
    temperature: float = 0.7
    seed: int = 0
    # A JSON schema the output must match; the backend constrains sampling to it.
    json_schema: dict[str, Any] | None = None
    stop: tuple[str, ...] = ()


FinishReason = Literal["stop", "length"]


@dataclass(frozen=True)
class Generation:
    """What came back, with the figures the scores and benchmarks need."""

    text: str
    finish_reason: FinishReason
    # Prompt tokens the model actually evaluated for this call (not those reused from cache).
    prompt_tokens: int
    # Prompt tokens found already in the session's cache.
    cached_tokens: int
    completion_tokens: int
    # Wall time of the whole call, and the part of it spent evaluating the prompt.
    seconds: float
    prompt_seconds: float = 0.0

    @property
    def tokens_per_second(self) -> float:
        """Decode speed: generated tokens over the time spent generating them."""
        decoding = self.seconds - self.prompt_seconds
        return self.completion_tokens / decoding if decoding > 0 else 0.0


class GenerationCancelled(Exception):
    """The caller cancelled a generation; nothing it produced may be stored."""


class ContextOverflowError(Exception):
    """The prompt and the answer's budget do not fit the context window; shorten the prompt.

    Raised before anything is evaluated. The game master drops old history and retries; if
    even the shortest prompt does not fit, the user sees this message and the setting to change.
    """

    def __init__(self, prompt_tokens: int, max_tokens: int, n_ctx: int) -> None:
        self.prompt_tokens = prompt_tokens
        self.max_tokens = max_tokens
        self.n_ctx = n_ctx
        super().__init__(
            f"a prompt of {prompt_tokens} tokens plus {max_tokens} for the answer does not fit "
            f"the context of {n_ctx} tokens; raise --context-size (context_size in the config)"
        )


class CancelToken:
    """Set from any thread; generation loops check it between tokens, and native code that
    cannot poll a Python object (llama.cpp's decode) hears it through `on_cancel`."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._hooks: list[Callable[[], None]] = []

    def cancel(self) -> None:
        with self._lock:
            self._event.set()
            hooks, self._hooks = self._hooks, []
        for hook in hooks:
            hook()

    def on_cancel(self, hook: Callable[[], None]) -> Callable[[], None]:
        """Call `hook` when cancelled (at once if already); returns how to stop listening."""
        with self._lock:
            if not self._event.is_set():
                self._hooks.append(hook)
                return lambda: self._forget(hook)
        hook()
        return lambda: None

    def _forget(self, hook: Callable[[], None]) -> None:
        with self._lock:
            if hook in self._hooks:
                self._hooks.remove(hook)

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise GenerationCancelled()


TokenCallback = Callable[[str], None]


class PlayerSession(Protocol):
    """One player's seat at a model."""

    def generate(
        self,
        request: GenerationRequest,
        on_text: TokenCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Generation:
        """Generate a reply; call `on_text` with each new piece of text as it is sampled.

        Raises `GenerationCancelled` if `cancel` is set before the generation ends.
        """
        ...

    def reset(self) -> None:
        """Forget the cached conversation (e.g. after the game master rebuilt the prompt)."""
        ...


def aside_of(session: PlayerSession) -> PlayerSession:
    """The session for a player's asks put alone (Ask.alone): one beside the conversation's,
    where the session can make one (`aside()`: a llama.cpp context of its own), else itself
    (a server, a person or a script keeps no cache to spare)."""
    aside = getattr(session, "aside", None)
    return aside() if callable(aside) else session


class Backend(Protocol):
    """Hands out sessions; two sessions on one model file share the loaded weights."""

    def session(self, model_path: Path) -> PlayerSession: ...

    def close(self) -> None: ...


# Called while a backend loads a model file (path, fraction 0..1), so a UI can show progress.
LoadProgressCallback = Callable[[Path, float], None]
