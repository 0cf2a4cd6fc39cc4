"""How one move reads in a player's pane: a partner's move is what the player heard; its own
move is what it learned (the game's lines: Dictionary Discovery's operations, applied and
refused), the move rules it broke on the way, and what it said. On demand, the raw view:
every request of the move, the game master's instruction and the model's output as they were.

Everything a model wrote is plain `Text`, never markup.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from rich.text import Text

from ...engine.core.records import MoveRecord

# A game's own lines about a move, for the mover's pane (None: the game has none).
MoveLines = Callable[[MoveRecord], list[Text]]


class MoveViews(Protocol):
    """How a move reads in the mover's own pane, and in the partner's."""

    def own(self, record: MoveRecord, names: tuple[str, str]) -> Text: ...

    def heard(self, record: MoveRecord, names: tuple[str, str]) -> Text: ...


@dataclass(frozen=True)
class PlainViews:
    """A move as most games read: what was heard, then the game's own lines and what was said."""

    game_lines: MoveLines | None = None

    def own(self, record: MoveRecord, names: tuple[str, str]) -> Text:
        return own(record, names, self.game_lines)

    def heard(self, record: MoveRecord, names: tuple[str, str]) -> Text:
        return heard(record, names)


def views_of(panel: object) -> MoveViews:
    """The panel's own views of a move (`move_views`), else the plain ones with its lines."""
    views: MoveViews | None = getattr(panel, "move_views", None)
    return views if views is not None else PlainViews(getattr(panel, "move_lines", None))


def heard(record: MoveRecord, names: tuple[str, str]) -> Text:
    view = Text()
    view.append(f"heard from {names[record.seat]}", style="bold")
    view.append(f"  round {record.round}", style="dim")
    view.append("\n")
    view.append(record.message)
    return view


def private(record: MoveRecord, names: tuple[str, str]) -> Text:
    """A move whose content is hidden for now: who made it, not what it says."""
    view = Text()
    view.append(names[record.seat], style="bold")
    view.append(f"  round {record.round}", style="dim")
    view.append("\n(a private proposal, shown when the game is over)", style="dim italic")
    return view


def own(record: MoveRecord, names: tuple[str, str], game_lines: MoveLines | None) -> Text:
    view = Text()
    view.append(names[record.seat], style="bold")
    view.append(f"  round {record.round}", style="dim")
    for attempt in record.attempts:
        if attempt.violation:
            view.append(f"\nbroke a move rule ({attempt.step}): {attempt.violation}", style="italic")
    for line in game_lines(record) if game_lines is not None else ():
        view.append("\n")
        view.append_text(line)
    view.append("\nsaid ", style="dim")
    view.append(record.message)
    if record.violated:
        view.append("\n(the move rule stayed broken after the last try)", style="dim italic")
    return view


def raw(record: MoveRecord, names: tuple[str, str]) -> Text:
    """Each request of the move: the instruction that ended the prompt, and the raw output."""
    view = Text()
    view.append(f"{names[record.seat]}  round {record.round}  raw", style="bold")
    if not record.attempts:
        view.append("\nno request: the game's own words", style="dim")
    for number, attempt in enumerate(record.attempts, start=1):
        view.append(f"\n── request {number}: {attempt.step}", style="bold")
        if attempt.model:
            view.append(
                f"  {attempt.prompt_tokens} prompt tokens ({attempt.cached_tokens} cached), "
                f"{attempt.completion_tokens} out, {attempt.seconds:.1f} s",
                style="dim",
            )
        else:
            view.append("  the game's own player", style="dim")
        view.append("\nprompt (the game master's last turn):\n", style="dim")
        view.append(attempt.instruction)
        view.append("\noutput:\n", style="dim")
        view.append(attempt.raw_output)
        if attempt.violation:
            view.append(f"\nbroke: {attempt.violation}", style="italic")
    return view
