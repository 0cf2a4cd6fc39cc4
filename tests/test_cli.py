"""The `dictgame` command as a user runs it: real processes, exit codes, what is printed and stored."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def dictgame(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "dictgame"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


SCRIPTED = {"DICTGAME_BACKEND": "scripted"}


def assert_clean_failure(result: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit code 2, one line on stderr naming the problem, no traceback."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0]


def test_version_and_help() -> None:
    assert dictgame("--version").stdout.startswith("dictgame ")
    help_text = dictgame("--help").stdout
    for command in ("play", "new", "resume", "list", "export", "models"):
        assert command in help_text


def test_headless_game_is_stored_listed_and_exported(tmp_path: Path) -> None:
    db = tmp_path / "games.db"
    played = dictgame("play", "--headless", "--rounds", "2", "--seed", "5", "--db", str(db), env=SCRIPTED)
    assert played.returncode == 0, played.stderr
    assert "game id: 1" in played.stdout
    assert "[round 2] Bruno: " in played.stdout
    assert "common dictionary:" in played.stdout

    listed = dictgame("list", "--db", str(db))
    assert "English / Spanish" in listed.stdout and "success" in listed.stdout and "2 of 2" in listed.stdout

    record = json.loads(dictgame("export", "1", "--format", "json", "--db", str(db)).stdout)
    assert [m["seat"] for m in record["messages"]] == [0, 1, 0, 1]
    assert record["status"] == "finished" and record["settings"]["seed"] == 5
    assert record["scores"]["players"][1]["requests"] >= 2

    transcript = dictgame("export", "1", "--format", "markdown", "--db", str(db)).stdout
    assert transcript.startswith("# dictgame 1: Alice (English) and Bruno (Spanish)")
    assert record["messages"][0]["text"] in transcript


def test_settings_flags_reach_the_game(tmp_path: Path) -> None:
    db = tmp_path / "games.db"
    result = dictgame(
        "play", "--headless", "--rounds", "1", "--lang-b", "French", "--name-a", "Ann",
        "--opening", "Hello friend", "--db", str(db), env=SCRIPTED,
    )
    assert result.returncode == 0, result.stderr
    record = json.loads(dictgame("export", "1", "--format", "json", "--db", str(db)).stdout)
    assert record["settings"]["players"][0]["name"] == "Ann"
    assert record["settings"]["players"][1]["language"] == "French"
    assert record["messages"][0]["text"] == "Hello friend"


def test_config_file_and_environment_set_defaults_flags_win(tmp_path: Path, isolated_locations: Path) -> None:
    config = Path(os.environ["DICTGAME_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('name_b = "Greta"\n[games.dictionary]\nrounds = 1\nlang_b = "German"\n')
    db = tmp_path / "games.db"
    env = {**SCRIPTED, "DICTGAME_NAME_B": "Gus"}
    assert dictgame("play", "--headless", "--lang-b", "Italian", "--db", str(db), env=env).returncode == 0
    settings = json.loads(dictgame("export", "1", "--format", "json", "--db", str(db)).stdout)["settings"]
    assert settings["rounds"] == 1
    assert settings["players"][1] == {"name": "Gus", "language": "Italian", "model": None, "human": False}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("roundz = 3\n", ["Config file", "roundz", "unknown setting"]),
        ('[games.dictionary]\nrounds = "many"\n', ["Config file", "games.dictionary.rounds"]),
        ('[games.dictionary]\nroundz = 3\n', ["Config file", "games.dictionary.roundz"]),
        ('[runtime]\nthreads = 0\n', ["Config file", "runtime.threads"]),
        ("rounds = = 3\n", ["Config file", "not valid TOML"]),
    ],
)
def test_bad_config_file_gives_one_clear_line(text: str, words: list[str]) -> None:
    config = Path(os.environ["DICTGAME_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(text)
    assert_clean_failure(dictgame("list", env=SCRIPTED), *words, str(config))
    assert config.read_text() == text


def test_bad_flag_value_names_the_flag() -> None:
    assert_clean_failure(dictgame("play", "--headless", "--rounds", "0", env=SCRIPTED), "--rounds")


def test_missing_and_non_gguf_model_files_fail_cleanly_before_anything_is_stored(tmp_path: Path) -> None:
    db = tmp_path / "games.db"
    missing = tmp_path / "nope.gguf"
    assert_clean_failure(dictgame("play", "--headless", "--model", str(missing), "--db", str(db)), str(missing))
    text_file = tmp_path / "notes.gguf"
    text_file.write_text("just some notes\n")
    assert_clean_failure(dictgame("play", "--headless", "--model", str(text_file), "--db", str(db)), str(text_file))
    assert text_file.read_text() == "just some notes\n"
    assert "No saved games" in dictgame("list", "--db", str(db)).stdout


def test_database_that_is_not_sqlite_is_refused_and_left_unchanged(tmp_path: Path) -> None:
    db = tmp_path / "games.db"
    db.write_bytes(b"my thesis, not a database\n" * 50)
    before = db.read_bytes()
    assert_clean_failure(dictgame("list", "--db", str(db)), str(db))
    assert_clean_failure(dictgame("play", "--headless", "--rounds", "1", "--db", str(db), env=SCRIPTED), str(db))
    assert db.read_bytes() == before


def test_every_user_error_named_by_the_error_path_is_a_class_of_its_module() -> None:
    """The error path reads the user's errors by module and name from what is loaded (it
    imports nothing when a command fails): a renamed or moved class would silently turn
    its one line into a traceback, so each name must be an exception of its module, and
    with every module loaded each one is among the user's errors."""
    import importlib

    from dictgame.tui.cli.main import USER_ERRORS, user_errors

    named = {module: [getattr(importlib.import_module(module), name) for name in names]
             for module, names in USER_ERRORS.items()}
    for module, errors in named.items():
        assert all(isinstance(e, type) and issubclass(e, Exception) for e in errors), module
        assert all(e.__module__ == module for e in errors), module
    assert {e for errors in named.values() for e in errors} <= set(user_errors())


