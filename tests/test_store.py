"""The save file: games survive a restart, refused files stay untouched, one writer per game."""

from __future__ import annotations

import json
import os
import random
import socket
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from unprivileged import without_privileges

from dictgame.engine.core.episode import GameMaster
from dictgame.engine.games.dictionary.dictionary import Operation, OperationKind, Source
from dictgame.engine.games.dictionary.events import GameEvent, MoveStarted
from dictgame.engine.games.dictionary.records import MoveRecord
from dictgame.engine.games.dictionary.settings import GameSettings
from dictgame.engine.games.dictionary.state import GameState, GameStatus
from dictgame.engine.scripted import ScriptedBackend
from dictgame.saves import GameInUse, GameNotFound, GameStore, SaveFileError
from dictgame.saves.errors import DamagedGame
from dictgame.saves.migrations import migrations

GAME_TABLES = ("players", "moves", "edits", "events", "game_leases")


def settings(seed: int = 7, rounds: int = 4) -> GameSettings:
    return GameSettings(rounds=rounds, seed=seed)


def game_master(state: GameState) -> GameMaster:
    backend = ScriptedBackend()
    return GameMaster(state, (backend.session(Path("a")), backend.session(Path("b"))))


def play(store: GameStore, game_id: int, state: GameState, moves: int | None = None) -> GameState:
    """Play on (all the way, or `moves` moves), saving after every move as the TUI does."""
    master = game_master(state)
    played = 0
    while state.status is GameStatus.PLAYING and (moves is None or played < moves):
        store.save_move(game_id, state, master.play_next_move())
        played += 1
    return state


def new_game(store: GameStore, game_settings: GameSettings) -> tuple[int, GameState]:
    return store.create_game(game_settings), GameState(game_settings)


def played_moves(records: list[MoveRecord]) -> list[dict[str, Any]]:
    """Moves without their wall-clock times, which no two runs share."""
    return [
        record.model_dump(
            exclude={"started_at": True, "finished_at": True, "attempts": {"__all__": {"seconds"}}}
        )
        for record in records
    ]


def assert_same_game(loaded: GameState, original: GameState) -> None:
    assert loaded.settings == original.settings
    assert loaded.moves == original.moves
    assert loaded.messages == original.messages
    assert loaded.history == original.history
    assert loaded.dictionaries == original.dictionaries
    assert loaded.status is original.status


