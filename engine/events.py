"""What the game master reports while a move is under way, for a UI or a printer to show live.

These are notices, not state: a cancelled move may have reported text and operations that
never count. What counts is the `MoveRecord` in `MoveFinished`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .dictionary import AppliedOperation
from .records import Attempt, MoveRecord, RejectedOperation, Step


@dataclass(frozen=True)
class MoveStarted:
    move_index: int
    round: int
    seat: int


@dataclass(frozen=True)
class StepStarted:
    seat: int
    step: Step
    attempt: int


@dataclass(frozen=True)
class TextStreamed:
    seat: int
    step: Step
    text: str


@dataclass(frozen=True)
class AttemptFinished:
    seat: int
    attempt: Attempt


@dataclass(frozen=True)
class OperationApplied:
    seat: int
    applied: AppliedOperation


@dataclass(frozen=True)
class OperationRejected:
    seat: int
    rejected: RejectedOperation


@dataclass(frozen=True)
class MoveFinished:
    record: MoveRecord


GameEvent = (
    MoveStarted
    | StepStarted
    | TextStreamed
    | AttemptFinished
    | OperationApplied
    | OperationRejected
    | MoveFinished
)
EventCallback = Callable[[GameEvent], None]
