"""Deal or No Deal's panel names each player's column so the two can be told apart."""

from __future__ import annotations

from dictgame.tui.games.dealnodeal.panel import NAME_WIDTH, column_names


def test_the_default_names_are_whole_and_apart() -> None:
    # Cut to seven characters both read "Player " (issue 23, item 3).
    assert column_names(["Player A", "Player B"]) == (["Player A", "Player B"], 9)


def test_long_names_that_cut_the_same_keep_the_seats_letter() -> None:
    names, width = column_names(["Alexandrina Smith", "Alexandrina Jones"])
    assert width == NAME_WIDTH
    assert names[0] != names[1] and all(len(n) < width for n in names)
    assert names[0].endswith(" A") and names[1].endswith(" B")


def test_short_names_keep_the_narrow_column() -> None:
    assert column_names(["Ann", "Bo"]) == (["Ann", "Bo"], 8)
