"""A Dictionary Discovery move: the core record, plus the dictionary operations it made."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from ...core.records import Attempt
from ...core.records import MoveRecord as CoreMoveRecord
from .dictionary import AppliedOperation, Operation

Step = Literal["opening", "update", "reply"]

__all__ = ["Attempt", "MoveRecord", "RejectedOperation", "Step"]


class RejectedOperation(BaseModel):
    model_config = ConfigDict(frozen=True)

    operation: Operation
    reason: str


class MoveRecord(CoreMoveRecord):
    """A move of Dictionary Discovery: what the listener learned, and what it replied."""

    applied: tuple[AppliedOperation, ...] = ()
    rejected: tuple[RejectedOperation, ...] = ()
