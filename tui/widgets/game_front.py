"""What a game brings to the front end of its own, declared as data (`GameFront`): its side
panel on the game screen, the form that answers a step of a person's turn, how a typed message
reaches the game master, its own keys, and its own section of the new-game form.
Each game declares its front in `tui/games/<game>/__init__.py` (`FRONT`); the game screen,
the person's turn and the new-game form ask it, and never a game's name.

A panel is a widget built from a game's state with `show(state)`, which the game screen calls
once mounted and after every committed move or edit, and `status(state)`, the game's part of
the status line. A game without a panel of its own gets `OutcomePanel`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from rich.text import Text
from textual.app import ComposeResult
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from ...engine.core.scores import (
    METRIC_REQUEST_COUNT,
    METRIC_REQUEST_COUNT_VIOLATED,
    episode_scores,
)
from ...engine.core.settings import CommonSettings
from ...engine.games import game_of
from ..services.keys import Key


class GamePanel(Protocol):
    def show(self, state: Any) -> None: ...

    def status(self, state: Any) -> str: ...


class AnswerForm(Protocol):
    """The widget a person answers one step with, instead of a typed message. It posts
    `Answered` with the text the game master receives, as a model's answer would be."""

    def start(self, seat: int) -> None:
        """The step is asked of `seat`: a blank form, focused."""

    def clear(self) -> None:
        """The wait is over without an answer: drop what was put together."""

    def question(self, asked: str) -> str:
        """What the game master asks, as a person reads it beside this form."""


class SettingsSection(Protocol):
    """A game's own section of the new-game form (a widget), for a game set field by field
    rather than played from one of its instances: Dictionary Discovery's. Made from the
    settings the form starts from; its fields of each player go in the player's column."""

    # Where each of the game's own settings' errors is shown (pydantic location -> field id).
    errors: Mapping[tuple[str | int, ...], str]

    def seat_fields(self, seat: int, classes: str) -> ComposeResult:
        """The fields of one player the game asks for (Dictionary Discovery: the language),
        carrying `classes` (the form shows them with the section)."""

    def read(self, common: dict[str, Any]) -> CommonSettings:
        """The game's settings, from the form's common values (players: name, model, human;
        temperature; seed) and the section's own: the game's settings model judges them."""


class Answered(Message):
    """A person's answer, put together in a step's form."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class Pending(Message):
    """An answer being put together (Dictionary Discovery's entries): the panel may show it
    before it is sent (`preview(seat, pending)`)."""

    def __init__(self, seat: int, pending: Any) -> None:
        super().__init__()
        self.seat = seat
        self.pending = pending


def _as_typed(text: str) -> str:
    return text


@dataclass(frozen=True)
class GameFront:
    """A game's own front end; every field may be left out (a plain game needs none)."""

    # The side panel: `Panel(state, id=...)`; None: `OutcomePanel`.
    panel: Callable[..., Widget] | None = None
    # The form that answers a step, made from the state; a step not named is a typed message.
    forms: Mapping[str, Callable[[Any], Widget]] = field(default_factory=dict)
    # A typed message as the game master receives it (Deal or No Deal adds its tag).
    message: Callable[[str], str] = _as_typed
    # The game's own keys (`tui/games/<game>/keys.py`): those of the "game" section are bound
    # on the game screen (their actions on the screen's panel), the others by the panel or
    # form that offers them; help, the footer, the palette and the check of `[ui] keys` all
    # find them here.
    keys: tuple[Key, ...] = ()
    # A line above the answer, for the seat asked and the step (Deal's values): state, seat,
    # step -> the line; None: no line.
    above: Callable[[Any, int, str], Text] | None = None
    # The new-game form's section for the game's own settings (a `SettingsSection` widget,
    # made from the form's starting settings); None: the game plays one of its instances,
    # chosen by experiment and number.
    settings_form: Callable[[CommonSettings], Widget] | None = None


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


def panel_of(front: GameFront, state: Any) -> Widget:
    """The side panel of the state's game."""
    if front.panel is None:
        return OutcomePanel(id="game-panel")
    return front.panel(state, id="game-panel")
