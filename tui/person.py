"""A person in a seat of a headless game: the game master's words printed on the terminal,
the person's answer read as one line from standard input.

The seat is a `HumanSession`, so the person's answers go through the same move rules as a
model's (a broken answer is asked again, with the rule named) and are stored like one.
"""

from __future__ import annotations

from typing import TextIO

from ..engine.backend import (
    CancelToken,
    Generation,
    GenerationCancelled,
    GenerationRequest,
    TokenCallback,
)
from ..engine.core.human import HumanSession


class PersonLeft(GenerationCancelled):
    """Standard input ended before the person answered: the game stops where it is, saved,
    to be resumed later (no move is half played)."""


class TerminalPerson:
    """A seat a person plays from the terminal."""

    def __init__(self, name: str, read: TextIO, out: TextIO) -> None:
        self.name = name
        self.read, self.out = read, out
        self.session = HumanSession(on_turn=self._ask)
        self._rules_shown: str | None = None

    def generate(
        self,
        request: GenerationRequest,
        on_text: TokenCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Generation:
        return self.session.generate(request, on_text, cancel)

    def reset(self) -> None:
        """A new game: its rules are shown again."""
        self._rules_shown = None

    def _ask(self, request: GenerationRequest) -> None:
        """Show the rules (when new) and what the game master asks; read the person's line."""
        first = request.messages[0] if request.messages else None
        lines = ["", ""]
        if first is not None and first.role == "system" and first.content != self._rules_shown:
            self._rules_shown = first.content
            lines += [f"== Your rules, {self.name} ==", first.content, ""]
        lines += [f"== {self.name}, your turn ==", request.messages[-1].content]
        self.out.write("\n".join(lines) + f"\n{self.name}> ")
        self.out.flush()
        line = self.read.readline()
        if not line or not self.read.isatty():
            # Piped answers are not echoed: end the prompt's line.
            self.out.write("\n")
        if not line:
            raise PersonLeft()
        self.session.answers.put(line.rstrip("\r\n"))