@contextmanager
def database(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain connection, closed on leaving: Python 3.11 frees an unclosed one only at GC."""
    connection = sqlite3.connect(path)
    try:
        with connection:
            yield connection
    finally:
        connection.close()


def count_rows(path: Path, table: str, game_id: int) -> int:
    with database(path) as connection:
        return connection.execute(
            f"select count(*) from {table} where game_id = ?", [game_id]
        ).fetchone()[0]


def file_bytes(path: Path) -> dict[str, bytes]:
    """The file and any SQLite side files, to prove a refused file was not touched."""
    return {
        side.name: side.read_bytes()
        for side in path.parent.iterdir()
        if side.name.startswith(path.name)
    }


def test_a_finished_game_loads_back_equal_from_a_reopened_file(tmp_path: Path) -> None:
    path = tmp_path / "saves" / "games.db"
    with GameStore.open(path) as store:
        game_id, state = new_game(store, settings())
        play(store, game_id, state)
    assert state.status is GameStatus.FINISHED

    with GameStore.open(path) as store:
        loaded = store.load_game(game_id)
    assert_same_game(loaded, state)
    with database(path) as connection:
        assert connection.execute("pragma integrity_check").fetchone() == ("ok",)
        assert connection.execute("pragma foreign_key_check").fetchall() == []
        moves = connection.execute(
            "select move_index, record_json from moves where game_id = ? order by move_index",
            [game_id],
        ).fetchall()
    assert [(i, json.loads(r)["message"]) for i, r in moves] == [
        (m.move_index, m.text) for m in state.messages
    ]


def test_an_interrupted_game_continues_to_the_same_end(tmp_path: Path) -> None:
    path = tmp_path / "games.db"
    with GameStore.open(path) as store:
        game_id, state = new_game(store, settings())
        play(store, game_id, state, moves=3)
    with GameStore.open(path) as store:
        resumed = store.load_game(game_id)
        assert resumed.moves_played == 3
        play(store, game_id, resumed)
        reloaded = store.load_game(game_id)

    uninterrupted = GameState(settings())
    master = game_master(uninterrupted)
    while uninterrupted.status is GameStatus.PLAYING:
        master.play_next_move()

    assert resumed.moves_played == uninterrupted.moves_played == 8
    assert played_moves(resumed.moves) == played_moves(uninterrupted.moves)
    assert resumed.history == uninterrupted.history
    assert resumed.dictionaries == uninterrupted.dictionaries
    assert_same_game(reloaded, resumed)


def test_a_user_edit_is_restored_between_the_moves_it_came_between(tmp_path: Path) -> None:
    path = tmp_path / "games.db"
    with GameStore.open(path) as store:
        game_id, state = new_game(store, settings())
        play(store, game_id, state, moves=2)
        edit = state.edit(1, Operation(kind=OperationKind.ADD, foreign="hello", meaning="hola"))
        store.save_edit(game_id, state, edit)
        play(store, game_id, state)

    with GameStore.open(path) as store:
        loaded = store.load_game(game_id)
    assert_same_game(loaded, state)
    position = loaded.history.index(edit)
    assert loaded.history[position].source is Source.USER
    assert loaded.history[position].after_move == 2
    # After the first two moves' operations, before those of the third move.
    assert all(a.after_move < 2 for a in loaded.history[:position])
    assert all(a.after_move >= 2 for a in loaded.history[position + 1 :])
    third_move = loaded.moves[2].applied
    assert third_move
    assert loaded.history[position + 1 : position + 1 + len(third_move)] == list(third_move)


def test_edits_saved_before_the_move_they_follow_still_replay_in_play_order(
    tmp_path: Path,
) -> None:
    """The UI thread may save an edit while the worker has yet to save the move before it."""
    path = tmp_path / "games.db"
    with GameStore.open(path) as store:
        game_id, state = new_game(store, settings())
        play(store, game_id, state, moves=2)
        master = game_master(state)

        def edit_while_move_is_played(event: GameEvent) -> None:
            if isinstance(event, MoveStarted):
                during = state.edit(1, Operation(kind=OperationKind.REMOVE, foreign="hello"))
                store.save_edit(game_id, state, during)

        before = state.edit(1, Operation(kind=OperationKind.ADD, foreign="hello", meaning="x"))
        store.save_edit(game_id, state, before)
        record = master.play_next_move(on_event=edit_while_move_is_played)
        after = state.edit(1, Operation(kind=OperationKind.ADD, foreign="sol", meaning="sun"))
        store.save_edit(game_id, state, after)
        store.save_move(game_id, state, record)
        play(store, game_id, state)
        loaded = store.load_game(game_id)
    assert_same_game(loaded, state)


def test_saving_a_move_twice_fails_and_keeps_one_copy(tmp_path: Path) -> None:
    path = tmp_path / "games.db"
    with GameStore.open(path) as store:
        game_id, state = new_game(store, settings())
        play(store, game_id, state, moves=2)
        rows = {table: count_rows(path, table, game_id) for table in GAME_TABLES}
        with pytest.raises(sqlite3.IntegrityError):
            store.save_move(game_id, state, state.moves[-1])
        assert {table: count_rows(path, table, game_id) for table in GAME_TABLES} == rows
        assert store.load_game(game_id).moves == state.moves


def test_a_move_not_applied_to_the_state_is_not_saved(tmp_path: Path) -> None:
    with GameStore.open(tmp_path / "games.db") as store:
        game_id, state = new_game(store, settings())
        record = game_master(GameState(settings())).play_next_move()
        with pytest.raises(ValueError, match="not applied"):
            store.save_move(game_id, state, record)


def test_list_games_shows_the_last_played_first_with_rounds_played(tmp_path: Path) -> None:
    with GameStore.open(tmp_path / "games.db") as store:
        first_id, first = new_game(store, settings(seed=1))
        second_id, second = new_game(store, settings(seed=2, rounds=3))
        play(store, first_id, first, moves=5)
        assert [g.id for g in store.list_games()] == [first_id, second_id]
        play(store, second_id, second)
        games = store.list_games()

    assert [g.id for g in games] == [second_id, first_id]
    latest, earlier = games
    assert (latest.rounds_played, latest.rounds, latest.status) == (3, 3, GameStatus.FINISHED)
    assert (earlier.rounds_played, earlier.moves_played, earlier.status) == (
        2,
        5,
        GameStatus.PLAYING,
    )
    assert earlier.player_names == ("Alice", "Bruno")
    assert earlier.languages == ("English", "Spanish")
    assert earlier.models == (None, None)
    assert earlier.created <= earlier.updated


def test_status_is_stored_and_an_aborted_game_stays_aborted(tmp_path: Path) -> None:
    path = tmp_path / "games.db"
    with GameStore.open(path) as store:
        game_id, state = new_game(store, settings())
        play(store, game_id, state, moves=2)
        store.set_status(game_id, GameStatus.ABORTED)
    with GameStore.open(path) as store:
        assert store.load_game(game_id).status is GameStatus.ABORTED
        assert store.list_games()[0].status is GameStatus.ABORTED
        changes = [e["data"] for e in store.events(game_id) if e["kind"] == "status_changed"]
    assert changes == [{"from": "playing", "to": "aborted"}]


def test_the_journal_tells_who_sent_what_to_whom(tmp_path: Path) -> None:
    with GameStore.open(tmp_path / "games.db") as store:
        game_id, state = new_game(store, settings())
        play(store, game_id, state, moves=2)
        edit = state.edit(0, Operation(kind=OperationKind.ADD, foreign="gato", meaning="cat"))
        store.save_edit(game_id, state, edit)
        store.record_error(game_id, RuntimeError("llama_decode failed"), state.moves_played)
        events = store.events(game_id)

    assert [e["seq"] for e in events] == list(range(len(events)))
    kinds = [e["kind"] for e in events]
    assert kinds[:3] == ["game_master_asked", "player_answered", "message_sent"]
    assert kinds[-2:] == ["user_edited", "error"]
    sent = [e["data"] for e in events if e["kind"] == "message_sent"]
    assert [(s["from"], s["to"], s["text"]) for s in sent] == [
        (m.seat, 1 - m.seat, m.text) for m in state.messages
    ]
    answers = [e["data"] for e in events if e["kind"] == "player_answered"]
    assert answers == [
        pytest.approx(
            {
                **a.model_dump(include={"step", "violation", "finish_reason"}),
                "text": a.raw_output,
                "from": record.seat,
                "to": "game master",
                "attempt": number,
                "prompt_tokens": a.prompt_tokens,
                "cached_tokens": a.cached_tokens,
                "completion_tokens": a.completion_tokens,
                "seconds": a.seconds,
            }
        )
        for record in state.moves
        for number, a in enumerate(record.attempts)
    ]
    applied = [e for e in events if e["kind"] == "operation_applied"]
    assert len(applied) == sum(len(record.applied) for record in state.moves)


def test_deleting_a_game_removes_all_its_rows_and_no_others(tmp_path: Path) -> None:
    path = tmp_path / "games.db"
    with GameStore.open(path) as store:
        kept_id, kept = new_game(store, settings(seed=1))
        deleted_id, deleted = new_game(store, settings(seed=2))
        play(store, kept_id, kept, moves=3)
        play(store, deleted_id, deleted, moves=3)
        store.acquire(deleted_id)
        store.delete_game(deleted_id)
        assert [g.id for g in store.list_games()] == [kept_id]
        with pytest.raises(GameNotFound, match=f"no saved game {deleted_id}"):
            store.load_game(deleted_id)
        assert_same_game(store.load_game(kept_id), kept)
    assert all(count_rows(path, table, deleted_id) == 0 for table in GAME_TABLES)
    assert count_rows(path, "moves", kept_id) == 3


def test_an_unknown_game_is_reported_by_its_id(tmp_path: Path) -> None:
    with GameStore.open(tmp_path / "games.db") as store:
        for call in (store.load_game, store.delete_game, store.events, store.acquire):
            with pytest.raises(GameNotFound) as caught:
                call(42)
            assert str(caught.value) == "there is no saved game 42"
            assert isinstance(caught.value, KeyError)


def test_a_damaged_move_names_the_game_and_move_and_spares_the_others(tmp_path: Path) -> None:
    path = tmp_path / "games.db"
    with GameStore.open(path) as store:
        damaged, _ = new_game(store, settings())
        play(store, damaged, store.load_game(damaged), moves=3)
        sound, state = new_game(store, settings(seed=8))
        play(store, sound, state, moves=2)
    with database(path) as connection:
        connection.execute(
            "update moves set record_json = '{\"move_index\": 1}' "
            "where game_id = ? and move_index = 1",
            [damaged],
        )
    before = file_bytes(path)
    with GameStore.open(path) as store:
        with pytest.raises(DamagedGame, match=f"saved game {damaged} is damaged: move 1 "):
            store.load_game(damaged)
        assert [g.id for g in store.list_games()] == [sound, damaged]
        assert_same_game(store.load_game(sound), state)
    assert file_bytes(path) == before


def test_opening_a_save_twice_applies_each_migration_once(tmp_path: Path) -> None:
    path = tmp_path / "games.db"
    for _ in range(2):
        GameStore.open(path).close()
    with database(path) as connection:
        names = [row[0] for row in connection.execute("select name from _dictgame_migrations")]
    assert names == migrations.names


def test_a_save_from_a_newer_dictgame_is_refused_and_left_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "games.db"
    with GameStore.open(path) as store:
        game_id, state = new_game(store, settings())
        play(store, game_id, state, moves=2)
    with database(path) as connection:
        connection.execute(
            "insert into _dictgame_migrations (migration_set, name, applied_at) "
            "values ('dictgame', 'm003_from_the_future', '2030-01-01')"
        )
    before = file_bytes(path)

    with pytest.raises(SaveFileError, match="newer dictgame.*m003_from_the_future") as caught:
        GameStore.open(path)
    assert str(path) in str(caught.value)
    assert file_bytes(path) == before


def valid_save_bytes(tmp_path: Path) -> bytes:
    source = tmp_path / "source" / "games.db"
    with GameStore.open(source) as store:
        game_id, state = new_game(store, settings())
        play(store, game_id, state, moves=4)
    return source.read_bytes()


@pytest.mark.parametrize(
    ("contents", "problem"),
    [
        (lambda tmp: b"Alice: hello\nBruno: hola\n", "not an SQLite database"),
        (lambda tmp: random.Random(1).randbytes(8192), "not an SQLite database"),
        (lambda tmp: b"SQLite format 3\x00" + bytes(40), "not an SQLite database"),
        (lambda tmp: valid_save_bytes(tmp)[:8192], "damaged"),
        (lambda tmp: valid_save_bytes(tmp)[:-1], "damaged"),
    ],
    ids=["text", "random bytes", "header only", "half a save", "one byte short"],
)
def test_a_file_that_is_not_a_whole_save_is_refused_and_left_unchanged(
    tmp_path: Path, contents: Any, problem: str
) -> None:
    path = tmp_path / "games.db"
    path.write_bytes(contents(tmp_path))
    before = file_bytes(path)
    with pytest.raises(SaveFileError, match=problem) as caught:
        GameStore.open(path)
    assert str(caught.value).startswith(f"cannot use save file {path}: ")
    assert file_bytes(path) == before


def test_another_programs_database_is_refused_and_left_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    with database(path) as connection:
        connection.execute("create table notes (text)")
    before = file_bytes(path)
    with pytest.raises(SaveFileError, match="another program"):
        GameStore.open(path)
    assert file_bytes(path) == before


def test_a_folder_is_not_a_save_file(tmp_path: Path) -> None:
    with pytest.raises(SaveFileError, match="not a file"):
        GameStore.open(tmp_path)


def test_a_save_in_a_read_only_folder_is_refused(tmp_path: Path) -> None:
    """Run without root's power over files (tests/unprivileged.py), so it holds in CI too."""
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)

    def refused() -> None:
        with pytest.raises(SaveFileError, match="cannot be opened|cannot be used"):
            GameStore.open(folder / "games.db")

    try:
        without_privileges(refused)
        assert not (folder / "games.db").exists()
    finally:
        folder.chmod(0o700)


