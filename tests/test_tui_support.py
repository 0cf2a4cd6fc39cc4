"""Shared helpers of the TUI tests: temp data paths, a scripted config, waiting on the app."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from dictgame.engine.backend import GenerationRequest
from dictgame.engine.scripted import Responder, phrasebook_player
from dictgame.tui.config import DictgameConfig


@pytest.fixture
def config(tmp_path: Path) -> DictgameConfig:
    return DictgameConfig(
        db=tmp_path / "games.db",
        backend="scripted",
        seed=7,
        games={"dictionary": {"rounds": 3, "words_per_message": 6}},
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
