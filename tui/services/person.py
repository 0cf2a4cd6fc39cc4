"""A person in a seat of a headless game: the game master's words printed on the terminal,
the person's answer read as one line from standard input.

The seat is a `HumanSession`, so the person's answers go through the same move rules as a
model's (a broken answer is asked again, with the rule named) and are stored like one.
"""

from __future__ import annotations

from typing import TextIO

from ...engine.backend import (
    CancelToken,
    Generation,
    GenerationCancelled,
    GenerationRequest,
    TokenCallback,
)
from ...engine.core.human import HumanSession

# A model is cued to speak first with this alone; the JSON form it must answer an update in.
SPEAK_FIRST = "..."
JSON_FORM = "Answer only with JSON like"


def for_a_person(question: str) -> str:
    """What the game master asks, as a person reads it: a model's cue to open the talk says
    so in words. (In the terminal UI, a step's form may reword the rest: the JSON form of a
    model's update gives way to the update form's keys; headless, the person types that JSON,
    so it stays.)"""
    if question.strip() == SPEAK_FIRST:
        return "You speak first: write the opening message."
    return question


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
        question = for_a_person(request.messages[-1].content)
        lines += [f"== {self.name}, your turn ==", question]
        self.out.write("\n".join(lines) + f"\n{self.name}> ")
        self.out.flush()
        line = self.read.readline()
        if not line or not self.read.isatty():
            # Piped answers are not echoed: end the prompt's line.
            self.out.write("\n")
        if not line:
            raise PersonLeft()
        self.session.answers.put(line.rstrip("\r\n"))
