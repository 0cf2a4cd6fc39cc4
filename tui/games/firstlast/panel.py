"""firstlast's side panel: the topic, and the letter track (each turn's letter, the first
and last words of what was said, and whether they kept the letter).

Words come from models: every cell is a plain `Text`, never markup (a DataTable reads a
plain string cell as markup).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from ....engine.core.game import Result
from ....engine.games.firstlast.game import outcome
from ....engine.games.firstlast.state import FirstLastState, Verdict
from ...widgets.game_front import requests_line

COLUMNS = ("turn", "player", "letter", "first", "last", "verdict")


def verdict_cell(verdict: Verdict) -> Text:
    if not verdict.played:
        return Text("")
    if verdict.correct:
        return Text("ok", style="green")
    return Text("wrong", style="bold red")


class Panel(Vertical):
    """The topic and where the game stands, above the letter track."""

    DEFAULT_CSS = """
    Panel { height: auto; }
    Panel > DataTable { height: auto; }
    """

    def __init__(self, state: FirstLastState, **widget_kwargs: Any) -> None:
        super().__init__(**widget_kwargs)
        self.heading = Static("", markup=False, classes="heading")
        self.track: DataTable[Text] = DataTable(cursor_type="none", zebra_stripes=True)
        self.track.add_columns(*COLUMNS)
        self.show(state)

    def compose(self) -> ComposeResult:
        yield self.heading
        yield self.track

    def show(self, state: FirstLastState) -> None:
        with state.lock:
            settings = state.settings
            track = state.track
            verdict = outcome(state)
        heading = Text()
        heading.append("Topic  ", style="dim")
        heading.append(settings.topic, style="bold")
        heading.append("\nGame  ", style="dim")
        heading.append(verdict.result.value, style="bold" if verdict.over else "dim")
        if verdict.result is not Result.PLAYING and verdict.reason:
            heading.append(f"\n{verdict.reason}", style="italic")
        self.heading.update(heading)
        self.track.clear()
        for turn in track:
            self.track.add_row(
                Text(str(turn.move_index + 1)),
                Text(settings.players[turn.seat].name),
                Text(turn.letter.upper(), style="bold"),
                Text(turn.first),
                Text(turn.last),
                verdict_cell(turn),
            )

    def status(self, state: Any) -> str:
        return requests_line(state)
