"""The settings of one Dictionary Discovery game: stored with it, so a resumed game plays by
the same rules. The config file and the new-game form take their bounds from here.

Grounded modes (`scenes`, `invented`) draw their concepts (and, invented, each player's
lexicon) from the seed when the game is created, and keep them here: a resumed game plays
on exactly the same words even if the generator or the bank changes later.
"""

from __future__ import annotations

import random
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from ...core.memory import MemorySettings
from ...core.settings import CommonSettings, HistoryTokens
from ...core.settings import PlayerSettings as CorePlayer
from .concepts import concept_bank, known_languages, language_code
from .lexicons import PRONOUNCEABLE, invent_lexicons

Mode = Literal["free", "scenes", "invented"]
GROUNDED: tuple[Mode, ...] = ("scenes", "invented")
# A free game's shown history, in estimated tokens: about ten rounds of talk of 8-word
# messages (an exchange, the message heard and the player's answer, is 20-25), about 350 of
# SmolLM2's tokens. The update is asked without the talk (game.py), so the history costs
# only the reply; each step of the window evaluates what it keeps again (at 500, about 25
# rounds, some 650 tokens every sixth move: bench.long_cost).
HISTORY_BUDGET = 240


class PlayerSettings(CorePlayer):
    language: str = Field(min_length=1, max_length=40)

    @field_validator("language")
    @classmethod
    def _language_trimmed(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("must not be blank")
        return value


def default_players() -> tuple[PlayerSettings, PlayerSettings]:
    return (
        PlayerSettings(name="Alice", language="English"),
        PlayerSettings(name="Bruno", language="Spanish"),
    )


class GameSettings(CommonSettings):
    players: tuple[PlayerSettings, PlayerSettings] = Field(default_factory=default_players)
    # Free mode: a round is a message from each player. Grounded modes: a round is one scene,
    # named by one player and guessed by the other.
    rounds: int = Field(default=10, ge=1, le=10_000)
    words_per_message: int = Field(default=8, ge=1, le=100)
    # The first player's first message (free mode); empty means the model writes its own.
    opening: str = Field(default="", max_length=400)
    # The past exchanges a free game's reply shows, in estimated tokens (CommonSettings).
    # Without it a long free game held about 1,000 tokens of history in each player's cache
    # at round 150, and each token of a move attended to them.
    history_tokens: HistoryTokens = HISTORY_BUDGET
    # Bounds of one dictionary update (the JSON schema is built from them); free mode only:
    # a grounded round teaches one word, so its update is one operation.
    max_operations: int = Field(default=3, ge=1, le=10)
    on_violation: Literal["continue", "abort"] = "continue"
    # End early when the common dictionary reaches this size (0: play all rounds).
    target_common: int = Field(default=0, ge=0)
    # free: talk; scenes: name and guess things of a shared scene in real languages;
    # invented: the same, each player speaking a lexicon made up for this game.
    mode: Mode = "free"
    # Things in a scene (grounded modes); chance of a blind guess is 1 / scene_size.
    scene_size: int = Field(default=4, ge=2, le=10)
    # What the game master tells both players after a guess: nothing, right or wrong, or
    # right or wrong and which thing was meant.
    feedback: Literal["none", "outcome", "reveal"] = "reveal"
    # How many concepts of the bank a grounded game draws its scenes from.
    concept_slice: int = Field(default=12, ge=2, le=1000)
    # The seed of the concept slice and the lexicons; None: the game's seed. The same
    # lexicon seed gives the same words in games that differ in their scenes.
    lexicon_seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    # How the listener answers: with the thing's word, or its number in the list. Measured
    # on SmolLM2-135M (bench/quality.py), the word is picked better.
    choice: Literal["word", "number"] = "word"
    # What the update after a guess (grounded modes) shows of the listener's dictionary: all
    # of it, or only the entries of the words heard (the lesson of a scene is about one word,
    # and the listing was most of what a grounded move evaluates: on the 1.5B Qwen 198 of
    # its 381 tokens a move, bench.move_cost). `dictionary` here, as games saved before it
    # were played.
    update_shows: Literal["dictionary", "heard"] = "dictionary"
    # Drawn when the game is created, then stored: the concept ids of the slice, and, in
    # invented mode, each player's word for each of them (aligned with `concepts`).
    concepts: tuple[str, ...] = ()
    lexicons: tuple[tuple[str, ...], tuple[str, ...]] | None = None
    # Free mode: each player keeps a memory stream, and a prompt shows the recent exchanges
    # and the memories retrieved for the move instead of the whole history (None: off;
    # `true` in a config file: on, with the default weights).
    memory: MemorySettings | None = None
    # Free mode: each round both players are given the same thing of the concept bank, each
    # in its own words, to talk about, so the talk is about something the ground truth can
    # judge (both languages must be of the bank; grounded modes have their scenes instead).
    # Off here, as games saved before topics existed were played; a new game between two
    # bank languages has it on unless told not to (game.settings_for, NEW_GAME_TOPIC).
    topic: bool = False

    @field_validator("memory", mode="before")
    @classmethod
    def _memory_switch(cls, value: Any) -> Any:
        if value is True:
            return MemorySettings()
        return None if value is False else value

    @model_validator(mode="before")
    @classmethod
    def _draw_concepts(cls, data: Any) -> Any:
        """Draw the slice and lexicons of a new grounded game from its seed."""
        if not isinstance(data, dict) or data.get("mode", "free") not in GROUNDED:
            return data
        data = dict(data)
        seed = data.get("lexicon_seed")
        seed = data.get("seed", 0) if seed is None else seed
        try:
            size = int(data.get("concept_slice", 12))
            seed = int(seed)
        except (TypeError, ValueError):
            return data  # the field validators say what is wrong
        bank = concept_bank()
        if not data.get("concepts") and 2 <= size <= len(bank):
            rng = random.Random(f"concepts-{seed}")
            data["concepts"] = tuple(c.id for c in rng.sample(bank.concepts, size))
        if data["mode"] == "invented" and not data.get("lexicons") and data.get("concepts"):
            data["lexicons"] = invent_lexicons(len(data["concepts"]), seed)
        return data

    @model_validator(mode="after")
    def _grounded_is_playable(self) -> GameSettings:
        if self.mode == "free":
            if self.concepts or self.lexicons:
                raise ValueError("concepts and lexicons belong to grounded modes only")
            unknown = [p.language for p in self.players if language_code(p.language) is None]
            if self.topic and unknown:
                raise ValueError(
                    f"topic: language {unknown[0]!r} is not in the concept bank, which knows "
                    f"{known_languages()}; a topic is given in each player's own words"
                )
            return self
        bank = concept_bank()
        if self.concept_slice > len(bank):
            raise ValueError(f"concept_slice: the bank has {len(bank)} concepts")
        if self.scene_size > self.concept_slice:
            raise ValueError(
                f"scene_size {self.scene_size} is larger than concept_slice {self.concept_slice}"
            )
        if len(self.concepts) != self.concept_slice or len(set(self.concepts)) != len(self.concepts):
            raise ValueError(f"concepts: {self.concept_slice} distinct concept ids are needed")
        unknown = [c for c in self.concepts if c not in bank.by_id]
        if unknown:
            raise ValueError(f"concepts: not in the concept bank: {', '.join(unknown[:3])}")
        if self.mode == "scenes":
            for player in self.players:
                if language_code(player.language) is None:
                    raise ValueError(
                        f"language {player.language!r} is not in the concept bank, which "
                        f"knows {known_languages()}; scenes mode needs one of them"
                    )
        else:
            self._check_lexicons()
        return self

    def _check_lexicons(self) -> None:
        if self.lexicons is None or any(len(words) != len(self.concepts) for words in self.lexicons):
            raise ValueError("lexicons: one word per concept for each player is needed")
        words = [word for lexicon in self.lexicons for word in lexicon]
        if len(set(words)) != len(words):
            raise ValueError("lexicons: a word may name one concept of one player only")
        bad = [w for w in words if not PRONOUNCEABLE.match(w)]
        if bad:
            raise ValueError(f"lexicons: not a pronounceable word: {bad[0]!r}")

    @property
    def grounded(self) -> bool:
        return self.mode in GROUNDED

    @property
    def total_moves(self) -> int:
        """Free: a message from each player a round. Grounded: the first player names the
        first scene, then each move guesses one scene and names the next."""
        return self.rounds + 1 if self.grounded else 2 * self.rounds
