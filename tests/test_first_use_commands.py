"""The commands as a new user met them (issue 23): wrong paths, settings a game lacks, a typo
in the config, a run's progress in a terminal, each run the way the person ran it."""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

import pytest
from test_bad_inputs import assert_clean_failure, dictgame
from test_terminal_text import SCRIPTED, in_terminal

from dictgame.tui.services.runner import Progress


def test_a_save_file_in_a_folder_that_does_not_exist_is_refused_and_nothing_is_made(
    tmp_path: Path,
) -> None:
    absent = tmp_path / "absent" / "dir"
    result = dictgame("--db", str(absent / "x.db"), "list")
    assert_clean_failure(result, "--db", str(absent), "does not exist")
    assert not (tmp_path / "absent").exists()
    assert "No saved games yet" not in result.stdout


def test_a_save_file_named_in_the_config_whose_folder_is_missing_names_the_config(
    tmp_path: Path,
) -> None:
    Path(os.environ["DICTGAME_CONFIG"]).write_text(f'db = "{tmp_path / "nowhere" / "g.db"}"\n')
    assert_clean_failure(dictgame("list"), "Config file", "nowhere", "does not exist")
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize("how", ["--config", "DICTGAME_CONFIG"])
def test_a_config_file_that_does_not_exist_is_refused(tmp_path: Path, how: str) -> None:
    missing = str(tmp_path / "typo.toml")
    args, env = (["--config", missing], {}) if how == "--config" else ([], {"DICTGAME_CONFIG": missing})
    result = dictgame(*args, "list", "--db", str(tmp_path / "g.db"), env=env)
    assert_clean_failure(result, missing, how, "does not exist")


def test_the_default_config_file_may_be_absent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DICTGAME_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config-here"))
    result = dictgame("list", "--db", str(tmp_path / "g.db"))
    assert result.returncode == 0, result.stderr


def test_rounds_for_a_game_without_rounds_says_which_settings_it_has(tmp_path: Path) -> None:
    result = dictgame("play", "--headless", "--game", "firstlast", "--rounds", "3",
                      "--db", str(tmp_path / "g.db"), env=SCRIPTED)
    assert_clean_failure(result, "--rounds", "First and Last has no setting 'rounds'", "turns")
    assert "Extra inputs" not in result.stderr
    assert "Dictionary Discovery: rounds to play" in dictgame("play", "--help").stdout


@pytest.mark.parametrize(
    ("config", "suggested"),
    [
        ("[runtime]\nthread = 2\n", "runtime.thread: unknown setting; did you mean threads?"),
        ("modle = 'x.gguf'\n", "modle: unknown setting; did you mean model?"),
        ("[games.dictionary]\nround = 2\n", "has no setting 'round'; did you mean rounds?"),
        ("[games.dealnodeal]\nguide = true\n", "has no setting 'guide'; did you mean guided?"),
    ],
)
def test_a_typo_in_the_config_gets_the_nearest_setting(
    tmp_path: Path, config: str, suggested: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(config)
    result = dictgame("--config", str(path), "list", "--db", str(tmp_path / "g.db"))
    assert_clean_failure(result, suggested)
    assert "Extra inputs" not in result.stderr


def test_instances_to_a_folder_that_does_not_exist_is_one_clear_line(tmp_path: Path) -> None:
    out = tmp_path / "absent" / "i.json"
    result = dictgame("instances", "hellogame", "--out", str(out))
    assert_clean_failure(result, str(out), "cannot write")
    assert "nexpected" not in result.stderr


def test_resuming_a_run_as_another_game_is_refused(tmp_path: Path) -> None:
    db = str(tmp_path / "g.db")
    started = dictgame("run", "--game", "hellogame", "--experiment", "en", "--db", db, env=SCRIPTED)
    assert started.returncode == 0, started.stderr
    result = dictgame("run", "--game", "dictionary", "--resume", "1", "--db", db, env=SCRIPTED)
    assert_clean_failure(result, "run 1 is a run of Hello Game", "--resume 1")
    with sqlite3.connect(db) as connection:
        assert connection.execute("select count(*) from games").fetchone()[0] == 5


def test_a_runs_progress_line_is_redrawn_in_a_terminal_not_shown_escaped(tmp_path: Path) -> None:
    code, output = in_terminal(
        "run", "--game", "hellogame", "--experiment", "en", "--db", str(tmp_path / "g.db"),
        env=SCRIPTED,
    )
    assert code == 0, output
    # Each redraw: carriage return, erase the line, the bar; no escaped \r or ESC shown as text.
    assert output.count(b"\r\x1b[2K[") == 6, output  # "starting", then one per episode
    assert b"\\x0d" not in output and b"\\x1b" not in output
    assert b"[####################] 5/5 episodes" in output


class FakeTerminal:
    """A stream that says it is a terminal and keeps what it was sent."""

    def __init__(self) -> None:
        self.written = ""

    def write(self, text: str) -> int:
        self.written += text
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return True


def test_the_progress_line_escapes_the_text_it_shows_but_not_its_own_codes() -> None:
    terminal = FakeTerminal()
    progress = Progress(2, 0, terminal)  # type: ignore[arg-type]
    progress.advance("game 1: \x1b]0;pwned\x07")
    line = terminal.written
    assert line.startswith("\r\x1b[2K[")
    assert "\\x1b]0;pwned\\x07" in line and "\x07" not in line
    assert re.search(r"1/2 episodes", line)


def tiny_model(path: Path) -> Path:
    """A GGUF whose header makes it a model (no weights: it is listed, never loaded)."""
    from test_models import gguf_file, kv_string

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gguf_file([kv_string("general.architecture", "llama")]))
    return path


def test_models_lists_what_dictgame_fine_tuned_wherever_it_was_written(tmp_path: Path) -> None:
    from dictgame.tui.services.ui_state import remember_tuned_model

    db = tmp_path / "study" / "games.db"
    tiny_model(db.parent / "finetuned" / "run-1-above_avg.gguf")  # the runs screen's file
    elsewhere = tiny_model(tmp_path / "mine" / "iteration-1.gguf")  # finetune --out, iterate
    remember_tuned_model(elsewhere)
    gone = tiny_model(tmp_path / "gone.gguf")
    remember_tuned_model(gone)
    gone.unlink()
    listed = dictgame("models", "--db", str(db))
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    for name in ("run-1-above_avg", "iteration-1"):
        (line,) = [line for line in lines if line.split()[:1] == [name]]
        assert line.split()[1] == "llama"
    assert "gone" not in listed.stdout
