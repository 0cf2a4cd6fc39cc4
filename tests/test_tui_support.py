"""Shared helpers of the TUI tests: temp data paths, a scripted config, waiting on the app."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from dictgame.engine.backend import GenerationRequest
from dictgame.engine.scripted import Responder, phrasebook_player
from dictgame.tui.config import DictgameConfig
from textual.pilot import Pilot


@pytest.fixture(autouse=True)
def data_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every path the app writes points into the test's temp folder, never the user's."""
    monkeypatch.setenv("DICTGAME_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DICTGAME_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("DICTGAME_LOG_DIR", str(tmp_path / "logs"))
    for name in ("DICTGAME_BACKEND", "DICTGAME_MODEL", "DICTGAME_THEME", "DICTGAME_SEED"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture
def config(tmp_path: Path) -> DictgameConfig:
    return DictgameConfig(
        db=tmp_path / "games.db", backend="scripted", rounds=3, seed=7, words_per_message=6
    )


async def wait_until(
    pilot: Pilot[object], predicate: Callable[[], object], timeout: float = 10.0
) -> None:
    """Let the app run until `predicate()` holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {predicate}")
        await pilot.pause(0.02)


class Gate:
    """A responder that plays like the phrasebook but stops at the `stop_at`-th request
    until released, so a test can pause at an exact point of the game."""

    def __init__(self, stop_at: int, responder: Responder = phrasebook_player) -> None:
        self.stop_at = stop_at
        self.responder = responder
        self.seen: list[GenerationRequest] = []
        self.waiting = threading.Event()
        self.released = threading.Event()

    def __call__(self, request: GenerationRequest) -> str:
        self.seen.append(request)
        if len(self.seen) == self.stop_at:
            self.waiting.set()
            self.released.wait(timeout=30)
        return self.responder(request)


@pytest.fixture
def release_gates() -> Iterator[list[Gate]]:
    """Gates a test opened are released at its end, so no worker thread is left waiting."""
    gates: list[Gate] = []
    yield gates
    for gate in gates:
        gate.released.set()
