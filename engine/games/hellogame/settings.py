"""The settings of one hellogame episode. The guest to greet is the second player, whom the
game's own code plays, so its name is the target name: one value, not two to keep in step."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import Field

from ...core.settings import CommonSettings, PlayerSettings

# The languages the prompts are written in: one folder of templates each.
Language = Literal["en", "de"]
LANGUAGES: tuple[str, ...] = get_args(Language)


def default_players() -> tuple[PlayerSettings, PlayerSettings]:
    return PlayerSettings(name="Greeter"), PlayerSettings(name="Ted")


class HelloSettings(CommonSettings):
    players: tuple[PlayerSettings, PlayerSettings] = Field(default_factory=default_players)
    # The language of the prompts, and so of the greeting asked for.
    language: Language = "en"

    @property
    def target_name(self) -> str:
        return self.players[1].name
