"""Settings every game has: who sits in each seat, how models sample, how broken answers are
asked again. A game's own settings extend these, and are the single source of their bounds."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# A player's model that a server plays is stored as this prefix and the server's model name.
SERVER_MODEL = "server:"


def split_given(
    instance: dict[str, Any], given: dict[str, Any], keys: Iterable[str]
) -> tuple[tuple[str | None, str | None], tuple[str | None, str | None], dict[str, Any]]:
    """A game's `settings_for` opening: the caller's models and names per seat (None: the
    default), and the other settings, the instance's own `keys` over the caller's."""
    values = {k: v for k, v in given.items() if k not in ("models", "names")}
    values.update({key: instance[key] for key in keys if key in instance})
    return given.get("models", (None, None)), given.get("names", (None, None)), values


def served_model(model: str | None) -> str | None:
    """The server's name of the model a player plays through a server; None: a local GGUF."""
    if model is not None and model.startswith(SERVER_MODEL):
        return model[len(SERVER_MODEL) :]
    return None


# A budget of estimated tokens for the past exchanges a prompt shows; None: no budget.
HistoryTokens = Annotated[int | None, Field(ge=50, le=1_000_000)]


class PlayerSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1, max_length=40)
    # A GGUF path, or `server:NAME` (SERVER_MODEL) for a model an OpenAI-compatible server
    # plays; None plays on the embedded default model.
    model: str | None = None
    # A person plays this seat: their answers go through the same move rules as a model's.
    human: bool = False

    @field_validator("name")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("must not be blank")
        return value


class CommonSettings(BaseModel):
    """The settings of one episode that the core reads; stored with the game."""

    # A misspelt setting is an error, never silently a default.
    model_config = ConfigDict(frozen=True, extra="forbid")

    players: tuple[PlayerSettings, PlayerSettings]
    temperature: float = Field(default=0.7, ge=0.0, le=2.0)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    # Move rules: how many times a broken answer is re-prompted.
    max_reprompts: int = Field(default=2, ge=0, le=10)
    # How a broken answer is asked again: the same request with a new seed, or with a note
    # naming the broken rule. Small models copy such notes into their answer; larger ones
    # use them.
    reprompt: Literal["resample", "feedback"] = "resample"
    # The past exchanges a prompt shows, in estimated tokens; None: all that fit the window.
    # A move attends to every token in its player's cache, so a history that grows with the
    # game makes each move dearer (issue 25); older exchanges go in steps (the referee's
    # HISTORY_STEP), so between steps the prompt only grows at its end and the cache reuses it.
    history_tokens: HistoryTokens = None