def test_moves_and_edits_saved_from_two_threads_load_back_as_played(tmp_path: Path) -> None:
    path = tmp_path / "games.db"
    with GameStore.open(path) as store:
        game_id, state = new_game(store, settings(rounds=10))
        worker = threading.Thread(target=play, args=(store, game_id, state))
        worker.start()
        for number in range(20):
            edit = state.edit(
                number % 2,
                Operation(
                    kind=OperationKind.ADD, foreign=f"word{number}", meaning=f"meaning{number}"
                ),
            )
            store.save_edit(game_id, state, edit)
        worker.join()
        assert_same_game(store.load_game(game_id), state)


def test_a_second_writer_for_the_same_game_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "games.db"
    with GameStore.open(path) as store, GameStore.open(path) as other_window:
        game_id = store.create_game(settings())
        with store.acquire(game_id) as lease:
            assert lease.pid == os.getpid()
            with pytest.raises(GameInUse, match=f"process {os.getpid()}") as caught:
                other_window.acquire(game_id)
            assert caught.value.pid == os.getpid()
        with other_window.acquire(game_id):
            assert count_rows(path, "game_leases", game_id) == 1
        assert count_rows(path, "game_leases", game_id) == 0


def test_a_game_another_dictgame_is_playing_cannot_be_deleted(tmp_path: Path) -> None:
    path = tmp_path / "games.db"
    with GameStore.open(path) as store:
        game_id = store.create_game(settings())
        with database(path) as connection:
            connection.execute(
                "insert into game_leases (game_id, pid, hostname, started) values (?, ?, ?, ?)",
                [game_id, os.getppid(), socket.gethostname(), "2020-01-01T00:00:00+00:00"],
            )
        with pytest.raises(GameInUse, match=f"process {os.getppid()}"):
            store.delete_game(game_id)
        assert [g.id for g in store.list_games()] == [game_id]


