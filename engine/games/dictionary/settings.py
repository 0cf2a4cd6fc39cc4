"""The settings of one Dictionary Discovery game: stored with it, so a resumed game plays by
the same rules. The config file and the new-game form take their bounds from here."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from ...core.settings import CommonSettings
from ...core.settings import PlayerSettings as CorePlayer


class PlayerSettings(CorePlayer):
    language: str = Field(min_length=1, max_length=40)

    @field_validator("language")
    @classmethod
    def _language_trimmed(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("must not be blank")
        return value


def default_players() -> tuple[PlayerSettings, PlayerSettings]:
    return (
        PlayerSettings(name="Alice", language="English"),
        PlayerSettings(name="Bruno", language="Spanish"),
    )


class GameSettings(CommonSettings):
    players: tuple[PlayerSettings, PlayerSettings] = Field(default_factory=default_players)
    rounds: int = Field(default=10, ge=1, le=10_000)
    words_per_message: int = Field(default=8, ge=1, le=100)
    # The first player's first message; empty means the model writes its own greeting.
    opening: str = Field(default="", max_length=400)
    # Bounds of one dictionary update (the JSON schema is built from them).
    max_operations: int = Field(default=3, ge=1, le=10)
    on_violation: Literal["continue", "abort"] = "continue"
    # End early when the common dictionary reaches this size (0: play all rounds).
    target_common: int = Field(default=0, ge=0)

    @property
    def total_moves(self) -> int:
        return 2 * self.rounds