def test_unknown_game_id() -> None:
    assert_clean_failure(dictgame("export", "42", "--format", "json", env=SCRIPTED), "42")
    assert_clean_failure(dictgame("resume", "42", "--headless", env=SCRIPTED), "42")


def test_resume_continues_a_stored_game_to_its_end(tmp_path: Path) -> None:
    from dictgame.engine.core.episode import GameMaster
    from dictgame.engine.games.dictionary.settings import GameSettings
    from dictgame.engine.games.dictionary.state import GameState
    from dictgame.engine.scripted import ScriptedBackend
    from dictgame.saves import GameStore

    db = tmp_path / "games.db"
    state = GameState(GameSettings(rounds=3, seed=9))
    backend = ScriptedBackend()
    master = GameMaster(state, (backend.session(Path("a")), backend.session(Path("b"))))
    with GameStore.open(db) as store:
        game_id = store.create_game(state.settings)
        for _ in range(3):  # stopped in the middle of round 2
            store.save_move(game_id, state, master.play_next_move())

    result = dictgame("resume", str(game_id), "--headless", "--db", str(db), env=SCRIPTED)
    assert result.returncode == 0, result.stderr
    assert "[round 1]" not in result.stdout and "[round 2] Bruno" in result.stdout
    record = json.loads(dictgame("export", str(game_id), "--format", "json", "--db", str(db)).stdout)
    assert [m["move_index"] for m in record["messages"]] == list(range(6))
    assert record["status"] == "finished"




def test_streamed_replies_print_without_trailing_blank_lines() -> None:
    """A base model's reply ends in a newline before the stop header: no blank line printed."""
    from io import StringIO

    from dictgame.engine.games.dictionary.events import AttemptFinished, StepStarted, TextStreamed
    from dictgame.engine.games.dictionary.records import Attempt
    from dictgame.engine.games.dictionary.settings import GameSettings
    from dictgame.engine.games.dictionary.state import GameState
    from dictgame.tui.services.headless import TranscriptPrinter

    out = StringIO()
    printer = TranscriptPrinter(GameState(GameSettings(rounds=1)), out)
    printer(StepStarted(0, "opening", 0))
    for piece in ["Hello", "\n", "  there", "\n", "\n"]:
        printer(TextStreamed(0, "opening", piece))
    printer(AttemptFinished(0, Attempt(step="opening", instruction="...", raw_output="")))
    assert out.getvalue() == "[round 1] Alice: Hello\n  there\n"


def test_an_unknown_language_in_a_grounded_mode_is_one_clear_line() -> None:
    result = dictgame("play", "--headless", "--mode", "scenes", "--lang-a", "Klingon", env=SCRIPTED)
    assert_clean_failure(result, "'Klingon' is not in the concept bank", "English, Spanish")


@pytest.mark.parametrize("mode", ["scenes", "invented"])
def test_a_grounded_game_plays_headless_resumes_and_exports_its_scenes(tmp_path: Path, mode: str) -> None:
    from dictgame.engine.core.episode import GameMaster
    from dictgame.engine.games.dictionary.settings import GameSettings
    from dictgame.engine.games.dictionary.state import GameState
    from dictgame.engine.scripted import ScriptedBackend
    from dictgame.saves import GameStore

    db = tmp_path / "games.db"
    played = dictgame("play", "--headless", "--mode", mode, "--rounds", "3", "--seed", "2",
                      "--db", str(db), env=SCRIPTED)
    assert played.returncode == 0, played.stderr
    assert "[round 2] Bruno names: " in played.stdout and "Bruno guessed round 1: " in played.stdout
    state = GameState(GameSettings(mode=mode, rounds=4, seed=9))  # type: ignore[arg-type]
    backend = ScriptedBackend()
    master = GameMaster(state, (backend.session(Path("a")), backend.session(Path("b"))))
    with GameStore.open(db) as store:
        game_id = store.create_game(state.settings)
        for _ in range(2):
            store.save_move(game_id, state, master.play_next_move())
    resumed = dictgame("resume", str(game_id), "--headless", "--db", str(db), env=SCRIPTED)
    assert resumed.returncode == 0, resumed.stderr
    assert "[round 3] Alice names: " in resumed.stdout and "[round 2] Bruno names" not in resumed.stdout
    record = json.loads(dictgame("export", str(game_id), "--format", "json", "--db", str(db)).stdout)
    assert record["status"] == "finished" and record["settings"]["concepts"] == list(state.settings.concepts)
    assert [m["round"] for m in record["moves"]] == [1, 1, 2, 3, 4]
    assert [m["scene"]["round"] for m in record["moves"][1:]] == [1, 2, 3, 4]
