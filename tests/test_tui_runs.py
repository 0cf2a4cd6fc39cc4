"""The runs screen, driven as a person would: every run `dictgame run` stored, its figures, and
fine-tuning the embedded model on a Deal or No Deal run from there (a real fine-tune of a
step or two, on the scripted players' games), cancelled or not."""

from __future__ import annotations

import json
import sqlite3

import pytest
import test_tui_support as support
from test_cli import SCRIPTED, dictgame
from test_tui_support import wait_until
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, ProgressBar, Static

from dictgame.engine.scripted import ScriptedBackend
from dictgame.saves import GameStore
from dictgame.saves.runs import create_run
from dictgame.tui.screens.app import DictgameApp
from dictgame.tui.screens.finetune_form import FinetuneForm
from dictgame.tui.screens.home_screen import HomeScreen
from dictgame.tui.screens.runs_screen import RunsScreen
from dictgame.tui.services.config import DictgameConfig

config = support.config
SIZE = (120, 40)


def played_run(config: DictgameConfig, game: str, experiment: str) -> None:
    """A run of `game` played to the end by `dictgame run` on the scripted players."""
    result = dictgame("run", "--game", game, "--experiment", experiment, "--db", str(config.db), env=SCRIPTED)
    assert result.returncode == 0, result.stderr


@pytest.fixture
def tuning_config(config: DictgameConfig) -> DictgameConfig:
    """Two training threads, as test_finetune's `--threads 2`."""
    return config.model_copy(update={"runtime": config.runtime.model_copy(update={"threads": 2})})


def text(screen: RunsScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).content)


async def open_runs(pilot: Pilot[None]) -> RunsScreen:
    await pilot.press("r")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, RunsScreen))
    return pilot.app.screen  # type: ignore[return-value]


async def choose_run(pilot: Pilot[None], screen: RunsScreen, run_id: int) -> None:
    """The arrow keys, up or down, until the cursor is on the run."""
    table = screen.query_one("#run-table", DataTable)
    target = table.get_row_index(str(run_id))
    while table.cursor_row != target:
        await pilot.press("down" if table.cursor_row < target else "up")
    await pilot.pause()
    assert screen.selected_run is not None and screen.selected_run.id == run_id


async def start_finetune(pilot: Pilot[None], steps: str) -> FinetuneForm:
    await pilot.press("f")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, FinetuneForm))
    form = pilot.app.screen
    assert isinstance(form, FinetuneForm)
    await pilot.click("#steps")
    await pilot.press("end", "ctrl+u", *steps)  # clear the field, type the steps
    assert form.query_one("#steps", Input).value == steps
    await pilot.press("ctrl+s")
    return form


def folder_names(config: DictgameConfig) -> list[str]:
    folder = config.db.parent / "finetuned"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


async def test_runs_screen_lists_every_run_with_its_figures_and_escape_goes_back(config: DictgameConfig) -> None:
    played_run(config, "dealnodeal", "coop")
    played_run(config, "hellogame", "en")
    app = DictgameApp(config, backend=ScriptedBackend())
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_runs(pilot)
        table = screen.query_one("#run-table", DataTable)
        rows = [[str(cell) for cell in table.get_row_at(n)] for n in range(table.row_count)]
        assert [row[:2] for row in rows] == [["2", "Hello Game"], ["1", "Deal or No Deal"]]
        assert rows[1][2] == "coop · scripted" and rows[0][2] == "en · scripted"
        for row in rows:  # every episode played: "5 of 5"
            done, _, episodes = row[3].split()
            assert done == episodes and int(done) > 0
        assert all(row[5] == "-" for row in rows)
        # The figures of `dictgame eval`, for the run under the cursor.
        assert text(screen, "#run-figures").startswith("Run 2: ") and "main score" in text(screen, "#run-figures")
        await choose_run(pilot, screen, 1)
        figures = text(screen, "#run-figures")
        assert figures.startswith("Run 1: ") and "% played" in figures and "clemscore" in figures
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))


