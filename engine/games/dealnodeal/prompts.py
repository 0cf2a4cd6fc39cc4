"""The game master's words to the players, rendered from the template files in `prompts/`.

Each player's rules name only its own values: the partner's are never in its prompt.
"""

from __future__ import annotations

from typing import Any

from ...core.prompts import template_environment
from .items import items_text
from .settings import DealSettings


class PromptBook:
    def __init__(self, settings: DealSettings) -> None:
        self.settings = settings
        self._environment = template_environment(__package__, "prompts")

    def _render(self, name: str, seat: int, **values: Any) -> str:
        template = self._environment.get_template(name)
        players = self.settings.players
        return template.render(
            me=players[seat], partner=players[1 - seat], items=items_text(self.settings.counts),
            **values,
        ).strip()

    def system(self, seat: int) -> str:
        return self._render(
            "system.j2", seat, values=self.settings.values[seat], objective=self.settings.objective
        )

    def move(self, seat: int, incoming: str | None) -> str:
        return self._render("move.j2", seat, incoming=incoming)

    def take(self, seat: int, partner_proposed: bool) -> str:
        return self._render("take.j2", seat, partner_proposed=partner_proposed)

    def reprompt(self, seat: int, violation: str, instruction: str) -> str:
        return self._render("reprompt.j2", seat, violation=violation, instruction=instruction)
