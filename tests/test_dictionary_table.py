"""The live dictionary table draws every line at the widths it settles at, whenever a frame
is drawn: a row that widens a column must not leave lines drawn before it at the old width."""

from __future__ import annotations

from textual.app import App, ComposeResult

from dictgame.engine.games.dictionary.dictionary import Dictionary, Operation, OperationKind, Source
from dictgame.engine.games.dictionary.settings import GameSettings
from dictgame.tui.games.dictionary.table import DictionaryTable, PendingEntries


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield DictionaryTable(GameSettings(), id="table")


def add(word: str, meaning: str, confidence: float) -> Operation:
    return Operation(kind=OperationKind.ADD, foreign=word, meaning=meaning, confidence=confidence)


def dictionaries(*pairs: tuple[str, str, float]) -> tuple[Dictionary, Dictionary]:
    """Player A's entries (Spanish word -> English meaning, confidence); B's stays empty."""
    a = Dictionary()
    for pair in pairs:
        a.apply(add(*pair), Source.PLAYER, 1)
    return a, Dictionary()


def lines(widget: DictionaryTable) -> list[str]:
    table = widget.table
    return [table.render_line(y).text for y in range(table.row_count + 1)]


async def test_a_row_that_widens_a_column_redraws_the_lines_drawn_before() -> None:
    app = TableApp()
    async with app.run_test(size=(100, 20)) as pilot:
        widget = app.query_one(DictionaryTable)
        widget.show(dictionaries(("agua", "water", 0.8)), highlight=False)
        await pilot.pause()
        before = lines(widget)
        # B's pending entry makes the row held by both ("0.80 / 0.60", wider than
        # "confidence"), and a longer word widens the first column.
        both = (dictionaries(("agua", "water", 0.8), ("desafortunadamente", "sadly", 0.4))[0],
                dictionaries(("water", "agua", 0.6))[0])
        pending = PendingEntries(1, (add("sadly", "desafortunadamente", 0.6),), 2)
        widget.show(both, highlight=False, pending=pending)
        # A frame drawn at once, before the table is idle, then again once it is.
        drawn_at_once = lines(widget)
        await pilot.pause()
        settled = lines(widget)
        assert drawn_at_once == settled
        assert settled != before and "0.80 / 0.60" in "".join(settled)
        header, *rows = settled
        # Each column's cells start where its header does.
        for heading, cell in (("held by", "both"), ("confidence", "0."), ("added", "round")):
            assert all(row.index(cell) == header.index(heading) for row in rows), settled
