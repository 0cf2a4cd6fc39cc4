"""A move as a value: who played, what was asked, what came back, what it did.

Records cross into the store and the exports, so they are pydantic models that serialize to
JSON and back without loss. A game's own record extends `MoveRecord` with what its moves do.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from ..backend import Generation
from .memory import Reflection, Retrieved


class Attempt(BaseModel):
    """One request to a player and what the game master made of its answer."""

    model_config = ConfigDict(frozen=True)

    step: str
    # The game master's text for this request (the last user turn of the prompt).
    instruction: str
    raw_output: str
    # Which move rule the answer broke; None if it was accepted.
    violation: str | None = None
    finish_reason: str = "stop"
    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    prompt_seconds: float = 0.0
    # False for a programmatic player: the game's own code answered, no model was asked.
    model: bool = True

    @classmethod
    def from_generation(
        cls, step: str, instruction: str, generation: Generation, violation: str | None
    ) -> Attempt:
        return cls(
            step=step,
            instruction=instruction,
            raw_output=generation.text,
            violation=violation,
            finish_reason=generation.finish_reason,
            prompt_tokens=generation.prompt_tokens,
            cached_tokens=generation.cached_tokens,
            completion_tokens=generation.completion_tokens,
            seconds=generation.seconds,
            prompt_seconds=generation.prompt_seconds,
        )


class MoveRecord(BaseModel):
    """Everything one move did; applying it to the game state is the only way a move counts."""

    model_config = ConfigDict(frozen=True)

    move_index: int
    round: int
    seat: int
    # The partner's message this move answers (None for an opening).
    incoming: str | None = None
    attempts: tuple[Attempt, ...] = ()
    # What the player said to the partner, as the game keeps it.
    message: str
    # A move rule was still broken after the last re-prompt.
    violated: bool = False
    started_at: float = 0.0
    finished_at: float = 0.0
    # Where the game's memory is on: the memories this move's prompt showed, with their
    # scores (their last access is this move), and the reflections the player wrote.
    retrieved: tuple[Retrieved, ...] = ()
    reflections: tuple[Reflection, ...] = ()

    @property
    def completion_tokens(self) -> int:
        return sum(a.completion_tokens for a in self.attempts)

    @property
    def prompt_tokens(self) -> int:
        return sum(a.prompt_tokens for a in self.attempts)

    @property
    def generation_seconds(self) -> float:
        return sum(a.seconds for a in self.attempts)

    @property
    def seconds(self) -> float:
        return self.finished_at - self.started_at


@dataclass(frozen=True)
class Message:
    """A message as the partner and the panes see it."""

    move_index: int
    round: int
    seat: int
    text: str


def messages_of(moves: list[MoveRecord]) -> list[Message]:
    return [Message(m.move_index, m.round, m.seat, m.message) for m in moves]
