"""The game master's words to the players, rendered from the template files in `prompts/`.

Prompts live in files so they can be read and tuned without touching the game logic.
"""

from __future__ import annotations

import re
from typing import Any

from ...core.prompts import template_environment
from .dictionary import Dictionary, DictionaryEntry, normalize, occurs_in
from .scenes import topic_word
from .settings import GameSettings, PlayerSettings
from .shown import FREE_TALK_TOKENS, SHOWN_TOKENS, shown_entries

# The note beside the thing a listener's dictionary reads the heard word as (choose.j2).
DICTIONARY_NOTE = 'your dictionary: "{foreign}" means this'


class PromptBook:
    def __init__(self, settings: GameSettings) -> None:
        self.settings = settings
        self._environment = template_environment(__package__, "prompts")

    def _render(self, name: str, seat: int, **values: Any) -> str:
        me: PlayerSettings = self.settings.players[seat]
        partner: PlayerSettings = self.settings.players[1 - seat]
        template = self._environment.get_template(name)
        return template.render(
            me=me,
            partner=partner,
            words=self.settings.words_per_message,
            invented=self.settings.mode == "invented",
            **values,
        ).strip()

    def system(self, seat: int) -> str:
        return self._render("scene_system.j2" if self.settings.grounded else "system.j2", seat)

    def opening(self, seat: int, round_: int) -> str:
        return self._render("opening.j2", seat, topic=topic_word(self.settings, seat, round_))

    def reply(self, seat: int, incoming: str, round_: int) -> str:
        return self._render(
            "reply.j2", seat, incoming=incoming, topic=topic_word(self.settings, seat, round_)
        )

    def update(
        self, seat: int, incoming: str, dictionary: Dictionary, topic: str | None = None
    ) -> str:
        """`topic`: what the message was about, in the listener's words (free talk with a
        topic, where the message said it)."""
        found = consult(dictionary, incoming)
        # The words heard have a line of their own; the listing shows the others.
        others = Dictionary(entry for entry in dictionary if entry not in found)
        return self._render(
            "update.j2",
            seat,
            incoming=incoming,
            topic=topic,
            entries=shown_entries(others, (), FREE_TALK_TOKENS),
            size=len(dictionary),
            found=found,
            example_word=example_word(dictionary, incoming),
            max_operations=self.settings.max_operations,
        )

    # -- grounded modes -------------------------------------------------------------------

    def describe(
        self, seat: int, things: list[str], number: int, last: str | None
    ) -> str:
        return self._render(
            "describe.j2", seat, things=things, number=number, target=things[number - 1],
            last=last,
        )

    def choose(self, seat: int, incoming: str, things: list[str], dictionary: Dictionary) -> str:
        found = consult(dictionary, incoming)
        notes = {}
        for entry in found:
            for word in things:
                if normalize(word) == normalize(entry.meaning) and word not in notes:
                    notes[word] = DICTIONARY_NOTE.format(foreign=entry.foreign)
        return self._render(
            "choose.j2",
            seat,
            incoming=incoming,
            found=found,
            things=[{"word": word, "note": notes.get(word)} for word in things],
            by_number=self.settings.choice == "number",
        )

    def scene_update(
        self, seat: int, incoming: str, verdict: str, dictionary: Dictionary, things: list[str]
    ) -> str:
        return self._render(
            "scene_update.j2",
            seat,
            incoming=incoming,
            verdict=verdict,
            entries=self._scene_listing(dictionary, incoming),
            size=len(dictionary),
            things=things,
            max_operations=1,
        )

    def _scene_listing(self, dictionary: Dictionary, incoming: str) -> list[DictionaryEntry]:
        """`update_shows = heard` is a listing with no budget beyond the heard words'
        entries, which `shown_entries` always shows."""
        budget = 0 if self.settings.update_shows == "heard" else SHOWN_TOKENS
        return shown_entries(dictionary, consult(dictionary, incoming), budget)

    def reprompt(self, seat: int, violation: str, instruction: str) -> str:
        return self._render("reprompt.j2", seat, violation=violation, instruction=instruction)

    def update_reprompt(self, seat: int, violation: str, instruction: str) -> str:
        return self._render("update_reprompt.j2", seat, violation=violation,
                            instruction=instruction)


def example_word(dictionary: Dictionary, incoming: str) -> str:
    """A word of the partner's message for the update's example: small models copy examples,
    so the example should be a word they could really add."""
    words = re.findall(r"[^\W\d_]{2,}", incoming)
    new = [w for w in words if w not in dictionary]
    return (new or words or ["word"])[0]


def consult(dictionary: Dictionary, incoming: str) -> list[DictionaryEntry]:
    """The game master's look-up for the listener: entries whose word occurs in the message,
    in the order they occur. Small models cannot do this look-up in their head."""
    found = [(incoming.casefold().find(e.foreign.casefold()), e) for e in dictionary
             if occurs_in(e.foreign, incoming)]
    return [entry for _, entry in sorted(found, key=lambda pair: pair[0])]
