"""What the user reads: counts agree with their nouns, and a line shown alone is a sentence."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dictgame.engine.words import plural, sentence

DICTGAME = str(Path(sys.executable).parent / "dictgame")
SCRIPTED = {"DICTGAME_BACKEND": "scripted"}
WRONG_PLURAL = re.compile(r"\b1 (rounds|entries|pairs|tokens|prompt tokens|words|moves)\b")


def dictgame(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DICTGAME, *args], capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})}
    )


def test_plural_and_sentence() -> None:
    assert [plural(n, "round") for n in (0, 1, 2)] == ["0 rounds", "1 round", "2 rounds"]
    assert plural(1, "entry", "entries") == "1 entry" and plural(3, "entry", "entries") == "3 entries"
    assert sentence("there is no saved game 4") == "There is no saved game 4."
    assert sentence("Game 4 deleted.") == "Game 4 deleted."
    assert sentence("  ") == ""


def test_a_one_round_game_reads_in_the_singular(tmp_path: Path) -> None:
    db = str(tmp_path / "g.db")
    played = dictgame(
        "play", "--headless", "--rounds", "1", "--words-per-message", "1", "--db", db, env=SCRIPTED
    )
    assert played.returncode == 0, played.stderr
    assert ", 1 round, seed" in played.stdout and "finished after 1 round." in played.stdout
    transcript = dictgame("export", "1", "--db", db).stdout
    assert "1 word per message" in transcript
    for text in (played.stdout, transcript):
        assert not WRONG_PLURAL.search(text), WRONG_PLURAL.search(text)


@pytest.mark.parametrize(
    "args",
    [
        ("export", "42"),
        ("play", "--headless", "--model", "/nowhere/model.gguf"),
        ("play", "--headless", "--rounds", "0"),
        ("list", "--db", "/dev/null/x.db"),
        ("list", "--db", "/nowhere/x.db"),
        ("list", "--config", "/nowhere/config.toml"),
    ],
)
def test_an_error_is_one_sentence(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = dictgame(*args, env={"DICTGAME_DB": str(tmp_path / "g.db")})
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert re.fullmatch(r"dictgame: [A-Z-].*[.!?]", line), line
