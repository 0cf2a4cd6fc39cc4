"""Dictionary Discovery's own section of the new-game form: it is set field by field (each
player's language, the mode, the scene, rounds, words per message, the opening message), not
played from an instance. The section reads the game's settings from its fields and the form's
common ones; a bad value is shown at its field."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Select

from ....engine.core.settings import CommonSettings
from ....engine.games.dictionary.game import new_game_values
from ....engine.games.dictionary.settings import GameSettings
from ...widgets.form_fields import field

MODES = (
    ("free talk", "free"),
    ("scenes: name things in real languages", "scenes"),
    ("invented words", "invented"),
)
FEEDBACK = (
    ("right or wrong, and the thing meant", "reveal"),
    ("right or wrong", "outcome"),
    ("none", "none"),
)
# Settings of the grounded modes and of free talk the form carries over as they are (the mode,
# its feedback and scene size are fields of the form).
CARRIED = ("concept_slice", "lexicon_seed", "choice", "update_shows", "topic", "memory")


class SettingsSection(Vertical):
    # Where each of the game's own settings' errors is shown (pydantic location -> field id).
    errors: dict[tuple[str | int, ...], str] = {
        ("players", 0, "language"): "lang-a",
        ("players", 1, "language"): "lang-b",
        ("rounds",): "rounds",
        ("scene_size",): "scene-size",
        # The settings as a whole (a language the concept bank lacks for scenes, say).
        (): "mode",
        ("words_per_message",): "words",
        ("opening",): "opening",
    }

    def __init__(self, settings: CommonSettings, *, id: str | None = None) -> None:
        super().__init__(id=id)
        assert isinstance(settings, GameSettings)
        self.settings = settings

    def seat_fields(self, seat: int, classes: str) -> ComposeResult:
        """Each player's language, in the player's column."""
        player = self.settings.players[seat]
        yield from field(
            "Language", Input(player.language, compact=True, id=f"lang-{'ab'[seat]}"), classes
        )

    def compose(self) -> ComposeResult:
        settings = self.settings
        with Horizontal(classes="numbers", id="mode-settings"):
            yield from field(
                "Mode", Select(MODES, value=settings.mode, allow_blank=False, compact=True, id="mode")
            )
            yield from field(
                "Feedback after a guess",
                Select(FEEDBACK, value=settings.feedback, allow_blank=False, compact=True,
                       id="feedback"),
                classes="grounded-only",
            )
            yield from field(
                "Things in a scene",
                Input(str(settings.scene_size), type="integer", compact=True, id="scene-size"),
                classes="grounded-only",
            )
        with Horizontal(classes="numbers"):
            yield from field(
                "Rounds", Input(str(settings.rounds), type="integer", compact=True, id="rounds")
            )
            yield from field(
                "Words per message",
                Input(str(settings.words_per_message), type="integer", compact=True, id="words"),
            )
        yield from field(
            "Opening message",
            Input(settings.opening, placeholder="empty: the first player writes its own",
                  compact=True, id="opening"),
        )

    def on_mount(self) -> None:
        self._show_mode()

    @on(Select.Changed, "#mode")
    def _mode_chosen(self) -> None:
        self._show_mode()

    def _show_mode(self) -> None:
        """A scene's feedback and size mean something in grounded modes only."""
        grounded = self.query_one("#mode", Select).value != "free"
        for widget in self.query(".grounded-only"):
            widget.display = grounded

    def read(self, common: dict[str, Any]) -> CommonSettings:
        """The game's settings: the form's common values (the players' names and models, who
        is a person, temperature, seed), this section's, and the rest carried over (from the
        config and flags). The game's own settings model judges them."""
        screen = self.screen
        data = {
            **common,
            "players": [
                {**player, "language": screen.query_one(f"#lang-{suffix}", Input).value.strip()}
                for player, suffix in zip(common["players"], "ab", strict=True)
            ],
            "rounds": self._value("rounds"),
            "words_per_message": self._value("words"),
            "opening": self._value("opening"),
            "mode": self.query_one("#mode", Select).value,
            "feedback": self.query_one("#feedback", Select).value,
            "scene_size": self._value("scene-size"),
            **{key: getattr(self.settings, key) for key in CARRIED},
        }
        if data["mode"] != self.settings.mode:
            data.update(_switched(data, self.settings.mode, data["mode"]))
        return GameSettings.model_validate(data)

    def _value(self, field_id: str) -> str:
        return self.query_one(f"#{field_id}", Input).value.strip()


def _switched(data: dict[str, Any], before: str, after: str) -> dict[str, Any]:
    """Switched to another mode here: what a new game of that mode sets unless told otherwise
    (game.settings_for), as `dictgame play --mode invented` would, in place of the settings the
    mode left set only because a new game of it sets them; a value chosen otherwise stays."""
    was, will = new_game_values(before), new_game_values(after)
    changed = {}
    for key in was.keys() | will.keys():
        default = GameSettings.model_fields[key].default
        if data[key] in (default, was.get(key, default)):
            changed[key] = will.get(key, default)
    return changed

