"""The game master's words, from the template files of the prompt's language in `prompts/`."""

from __future__ import annotations

from importlib import resources
from typing import Any

import jinja2

from .settings import HelloSettings


class PromptBook:
    def __init__(self, settings: HelloSettings) -> None:
        self.settings = settings
        folder = resources.files(__package__).joinpath("prompts", settings.language)
        self._environment = jinja2.Environment(
            loader=jinja2.FunctionLoader(lambda name: folder.joinpath(name).read_text("utf-8")),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=False,
            autoescape=False,
        )

    def _render(self, name: str, **values: Any) -> str:
        template = self._environment.get_template(name)
        return template.render(name=self.settings.target_name, **values).strip()

    def system(self) -> str:
        return self._render("system.j2")

    def greet(self) -> str:
        return self._render("greet.j2")

    def reprompt(self, violation: str, instruction: str) -> str:
        return self._render("reprompt.j2", violation=violation, instruction=instruction)

    def guest(self) -> str:
        """What the guest (the programmatic player) answers to any greeting."""
        return self._render("guest.j2")
