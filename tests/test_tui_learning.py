"""A grounded game as a person watches it (issues 21 and 23): the dictionary table stays in
view beside the scene, the curve against its ceiling and each player's learning figures;
the panes read round by round; an invented game is not titled by a real language; a saved
game shows the same figures as `learning_of`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import test_tui_support as support
from test_learning import Planted
from test_learning import settings as planted_settings
from test_tui_support import Gate, wait_until
from textual.widgets import DataTable, Input, Label, TabbedContent

from dictgame.engine.core.episode import GameMaster
from dictgame.engine.core.provenance import SeatPlayer
from dictgame.engine.games.dictionary.dictionary import Operation, OperationKind
from dictgame.engine.games.dictionary.learning import Learning, learning_of
from dictgame.engine.games.dictionary.state import GameState
from dictgame.engine.scripted import ScriptedBackend
from dictgame.saves import GameStore
from dictgame.tui.games.dictionary.curve import LearningCurve
from dictgame.tui.games.dictionary.entry_editor import EntryEditor
from dictgame.tui.games.dictionary.learning import LearningView
from dictgame.tui.screens.app import DictgameApp
from dictgame.tui.screens.game_screen import GameScreen, Mode
from dictgame.tui.services.config import DictgameConfig

config = support.config
release_gates = support.release_gates


def grounded(config: DictgameConfig, mode: str, rounds: int) -> DictgameApp:
    config.games["dictionary"].update(mode=mode, rounds=rounds)
    return DictgameApp(config, new_game=config.game_settings(seed=7), backend=ScriptedBackend())


async def finished(app: DictgameApp, pilot: Any) -> GameScreen:
    await wait_until(pilot, lambda: isinstance(app.screen, GameScreen))
    screen = app.screen
    assert isinstance(screen, GameScreen)
    await wait_until(pilot, lambda: screen.mode is Mode.FINISHED, timeout=60)
    await pilot.pause()
    return screen


def numbers(cell: str) -> list[float]:
    return [float(n) for n in re.findall(r"\d+(?:\.\d+)?", cell)]


def expected_cells(learning: Learning) -> dict[str, tuple[list[float], list[float]]]:
    """What each row of the view must say, read from `learning_of` field by field."""
    def of(pick: Any) -> tuple[list[float], list[float]]:
        return pick(learning.seats[0]), pick(learning.seats[1])

    def share(part: float, whole: int) -> list[float]:
        """The part, the share of the whole in whole percent."""
        return [round(part, 2), round(100 * part / whole)] if whole else [part]

    return {
        "success": of(lambda s: [s.right, s.guesses, *share(s.right, s.guesses)[1:]]),
        "ceiling": of(lambda s: share(s.ceiling, s.guesses)),
        "named": of(lambda s: [s.named_target, s.spoke]),
        "known": of(lambda s: [s.heard_known, s.guesses]),
        "entry_right": of(lambda s: [s.entry_right, s.heard_known]),
        "followed": of(lambda s: [s.followed, s.heard_known]),
        "writes": of(lambda s: [s.writes_right, s.writes_wrong]),
        "removed": of(lambda s: [s.removed_right, s.removed_wrong]),
        "refused": of(lambda s: [s.refused]),
        "refused_steps": of(lambda s: [s.refused_steps, s.update_steps]),
        "kept": of(lambda s: [s.lessons_kept, s.lessons]),
    }


def assert_view_shows(screen: GameScreen, state: GameState) -> None:
    learning = learning_of(state)
    assert learning is not None
    view = screen.query_one(LearningView)
    for key, (a, b) in expected_cells(learning).items():
        shown = view.cells(key)
        assert (numbers(shown[0]), numbers(shown[1])) == (a, b), key


@pytest.mark.parametrize("size, rows", [((80, 24), 5), ((120, 40), 10)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("mode", ["scenes", "invented"])
async def test_the_dictionary_table_stays_in_view(
    config: DictgameConfig, mode: str, size: tuple[int, int], rows: int
) -> None:
    app = grounded(config, mode, rounds=24)
    async with app.run_test(size=size) as pilot:
        screen = await finished(app, pilot)
        table = screen.query_one("#dictionary", DataTable)
        assert table.row_count >= rows  # enough entries to fill what must be seen
        region = table.region
        status = screen.query_one("#status-line").region
        assert region.y >= 0 and region.bottom <= status.y  # above the status line
        # Under the header (and above a scrollbar, if the columns overflow): `rows` rows.
        assert table.scrollable_content_region.height - table.header_height >= rows
        # Beside it, on the same lines: what the switcher shows (the curve at first).
        curve = screen.query_one(LearningCurve).region
        assert curve.x >= region.right and curve.y < region.bottom and curve.height >= 7
        # The status line keeps the dictionary counts.
        line = str(screen.query_one("#status-line").render())
        players = screen.state.settings.players
        assert re.search(rf"{players[0].name} \d+, {players[1].name} \d+ · common \d+", line)


async def test_the_learning_view_follows_each_move(
    config: DictgameConfig, release_gates: list[Gate]
) -> None:
    gate = Gate(stop_at=14)  # in move 5
    release_gates.append(gate)
    config.games["dictionary"].update(mode="invented", rounds=8)
    app = DictgameApp(config, new_game=config.game_settings(seed=7), backend=ScriptedBackend(gate))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, GameScreen)
        side = screen.query_one("#side", TabbedContent)
        assert side.active == "side-curve"
        await pilot.press("s")  # curve -> learning figures
        assert side.active == "side-learning"
        await wait_until(pilot, gate.waiting.is_set)
        await pilot.press("space")
        gate.released.set()
        await wait_until(pilot, lambda: screen.mode is Mode.PAUSED and screen._live.speaker is None)
        played = screen.state.moves_played
        assert 2 < played < 8
        assert_view_shows(screen, screen.state)
        await pilot.press("n")  # one move more
        await wait_until(pilot, lambda: screen.state.moves_played == played + 1
                         and screen.mode is Mode.PAUSED)
        await pilot.pause()
        assert_view_shows(screen, screen.state)
        curve = screen.query_one(LearningCurve)
        learning = learning_of(screen.state)
        assert learning is not None
        ceiling = curve.series["ceiling"]
        assert ceiling[0] == [r.round for r in learning.rounds]
        assert ceiling[1][0] == learning.rounds[0].ceiling
        await pilot.press("s")  # learning -> scene
        assert side.active == "side-scene"


def save_planted_game(config: DictgameConfig) -> GameState:
    """The planted game of test_learning.py (a mistake of each kind, a person's edit), saved
    move by move as the UI saves it."""
    planted = Planted(planted_settings())
    backend = ScriptedBackend(planted.respond)
    master = GameMaster(planted.state, (backend.session(Path("a")), backend.session(Path("b"))))
    with GameStore.open(config.db) as store:
        game_id = store.create_game(planted.state.settings)
        store.saver(game_id, (SeatPlayer(kind="scripted"), SeatPlayer(kind="scripted")))
        while not master.over:
            if planted.state.moves_played == 6:
                edit = planted.state.edit(0, Operation(kind=OperationKind.ADD, foreign="tubu",
                                                       meaning="noris", confidence=0.6))
                store.save_edit(game_id, planted.state, edit)
            store.save_move(game_id, planted.state, master.play_next_move())
        store.set_status(game_id, planted.state.status)
    return planted.state


async def test_a_saved_game_shows_the_same_learning_figures(config: DictgameConfig) -> None:
    played = save_planted_game(config)
    learning = learning_of(played)
    assert learning is not None and any(s.refused for s in learning.seats)
    app = DictgameApp(config, backend=ScriptedBackend())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, GameScreen))
        screen = app.screen
        assert isinstance(screen, GameScreen)
        await wait_until(pilot, lambda: screen.mode is Mode.FINISHED)
        await pilot.press("s")
        await pilot.pause()
        assert learning_of(screen.state) == learning
        assert_view_shows(screen, played)
        reasons = str(screen.query_one("#learning-reasons").render())
        for seat in learning.seats:
            name = played.settings.players[seat.seat].name
            for why, count in seat.refused_reasons.items():
                assert f"{name} refused ×{count}: {why}" in reasons


def pane_text(screen: GameScreen, seat: int) -> str:
    return "\n".join(str(bubble.render()) for bubble in screen.panes[seat].bubbles)


async def test_the_panes_follow_the_rounds(config: DictgameConfig) -> None:
    app = grounded(config, "scenes", rounds=6)
    async with app.run_test(size=(140, 60)) as pilot:
        screen = await finished(app, pilot)
        records = screen.state.records
        for seat in (0, 1):
            text = pane_text(screen, seat)
            rounds = [int(n) for n in re.findall(r"round (\d+)", text)]
            # Every round, in order, none skipped.
            assert rounds == sorted(rounds) and sorted(set(rounds)) == list(range(1, 7))
            assert not re.search(r"said\s*$", text, re.M)
        for record in records[1:]:  # each decided round, in its listener's pane
            own = str(screen.panes[record.seat].bubbles[record.move_index].render())
            assert own.startswith(f"{screen.state.settings.players[record.seat].name}  round {record.round}")
            verdict = "right" if record.guessed_right else "wrong"
            assert f'heard "{record.incoming}" · guessed ' in own and verdict in own
            if record.message:
                assert f"round {record.round + 1} · said {record.message}" in own
            heard = str(screen.panes[1 - record.seat].bubbles[record.move_index].render())
            assert f'took your "{record.incoming}" for ' in heard or "guessed nothing" in heard


async def test_an_invented_game_is_not_titled_by_a_real_language(config: DictgameConfig) -> None:
    app = grounded(config, "invented", rounds=4)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await finished(app, pilot)
        players = screen.state.settings.players
        for pane, player in zip(screen.panes, players):
            title = str(pane.border_title)
            assert title.startswith(player.name) and "invented language" in title
            assert player.language not in title
        table = screen.query_one("#dictionary", DataTable)
        assert [str(c.label) for c in table.columns.values()][:2] == [p.name for p in players]
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, EntryEditor))
        editor = app.screen
        foreign = str(editor.query_one("#foreign-label", Label).render())
        meaning = str(editor.query_one("#meaning-label", Label).render())
        assert foreign == f"Word in {players[1].name}'s language"
        assert meaning == f"Meaning in {players[0].name}'s language"
        assert editor.query_one("#foreign", Input).has_focus


def test_every_learning_figure_is_explained_in_the_help() -> None:
    from dictgame.tui.games.dictionary.learning import FIGURES

    help_text = (Path(__file__).parents[1] / "tui" / "screens" / "help_screen.md").read_text()
    figures = help_text.split("## What the figures mean")[1]
    for _, label, _ in FIGURES:
        assert label.strip() in figures, label
