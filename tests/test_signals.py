"""Signals to a real headless `dictgame` game: Ctrl+C, SIGTERM and SIGHUP (a closed terminal)
stop it at once with one line and the shell's exit code, and every completed move is kept."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import signal
import sqlite3
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from dictgame.engine.core.episode import GameMaster
from dictgame.engine.games.dictionary.game import NEW_GAME_TOPIC
from dictgame.engine.games.dictionary.settings import GameSettings
from dictgame.engine.games.dictionary.state import GameState, GameStatus
from dictgame.engine.scripted import ScriptedBackend
from dictgame.tui.services.signals import Stopped, held_signals, stop_on_signals

# Kills and signals real dictgame processes, waiting for their games to be stored: the
# full set's (`python -m pytest -m ""`), not the fast one's.
pytestmark = pytest.mark.process

DICTGAME = str(Path(sys.executable).parent / "dictgame")
ROUNDS = 6
SEED = 4
# Slow enough that the signal lands while a move is being streamed.
ENV = {**os.environ, "DICTGAME_BACKEND": "scripted", "DICTGAME_SCRIPTED_TOKEN_DELAY": "0.05"}


def saved_moves(db: Path) -> int:
    if not db.exists():
        return 0
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return int(connection.execute("select count(*) from moves").fetchone()[0])
    except sqlite3.OperationalError:  # the schema is not there yet
        return 0
    finally:
        connection.close()


def wait_for_moves(db: Path, count: int, read_from: int | None = None) -> None:
    """Until `count` moves are saved (reading a terminal's output meanwhile, if given)."""
    deadline = time.monotonic() + 60
    while saved_moves(db) < count:
        assert time.monotonic() < deadline, "the game did not get going"
        if read_from is not None and select.select([read_from], [], [], 0.05)[0]:
            os.read(read_from, 65536)
        else:
            time.sleep(0.05)
    time.sleep(0.1)  # into the next move


def dictgame(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([DICTGAME, *args], capture_output=True, text=True, timeout=120, env=ENV)


def assert_kept_and_resumable(db: Path, at_least: int) -> None:
    """The moves completed before the signal are saved, contiguous; the lease was given back;
    resuming ends the game exactly as a game played in one go."""
    record = json.loads(dictgame("export", "1", "--format", "json", "--db", str(db)).stdout)
    played = [m["move_index"] for m in record["messages"]]
    assert played == list(range(len(played))) and len(played) >= at_least
    assert record["status"] == "playing"
    with sqlite3.connect(db) as connection:
        assert connection.execute("select count(*) from game_leases").fetchone()[0] == 0
    connection.close()
    resumed = subprocess.run(
        [DICTGAME, "resume", "1", "--headless", "--db", str(db)], capture_output=True, text=True,
        timeout=120, env={**ENV, "DICTGAME_SCRIPTED_TOKEN_DELAY": "0"},
    )
    assert resumed.returncode == 0, resumed.stderr
    record = json.loads(dictgame("export", "1", "--format", "json", "--db", str(db)).stdout)
    assert [m["text"] for m in record["messages"]] == uninterrupted_messages()


def uninterrupted_messages() -> list[str]:
    # As `dictgame play` starts a free game between two bank languages: with a topic.
    state = GameState(GameSettings(rounds=ROUNDS, seed=SEED, topic=NEW_GAME_TOPIC))
    backend = ScriptedBackend()
    master = GameMaster(state, (backend.session(Path("a")), backend.session(Path("b"))))
    while state.status is GameStatus.PLAYING:
        master.play_next_move()
    return [m.message for m in state.moves]


@pytest.mark.parametrize(
    ("signal_number", "exit_code", "reason"),
    [(signal.SIGINT, 130, "Ctrl+C"), (signal.SIGTERM, 143, "SIGTERM"), (signal.SIGHUP, 129, "SIGHUP")],
)
def test_a_signal_stops_a_headless_game_at_once_and_keeps_every_completed_move(
    tmp_path: Path, signal_number: int, exit_code: int, reason: str
) -> None:
    db = tmp_path / "games.db"
    process = subprocess.Popen(
        [DICTGAME, "play", "--headless", "--rounds", str(ROUNDS), "--seed", str(SEED), "--db", str(db)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
    )
    wait_for_moves(db, 3)
    sent = time.monotonic()
    process.send_signal(signal_number)
    stdout, stderr = process.communicate(timeout=30)
    assert time.monotonic() - sent < 3, "it should stop at once, not finish the move"
    assert process.returncode == exit_code, stderr
    assert stderr.strip().splitlines() == [
        f"Stopped by {reason}{' (the terminal closed)' if reason == 'SIGHUP' else ''}; every "
        "completed move is saved, and `dictgame resume 1 --headless` goes on from there."
    ]
    assert "[round 2]" in stdout
    assert_kept_and_resumable(db, at_least=3)


def test_closing_the_terminal_stops_the_game_with_sighup(tmp_path: Path) -> None:
    """The real thing: the game's controlling terminal goes away, the kernel sends SIGHUP, and
    writing to the terminal fails from then on; still exit 129, nothing lost."""
    db = tmp_path / "games.db"
    controller, terminal = pty.openpty()

    def take_the_terminal() -> None:  # as a shell does for a job: its own session, this tty
        os.setsid()
        fcntl.ioctl(terminal, termios.TIOCSCTTY, 0)

    process = subprocess.Popen(
        [DICTGAME, "play", "--headless", "--rounds", str(ROUNDS), "--seed", str(SEED), "--db", str(db)],
        stdin=terminal, stdout=terminal, stderr=terminal, env=ENV, preexec_fn=take_the_terminal,
    )
    os.close(terminal)
    wait_for_moves(db, 3, read_from=controller)
    os.close(controller)
    assert process.wait(timeout=30) == 129
    assert_kept_and_resumable(db, at_least=3)


def test_a_closed_pipe_ends_an_export_quietly(tmp_path: Path) -> None:
    """`dictgame export 1 | head -1`: the reader goes away; no 'unexpected error', exit 141."""
    db = tmp_path / "games.db"
    assert dictgame("play", "--headless", "--rounds", "1", "--db", str(db)).returncode == 0
    process = subprocess.Popen(
        [DICTGAME, "export", "1", "--format", "json", "--db", str(db)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    assert process.wait(timeout=60) == 141
    assert process.stderr.read() == b""


@pytest.fixture
def restored_handlers():
    saved = {n: signal.getsignal(n) for n in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    yield
    for number, handler in saved.items():
        signal.signal(number, handler)


def test_a_stop_waits_for_the_commit_of_a_finished_move(restored_handlers: None) -> None:
    stop_on_signals()
    committed = False
    with pytest.raises(Stopped) as raised:
        with held_signals():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)  # the handler has run by now, and not raised
            committed = True
    assert committed and raised.value.exit_code == 143


def test_a_signal_stops_a_parallel_run_at_once_and_starting_it_again_finishes_it(
    tmp_path: Path,
) -> None:
    """SIGTERM reaches the main thread, which cancels the episodes in flight and waits for them
    (their moves' commits are never cut short); every lease is given back."""
    db = tmp_path / "games.db"
    run = [DICTGAME, "run", "--game", "dictionary", "--experiment", "english-french",
           "--rounds", "3", "--parallel", "3", "--db", str(db)]
    process = subprocess.Popen(run, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=ENV)
    wait_for_moves(db, 4)
    sent = time.monotonic()
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    assert time.monotonic() - sent < 3, "it should stop at once, not finish the moves"
    assert process.returncode == 143, stderr
    assert stderr.strip().splitlines() == [
        "Stopped by SIGTERM; every completed move is saved. Continue with: dictgame run --resume 1."
    ]
    with sqlite3.connect(db) as connection:
        assert connection.execute("select count(*) from game_leases").fetchone()[0] == 0
        playing = connection.execute("select count(*) from games where status = 'playing'")
        assert playing.fetchone()[0] >= 2  # it stopped with several episodes in flight
    connection.close()
    again = subprocess.run(run, capture_output=True, text=True, timeout=120,
                           env={**ENV, "DICTGAME_SCRIPTED_TOKEN_DELAY": "0"})
    assert again.returncode == 0, again.stderr
    assert "3/3 episodes" in again.stdout
