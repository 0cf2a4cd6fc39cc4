"""Where each player's learning is lost, while a grounded game runs: one column per player,
one row per step of `engine/games/dictionary/learning.py` (speaking, hearing, using,
writing), beside the perfect learner's ceiling on the same scenes and messages; under the
table, the game master's reasons for the updates it refused.

The figures are computed from the stored moves, so a resumed game or an old save shows the
same as the export's "Where learning is lost".
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from ....engine.games.dictionary.learning import Learning, SeatLearning, learning_of
from ....engine.games.dictionary.state import GameState


def _of(part: int, whole: int, share: bool = False) -> str:
    """'3/6', or with its share '3/6 50%'."""
    return f"{part}/{whole}" + (f" {part / whole:.0%}" if share and whole else "")


def _expected(part: float, whole: int) -> str:
    """An expected count (the ceiling's) and its share: '2.25 38%' (of the guesses above)."""
    shown = f"{part:.2f}".rstrip("0").rstrip(".")
    return f"{shown} {part / whole:.0%}" if whole else shown


# Each row: its key, its label, how it reads for one player.
FIGURES: tuple[tuple[str, str, Callable[[SeatLearning], str]], ...] = (
    ("success", "guessed right", lambda s: _of(s.right, s.guesses, share=True)),
    ("ceiling", "ceiling", lambda s: _expected(s.ceiling, s.guesses)),
    ("named", "named target", lambda s: _of(s.named_target, s.spoke)),
    ("known", "heard known", lambda s: _of(s.heard_known, s.guesses)),
    ("entry_right", " entry right", lambda s: _of(s.entry_right, s.heard_known)),
    ("followed", " followed it", lambda s: _of(s.followed, s.heard_known)),
    ("writes", "wrote ✓/✗", lambda s: f"{s.writes_right}/{s.writes_wrong}"),
    ("removed", "removed ✓/✗", lambda s: f"{s.removed_right}/{s.removed_wrong}"),
    ("refused", "refused", lambda s: str(s.refused)),
    ("refused_steps", "updates lost", lambda s: _of(s.refused_steps, s.update_steps)),
    ("kept", "lessons kept", lambda s: _of(s.lessons_kept, s.lessons)),
)

TOOLTIP = (
    "Where each player's learning is lost. guessed right: its guesses as the listener. "
    "ceiling: the right guesses of a perfect learner on the same scenes and messages (it "
    "writes down every pair the game master reveals and uses it; an unseen word is a blind "
    "guess). named target: its messages that named its own target. heard known: the heard "
    "word was in its dictionary; entry right: that entry was right; followed it: the guess "
    "followed the entry. wrote ✓/✗: entries written right / wrong; removed ✓/✗: right / "
    "wrong entries taken away; refused: operations the game master refused; updates lost: "
    "update steps wholly refused; lessons kept: rounds whose lesson was in its dictionary "
    "after the update."
)


def learning_rows(learning: Learning) -> list[tuple[str, str, str, str]]:
    """(key, label, first player's cell, second player's cell)."""
    a, b = learning.seats
    return [(key, label, shown(a), shown(b)) for key, label, shown in FIGURES]


def reasons_text(learning: Learning, names: tuple[str, str]) -> Text:
    """Each player's refusals by reason, most frequent first."""
    text = Text()
    for seat in learning.seats:
        for why, count in sorted(seat.refused_reasons.items(), key=lambda item: -item[1]):
            text.append(f"{names[seat.seat]} refused ×{count}: ", style="bold")
            text.append(f"{why}\n")
    text.rstrip()
    return text


class LearningView(Vertical):
    """The figures and the reasons; repainted after every move or edit, as the curve is."""

    DEFAULT_CSS = """
    LearningView { height: 1fr; }
    LearningView DataTable { height: auto; max-height: 1fr; }
    LearningView #learning-reasons { height: auto; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        table: DataTable[Text] = DataTable(id="learning-figures", cursor_type="none",
                                           zebra_stripes=True, show_cursor=False)
        table.tooltip = TOOLTIP
        yield table
        yield Static("", id="learning-reasons", markup=False)

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#learning-figures", DataTable)

    def show(self, state: GameState) -> None:
        table, players = self.table, state.settings.players
        if not table.columns:
            table.add_column("", key="figure")
            table.add_column(Text(players[0].name), key="a")
            table.add_column(Text(players[1].name), key="b")
        learning = learning_of(state)
        table.clear()
        if learning is None:
            return
        for key, label, a, b in learning_rows(learning):
            table.add_row(Text(label, style="dim" if label.startswith(" ") else ""),
                          Text(a, justify="right"), Text(b, justify="right"), key=key)
        reasons = reasons_text(learning, (players[0].name, players[1].name))
        self.query_one("#learning-reasons", Static).update(reasons)

    def cells(self, key: str) -> tuple[str, str]:
        """What the row `key` shows for each player."""
        _, a, b = self.table.get_row(key)
        return str(a), str(b)
