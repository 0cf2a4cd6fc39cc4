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

__all__ = [
    "AttemptFinished",
    "EventCallback",
    "GameEvent",
    "MoveFinished",
    "MoveStarted",
    "OperationApplied",
    "OperationRejected",
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
