"""Saves written by dictgame 0.1.0 (before the store knew games of other kinds) open after the
upgrade: every game lists, loads as 0.1.0 read it, keeps its edits, resumes and exports.

The fixture was made by `tests/fixtures/make_saves_0_1_0.py` running on dictgame 0.1.0
(commit 56bba5f); `saves-0.1.0.json` is what that version read back from it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from dictgame.engine.core.episode import GameMaster, play
from dictgame.engine.games.dictionary.dictionary import Source
from dictgame.engine.games.dictionary.export import game_json, game_markdown
from dictgame.engine.scripted import ScriptedBackend
from dictgame.saves import GameStore

FIXTURES = Path(__file__).parent / "fixtures"


def upgraded_copy(tmp_path: Path) -> Path:
    path = tmp_path / "old.db"
    shutil.copy(FIXTURES / "saves-0.1.0.db", path)
    return path


def expected() -> dict[int, dict[str, object]]:
    data = json.loads((FIXTURES / "saves-0.1.0.json").read_text("utf-8"))
    return {int(game_id): game for game_id, game in data.items()}


def test_every_old_game_lists_and_loads_as_the_old_version_read_it(tmp_path: Path) -> None:
    path = upgraded_copy(tmp_path)
    with GameStore.open(path) as store:
        listed = {game.id: game for game in store.list_games()}
        assert set(listed) == set(expected())
        for game_id, old in expected().items():
            state = store.load_game(game_id)
            assert listed[game_id].game == "dictionary"
            assert listed[game_id].status.value == old["status"] == state.status.value
            assert [m.message for m in state.moves] == old["moves"]
            dictionaries = [
                sorted([e.foreign, e.meaning, e.confidence, e.added_by.value] for e in d)
                for d in state.dictionaries
            ]
            assert dictionaries == old["dictionaries"]
            assert len(state.edits) == old["edits"]
    assert listed[2].summary == "Spanish / French"
    assert listed[1].rounds_played == 3


def test_old_games_resume_to_the_end_keeping_their_edits_and_export(tmp_path: Path) -> None:
    path = upgraded_copy(tmp_path)
    backend = ScriptedBackend()
    with GameStore.open(path) as store:
        for game_id in (2, 5):
            state = store.load_game(game_id)
            edits_before = list(state.edits)
            master = GameMaster(state, (backend.session(Path("a")), backend.session(Path("b"))))
            with store.acquire(game_id):
                assert play(master, store.saver(game_id)) == "finished"
            reloaded = store.load_game(game_id)
            assert reloaded.dictionaries == state.dictionaries
            assert reloaded.edits == edits_before
            assert all(e.source is Source.USER for e in reloaded.edits)
            assert reloaded.status.value == "finished"
            exported = json.loads(game_json(game_id, reloaded))
            assert len(exported["edits"]) == len(edits_before)
            assert reloaded.settings.players[0].name in game_markdown(game_id, reloaded)
        summary = {game.id: game for game in store.list_games()}
        assert summary[2].rounds_played == 4 and summary[2].status.value == "finished"


def test_the_upgrade_runs_once_and_leaves_the_old_tables_gone(tmp_path: Path) -> None:
    import sqlite3

    path = upgraded_copy(tmp_path)
    for _ in range(2):
        GameStore.open(path).close()
    with sqlite3.connect(path) as connection:
        tables = {row[0] for row in connection.execute("select name from sqlite_master")}
        assert connection.execute("pragma integrity_check").fetchone() == ("ok",)
    assert {"games", "moves", "edits", "runs", "episodes"} <= tables
    assert not tables & {"messages", "dictionary_operations", "dictionary_entries"}
