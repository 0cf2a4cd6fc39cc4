"""A Deal or No Deal move: a message, the wish to propose, or the proposal itself."""

from __future__ import annotations

from typing import Literal

from ...core.records import MoveRecord
from .items import Counts

# message: said to the partner; propose: the player will propose now (its proposal is the
# next move); take: the proposal, what the player takes; invalid: the move rules were broken
# in every try, which aborts the game.
MoveKind = Literal["message", "propose", "take", "invalid"]


class DealMoveRecord(MoveRecord):
    kind: MoveKind
    # For a proposal: how many books, hats and balls the proposer takes.
    take: Counts | None = None
