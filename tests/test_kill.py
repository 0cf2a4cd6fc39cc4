"""Kill -9 a running game at random moments: every completed move survives, exactly once.

Each point starts a real headless `dictgame` process (scripted players streaming with a delay,
so the kill lands while streaming, between update and reply, or while committing), kills it,
checks the database, then resumes the game to its end and checks the finished game.

A kill that lands before the game is stored, or after it ended, proves nothing about moves:
each test counts the kills that landed mid-game (the game stored and not over when the
process died: its players play move after move with no wait between, so mid-move or
mid-commit) and fails when fewer than 3 in 4 did.
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
import tempfile
import termios
import time
from pathlib import Path
from typing import Any

import pytest

from dictgame.engine.core.episode import GameMaster
from dictgame.engine.games.dictionary.dictionary import replay
from dictgame.engine.games.dictionary.export import ground_truth_record
from dictgame.engine.games.dictionary.game import NEW_GAME_TOPIC, settings_for
from dictgame.engine.games.dictionary.settings import GameSettings
from dictgame.engine.games.dictionary.state import GameState, GameStatus
from dictgame.engine.scripted import ScriptedBackend
from dictgame.saves import GameStore

# Kills and signals real dictgame processes, waiting for their games to be stored: the
# full set's (`python -m pytest -m ""`), not the fast one's.
pytestmark = pytest.mark.process

KILL_POINTS = int(os.environ.get("DICTGAME_KILL_POINTS", "30"))
ROUNDS = 3
DICTGAME = str(Path(sys.executable).parent / "dictgame")


class Hits:
    """Kills that landed mid-game, counted; fewer than 3 in 4 fails the test."""

    def __init__(self) -> None:
        self.kills: list[tuple[str, bool]] = []

    def add(self, point: str, hit: bool) -> None:
        self.kills.append((point, hit))

    def check(self) -> None:
        hits = sum(hit for _, hit in self.kills)
        missed = [point for point, hit in self.kills if not hit]
        print(f"{hits} of {len(self.kills)} kills landed mid-game")
        assert 4 * hits >= 3 * len(self.kills), f"only {hits} of {len(self.kills)} kills landed mid-game; missed: {missed}"


def game_status(db: Path) -> str | None:
    """The status of the file's one game as the kill left it; None: no game stored yet."""
    if not db.exists():
        return None
    connection = sqlite3.connect(db, timeout=5)
    try:
        row = connection.execute("select status from games").fetchone()
    except sqlite3.OperationalError:  # not created yet
        return None
    finally:
        connection.close()
    return None if row is None else str(row[0])


