"""The game master's words to the players, rendered from the template files in `prompts/`."""

from __future__ import annotations

from typing import Any

from ...core.prompts import template_environment
from .settings import FirstLastSettings


class PromptBook:
    def __init__(self, settings: FirstLastSettings) -> None:
        self.settings = settings
        self._environment = template_environment(__package__, "prompts")

    def _render(self, name: str, seat: int, **values: Any) -> str:
        template = self._environment.get_template(name)
        players = self.settings.players
        return template.render(
            me=players[seat], partner=players[1 - seat], topic=self.settings.topic, **values
        ).strip()

    def system(self, seat: int) -> str:
        return self._render("system.j2", seat)

    def turn(self, seat: int, letter: str, incoming: str | None) -> str:
        return self._render("turn.j2", seat, letter=letter.upper(), incoming=incoming)

    def reprompt(self, seat: int, violation: str, instruction: str) -> str:
        return self._render("reprompt.j2", seat, violation=violation, instruction=instruction)
