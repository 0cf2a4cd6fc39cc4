"""A scripted greeter for the scripted backend (tests and demos without a model): it greets
the guest by name under the move rule, and welcomes it on even seeds only, so a run of
scripted games has successes and losses for the fine-tuning filters to tell apart."""

from __future__ import annotations

import re

from ...backend import GenerationRequest
from .rules import GREET

# The guest's name in the game master's request, in each prompt language.
_NAME = re.compile(r"^(?:Greet and welcome|Begrüße) (.+?)(?:\.| und heiße)")
_WORDS = {"Greet": ("Hello", "welcome"), "Begrüße": ("Hallo", "willkommen")}


def is_greeting_prompt(request: GenerationRequest) -> bool:
    return bool(request.messages) and _NAME.match(request.messages[-1].content) is not None


def greeter(request: GenerationRequest) -> str:
    instruction = request.messages[-1].content
    match = _NAME.match(instruction)
    assert match is not None
    hello, welcome = _WORDS[instruction.split()[0]]
    if request.seed % 2:
        return f"{GREET} {hello} {match.group(1)}!"
    return f"{GREET} {hello} {match.group(1)}, {welcome}!"