async def test_a_damaged_run_is_listed_as_damaged_and_the_others_still_show(config: DictgameConfig) -> None:
    played_run(config, "hellogame", "en")
    played_run(config, "firstlast", "animals")
    with sqlite3.connect(config.db) as connection:  # run 1's arguments edited by hand, or worse
        connection.execute("update runs set arguments_json = '{broken' where id = 1")
        connection.execute("update moves set record_json = '{broken' where game_id = "
                           "(select min(game_id) from episodes where run_id = 2)")
    app = DictgameApp(config, backend=ScriptedBackend())
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_runs(pilot)
        table = screen.query_one("#run-table", DataTable)
        rows = {str(table.get_row_at(n)[0]): [str(c) for c in table.get_row_at(n)]
                for n in range(table.row_count)}
        assert rows["1"][2] == "damaged: its arguments cannot be read"
        assert rows["2"][2] == "animals · scripted"
        # Run 2's figures cannot be computed (one of its games is damaged): said in one line.
        assert text(screen, "#run-figures").startswith("Run 2: Saved game ")
        await choose_run(pilot, screen, 1)
        assert "Run 1 is damaged" in text(screen, "#run-figures")


async def test_a_run_with_nothing_the_filter_keeps_says_so_in_one_line(config: DictgameConfig) -> None:
    with GameStore.open(config.db) as store:
        create_run(store, "hellogame", {"game": "hellogame"}, [("en", {"game_id": 0})])
        create_run(store, "dealnodeal", {"game": "dealnodeal"}, [("coop", {"game_id": 0})])
    app = DictgameApp(config, backend=ScriptedBackend())
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_runs(pilot)
        await choose_run(pilot, screen, 2)
        form = await start_finetune(pilot, "1")
        await pilot.pause()
        assert app.screen is form
        error = str(form.query_one("#tuning-error", Static).content)
        assert error.startswith("The above_avg filter keeps no transcript of run 2 (0 games played)")
        assert "\n" not in error
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen)
    assert folder_names(config) == []


@pytest.mark.finetune
async def test_fine_tune_a_run_from_the_runs_screen(tuning_config: DictgameConfig) -> None:
    pytest.importorskip("peft", reason="needs the extra dictgame[finetune]")
    from dictgame.engine.players.llama import LlamaBackend
    from dictgame.engine.tuning.gguf_out import finetune_record

    played_run(tuning_config, "dealnodeal", "coop")
    app = DictgameApp(tuning_config, backend=ScriptedBackend())
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_runs(pilot)
        form = await start_finetune(pilot, "1")
        await wait_until(pilot, lambda: app.screen is screen)
        assert form.is_attached is False and screen.training is not None
        await pilot.press("escape")  # refused while training
        await pilot.pause()
        assert app.screen is screen
        # Progress while it trains: the step, its loss, and the bar.
        await wait_until(pilot, lambda: "step 1/1  loss " in text(screen, "#training-status"), timeout=900)
        assert screen.query_one("#training-bar", ProgressBar).percentage == 1.0
        await wait_until(pilot, lambda: screen.training is None, timeout=300)
        assert text(screen, "#run-error") == ""
        row = [str(cell) for cell in screen.query_one("#run-table", DataTable).get_row_at(0)]
        assert row[5] == "run-1-above_avg.gguf"
    out = tuning_config.db.parent / "finetuned" / "run-1-above_avg.gguf"
    assert folder_names(tuning_config) == ["run-1-above_avg.gguf", "run-1-above_avg.jsonl"]
    data = out.with_suffix(".jsonl")
    examples = [json.loads(line) for line in data.read_text("utf-8").splitlines()]
    record = finetune_record(out)
    assert record["selfplay_run"] == 1 and record["game"] == "dealnodeal" and record["filter"] == "above_avg"
    assert record["data"] == str(data.resolve()) and record["steps"] == 1 and record["examples"] == len(examples)
    backend = LlamaBackend(n_ctx=512, n_threads=1)
    try:
        assert backend.model(out).path == out.resolve()
    finally:
        backend.close()


@pytest.mark.finetune
async def test_cancel_stops_training_and_nothing_is_written(tuning_config: DictgameConfig) -> None:
    pytest.importorskip("peft", reason="needs the extra dictgame[finetune]")
    played_run(tuning_config, "dealnodeal", "coop")
    app = DictgameApp(tuning_config, backend=ScriptedBackend())
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_runs(pilot)
        await start_finetune(pilot, "20")
        await wait_until(pilot, lambda: "step 1/20" in text(screen, "#training-status"), timeout=900)
        await pilot.press("c")
        assert text(screen, "#training-status").startswith("Cancelling")
        await wait_until(pilot, lambda: screen.training is None, timeout=300)
        assert text(screen, "#run-error") == ""
        assert str(screen.query_one("#run-table", DataTable).get_row_at(0)[5]) == "-"
    assert folder_names(tuning_config) == []
