"""Deal or No Deal's side panel: the items and their counts, the players' values, the
proposals once both are in (hidden from the players until then, so hidden here too), and the
points and scores.

When a person plays a seat, only their own values are shown: the partner's are private.
Watching two models, both players' values are shown by default: a watcher holds no secret,
and the points and scores read only against both; `v` (the screen's view key) switches to
the game as each player sees it (its own values only), and back.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static

from ....engine.core.game import Result
from ....engine.games.dealnodeal.game import outcome
from ....engine.games.dealnodeal.items import ITEMS, describe
from ....engine.games.dealnodeal.scores import objective_scores
from ....engine.games.dealnodeal.state import DealState
from ...widgets.game_front import requests_line

RESULT_STYLES = {
    Result.PLAYING: "dim",
    Result.SUCCESS: "bold green",
    Result.LOSE: "bold red",
    Result.ABORTED: "bold yellow",
}
WIDTH = 8
# A player's column: as wide as its name needs, up to this.
NAME_WIDTH = 13


def _cell(value: object, width: int = WIDTH) -> str:
    return str(value).rjust(width)


def column_names(names: list[str]) -> tuple[list[str], int]:
    """The players' column headings and their width: whole names where they fit, cut ones
    told apart by the seat's letter ("Player A" and "Player B" were both "Player")."""
    width = min(NAME_WIDTH, max(WIDTH, *(len(name) + 1 for name in names)))
    cut = [name[: width - 1] for name in names]
    if cut[0] == cut[1] and names[0] != names[1]:
        cut = [f"{name[: width - 3]} {letter}" for name, letter in zip(names, "AB")]
    return cut, width


# Whose values a watcher sees: both players', or one player's (the game as it sees it).
VIEWS: tuple[tuple[bool, bool], ...] = ((True, True), (True, False), (False, True))


class Panel(Static):
    """The negotiation at a glance, after each committed move."""

    def __init__(self, state: DealState, **widget_kwargs: Any) -> None:
        super().__init__("", markup=False, **widget_kwargs)
        self.state = state
        self.view = 0
        # A person sees their own values only, so there is no other view to switch to.
        people = [p.human for p in state.settings.players]
        self.views = not any(people)
        self.shown = VIEWS[0] if self.views else (people[0], people[1])
        self.show(state)

    def next_view(self) -> None:
        """Only looking: both players' values, or the game as one of them sees it."""
        if not self.views:
            return
        self.view = (self.view + 1) % len(VIEWS)
        self.shown = VIEWS[self.view]
        self.show(self.state)

    def show(self, state: DealState) -> None:
        with state.lock:
            settings = state.settings
            verdict = outcome(state)
            proposals = state.proposals
            revealed = state.both_proposed
            points = state.points
            sent = state.messages_sent
        names, width = column_names([p.name for p in settings.players])
        shown = self.shown
        text = Text()
        text.append("Objective  ", style="dim")
        text.append(settings.objective, style="bold")
        text.append(f"   messages {sent}/{settings.max_messages}", style="dim")
        if self.views and not all(shown):
            text.append(f"   as {settings.players[shown.index(True)].name} sees it (v)", style="dim")
        text.append("\n\n")
        text.append("item".ljust(WIDTH) + _cell("count"), style="bold")
        for name in names:
            text.append(_cell(name, width), style="bold")
        text.append("\n")
        for index, item in enumerate(ITEMS):
            text.append(item.ljust(WIDTH) + _cell(settings.counts[index]))
            for seat in (0, 1):
                # At a person's game's end nothing is private any more: the values explain
                # the scores (a watcher's view of one player's game stays that player's).
                visible = shown[seat] or (verdict.over and not self.views)
                text.append(_cell(settings.values[seat][index] if visible else "?", width))
            text.append("\n")
        text.append("\nProposals  ", style="dim")
        if revealed:
            for seat in (0, 1):
                take = describe(proposals[seat]).strip("()")
                text.append(f"\n  {settings.players[seat].name} takes {take}")
        else:
            made = [settings.players[seat].name for seat in sorted(proposals)]
            text.append(f"{', '.join(made)} proposed (hidden)" if made else "none yet")
        if verdict.over:
            scores = objective_scores(settings.objective, points)
            text.append("\nPoints  ", style="dim")
            text.append(f"{points[0]} / {points[1]}", style="bold")
            text.append("   scores ", style="dim")
            text.append(f"{scores[0]} / {scores[1]}", style="bold")
        text.append("\nGame  ", style="dim")
        text.append(verdict.result.value, style=RESULT_STYLES[verdict.result])
        if verdict.reason:
            text.append(f"\n{verdict.reason}", style="italic")
        self.update(text)

    def status(self, state: Any) -> str:
        return requests_line(state)
