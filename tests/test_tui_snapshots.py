"""SVG snapshots of each screen (pytest-textual-snapshot); `pytest --snapshot-update` renews them.

Everything time-dependent is frozen: the scripted players, a fixed seed, a gate that stops
the game at a known request, no row highlights, a fixed "last played" time and speed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
import test_tui_support as support
from test_tui_person import turn_of_person
from test_tui_person_grounded import add_entry, meant_word, name_the_target, person_plays_a
from test_tui_support import Gate, wait_until
from textual.pilot import Pilot
from textual.widgets import Input, Static

from dictgame.engine.core.episode import GameMaster
from dictgame.engine.core.provenance import SeatPlayer
from dictgame.engine.games.dictionary.settings import GameSettings, PlayerSettings
from dictgame.engine.games.dictionary.state import GameState
from dictgame.engine.scripted import ScriptedBackend
from dictgame.saves import GameStore
from dictgame.tui.games.dictionary import table as dictionary_table
from dictgame.tui.games.dictionary.table import DictionaryTable
from dictgame.tui.screens.app import DictgameApp
from dictgame.tui.screens.game_screen import GameScreen
from dictgame.tui.services import game_summary, live_move
from dictgame.tui.services.config import DictgameConfig
from dictgame.tui.services.game_modes import Mode

# The shared fixtures (the scripted config, gate cleanup); conftest.py isolates data paths.
config = support.config
release_gates = support.release_gates

SnapCompare = Callable[..., bool]


@pytest.fixture(autouse=True)
def frozen_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(game_summary, "last_played", lambda value: "2025-06-01 12:00")
    monkeypatch.setattr(dictionary_table, "HIGHLIGHT_SECONDS", 0.0)
    # Scripted players write as fast as a loop runs: show a model's speed instead.
    monkeypatch.setattr(
        live_move.LiveMove, "tokens_per_second", property(lambda live: 12.5 if live.pieces > 1 else None)
    )


def played_games(config: DictgameConfig) -> None:
    """Two saved games: one finished, one stopped after three moves."""
    backend = ScriptedBackend()
    with GameStore.open(config.db) as store:
        for seed, moves, languages in (
            (3, 6, ("English", "Spanish")),
            (5, 3, ("French", "English")),
        ):
            players = (
                PlayerSettings(name="Alice", language=languages[0]),
                PlayerSettings(
                    name="Bruno", language=languages[1], model="/models/qwen2.5-0.5b-q4_k_m.gguf"
                ),
            )
            settings = GameSettings(players=players, rounds=3, seed=seed)
            game_id = store.create_game(settings)
            # Who played: the scripted backend (whatever model Bruno's settings name).
            store.saver(game_id, (SeatPlayer(kind="scripted"), SeatPlayer(kind="scripted")))
            state = GameState(settings)
            master = GameMaster(state, (backend.session(Path("a")), backend.session(Path("b"))))
            for _ in range(moves):
                store.save_move(game_id, state, master.play_next_move())
            store.set_status(game_id, state.status)


def paused_game(
    config: DictgameConfig, gate: Gate
) -> tuple[DictgameApp, Callable[[Pilot[None]], Awaitable[None]]]:
    """A new game paused in its fourth move, and how to get it there."""
    app = DictgameApp(config, new_game=config.game_settings(seed=7), backend=ScriptedBackend(gate))

    async def pause_at_gate(pilot: Pilot[None]) -> None:
        screen = app.screen
        assert isinstance(screen, GameScreen)
        await wait_until(pilot, gate.waiting.is_set)
        await pilot.press("space")
        gate.released.set()
        await wait_until(pilot, lambda: screen.mode is Mode.PAUSED and screen._live.speaker is None)
        # Which row the cursor follows depends on when the first entries arrived: pin it.
        table = screen.query_one(DictionaryTable).table
        table.focus()
        table.move_cursor(row=1, animate=False)
        await pilot.pause()

    return app, pause_at_gate


def test_home_first_run(snap_compare: SnapCompare, config: DictgameConfig) -> None:
    assert snap_compare(DictgameApp(config, backend=ScriptedBackend()), terminal_size=(120, 40))


def test_home_with_saved_games(snap_compare: SnapCompare, config: DictgameConfig) -> None:
    played_games(config)
    assert snap_compare(DictgameApp(config, backend=ScriptedBackend()), terminal_size=(120, 40))


def test_new_game_form(snap_compare: SnapCompare, config: DictgameConfig) -> None:
    app = DictgameApp(config, backend=ScriptedBackend())
    assert snap_compare(app, press=["n"], terminal_size=(120, 40))


def test_new_game_form_errors(snap_compare: SnapCompare, config: DictgameConfig) -> None:
    app = DictgameApp(config, backend=ScriptedBackend())

    async def fill_in_wrong_values(pilot: Pilot[None]) -> None:
        await pilot.press("n")
        await pilot.click("#rounds")
        await pilot.press("end", "ctrl+u", "0")
        await pilot.click("#lang-a")
        await pilot.press("end", "ctrl+u", "ctrl+s")
        # Wait for both error lines, the empty field focused, and its cursor held still: its
        # blink made the shot differ from the stored one on a loaded machine (the fast set
        # with -n 2), the same screen with the cursor drawn or not.
        errors = [app.screen.query_one(f"#{field}-error", Static) for field in ("rounds", "lang-a")]
        language = app.screen.query_one("#lang-a", Input)
        await wait_until(pilot, lambda: all(e.display for e in errors) and language.has_focus)
        language.cursor_blink = False
        await pilot.pause()

    assert snap_compare(app, run_before=fill_in_wrong_values, terminal_size=(120, 40))


def test_game_paused_with_entries(
    snap_compare: SnapCompare, config: DictgameConfig, release_gates: list[Gate]
) -> None:
    gate = Gate(stop_at=8)
    release_gates.append(gate)
    app, pause_at_gate = paused_game(config, gate)
    assert snap_compare(app, run_before=pause_at_gate, terminal_size=(120, 40))


def test_game_paused_small_terminal(
    snap_compare: SnapCompare, config: DictgameConfig, release_gates: list[Gate]
) -> None:
    gate = Gate(stop_at=8)
    release_gates.append(gate)
    app, pause_at_gate = paused_game(config, gate)
    assert snap_compare(app, run_before=pause_at_gate, terminal_size=(80, 24))


def test_edit_entry_modal(
    snap_compare: SnapCompare, config: DictgameConfig, release_gates: list[Gate]
) -> None:
    gate = Gate(stop_at=8)
    release_gates.append(gate)
    app, pause_at_gate = paused_game(config, gate)

    async def open_editor(pilot: Pilot[None]) -> None:
        await pause_at_gate(pilot)
        await pilot.press("e")
        await pilot.pause()

    assert snap_compare(app, run_before=open_editor, terminal_size=(120, 40))


# -- every screen and dialog at 80x24 (issue 15, trap 3), and each pane a player's own view --

SMALL = (80, 24)


def test_home_first_run_small_terminal(snap_compare: SnapCompare, config: DictgameConfig) -> None:
    assert snap_compare(DictgameApp(config, backend=ScriptedBackend()), terminal_size=SMALL)


def test_home_with_saved_games_small_terminal(
    snap_compare: SnapCompare, config: DictgameConfig
) -> None:
    played_games(config)
    assert snap_compare(DictgameApp(config, backend=ScriptedBackend()), terminal_size=SMALL)


def test_delete_question_small_terminal(snap_compare: SnapCompare, config: DictgameConfig) -> None:
    played_games(config)
    app = DictgameApp(config, backend=ScriptedBackend())
    assert snap_compare(app, press=["delete"], terminal_size=SMALL)


def test_export_dialog_small_terminal(snap_compare: SnapCompare, config: DictgameConfig) -> None:
    played_games(config)
    app = DictgameApp(config, backend=ScriptedBackend())

    async def open_export(pilot: Pilot[None]) -> None:
        await pilot.press("x")
        # The folder is this test's temporary one: show a fixed one.
        app.screen.query_one("#folder", Input).value = "/home/ada/games"
        await pilot.press("end")

    assert snap_compare(app, run_before=open_export, terminal_size=SMALL)


def test_new_game_form_small_terminal(snap_compare: SnapCompare, config: DictgameConfig) -> None:
    app = DictgameApp(config, backend=ScriptedBackend())

    async def open_form(pilot: Pilot[None]) -> None:
        await pilot.press("n")
        # The focused field's cursor held still: its blink drew it in one shot and not in
        # another (the fast set beside two model processes).
        await wait_until(pilot, lambda: isinstance(app.focused, Input))
        focused = app.focused
        assert isinstance(focused, Input)
        focused.cursor_blink = False
        await pilot.pause()

    assert snap_compare(app, run_before=open_form, terminal_size=SMALL)


def test_new_game_form_errors_small_terminal(
    snap_compare: SnapCompare, config: DictgameConfig
) -> None:
    app = DictgameApp(config, backend=ScriptedBackend())

    async def fill_in_wrong_values(pilot: Pilot[None]) -> None:
        await pilot.press("n")
        app.screen.query_one("#rounds", Input).value = "0"
        await pilot.press("ctrl+s")
        # Wait for the error line and the wrong field focused, its text selected: on a loaded
        # machine (the fast set beside a model process) the shot once differed from the
        # stored one. Then the cursor held still: its blink drew it in one shot and not in
        # another (two model processes beside the test).
        error = app.screen.query_one("#rounds-error", Static)
        rounds = app.screen.query_one("#rounds", Input)
        await wait_until(pilot, lambda: bool(error.display) and rounds.has_focus
                         and rounds.selected_text == "0")
        rounds.cursor_blink = False
        await pilot.pause()

    assert snap_compare(app, run_before=fill_in_wrong_values, terminal_size=SMALL)


def test_help_small_terminal(snap_compare: SnapCompare, config: DictgameConfig) -> None:
    app = DictgameApp(config, backend=ScriptedBackend())
    assert snap_compare(app, press=["f1"], terminal_size=SMALL)


def test_edit_entry_modal_small_terminal(
    snap_compare: SnapCompare, config: DictgameConfig, release_gates: list[Gate]
) -> None:
    gate = Gate(stop_at=8)
    release_gates.append(gate)
    app, pause_at_gate = paused_game(config, gate)

    async def open_editor(pilot: Pilot[None]) -> None:
        await pause_at_gate(pilot)
        await pilot.press("e")
        await pilot.pause()

    assert snap_compare(app, run_before=open_editor, terminal_size=SMALL)


def test_add_of_a_word_already_held_small_terminal(
    snap_compare: SnapCompare, config: DictgameConfig, release_gates: list[Gate]
) -> None:
    gate = Gate(stop_at=8)
    release_gates.append(gate)
    app, pause_at_gate = paused_game(config, gate)

    async def add_gato(pilot: Pilot[None]) -> None:
        await pause_at_gate(pilot)
        await pilot.press("a", *"gato", "tab", *"kitten", "enter")
        await pilot.pause()

    assert snap_compare(app, run_before=add_gato, terminal_size=SMALL)


def test_remove_question_small_terminal(
    snap_compare: SnapCompare, config: DictgameConfig, release_gates: list[Gate]
) -> None:
    gate = Gate(stop_at=8)
    release_gates.append(gate)
    app, pause_at_gate = paused_game(config, gate)

    async def remove(pilot: Pilot[None]) -> None:
        await pause_at_gate(pilot)
        await pilot.press("delete")
        await pilot.pause()

    assert snap_compare(app, run_before=remove, terminal_size=SMALL)


def writing_an_update(
    config: DictgameConfig, release_gates: list[Gate]
) -> tuple[DictgameApp, Callable[[Pilot[None]], Awaitable[None]]]:
    """A game caught while Bruno writes his dictionary update in move 4 (request 6)."""
    half = support.HalfWritten(stop_at=6, words=9)
    release_gates.append(half.gate)
    app = DictgameApp(config, new_game=config.game_settings(seed=7), backend=half.backend())

    async def caught_writing(pilot: Pilot[None]) -> None:
        screen = app.screen
        assert isinstance(screen, GameScreen)
        await wait_until(pilot, half.gate.waiting.is_set)
        await wait_until(pilot, lambda: "updates its dictionary" in screen.panes[1].stream_text)
        # Which row the cursor follows depends on when the first entries arrived: pin it.
        screen.query_one(DictionaryTable).table.move_cursor(row=0, animate=False)
        await pilot.pause()

    return app, caught_writing


@pytest.mark.parametrize("size", [(120, 40), SMALL], ids=["120x40", "80x24"])
def test_each_pane_is_its_players_own_view_while_one_writes(
    snap_compare: SnapCompare, config: DictgameConfig, release_gates: list[Gate],
    size: tuple[int, int],
) -> None:
    app, caught_writing = writing_an_update(config, release_gates)
    assert snap_compare(app, run_before=caught_writing, terminal_size=size)


@pytest.mark.parametrize("size", [(120, 40), SMALL], ids=["120x40", "80x24"])
def test_raw_prompt_and_output_of_the_chosen_move(
    snap_compare: SnapCompare, config: DictgameConfig, release_gates: list[Gate],
    size: tuple[int, int],
) -> None:
    gate = Gate(stop_at=8)
    release_gates.append(gate)
    app, pause_at_gate = paused_game(config, gate)

    async def show_raw(pilot: Pilot[None]) -> None:
        await pause_at_gate(pilot)
        pane = app.screen.query_one("#pane-b")
        pane.focus()
        await pilot.press("up", "r")
        await pilot.pause()

    assert snap_compare(app, run_before=show_raw, terminal_size=size)


# -- grounded games (issue 23, trap 3): the dictionary table in view beside the curve --------


def paused_grounded_game(
    config: DictgameConfig, release_gates: list[Gate], mode: str
) -> tuple[DictgameApp, Callable[[Pilot[None]], Awaitable[None]]]:
    """A grounded game of 20 rounds paused in move 14 (three requests a move), its table
    scrolled to the top (where the cursor's row scrolls it depends on timing)."""
    config.games["dictionary"].update(mode=mode, rounds=20)
    gate = Gate(stop_at=3 * 14)
    release_gates.append(gate)
    app, pause_at_gate = paused_game(config, gate)

    async def paused(pilot: Pilot[None]) -> None:
        await pause_at_gate(pilot)
        app.screen.query_one(DictionaryTable).table.scroll_home(animate=False)
        await pilot.pause()

    return app, paused


@pytest.mark.parametrize("size", [(120, 40), SMALL], ids=["120x40", "80x24"])
@pytest.mark.parametrize("mode", ["scenes", "invented"])
def test_grounded_game_paused(
    snap_compare: SnapCompare, config: DictgameConfig, release_gates: list[Gate],
    mode: str, size: tuple[int, int],
) -> None:
    app, paused = paused_grounded_game(config, release_gates, mode)
    assert snap_compare(app, run_before=paused, terminal_size=size)


def test_grounded_learning_figures_small_terminal(
    snap_compare: SnapCompare, config: DictgameConfig, release_gates: list[Gate]
) -> None:
    app, paused = paused_grounded_game(config, release_gates, "invented")

    async def show_figures(pilot: Pilot[None]) -> None:
        await paused(pilot)
        await pilot.press("s")
        await pilot.pause()

    assert snap_compare(app, run_before=show_figures, terminal_size=SMALL)


# -- a person in a grounded game (issue 23, traps 3 and 10): the table in view while asked,
# the entry they are adding shown in it, marked pending ------------------------------------


@pytest.mark.parametrize("size", [(120, 40), SMALL], ids=["120x40", "80x24"])
@pytest.mark.parametrize("mode", ["scenes", "invented"])
def test_grounded_person_adding_an_entry(
    snap_compare: SnapCompare, config: DictgameConfig, mode: str, size: tuple[int, int]
) -> None:
    app = person_plays_a(config, mode, rounds=6)

    async def adding(pilot: Pilot[None]) -> None:
        """The person names, guesses and learns the meant word for two rounds; in move 4
        they have added an entry and not sent it yet."""
        screen = app.screen
        assert isinstance(screen, GameScreen) and isinstance(screen.state, GameState)
        await turn_of_person(pilot, screen, "describe")
        await name_the_target(pilot, screen.state)
        for move in (2, 4):
            await turn_of_person(pilot, screen, "choose")
            await pilot.press("1", "enter")
            await turn_of_person(pilot, screen, "update")
            await add_entry(pilot, screen, *meant_word(screen.state))
            if move == 4:
                break
            await pilot.press("ctrl+s")
            await turn_of_person(pilot, screen, "describe")
            await name_the_target(pilot, screen.state)
        # The entry reaches the table as a message, and the table repaints once more when
        # its highlight ends (at once here): wait for both.
        await pilot.pause(0.2)
        table = screen.query_one(DictionaryTable).table
        table.move_cursor(row=0, animate=False)
        table.scroll_home(animate=False)
        await settled(pilot, app)

    assert snap_compare(app, run_before=adding, terminal_size=size)


async def settled(pilot: Pilot[None], app: DictgameApp) -> None:
    """Wait until five screenshots a quarter second apart are the same: a busy machine can
    catch the table or the curve between a repaint and the sizing that follows it (CI saw the
    curve's labels one column off once, and two shots 0.1 s apart agreed once on a table
    column one wider than it settled at). Gives up quietly after about fifteen seconds."""
    shots: list[str] = []
    for _ in range(60):
        await pilot.pause(0.25)
        shots = [*shots[-4:], app.export_screenshot()]
        if len(shots) == 5 and len(set(shots)) == 1:
            return
