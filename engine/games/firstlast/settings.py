"""The settings of one firstlast episode: its topic, the first turn's letter, how many turns."""

from __future__ import annotations

import string

from pydantic import Field, field_validator

from ...core.settings import CommonSettings, PlayerSettings


def default_players() -> tuple[PlayerSettings, PlayerSettings]:
    return PlayerSettings(name="Player A"), PlayerSettings(name="Player B")


class FirstLastSettings(CommonSettings):
    players: tuple[PlayerSettings, PlayerSettings] = Field(default_factory=default_players)
    topic: str = Field(default="the weather", min_length=1, max_length=80)
    # The letter of the first utterance; each later utterance takes the next one.
    first_letter: str = Field(default="a", min_length=1, max_length=1)
    # Utterances in all, the players taking turns; at most one alphabet, so no letter repeats.
    turns: int = Field(default=4, ge=1, le=26)

    @field_validator("topic")
    @classmethod
    def _topic_trimmed(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("must not be blank")
        return value

    @field_validator("first_letter")
    @classmethod
    def _a_letter(cls, value: str) -> str:
        value = value.lower()
        if value not in string.ascii_lowercase:
            raise ValueError("must be a letter from a to z")
        return value
