"""A person in a seat: a player session whose answers a person types.

The game master asks it like any model, under the same move rules; the answer comes from
`answer(instruction)`, which a user interface supplies (the terminal UI from its input
field, the headless command from the keyboard). Waiting for the person honours
cancellation, so pausing or quitting never hangs on a person who is away.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable

from ..backend import (
    CancelToken,
    Generation,
    GenerationCancelled,
    GenerationRequest,
    TokenCallback,
)

# How often a wait for the person checks whether it was cancelled.
POLL_SECONDS = 0.05


class HumanSession:
    """A seat a person plays; `answers` is where the interface puts what they typed."""

    def __init__(self, on_turn: Callable[[GenerationRequest], None] | None = None) -> None:
        self.answers: queue.Queue[str] = queue.Queue()
        # Told when the person's turn comes, with what the game master asks.
        self.on_turn = on_turn

    def generate(
        self,
        request: GenerationRequest,
        on_text: TokenCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Generation:
        started = time.perf_counter()
        if self.on_turn is not None:
            self.on_turn(request)
        while True:
            if cancel is not None and cancel.cancelled:
                raise GenerationCancelled()
            try:
                text = self.answers.get(timeout=POLL_SECONDS)
                break
            except queue.Empty:
                continue
        if on_text is not None:
            on_text(text)
        return Generation(
            text=text,
            finish_reason="stop",
            prompt_tokens=0,
            cached_tokens=0,
            completion_tokens=len(text.split()),
            seconds=time.perf_counter() - started,
        )

    def reset(self) -> None:
        """A person keeps their own memory of the game."""
