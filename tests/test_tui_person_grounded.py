"""A person in a seat of a grounded game (issue 23, traps 3 and 10), driven as a person would:
while they are asked (to name a thing, guess one, or update their dictionary) the dictionary
table keeps its rows in view beside everything else, every control of the step is on the
screen, and the entries they add show in the table, marked pending, before they are sent."""

from __future__ import annotations

import re

import pytest
import test_tui_support as support
from test_tui_person import stored, turn_of_person
from test_tui_support import wait_until
from textual.pilot import Pilot
from textual.widgets import DataTable

from dictgame.engine.games.dictionary.dictionary import (
    Dictionary,
    Operation,
    OperationKind,
    Source,
)
from dictgame.engine.games.dictionary.scenes import draw_scene, label, meant_concept
from dictgame.engine.games.dictionary.state import GameState
from dictgame.tui.games.dictionary.entry_editor import EntryEditor
from dictgame.tui.games.dictionary.table import PendingEntries, with_pending
from dictgame.tui.screens.app import DictgameApp
from dictgame.tui.screens.game_screen import GameScreen, Mode
from dictgame.tui.services.config import DictgameConfig

config = support.config

# Each step a person meets, and the controls that answer it.
CONTROLS = {
    "describe": ("#person-message",),
    "choose": ("#person-message",),
    "update": ("#learn-entry", "#take-back-entry", "#send-update"),
}


def person_plays_a(config: DictgameConfig, mode: str, rounds: int) -> DictgameApp:
    """A grounded game whose seat A is the person's; the scripted Bruno plays B."""
    person = config.model_copy(update={"seat_a": "human"})
    person.games["dictionary"].update(mode=mode, rounds=rounds)
    return DictgameApp(person, new_game=person.game_settings(seed=7))


def game_screen(app: DictgameApp) -> tuple[GameScreen, GameState]:
    screen = app.screen
    assert isinstance(screen, GameScreen) and isinstance(screen.state, GameState)
    return screen, screen.state


async def name_the_target(pilot: Pilot[None], state: GameState) -> None:
    """Type the person's own word for the target of the round they speak in."""
    round_ = state.moves_played + 1
    await pilot.press(*label(state.settings, 0, draw_scene(state.settings, round_).target), "enter")


def meant_word(state: GameState) -> tuple[str, str]:
    """The word the person heard, and their own word for the thing it named."""
    settings, heard = state.settings, state.moves[-1].message
    scene = draw_scene(settings, state.moves_played)
    return heard, label(settings, 0, meant_concept(settings, scene, 1, heard))


async def to_the_first_update(pilot: Pilot[None], screen: GameScreen, state: GameState) -> None:
    """The person names their target, guesses the first thing, and is asked to update."""
    await turn_of_person(pilot, screen, "describe")
    await name_the_target(pilot, state)
    await turn_of_person(pilot, screen, "choose")
    await pilot.press("1", "enter")
    await turn_of_person(pilot, screen, "update")


async def add_entry(pilot: Pilot[None], screen: GameScreen, word: str, meaning: str) -> None:
    """Add an entry in the update form: ctrl+n, the word, tab, the meaning, enter."""
    await pilot.press("ctrl+n")
    await wait_until(pilot, lambda: isinstance(screen.app.screen, EntryEditor))
    await pilot.press(*word, "tab", *meaning, "enter")
    await wait_until(pilot, lambda: screen.app.screen is screen)
    await pilot.pause()


def rows_in_view(screen: GameScreen) -> int:
    """How many rows the dictionary table has room to show, under its header (and above a
    scrollbar): measured as tests/test_tui_learning.py measures it with no person."""
    table = screen.query_one("#dictionary", DataTable)
    status = screen.query_one("#status-line").region
    assert table.region.y >= 0 and table.region.bottom <= status.y
    return table.scrollable_content_region.height - table.header_height


