"""The game screen's side panel, one per game: the part of the screen that shows what a game
is about (Dictionary Discovery's dictionaries, firstlast's letter track, hellogame's verdict).

A panel is a widget built from a game's state with `show(state)`, which the game screen
calls once mounted and after every committed move or edit, and `status(state)`, the game's
part of the status line. A game without a panel of its own gets `OutcomePanel`.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any, Protocol

from rich.text import Text
from textual.widget import Widget
from textual.widgets import Static

from ...engine.core.scores import (
    METRIC_REQUEST_COUNT,
    METRIC_REQUEST_COUNT_VIOLATED,
    episode_scores,
)
from ...engine.games import game_of


class GamePanel(Protocol):
    def show(self, state: Any) -> None: ...

    def status(self, state: Any) -> str: ...


def requests_line(state: Any) -> str:
    """How many requests went to the models, and how many broke a move rule."""
    scores = episode_scores(game_of(state), state)
    return (
        f"requests {int(scores[METRIC_REQUEST_COUNT])}, "
        f"violated {int(scores[METRIC_REQUEST_COUNT_VIOLATED])}"
    )


class OutcomePanel(Static):
    """Where the game stands, for a game without a panel of its own."""

    def show(self, state: Any) -> None:
        outcome = game_of(state).outcome(state)
        self.update(Text(f"{outcome.result.value}: {outcome.reason}" if outcome.reason else outcome.result.value))

    def status(self, state: Any) -> str:
        return requests_line(state)


def panel_for(state: Any) -> Widget:
    """The side panel of the state's game (module `tui/panels/<game>.py`, class `Panel`)."""
    name = game_of(state).name
    try:
        module = import_module(f"{__name__}.{name}")
    except ModuleNotFoundError:
        return OutcomePanel(id="game-panel")
    panel: Widget = module.Panel(state, id="game-panel")
    return panel