def wait_for_game(db: Path, process: subprocess.Popen[bytes], limit: float = 120) -> None:
    """Until the game is stored (the players are seated by then) or the process ended."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and process.poll() is None and game_status(db) is None:
        time.sleep(0.02)


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


def test_kills_at_random_moments_of_a_game_then_resume() -> None:
    """KILL_POINTS games, each killed at a random moment after it was stored, resumed to the
    same end as the same game played in one go."""
    hits = Hits()
    for point in range(KILL_POINTS):
        with tempfile.TemporaryDirectory() as folder:
            hits.add(f"point {point}", kill_and_resume(point, Path(folder) / "games.db"))
    hits.check()


def kill_and_resume(point: int, db: Path) -> bool:
    """One kill; whether it landed mid-game."""
    rng = random.Random(point)
    env = scripted_env(delay=rng.choice([0.01, 0.02, 0.03]))
    process = subprocess.Popen(
        [DICTGAME, "play", "--headless", "--rounds", str(ROUNDS), "--seed", str(point), "--db", str(db)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    wait_for_game(db, process)
    time.sleep(rng.uniform(0.0, 1.5))
    process.kill()
    process.wait()

    hit = game_status(db) == "playing"
    game_id = check_database(db)
    assert game_id is not None, f"point {point}: no game stored ({process.stderr.read()!r})"  # type: ignore[union-attr]
    record = resume_to_the_end(db, game_id, scripted_env(0))
    assert [m["move_index"] for m in record["messages"]] == list(range(2 * ROUNDS))
    assert [m["text"] for m in record["messages"]] == uninterrupted_messages(seed=point, rounds=ROUNDS)
    return hit


def test_a_kill_before_the_game_is_stored_leaves_no_game_behind(tmp_path: Path) -> None:
    """Killed while starting (importing, seating the players): nothing half made is stored."""
    db = tmp_path / "games.db"
    process = subprocess.Popen(
        [DICTGAME, "play", "--headless", "--rounds", str(ROUNDS), "--db", str(db)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=scripted_env(0.01),
    )
    time.sleep(0.3)
    process.kill()
    process.wait()
    assert game_status(db) is None
    if db.exists():
        assert check_database(db) is None


def uninterrupted_messages(seed: int, rounds: int) -> list[str]:
    """The same game played in one go: a resumed game must end exactly like it."""
    # As `dictgame play` starts a free game between two bank languages: with a topic.
    state = GameState(GameSettings(rounds=rounds, seed=seed, topic=NEW_GAME_TOPIC))
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
    # The game `dictgame play` starts (an invented one remembers: NEW_INVENTED_MEMORY).
    state = GameState(settings_for({}, {"mode": mode, "rounds": 8, "seed": point}))
    backend = ScriptedBackend()
    master = GameMaster(state, (backend.session(Path("a")), backend.session(Path("b"))))
    while state.status is GameStatus.PLAYING:
        master.play_next_move()
    assert [m["text"] for m in record["messages"]] == [m.message for m in state.moves]
    assert [m["pick"] for m in record["moves"]] == [m.pick for m in state.records]
    assert record["ground_truth"] == json.loads(json.dumps(ground_truth_record(state)))


TUI_KILL_POINTS = int(os.environ.get("DICTGAME_TUI_KILL_POINTS", "5"))
TUI_ROUNDS = 8  # long enough that every kill lands mid-game


def test_kill_the_terminal_ui_mid_game_then_resume(tmp_path: Path) -> None:
    """The real app in a pseudo-terminal, playing a new game, killed at a random moment once
    the game is stored; TUI_KILL_POINTS kills."""
    hits = Hits()
    for point in range(TUI_KILL_POINTS):
        db = tmp_path / f"games-{point}.db"
        hits.add(f"point {point}", kill_the_ui(point, db))
        game_id = check_database(db)
        assert game_id is not None, f"point {point}: no game stored"
        record = resume_to_the_end(db, game_id, scripted_env(0))
        messages = [m["text"] for m in record["messages"]]
        assert messages == uninterrupted_messages(seed=point, rounds=TUI_ROUNDS)
    hits.check()


def kill_the_ui(point: int, db: Path) -> bool:
    """Start the app on a new game, kill it at a random moment after the game is stored;
    whether the kill landed mid-game."""
    rng = random.Random(1000 + point)
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {**scripted_env(delay=0.04), "TERM": "xterm-256color"}
    process = subprocess.Popen(
        [DICTGAME, "new", "--rounds", str(TUI_ROUNDS), "--seed", str(point), "--db", str(db)],
        stdin=terminal, stdout=terminal, stderr=terminal, env=env, start_new_session=True,
    )
    os.close(terminal)
    extra: float | None = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        # Keep reading the screen so the app never blocks on it.
        if select.select([controller], [], [], 0.05)[0]:
            try:
                os.read(controller, 65536)
            except OSError:
                break
        if extra is None and game_status(db) is not None:
            extra = rng.uniform(0.0, 2.0)
            deadline = time.monotonic() + extra
    process.kill()
    process.wait()
    os.close(controller)
    return game_status(db) == "playing"


REAL_KILL_POINTS = int(os.environ.get("DICTGAME_REAL_KILL_POINTS", "3"))


@pytest.mark.real_model
def test_kill_a_game_on_the_real_model_then_resume(tmp_path: Path) -> None:
    """llama.cpp in the middle of a prompt or a token when the kill lands; same guarantees,
    and the game compared move by move with the same seeded game played without a kill.

    What is stored before the kill is the uninterrupted game's, move for move, and the first
    move played after the resume is asked the same request (same instruction, same prompt
    length). Its answer may differ: llama.cpp's logits depend on how the KV cache was filled
    (the resumed process reads the prompt in one batch, the uninterrupted one read it move by
    move), and a near tie can then sample another token, even at temperature 0. How many moves
    came out the same is printed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DICTGAME_SCRIPTED")}
    env.pop("DICTGAME_BACKEND", None)
    hits = Hits()
    for point in range(REAL_KILL_POINTS):
        rng = random.Random(2000 + point)
        db, fresh = tmp_path / f"killed-{point}.db", tmp_path / f"fresh-{point}.db"
        command = [DICTGAME, "play", "--headless", "--rounds", "2", "--seed", str(point),
                   "--words-per-message", "6", "--context-size", "1024"]
        process = subprocess.Popen([*command, "--db", str(db)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, env=env)
        # Once a move is stored, so that the comparison has stored moves to compare.
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and process.poll() is None and not moves_stored(db):
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, 3.0))
        process.kill()
        process.wait()
        hits.add(f"point {point}", game_status(db) == "playing")
        game_id = check_database(db)
        assert game_id is not None, f"point {point}: no game stored"
        with GameStore.open(db) as store:
            stored = store.load_game(game_id).moves_played
        record = resume_to_the_end(db, game_id, env, "--context-size", "1024")
        moves = record["moves"]
        assert [m["move_index"] for m in moves] == [0, 1, 2, 3]
        assert all(later["incoming"] == earlier["message"] for earlier, later in zip(moves, moves[1:]))

        played = subprocess.run([*command, "--db", str(fresh)], capture_output=True, text=True,
                                env=env, timeout=600)
        assert played.returncode == 0, played.stderr
        reference = json.loads(subprocess.run(
            [DICTGAME, "export", "1", "--format", "json", "--db", str(fresh)],
            capture_output=True, text=True, timeout=60).stdout)["moves"]
        assert [played_out(m) for m in moves[:stored]] == [played_out(m) for m in reference[:stored]], (
            f"point {point}: a stored move is not the uninterrupted game's")
        if stored < len(moves):
            resumed, uninterrupted = moves[stored]["attempts"][0], reference[stored]["attempts"][0]
            assert resumed["instruction"] == uninterrupted["instruction"]
            assert (resumed["prompt_tokens"] + resumed["cached_tokens"]
                    == uninterrupted["prompt_tokens"] + uninterrupted["cached_tokens"])
        same = sum(a["message"] == b["message"] for a, b in zip(moves, reference))
        print(f"point {point}: killed with {stored} moves stored; {same} of 4 moves as uninterrupted")
    hits.check()


