"""A model whose chat template cannot play the game is refused when it is loaded, before any
game is stored, with the plain prompt format offered as the way to still play it."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from dictgame.models import embedded_model_path, read_model_info

DICTGAME = str(Path(sys.executable).parent / "dictgame")

UNSAFE = "{{ ''.__class__.__mro__[1].__subclasses__() }}"
BROKEN = "{% for message in messages %}{{ message['content'] }"
NO_SYSTEM_TURN = (
    "{% for m in messages %}{% if m['role'] == 'system' %}"
    "{{ raise_exception('System role not supported') }}{% endif %}{{ m['content'] }}{% endfor %}"
)
DROPS_THE_RULES = "{% for m in messages %}{% if m['role'] != 'system' %}{{ m['content'] }}{% endif %}{% endfor %}"


def model_with_template(folder: Path, template: str) -> Path:
    """The embedded SmolLM2 GGUF with another chat template, written over the original in
    place: the same length (padded with a Jinja comment), so every other byte is unchanged."""
    original = read_model_info(embedded_model_path()).chat_template
    assert original is not None
    size = len(original.encode())
    padding = size - len(template.encode()) - len("{##}")
    assert padding >= 0, "the replacement template is longer than the original"
    replacement = (template + "{#" + " " * padding + "#}").encode()
    path = folder / "hostile.gguf"
    shutil.copyfile(embedded_model_path(), path)
    with path.open("r+b") as file:
        header = file.read(1 << 24)  # the whole key/value section
        key = b"tokenizer.chat_template"
        value_type_at = header.index(key) + len(key)
        assert struct.unpack_from("<IQ", header, value_type_at) == (8, size)  # a string, that long
        file.seek(value_type_at + 12)
        file.write(replacement)
    assert read_model_info(path).chat_template == replacement.decode()
    return path


def dictgame(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DICTGAME, *args], capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})}
    )


@pytest.mark.parametrize(
    ("template", "what"),
    [
        (UNSAFE, "SecurityError"),
        (BROKEN, "not valid Jinja"),
        (NO_SYSTEM_TURN, "System role not supported"),
        (DROPS_THE_RULES, "leaves out the text of the game's system turns"),
    ],
)
def test_a_template_that_cannot_play_is_refused_before_a_game_is_stored(
    tmp_path: Path, template: str, what: str
) -> None:
    model = model_with_template(tmp_path, template)
    db = tmp_path / "games.db"
    result = dictgame("play", "--headless", "--rounds", "1", "--model", str(model), "--db", str(db))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert str(model) in line and "chat template" in line and what in line
    assert "--chat-format plain" in line and 'chat_format = "plain"' in line
    assert "No saved games" in dictgame("list", "--db", str(db)).stdout


@pytest.mark.real_model
def test_the_plain_prompt_format_plays_a_model_whose_template_is_refused(tmp_path: Path) -> None:
    model = model_with_template(tmp_path, UNSAFE)
    db = tmp_path / "games.db"
    flag = dictgame(
        "play", "--headless", "--rounds", "1", "--words-per-message", "4", "--context-size", "1024",
        "--model", str(model), "--chat-format", "plain", "--db", str(db),
    )
    assert flag.returncode == 0, flag.stderr
    config = tmp_path / "config.toml"
    config.write_text('[runtime]\nchat_format = "plain"\n')
    from_config = dictgame(
        "play", "--headless", "--rounds", "1", "--words-per-message", "4", "--context-size", "1024",
        "--model", str(model), "--config", str(config), "--db", str(db),
    )
    assert from_config.returncode == 0, from_config.stderr
    games = dictgame("list", "--db", str(db)).stdout.splitlines()[1:]
    assert len(games) == 2 and not any("playing" in g or "aborted" in g for g in games)
