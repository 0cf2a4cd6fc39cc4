"""A lease names its process by pid, host and start time: a pid that another program now
uses does not keep a game locked, a live holder still does."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dictgame.engine.core.episode import GameMaster
from dictgame.engine.games.dictionary.settings import GameSettings
from dictgame.engine.games.dictionary.state import GameState
from dictgame.engine.scripted import ScriptedBackend
from dictgame.saves import GameStore
from dictgame.saves.leases import Holder, _start_from_ps, process_start, this_process

DICTGAME = str(Path(sys.executable).parent / "dictgame")


@pytest.fixture
def other_program() -> Iterator[subprocess.Popen[bytes]]:
    """A live process that is not dictgame: what a reused pid points at."""
    process = subprocess.Popen(["sleep", "120"])
    yield process
    process.kill()
    process.wait()


def test_a_process_start_is_stable_and_tells_processes_apart(
    other_program: subprocess.Popen[bytes],
) -> None:
    mine = process_start(os.getpid())
    assert mine is not None and mine == process_start(os.getpid()) == this_process().process_start
    assert process_start(other_program.pid) not in (None, mine)
    assert _start_from_ps(os.getpid())  # the fallback where there is no /proc


def test_a_live_pid_with_another_start_time_is_not_the_holder(
    other_program: subprocess.Popen[bytes],
) -> None:
    host = socket.gethostname()
    started = process_start(other_program.pid)
    assert Holder(other_program.pid, host, started).is_alive()
    assert not Holder(other_program.pid, host, "another boot:12345").is_alive()
    assert Holder(other_program.pid, host, None).is_alive()  # a lease from before m003
    assert Holder(other_program.pid, "another-host", "another boot:12345").is_alive()


def game_with_a_lease(db: Path, pid: int, process_start: str | None) -> None:
    """A game two moves in, and a lease row as another dictgame would have left it."""
    state = GameState(GameSettings(rounds=2, seed=3))
    backend = ScriptedBackend()
    master = GameMaster(state, (backend.session(Path("a")), backend.session(Path("b"))))
    with GameStore.open(db) as store:
        game_id = store.create_game(state.settings)
        for _ in range(2):
            store.save_move(game_id, state, master.play_next_move())
    with sqlite3.connect(db) as connection:
        connection.execute(
            "insert into game_leases (game_id, pid, hostname, started, process_start) "
            "values (1, ?, ?, '2020-01-01T00:00:00+00:00', ?)",
            [pid, socket.gethostname(), process_start],
        )
    connection.close()


def resume(db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DICTGAME, "resume", "1", "--headless", "--db", str(db)], capture_output=True, text=True,
        timeout=120, env={**os.environ, "DICTGAME_BACKEND": "scripted"},
    )


def test_a_lease_whose_pid_was_reused_is_taken_over(
    tmp_path: Path, other_program: subprocess.Popen[bytes]
) -> None:
    db = tmp_path / "games.db"
    game_with_a_lease(db, other_program.pid, "the boot before:4242")
    result = resume(db)
    assert result.returncode == 0, result.stderr
    assert "finished" in result.stdout


def test_a_lease_of_a_live_holder_still_refuses_a_second_player(
    tmp_path: Path, other_program: subprocess.Popen[bytes]
) -> None:
    db = tmp_path / "games.db"
    game_with_a_lease(db, other_program.pid, process_start(other_program.pid))
    result = resume(db)
    assert result.returncode == 2, result.stderr
    assert f"Game 1 is open in another dictgame (process {other_program.pid}" in result.stderr