def played_out(move: dict[str, Any]) -> tuple[object, ...]:
    """A move as played, without its timings: its message and every attempt's request and
    answer."""
    return (move["message"], [(a["step"], a["instruction"], a["raw_output"], a["prompt_tokens"]
                               + a["cached_tokens"]) for a in move["attempts"]])


RUN_KILL_POINTS = int(os.environ.get("DICTGAME_RUN_KILL_POINTS", "2"))
# A run of each game: its experiment, and the flags that make an episode last a while.
RUNS = {
    "dictionary": ["--experiment", "english-french", "--rounds", "2"],
    "hellogame": ["--experiment", "en"],
    "firstlast": ["--experiment", "weather"],
}
# Seconds between the scripted players' words: a greeting is a few words, so Hello Game's
# episodes need a slow player to be in flight for most of a second.
RUN_DELAYS = {"dictionary": (0.01, 0.03), "hellogame": (0.3,), "firstlast": (0.1,)}


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


def test_kill_runs_then_start_them_again_finishes_them_without_replaying(tmp_path: Path) -> None:
    """A run of each game killed with one or three episodes in flight, RUN_KILL_POINTS times,
    started again: it ends as if played in one go. A kill counts as landed when an episode's
    game was stored and not over."""
    hits = Hits()
    for game in sorted(RUNS):
        for parallel in (1, 3):
            for point in range(RUN_KILL_POINTS):
                folder = tmp_path / f"{game}-{parallel}-{point}"
                folder.mkdir()
                hits.add(folder.name, kill_a_run(game, point, parallel, folder))
    hits.check()


def kill_a_run(game: str, point: int, parallel: int, folder: Path) -> bool:
    """Killed with `parallel` episodes in flight, started again (as many at once), the run
    ends as if played in one go, one episode at a time; whether an episode was in flight."""
    rng = random.Random(f"{game}-{point}")
    db = folder / "games.db"
    process = subprocess.Popen(
        run_command(db, game, point, parallel), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env=scripted_env(delay=rng.choice(RUN_DELAYS[game])),
    )
    wait_for_games(db, process)
    time.sleep(rng.uniform(0.0, 0.8))
    process.kill()
    process.wait()
    before = run_games(db) if db.exists() else []
    in_flight = any(status == "playing" for _, _, status, _ in before)
    finished_before = {game_id: messages for _, game_id, status, messages in before if status != "playing"}

    again = subprocess.run(run_command(db, game, point, parallel), capture_output=True,
                           text=True, env=scripted_env(0), timeout=300)
    assert again.returncode == 0, again.stderr
    after = run_games(db)
    assert all(status in ("finished", "aborted") for _, _, status, _ in after)
    for _, game_id, _, messages in after:
        if game_id in finished_before:
            assert messages == finished_before[game_id]  # not played again

    fresh = folder / "fresh.db"
    uninterrupted = subprocess.run(run_command(fresh, game, point), capture_output=True,
                                   text=True, env=scripted_env(0), timeout=300)
    assert uninterrupted.returncode == 0, uninterrupted.stderr
    assert [m for *_, m in after] == [m for *_, m in run_games(fresh)]
    return in_flight


def wait_for_games(db: Path, process: subprocess.Popen[bytes], limit: float = 120) -> None:
    """Until the run's first game is stored, or the process ended."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and process.poll() is None:
        try:
            connection = sqlite3.connect(db, timeout=5)
            try:
                if connection.execute("select count(*) from games").fetchone()[0]:
                    return
            finally:
                connection.close()
        except sqlite3.OperationalError:
            pass
        time.sleep(0.02)
