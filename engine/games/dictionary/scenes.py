"""Scenes of the grounded modes: K concepts both players see, each in its own words and its
own shuffled order, one of them the target the speaker names.

A round's scene is drawn from the game's seed and the round number alone (a local Random),
so the game master can draw it again at any time, and a resumed game sees the same scenes.
"""

from __future__ import annotations

import random

from pydantic import BaseModel, ConfigDict

from .concepts import concept_bank, ground_form, language_code
from .settings import GameSettings


class Scene(BaseModel):
    model_config = ConfigDict(frozen=True)

    round: int
    target: str
    # Each player's view: the concept ids in the order it sees them, numbered from 1.
    views: tuple[tuple[str, ...], tuple[str, ...]]

    def number_of(self, seat: int, concept: str) -> int:
        return self.views[seat].index(concept) + 1


def draw_scene(settings: GameSettings, round_: int) -> Scene:
    rng = random.Random(f"scene-{settings.seed}-{round_}")
    drawn = rng.sample(settings.concepts, settings.scene_size)
    target = rng.choice(drawn)
    views = []
    for _ in range(2):
        view = list(drawn)
        rng.shuffle(view)
        views.append(tuple(view))
    return Scene(round=round_, target=target, views=(views[0], views[1]))


def draw_topic(settings: GameSettings, round_: int) -> str | None:
    """Free mode with `topic`: the concept both players talk about in a round, drawn from the
    seed and the round alone, as scenes are; None when the game has no topics."""
    if settings.grounded or not settings.topic:
        return None
    rng = random.Random(f"topic-{settings.seed}-{round_}")
    return rng.choice(concept_bank().concepts).id


def topic_word(settings: GameSettings, seat: int, round_: int) -> str | None:
    """A round's topic in a player's own words."""
    concept = draw_topic(settings, round_)
    return None if concept is None else label(settings, seat, concept)


def speaker_of(round_: int) -> int:
    """The first player names the first scene; then roles alternate."""
    return (round_ - 1) % 2


def language_of(settings: GameSettings, seat: int) -> str | None:
    """The bank's code of a player's language; None for an invented language."""
    if settings.mode == "invented":
        return None
    return language_code(settings.players[seat].language)


def language_codes(settings: GameSettings) -> tuple[str | None, str | None]:
    """Both players' language codes, the first player's first."""
    return language_of(settings, 0), language_of(settings, 1)


def label(settings: GameSettings, seat: int, concept: str) -> str:
    """A player's own word for a concept: its language's label, or its lexicon's word."""
    if settings.mode == "invented":
        assert settings.lexicons is not None
        return settings.lexicons[seat][settings.concepts.index(concept)]
    code = language_of(settings, seat)
    assert code is not None, "scenes mode needs languages the bank knows"
    return concept_bank().by_id[concept].label(code)


def view_words(settings: GameSettings, scene: Scene, seat: int) -> list[str]:
    """The scene as a player sees it: its own words, in its own order."""
    return [label(settings, seat, concept) for concept in scene.views[seat]]


def lexicon_words(settings: GameSettings, seat: int) -> tuple[str, ...]:
    """Every word a player of an invented language may say."""
    assert settings.lexicons is not None
    return settings.lexicons[seat]


def named_concept(settings: GameSettings, scene: Scene, seat: int, message: str) -> str | None:
    """Which of the scene's things a player's message names in its own words: the thing whose
    word the message is, else the one thing whose word occurs in it; None if no single one."""
    code = language_of(settings, seat)
    said = ground_form(message, code)
    words = {concept: ground_form(label(settings, seat, concept), code) for concept in scene.views[seat]}
    exact = [concept for concept, word in words.items() if word == said]
    if exact:
        return exact[0]
    inside = [concept for concept, word in words.items() if word and f" {word} " in f" {said} "]
    return inside[0] if len(inside) == 1 else None


def meant_concept(settings: GameSettings, scene: Scene, speaker: int, message: str) -> str:
    """The thing a round is judged by: the one the speaker's message named (so a misnamed
    target teaches the listener a true pair, and the misnaming counts against the speaker),
    or the target where the message names none of the scene's things."""
    return named_concept(settings, scene, speaker, message) or scene.target
