"""What the game master reports while a move is under way, for a UI or a printer to show live.

These are notices, not state: a cancelled move may have reported text that never counts.
What counts is the record in `MoveFinished`. A game adds notices of its own (returned by its
`apply`), emitted just before `MoveFinished`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .records import Attempt, MoveRecord


@dataclass(frozen=True)
class MoveStarted:
    move_index: int
    round: int
    seat: int


@dataclass(frozen=True)
class StepStarted:
    seat: int
    step: str
    attempt: int


@dataclass(frozen=True)
class TextStreamed:
    seat: int
    step: str
    text: str


@dataclass(frozen=True)
class AttemptFinished:
    seat: int
    attempt: Attempt


@dataclass(frozen=True)
class MoveFinished:
    record: MoveRecord


CoreEvent = MoveStarted | StepStarted | TextStreamed | AttemptFinished | MoveFinished
# Core events, and the notices a game's `apply` returns.
GameEvent = Any
EventCallback = Callable[[GameEvent], None]
