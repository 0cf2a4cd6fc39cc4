"""The settings of one game: stored with it, so a resumed game plays by the same rules."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class PlayerSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1, max_length=40)
    language: str = Field(min_length=1, max_length=40)
    # A GGUF path; None plays on the embedded default model.
    model: str | None = None

    @field_validator("name", "language")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("must not be blank")
        return value


def default_players() -> tuple[PlayerSettings, PlayerSettings]:
    return (
        PlayerSettings(name="Alice", language="English"),
        PlayerSettings(name="Bruno", language="Spanish"),
    )


class GameSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    players: tuple[PlayerSettings, PlayerSettings] = Field(default_factory=default_players)
    rounds: int = Field(default=10, ge=1, le=10_000)
    words_per_message: int = Field(default=8, ge=1, le=100)
    temperature: float = Field(default=0.7, ge=0.0, le=2.0)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    # The first player's first message; empty means the model writes its own greeting.
    opening: str = Field(default="", max_length=400)
    # Bounds of one dictionary update (the JSON schema is built from them).
    max_operations: int = Field(default=3, ge=1, le=10)
    # Move rules: how many times a broken reply or update is re-prompted.
    max_reprompts: int = Field(default=2, ge=0, le=10)
    # How a broken answer is asked again: the same request with a new seed, or with a note
    # naming the broken rule. Small models copy such notes into their answer; larger ones
    # use them.
    reprompt: Literal["resample", "feedback"] = "resample"
    on_violation: Literal["continue", "abort"] = "continue"
    # End early when the common dictionary reaches this size (0: play all rounds).
    target_common: int = Field(default=0, ge=0)

    @property
    def total_moves(self) -> int:
        return 2 * self.rounds
