"""A Dictionary Discovery move: the core record, plus the dictionary operations it made."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from ...core.records import Attempt
from ...core.records import MoveRecord as CoreMoveRecord
from .dictionary import AppliedOperation, Operation
from .scenes import Scene

Step = Literal["opening", "update", "reply", "choose", "describe"]

__all__ = ["Attempt", "MoveRecord", "RejectedOperation", "Step"]


class RejectedOperation(BaseModel):
    model_config = ConfigDict(frozen=True)

    operation: Operation
    reason: str


class MoveRecord(CoreMoveRecord):
    """A move of Dictionary Discovery: what the listener learned, and what it replied."""

    applied: tuple[AppliedOperation, ...] = ()
    rejected: tuple[RejectedOperation, ...] = ()
    # Grounded modes: the scene this move's guess decided, and the concept guessed (None: no
    # valid guess).
    scene: Scene | None = None
    pick: str | None = None
    # The thing the speaker's message named, which the guess is judged by (the target
    # where it named none); None in saves made before it was recorded: the target.
    meant: str | None = None

    @property
    def meant_thing(self) -> str | None:
        """The thing this move's guess was judged by; None for a move that guessed nothing."""
        return None if self.scene is None else self.meant or self.scene.target

    @property
    def guessed_right(self) -> bool | None:
        """Whether the guess was right; None for a move that guessed nothing."""
        return None if self.scene is None else self.pick == self.meant_thing
