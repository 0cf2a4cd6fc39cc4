"""Text that reaches a terminal: names, languages, openings, model output and saves made
elsewhere may hold escape sequences; the real `dictgame` command, run in a pseudo-terminal,
never sends one on (files and pipes still get the data exactly as stored)."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import sqlite3
import struct
import subprocess
import sys
import termios
import time
import tty
from pathlib import Path

DICTGAME = str(Path(sys.executable).parent / "dictgame")
SCRIPTED = {"DICTGAME_BACKEND": "scripted"}

# Retitles the terminal (OSC 0, ended by BEL), turns the text red (CSI), an 8-bit CSI (C1).
NAME = "Ann\x1b]0;pwned\x07"
LANGUAGE = "Eng\x1b[31mRED"
OPENING = "Hi\x1b]0;pwned\x07 there\rX\x9b31m\x08end"


def in_terminal(
    *args: str, env: dict[str, str] | None = None, keys: bytes = b"", wait_for: bytes = b""
) -> tuple[int, bytes]:
    """Run dictgame with a pseudo-terminal as stdin, stdout and stderr; returns its exit code
    and every byte it wrote. Raw mode, so the bytes are exactly what dictgame wrote (no \\r
    added before each \\n). `keys` are typed once `wait_for` has appeared on screen."""
    controller, terminal = pty.openpty()
    tty.setraw(terminal)
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 140, 0, 0))
    process = subprocess.Popen(
        [DICTGAME, *args], stdin=terminal, stdout=terminal, stderr=terminal,
        env={**os.environ, "TERM": "xterm-256color", **(env or {})}, start_new_session=True,
    )
    os.close(terminal)
    output = bytearray()
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if keys and wait_for in output:
                time.sleep(0.5)  # let the screen settle, then type
                os.write(controller, keys)
                keys = b""
            if select.select([controller], [], [], 0.1)[0]:
                try:
                    chunk = os.read(controller, 65536)
                except OSError:  # EIO: the process has exited and closed the terminal
                    break
                if not chunk:
                    break
                output += chunk
    finally:
        if process.poll() is None:  # still running at the deadline: the test fails on its code
            process.kill()
        os.close(controller)
    return process.wait(), bytes(output)


def assert_only_newlines(output: bytes) -> str:
    text = output.decode("utf-8")
    controls = {c for c in text if (ord(c) < 32 and c != "\n") or 0x7F <= ord(c) <= 0x9F}
    assert not controls, (controls, text)
    return text


def play_hostile_game(db: Path) -> None:
    played = subprocess.run(
        [DICTGAME, "play", "--headless", "--rounds", "1", "--seed", "3", "--name-a", NAME,
         "--lang-a", LANGUAGE, "--opening", OPENING, "--db", str(db)],
        capture_output=True, text=True, timeout=120, env={**os.environ, **SCRIPTED},
    )
    assert played.returncode == 0, played.stderr


def test_headless_game_in_a_terminal_shows_escapes_instead_of_running_them(tmp_path: Path) -> None:
    code, output = in_terminal(
        "play", "--headless", "--rounds", "1", "--name-a", NAME, "--lang-a", LANGUAGE,
        "--opening", OPENING, "--db", str(tmp_path / "g.db"), env=SCRIPTED,
    )
    assert code == 0
    text = assert_only_newlines(output)
    assert "Ann\\x1b]0;pwned\\x07 (Eng\\x1b[31mRED)" in text
    assert "Hi\\x1b]0;pwned\\x07 there" in text and "X\\x9b31m\\x08end" in text


def test_export_to_a_terminal_is_printable_and_to_a_pipe_is_exact(tmp_path: Path) -> None:
    db = tmp_path / "g.db"
    play_hostile_game(db)
    for export_format in ("markdown", "json"):
        code, output = in_terminal("export", "1", "--format", export_format, "--db", str(db))
        assert code == 0
        assert "pwned" in assert_only_newlines(output)
    piped = subprocess.run(
        [DICTGAME, "export", "1", "--format", "json", "--db", str(db)],
        capture_output=True, text=True, timeout=60, check=True,
    )
    record = json.loads(piped.stdout)
    assert record["settings"]["players"][0] == {"name": NAME, "language": LANGUAGE, "model": None, "human": False}
    opening = record["messages"][0]["text"]  # the game master turned its CR into a space
    assert opening.startswith("Hi\x1b]0;pwned\x07 there") and opening.endswith("X\x9b31m\x08end")
    markdown = subprocess.run(
        [DICTGAME, "export", "1", "--db", str(db)], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert opening in markdown


def test_a_save_written_elsewhere_lists_printably(tmp_path: Path) -> None:
    db = tmp_path / "g.db"
    play_hostile_game(db)
    with sqlite3.connect(db) as connection:
        connection.execute("update games set summary = ?", ["Spa\x1b[2Jnish\x07"])
    connection.close()
    code, output = in_terminal("list", "--db", str(db))
    assert code == 0
    assert "Spa\\x1b[2Jnish\\x07" in assert_only_newlines(output)


def test_an_error_naming_a_hostile_path_is_one_printable_line(tmp_path: Path) -> None:
    model = tmp_path / "x\x1b]0;pwned\x07.gguf"
    code, output = in_terminal("play", "--headless", "--model", str(model), "--db", str(tmp_path / "g.db"))
    assert code == 2
    text = assert_only_newlines(output)
    assert len(text.strip().splitlines()) == 1
    assert "x\\x1b]0;pwned\\x07.gguf" in text


def test_the_terminal_ui_draws_names_and_messages_without_their_escape_sequences(tmp_path: Path) -> None:
    """Rich's Text and Textual's Content drop BEL and CR but keep ESC, so without the app's
    own filter the saved-games list and the game screen would send these sequences raw."""
    db = tmp_path / "g.db"
    play_hostile_game(db)
    env = {**SCRIPTED, "DICTGAME_DB": str(db)}
    for args, shown in [((), b"[31mRED"), (("resume", "1"), b"]0;pwned")]:
        code, output = in_terminal(*args, env=env, keys=b"\x11", wait_for=shown)  # ctrl+q
        assert code == 0, output[-2000:]
        assert shown in output  # the screen with the hostile text was drawn
        for sequence in (b"\x1b]0;pwned", b"\x1b[31mRED", b"\xc2\x9b", b"\x08"):
            assert sequence not in output, sequence