def test_the_lease_of_a_process_that_died_is_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "games.db"
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    with GameStore.open(path) as store:
        game_id = store.create_game(settings())
        with database(path) as connection:
            connection.execute(
                "insert into game_leases (game_id, pid, hostname, started) values (?, ?, ?, ?)",
                [game_id, process.pid, socket.gethostname(), "2020-01-01T00:00:00+00:00"],
            )
        lease = store.acquire(game_id)
        with database(path) as connection:
            holder = connection.execute(
                "select pid from game_leases where game_id = ?", [game_id]
            ).fetchone()
        assert holder == (os.getpid(),)
        lease.release()


def test_a_second_store_on_the_same_file_keeps_the_first_ones_locks(tmp_path: Path) -> None:
    """Closing any descriptor of a file drops all this process's POSIX locks on it.

    Had opening the second store done that, the other process would believe itself the last
    one connected and delete the write-ahead log under the first store.
    """
    path = tmp_path / "games.db"
    with GameStore.open(path) as store:
        store.create_game(settings(seed=1))
        GameStore.open(path).close()
        another_process = (
            "import sys; from pathlib import Path; from dictgame.saves import GameStore; "
            "from dictgame.engine.games.dictionary.settings import GameSettings; "
            "store = GameStore.open(Path(sys.argv[1])); store.create_game(GameSettings()); "
            "store.close()"
        )
        subprocess.run([sys.executable, "-c", another_process, str(path)], check=True)
        assert Path(f"{path}-wal").exists()
        assert len(store.list_games()) == 2
        with database(path) as connection:
            assert connection.execute("pragma integrity_check").fetchone() == ("ok",)
