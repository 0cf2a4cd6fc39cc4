"""The game master's words to the players, rendered from the template files in `prompts/`."""

from __future__ import annotations

from importlib import resources
from typing import Any

import jinja2

from .settings import FirstLastSettings


class PromptBook:
    def __init__(self, settings: FirstLastSettings) -> None:
        self.settings = settings
        folder = resources.files(__package__).joinpath("prompts")
        self._environment = jinja2.Environment(
            loader=jinja2.FunctionLoader(lambda name: folder.joinpath(name).read_text("utf-8")),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=False,
            autoescape=False,
        )

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
