"""Kill -9 a running game at random moments: every completed move survives, exactly once.

Each point starts a real headless `dictgame` process (scripted players streaming with a delay,
so the kill lands in loading, streaming, between update and reply, or while committing), kills
it, checks the database, then resumes the game to its end and checks the finished game.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import random
import select
import sqlite3
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path
from typing import Any

import pytest

from dictgame.engine.core.episode import GameMaster
from dictgame.engine.games.dictionary.dictionary import replay
from dictgame.engine.games.dictionary.export import ground_truth_record
from dictgame.engine.games.dictionary.settings import GameSettings
from dictgame.engine.games.dictionary.state import GameState, GameStatus
from dictgame.engine.scripted import ScriptedBackend
from dictgame.saves import GameStore

KILL_POINTS = int(os.environ.get("DICTGAME_KILL_POINTS", "30"))
ROUNDS = 3
DICTGAME = str(Path(sys.executable).parent / "dictgame")


def scripted_env(delay: float) -> dict[str, str]:
    return {**os.environ, "DICTGAME_BACKEND": "scripted", "DICTGAME_SCRIPTED_TOKEN_DELAY": str(delay)}


def check_database(db: Path) -> int | None:
    """The database after a kill: intact, moves contiguous and unique, dictionaries = replay."""
    connection = sqlite3.connect(db)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        connection.close()  # `with` would only commit; an open handle skews the next process's locks
    with GameStore.open(db) as store:
        games = store.list_games()
        if not games:
            return None  # killed before the game was created
        (game,) = games
        state = store.load_game(game.id)
    assert [m.move_index for m in state.moves] == list(range(state.moves_played))
    assert state.moves_played == game.moves_played
    for seat in (0, 1):
        assert replay(state.history, seat) == state.dictionaries[seat]
    return game.id


def resume_to_the_end(db: Path, game_id: int, env: dict[str, str], *flags: str) -> dict[str, Any]:
    """Resume the killed game headless (taking over the dead process's stale lease), check
    the database again, and return the finished game's exported record."""
    resumed = subprocess.run(
        [DICTGAME, "resume", str(game_id), "--headless", *flags, "--db", str(db)],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert check_database(db) == game_id
    exported = subprocess.run(
        [DICTGAME, "export", str(game_id), "--format", "json", "--db", str(db)],
        capture_output=True, text=True, timeout=60,
    )
    record: dict[str, Any] = json.loads(exported.stdout)
    assert record["status"] == "finished"
    return record


@pytest.mark.parametrize("point", range(KILL_POINTS))
def test_kill_at_a_random_moment_then_resume(point: int, tmp_path: Path) -> None:
    rng = random.Random(point)
    db = tmp_path / "games.db"
    env = scripted_env(delay=rng.choice([0.002, 0.01, 0.03]))
    process = subprocess.Popen(
        [DICTGAME, "play", "--headless", "--rounds", str(ROUNDS), "--seed", str(point), "--db", str(db)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    time.sleep(rng.uniform(0.3, 2.0))
    process.kill()
    process.wait()

    game_id = check_database(db) if db.exists() else None
    if game_id is None:
        return
    record = resume_to_the_end(db, game_id, scripted_env(0))
    assert [m["move_index"] for m in record["messages"]] == list(range(2 * ROUNDS))
    assert [m["text"] for m in record["messages"]] == uninterrupted_messages(seed=point, rounds=ROUNDS)


def uninterrupted_messages(seed: int, rounds: int) -> list[str]:
    """The same game played in one go: a resumed game must end exactly like it."""
    state = GameState(GameSettings(rounds=rounds, seed=seed))
    backend = ScriptedBackend()
    master = GameMaster(state, (backend.session(Path("a")), backend.session(Path("b"))))
    while state.status is GameStatus.PLAYING:
        master.play_next_move()
    return [m.message for m in state.moves]


def moves_stored(db: Path) -> bool:
    if not db.exists():
        return False
    connection = sqlite3.connect(db, timeout=5)
    try:
        return bool(connection.execute("select count(*) from moves").fetchone()[0])
    except sqlite3.OperationalError:  # not created yet, or locked
        return False
    finally:
        connection.close()


@pytest.mark.parametrize(("mode", "point"), [("scenes", 0), ("scenes", 1), ("invented", 0), ("invented", 1)])
def test_kill_a_grounded_game_then_resume(mode: str, point: int, tmp_path: Path) -> None:
    rng = random.Random(point)
    db = tmp_path / "games.db"
    process = subprocess.Popen(
        [DICTGAME, "play", "--headless", "--mode", mode, "--rounds", "8",
         "--seed", str(point), "--db", str(db)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=scripted_env(delay=0.03),
    )
    # Killed while playing: once a move is stored, after a little more of the game.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None and not moves_stored(db):
        time.sleep(0.05)
    time.sleep(rng.uniform(0.0, 0.5))
    process.kill()
    process.wait()
    game_id = check_database(db)
    assert game_id is not None
    with GameStore.open(db) as store:
        assert store.load_game(game_id).moves_played < 9  # killed mid-game
    record = resume_to_the_end(db, game_id, scripted_env(0))
    state = GameState(GameSettings(mode=mode, rounds=8, seed=point))  # type: ignore[arg-type]
    backend = ScriptedBackend()
    master = GameMaster(state, (backend.session(Path("a")), backend.session(Path("b"))))
    while state.status is GameStatus.PLAYING:
        master.play_next_move()
    assert [m["text"] for m in record["messages"]] == [m.message for m in state.moves]
    assert [m["pick"] for m in record["moves"]] == [m.pick for m in state.records]
    assert record["ground_truth"] == json.loads(json.dumps(ground_truth_record(state)))


TUI_KILL_POINTS = int(os.environ.get("DICTGAME_TUI_KILL_POINTS", "5"))
TUI_ROUNDS = 8  # long enough that every kill lands mid-game


@pytest.mark.parametrize("point", range(TUI_KILL_POINTS))
def test_kill_the_terminal_ui_mid_game_then_resume(point: int, tmp_path: Path) -> None:
    """The real app in a pseudo-terminal, playing a new game, killed at a random moment."""
    rng = random.Random(1000 + point)
    db = tmp_path / "games.db"
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {**scripted_env(delay=0.04), "TERM": "xterm-256color"}
    process = subprocess.Popen(
        [DICTGAME, "new", "--rounds", str(TUI_ROUNDS), "--seed", str(point), "--db", str(db)],
        stdin=terminal, stdout=terminal, stderr=terminal, env=env, start_new_session=True,
    )
    os.close(terminal)
    deadline = time.monotonic() + rng.uniform(1.5, 4.0)
    while time.monotonic() < deadline:  # keep reading the screen so the app never blocks on it
        if select.select([controller], [], [], 0.05)[0]:
            try:
                os.read(controller, 65536)
            except OSError:
                break
    process.kill()
    process.wait()
    os.close(controller)

    game_id = check_database(db) if db.exists() else None
    if game_id is None:
        return
    with GameStore.open(db) as store:
        assert store.list_games()[0].status == "playing", "the kill should land mid-game"
    record = resume_to_the_end(db, game_id, scripted_env(0))
    messages = [m["text"] for m in record["messages"]]
    assert messages == uninterrupted_messages(seed=point, rounds=TUI_ROUNDS)


REAL_KILL_POINTS = int(os.environ.get("DICTGAME_REAL_KILL_POINTS", "3"))


@pytest.mark.real_model
@pytest.mark.parametrize("point", range(REAL_KILL_POINTS))
def test_kill_a_game_on_the_real_model_then_resume(point: int, tmp_path: Path) -> None:
    """llama.cpp in the middle of a prompt or a token when the kill lands; same guarantees."""
    rng = random.Random(2000 + point)
    db = tmp_path / "games.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DICTGAME_SCRIPTED")}
    env.pop("DICTGAME_BACKEND", None)
    command = [DICTGAME, "play", "--headless", "--rounds", "2", "--seed", str(point),
               "--words-per-message", "6", "--context-size", "1024", "--db", str(db)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    time.sleep(rng.uniform(2.0, 7.0))
    process.kill()
    process.wait()

    game_id = check_database(db) if db.exists() else None
    if game_id is None:
        return
    record = resume_to_the_end(db, game_id, env, "--context-size", "1024")
    moves = record["moves"]
    assert [m["move_index"] for m in moves] == [0, 1, 2, 3]
    assert all(later["incoming"] == earlier["message"] for earlier, later in zip(moves, moves[1:]))


RUN_KILL_POINTS = int(os.environ.get("DICTGAME_RUN_KILL_POINTS", "2"))
# A run of each game: its experiment, and the flags that make an episode last a while.
RUNS = {
    "dictionary": ["--experiment", "english-french", "--rounds", "2"],
    "hellogame": ["--experiment", "en"],
    "firstlast": ["--experiment", "weather"],
}


def run_command(db: Path, game: str, seed: int, parallel: int = 1) -> list[str]:
    return [DICTGAME, "run", "--game", game, *RUNS[game], "--seed", str(seed), "--db", str(db),
            "--parallel", str(parallel)]


def run_games(db: Path) -> list[tuple[int, int, str, list[str]]]:
    """(episode, game, status, messages) of every episode of run 1, from the file itself."""
    connection = sqlite3.connect(db)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = connection.execute(
            "select e.seq, e.game_id, g.status from episodes e join games g on g.id = e.game_id "
            "where e.run_id = 1 order by e.seq"
        ).fetchall()
        games = [
            (seq, game_id, status, [json.loads(r)["message"] for (r,) in connection.execute(
                "select record_json from moves where game_id = ? order by move_index", [game_id])])
            for seq, game_id, status in rows
        ]
        # Every game of the run belongs to exactly one episode: none was started twice.
        assert connection.execute("select count(*) from games").fetchone()[0] == len(games)
    finally:
        connection.close()
    return games


@pytest.mark.parametrize("parallel", [1, 3])
@pytest.mark.parametrize("game", sorted(RUNS))
@pytest.mark.parametrize("point", range(RUN_KILL_POINTS))
def test_kill_a_run_then_start_it_again_finishes_it_without_replaying(
    game: str, point: int, parallel: int, tmp_path: Path
) -> None:
    """Killed with `parallel` episodes in flight, started again (as many at once), the run
    ends as if played in one go, one episode at a time."""
    rng = random.Random(f"{game}-{point}")
    db = tmp_path / "games.db"
    process = subprocess.Popen(
        run_command(db, game, point, parallel), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env=scripted_env(delay=rng.choice([0.01, 0.03])),
    )
    time.sleep(rng.uniform(0.5, 2.5))
    process.kill()
    process.wait()
    before = run_games(db) if db.exists() else []
    finished_before = {game_id: messages for _, game_id, status, messages in before if status != "playing"}

    again = subprocess.run(run_command(db, game, point, parallel), capture_output=True,
                           text=True, env=scripted_env(0), timeout=300)
    assert again.returncode == 0, again.stderr
    after = run_games(db)
    assert all(status in ("finished", "aborted") for _, _, status, _ in after)
    for _, game_id, _, messages in after:
        if game_id in finished_before:
            assert messages == finished_before[game_id]  # not played again

    fresh = tmp_path / "fresh.db"
    uninterrupted = subprocess.run(run_command(fresh, game, point), capture_output=True,
                                   text=True, env=scripted_env(0), timeout=300)
    assert uninterrupted.returncode == 0, uninterrupted.stderr
    assert [m for *_, m in after] == [m for *_, m in run_games(fresh)]
