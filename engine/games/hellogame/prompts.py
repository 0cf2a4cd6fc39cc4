"""The game master's words, from the template files of the prompt's language in `prompts/`."""

from __future__ import annotations

from typing import Any

from ...core.prompts import template_environment
from .settings import HelloSettings


class PromptBook:
    def __init__(self, settings: HelloSettings) -> None:
        self.settings = settings
        self._environment = template_environment(__package__, "prompts", settings.language)

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
