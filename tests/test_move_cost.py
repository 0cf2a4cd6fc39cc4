"""bench.quality (and bench.move_cost, reading saved games) names the row a game played by its
settings."""

from __future__ import annotations

from bench.quality import INVENTED, QUICK_ROUNDS, ROWS, row_of
from dictgame.engine.games.dictionary.game import settings_for
from dictgame.engine.games.dictionary.settings import GameSettings


def test_a_game_of_each_row_is_named_by_its_row_and_another_by_its_mode() -> None:
    for name, values in ROWS.items():
        assert row_of(GameSettings(**values, seed=7)) == name
        # A quick run plays fewer rounds of the same row.
        assert row_of(GameSettings(**{**values, "rounds": QUICK_ROUNDS[name]})) == name
    # What a new invented game sets is one of the rows (bench.quality measures it).
    new = settings_for({}, {**ROWS["invented"]})
    assert row_of(new) in ROWS and row_of(new) != "invented" and row_of(new) == INVENTED
    assert row_of(GameSettings(mode="invented", scene_size=3)) == "invented (settings of no row)"
    assert row_of(GameSettings(mode="scenes", memory=True)) == "scenes (settings of no row)"
    assert row_of(object()) == "? (settings of no row)"
