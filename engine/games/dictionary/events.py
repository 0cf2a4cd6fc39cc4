"""Notices of Dictionary Discovery, beside the core's: the operations a move made.

A move's operations are announced before its `MoveFinished`, so a view can show what was
learned; they count only with the move's record.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...core.events import (
    AttemptFinished,
    EventCallback,
    GameEvent,
    MoveFinished,
    MoveStarted,
    StepStarted,
    TextStreamed,
)
from .dictionary import AppliedOperation
from .records import RejectedOperation
from .scenes import Scene

__all__ = [
    "AttemptFinished",
    "EventCallback",
    "GameEvent",
    "MoveFinished",
    "MoveStarted",
    "OperationApplied",
    "OperationRejected",
    "ScenePicked",
    "StepStarted",
    "TextStreamed",
]


@dataclass(frozen=True)
class OperationApplied:
    seat: int
    applied: AppliedOperation


@dataclass(frozen=True)
class OperationRejected:
    seat: int
    rejected: RejectedOperation


@dataclass(frozen=True)
class ScenePicked:
    """The listener's guess in a grounded round, as the game master judged it."""

    seat: int
    scene: Scene
    pick: str | None
    # The thing the speaker's message named, which the guess is judged by.
    meant: str

    @property
    def right(self) -> bool:
        return self.pick == self.meant
