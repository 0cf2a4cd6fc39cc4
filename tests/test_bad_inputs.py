"""Bad files and a second writer, through the real `dictgame` command: one clear line, exit 2,
no traceback, and no user file changed."""

from __future__ import annotations

import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from unprivileged import unprivileged_command

from dictgame.models import embedded_model_path
from dictgame.saves import GameStore

DICTGAME = str(Path(sys.executable).parent / "dictgame")
SCRIPTED = {"DICTGAME_BACKEND": "scripted"}


def dictgame(*args: str, env: dict[str, str] | None = None, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DICTGAME, *args], capture_output=True, text=True, timeout=120,
        env={**os.environ, **(env or {})}, **kwargs,  # type: ignore[arg-type]
    )


def assert_clean_failure(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0]


def test_model_path_that_is_a_directory(tmp_path: Path) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    assert_clean_failure(dictgame("play", "--headless", "--model", str(folder)), str(folder), "directory")


def test_truncated_model_file(tmp_path: Path) -> None:
    """The header reads, but the weights are cut off: llama.cpp refuses it, we say so."""
    truncated = tmp_path / "cut.gguf"
    with embedded_model_path().open("rb") as source:
        truncated.write_bytes(source.read(3_000_000))
    before = truncated.read_bytes()
    db = tmp_path / "g.db"
    result = dictgame("play", "--headless", "--rounds", "1", "--model", str(truncated), "--db", str(db))
    assert_clean_failure(result, str(truncated))
    assert truncated.read_bytes() == before
    assert "No saved games" in dictgame("list", "--db", str(db)).stdout  # no empty game left


def test_model_of_an_architecture_llama_cpp_cannot_load(tmp_path: Path) -> None:
    strange = tmp_path / "strange.gguf"
    shutil.copyfile(embedded_model_path(), strange)
    with strange.open("r+b") as file:
        header = file.read(1 << 16)
        key = b"general.architecture"
        value_at = header.index(key) + len(key) + 4 + 8  # value type (u32), length (u64)
        assert header[value_at : value_at + 5] == b"llama"
        file.seek(value_at)
        file.write(b"zzzzz")
    result = dictgame("play", "--headless", "--rounds", "1", "--model", str(strange), "--db", str(tmp_path / "g.db"))
    assert_clean_failure(result, str(strange))


def test_database_from_a_newer_dictgame_is_refused_untouched(tmp_path: Path) -> None:
    db = tmp_path / "games.db"
    GameStore.open(db).close()
    connection = sqlite3.connect(db)
    connection.execute("insert into _dictgame_migrations (migration_set, name, applied_at) values ('dictgame', 'm999_from_the_future', '2030-01-01')")
    connection.commit()
    connection.close()
    before = db.read_bytes()
    assert_clean_failure(dictgame("list", "--db", str(db)), str(db), "newer")
    assert db.read_bytes() == before


def _limit_file_size(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_full_disk_mid_game_keeps_every_saved_move(tmp_path: Path) -> None:
    """Files may not grow past a limit (as on a full disk): the game stops with a clear line,
    the database stays valid with every move saved before, and the game resumes later."""
    db = tmp_path / "games.db"
    result = dictgame(
        "play", "--headless", "--rounds", "200", "--seed", "1", "--db", str(db),
        env=SCRIPTED, preexec_fn=lambda: _limit_file_size(400_000),
    )
    assert_clean_failure(result, str(db), "cannot write")
    connection = sqlite3.connect(db)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        saved = connection.execute("select count(*) from moves").fetchone()[0]
    finally:
        connection.close()
    assert saved > 0
    with GameStore.open(db) as store:
        assert store.load_game(1).moves_played == saved
    resumed = dictgame("resume", "1", "--headless", "--db", str(db), env=SCRIPTED)
    assert resumed.returncode == 0, resumed.stderr


def test_a_second_process_cannot_play_a_game_that_is_open(tmp_path: Path) -> None:
    db = tmp_path / "games.db"
    env = {**os.environ, **SCRIPTED, "DICTGAME_SCRIPTED_TOKEN_DELAY": "0.05"}
    first = subprocess.Popen(
        [DICTGAME, "play", "--headless", "--rounds", "50", "--db", str(db)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if db.exists() and "playing" in dictgame("list", "--db", str(db)).stdout:
                break
            time.sleep(0.2)
        second = dictgame("resume", "1", "--headless", "--db", str(db), env=SCRIPTED)
        assert_clean_failure(second, "Game 1 is open in another dictgame", f"process {first.pid}", "read-only")
        # Read-only viewing works while the game is being played.
        assert dictgame("export", "1", "--format", "markdown", "--db", str(db)).returncode == 0
    finally:
        first.kill()
        first.wait()


def test_read_only_database(tmp_path: Path) -> None:
    """Run without root's power over files (tests/unprivileged.py), so it holds in CI too."""
    db = tmp_path / "games.db"
    assert dictgame("play", "--headless", "--rounds", "1", "--db", str(db), env=SCRIPTED).returncode == 0
    db.chmod(0o444)
    before = db.read_bytes()
    refused = subprocess.run(
        unprivileged_command([DICTGAME, "play", "--headless", "--rounds", "1", "--db", str(db)]),
        capture_output=True, text=True, timeout=120, env={**os.environ, **SCRIPTED},
    )
    assert_clean_failure(refused, str(db))
    assert db.read_bytes() == before


@pytest.mark.real_model
def test_context_too_large_for_memory_names_the_setting_to_change() -> None:
    from dictgame.engine.players.llama import LlamaBackend, ModelLoadError

    # About 770 GB of KV cache: refused at once. (A size that barely fits RAM would really be
    # allocated and zeroed, which takes most of a minute.)
    backend = LlamaBackend(n_ctx=1 << 25)
    try:
        with pytest.raises(ModelLoadError, match="lower --context-size"):
            backend.session(embedded_model_path())
    finally:
        backend.close()


def test_a_damaged_save_names_game_and_move_and_spares_the_others(tmp_path: Path) -> None:
    """A save edited by hand (or by a buggy version): one line, exit 2, file untouched, and
    every other game still lists, exports and resumes."""
    db = tmp_path / "games.db"
    for seed in ("1", "2"):
        assert dictgame("play", "--headless", "--rounds", "2", "--seed", seed, "--db", str(db),
                        env=SCRIPTED).returncode == 0
    with sqlite3.connect(db) as connection:
        connection.execute(
            "update moves set record_json = '{\"round\": \"many\"}' where game_id = 1 and move_index = 2"
        )
    connection.close()
    before = db.read_bytes()
    for command in (["export", "1"], ["resume", "1", "--headless"]):
        result = dictgame(*command, "--db", str(db), env=SCRIPTED)
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "Saved game 1 is damaged: move 2" in lines[0]
        assert "Traceback" not in result.stderr
    assert db.read_bytes() == before
    listed = dictgame("list", "--db", str(db))
    assert listed.returncode == 0 and listed.stdout.count("dictionary") == 2
    assert dictgame("export", "2", "--db", str(db)).returncode == 0
