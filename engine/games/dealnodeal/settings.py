"""The settings of one Deal or No Deal episode: the items, each player's private values, who
speaks first, the objective, and the original study's limits (Liao, Tomlin and Klein 2024)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ...core.settings import CommonSettings, PlayerSettings
from .items import Counts, Values, instance_problem

Objective = Literal["self", "coop", "comp"]
OBJECTIVES: tuple[Objective, ...] = ("self", "coop", "comp")


def default_players() -> tuple[PlayerSettings, PlayerSettings]:
    return PlayerSettings(name="Player A"), PlayerSettings(name="Player B")


class DealSettings(CommonSettings):
    players: tuple[PlayerSettings, PlayerSettings] = Field(default_factory=default_players)
    # How many books, hats and balls there are to divide.
    counts: Counts = (1, 2, 3)
    # Each player's private value of one book, one hat, one ball; each sees only its own.
    values: tuple[Values, Values] = ((2, 1, 2), (4, 0, 2))
    # The seat that speaks first (drawn from the instance's seed).
    first: int = Field(default=0, ge=0, le=1)
    # What a player's score is: its own points, the sum of both, or its own minus the other's.
    objective: Objective = "self"
    # The original ends a game after 50 messages (proposals count) without both proposals.
    max_messages: int = Field(default=50, ge=2, le=200)
    # ... and aborts it after 5 invalid replies in a row.
    max_invalid: int = Field(default=5, ge=1, le=11)
    # Guided replies: the reply's tag is fixed by a JSON schema (the model answers a JSON
    # string), for models too small to keep the format; the original leaves replies free.
    guided: bool = False
    # The original tells a player what was wrong with an invalid reply.
    reprompt: Literal["resample", "feedback"] = "feedback"

    @model_validator(mode="after")
    def _a_fair_instance(self) -> DealSettings:
        problem = instance_problem(self.counts, self.values)
        if problem:
            raise ValueError(problem)
        return self

    @property
    def rounds(self) -> int:
        """The most rounds a game can last (a round: a message from each player)."""
        return self.max_messages // 2