def table_rows(screen: GameScreen) -> list[list[str]]:
    table = screen.query_one("#dictionary", DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def row_of(screen: GameScreen, word_b: str) -> list[str] | None:
    return next((row for row in table_rows(screen) if row[1] == word_b), None)


@pytest.mark.parametrize("size, rows", [((80, 24), 5), ((120, 40), 10)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("mode", ["scenes", "invented"])
async def test_the_table_keeps_its_rows_while_the_person_is_asked(
    config: DictgameConfig, mode: str, size: tuple[int, int], rows: int
) -> None:
    app = person_plays_a(config, mode, rounds=4)
    async with app.run_test(size=size) as pilot:
        screen, state = game_screen(app)
        turn = screen.person_turn
        await turn_of_person(pilot, screen, "describe")
        await name_the_target(pilot, state)
        # Move 2, the person's: guess, update, then name the next target.
        for step in ("choose", "update", "describe"):
            await turn_of_person(pilot, screen, step)
            await pilot.pause()
            assert rows_in_view(screen) >= rows, (step, turn.region)
            # Every control of the step is on the screen, inside the person's area.
            for selector in CONTROLS[step]:
                control = screen.query_one(selector).region
                assert control.height and turn.region.contains_region(control), (step, selector)
            # The question is where it can be read, however short the terminal.
            assert screen.query_one("#person-asked-scroll").region.height >= 2
            if step == "choose":
                await pilot.press("1", "enter")
            elif step == "update":
                await pilot.press("ctrl+s")
            else:
                await name_the_target(pilot, state)
        await wait_until(pilot, lambda: state.moves_played >= 3)


async def test_entries_the_person_adds_show_in_the_table_before_they_are_sent(
    config: DictgameConfig,
) -> None:
    app = person_plays_a(config, "scenes", rounds=3)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, state = game_screen(app)
        await to_the_first_update(pilot, screen, state)
        heard, meant = meant_word(state)
        assert state.dictionaries[0].get(heard) is None
        await add_entry(pilot, screen, heard, "house")
        # In Alice's dictionary at once, marked pending (nothing applied yet).
        row = row_of(screen, heard)
        assert row is not None and row[0] == "+ house" and row[2] == "Alice"
        assert row[4] == "pending"
        heard_cell = screen.query_one("#dictionary", DataTable).get_row_at(
            table_rows(screen).index(row))[1]
        assert "dim" in str(heard_cell.style)
        assert state.dictionaries[0].get(heard) is None
        # Taken back, it leaves the table; a second entry for the word takes its place.
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert row_of(screen, heard) is None
        await add_entry(pilot, screen, heard, "house")
        await add_entry(pilot, screen, heard, meant)
        assert [r[0] for r in table_rows(screen) if r[1] == heard] == [f"+ {meant}"]
        await pilot.press("ctrl+s")
        # Sent: still shown, pending, while the move goes on (the person names a thing).
        await turn_of_person(pilot, screen, "describe")
        row = row_of(screen, heard)
        assert row is not None and row[0] == f"+ {meant}" and row[4] == "pending"
        await name_the_target(pilot, state)
        await wait_until(pilot, lambda: state.moves_played >= 3)
        await pilot.pause()
        # Applied: the same row, now of round 2 and no longer pending.
        entry = state.dictionaries[0].get(heard)
        assert entry is not None and entry.meaning == meant
        row = row_of(screen, heard)
        assert row is not None and row[0] == meant and row[4] == "round 2"
        game_id = screen.game_id
        await wait_until(pilot, lambda: screen.mode is Mode.FINISHED)
    assert game_id is not None
    # What is stored is the update sent, whole: the one entry kept, none taken back.
    again = stored(config, game_id)
    update = next(a for a in again.moves[2].attempts if a.step == "update")
    assert re.findall(r'"word": "([^"]+)", "meaning": "([^"]+)"', update.raw_output) == [
        (heard, meant)
    ]


async def test_a_paused_turn_drops_the_entries_not_applied(config: DictgameConfig) -> None:
    app = person_plays_a(config, "invented", rounds=3)
    async with app.run_test(size=(80, 24)) as pilot:
        screen, state = game_screen(app)
        await to_the_first_update(pilot, screen, state)
        heard, meant = meant_word(state)
        await add_entry(pilot, screen, heard, meant)
        assert row_of(screen, heard) is not None
        await pilot.press("space")  # pausing cancels the move: nothing of it is applied
        await wait_until(pilot, lambda: screen.mode is Mode.PAUSED)
        await pilot.pause()
        assert row_of(screen, heard) is None and state.dictionaries[0].get(heard) is None


def test_a_pending_update_is_shown_as_it_would_leave_the_dictionary() -> None:
    """New, changed and removed entries are each marked; the one removed is still shown (so
    it can be seen going), the committed dictionaries are left as they were."""
    held = Dictionary()
    for word, meaning in (("agua", "water"), ("uva", "grape"), ("sol", "sun")):
        held.apply(Operation(kind=OperationKind.ADD, foreign=word, meaning=meaning,
                             confidence=0.8), Source.PLAYER, 1)
    partner = Dictionary()
    ops = (
        Operation(kind=OperationKind.ADD, foreign="Pan", meaning="bread", confidence=1.0),
        Operation(kind=OperationKind.ADD, foreign="agua", meaning="drink", confidence=0.9),
        Operation(kind=OperationKind.REVISE, foreign="uva", meaning="grapes", confidence=0.7),
        Operation(kind=OperationKind.REMOVE, foreign="sol"),
        Operation(kind=OperationKind.REMOVE, foreign="luna"),  # not held: nothing to show
    )
    (shown, other), marks = with_pending((held, partner), PendingEntries(0, ops, round=3))
    assert marks == {"pan": "new", "agua": "changed", "uva": "changed", "sol": "removed"}
    assert [(e.foreign, e.meaning, e.added_round) for e in shown] == [
        ("agua", "drink", 1), ("uva", "grapes", 1), ("sol", "sun", 1), ("Pan", "bread", 3)]
    assert other is partner and [e.meaning for e in held] == ["water", "grape", "sun"]
