"""hellogame's side panel: the guest to greet, the greeting, and the verdict.

The greeting is a model's text: it is shown as plain `Text`, never as markup.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static

from ....engine.core.game import Result
from ....engine.games.hellogame.game import missing, outcome
from ....engine.games.hellogame.state import HelloState
from ...widgets.game_front import requests_line

VERDICT_STYLES = {
    Result.PLAYING: "dim",
    Result.SUCCESS: "bold green",
    Result.LOSE: "bold red",
    Result.ABORTED: "bold yellow",
}


class Panel(Static):
    """Who is to be greeted and how the greeting fared, after each committed move."""

    def __init__(self, state: HelloState, **widget_kwargs: Any) -> None:
        super().__init__("", markup=False, **widget_kwargs)
        self.show(state)

    def show(self, state: HelloState) -> None:
        with state.lock:
            settings = state.settings
            verdict = outcome(state)
            greeting = state.greeting
            lacking = missing(state)
        text = Text()
        text.append("Guest  ", style="dim")
        text.append(settings.target_name, style="bold")
        text.append(f"  ({settings.language})\n", style="dim")
        text.append("Greeting  ", style="dim")
        text.append(greeting.message if greeting is not None else "(not yet)")
        if lacking:
            text.append("\nLacks  ", style="dim")
            text.append(", ".join(lacking))
        text.append("\nVerdict  ", style="dim")
        text.append(verdict.result.value, style=VERDICT_STYLES[verdict.result])
        if verdict.reason:
            text.append(f"\n{verdict.reason}", style="italic")
        self.update(text)

    def status(self, state: Any) -> str:
        return requests_line(state)
