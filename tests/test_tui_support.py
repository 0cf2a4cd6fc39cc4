"""Shared helpers of the TUI tests: temp data paths, a scripted config, waiting on the app."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from dictgame.engine.backend import CancelToken, Generation, GenerationRequest, TokenCallback
from dictgame.engine.scripted import (
    Responder,
    ScriptedBackend,
    ScriptedSession,
    phrasebook_player,
)
from dictgame.tui.services.config import DictgameConfig


@pytest.fixture
def config(tmp_path: Path) -> DictgameConfig:
    return DictgameConfig(
        db=tmp_path / "games.db",
        backend="scripted",
        seed=7,
        games={"dictionary": {"rounds": 3, "words_per_message": 6}},
    )


async def wait_until(
    pilot: Pilot[object], predicate: Callable[[], object], timeout: float = 30.0
) -> None:
    """Let the app run until `predicate()` holds; fail after `timeout` seconds. The bound
    only catches a hang: 10 s was once too short for a scripted game to pause with four
    test processes on two cores; a test of how fast something answers passes its own."""
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


class HalfWritten:
    """A responder that stops in the middle of its `stop_at`-th answer: the first `words`
    words are streamed, the rest wait until released, so a test sees a move being written."""

    def __init__(self, stop_at: int, words: int, responder: Responder = phrasebook_player) -> None:
        self.gate = Gate(stop_at, responder)
        self.words = words

    def backend(self) -> ScriptedBackend:
        return HalfWrittenBackend(self)


class HalfWrittenSession(ScriptedSession):
    def __init__(self, half: HalfWritten) -> None:
        super().__init__(half.gate.responder, 0.0)
        self.half = half

    def generate(
        self,
        request: GenerationRequest,
        on_text: TokenCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Generation:
        gate = self.half.gate
        gate.seen.append(request)
        if len(gate.seen) != gate.stop_at:
            return super().generate(request, on_text, cancel)
        text = gate.responder(request)
        pieces = re.findall(r"\s*\S+", text)
        for piece in pieces[: self.half.words]:
            if on_text is not None:
                on_text(piece)
        gate.waiting.set()
        # As a model would, it stops writing when cancelled.
        deadline = time.monotonic() + 30
        while not gate.released.wait(0.02) and time.monotonic() < deadline:
            if cancel is not None:
                cancel.raise_if_cancelled()
        return super().generate(request, None, cancel)


class HalfWrittenBackend(ScriptedBackend):
    def __init__(self, half: HalfWritten) -> None:
        super().__init__()
        self.half = half

    def session(self, model_path: Path) -> ScriptedSession:
        return HalfWrittenSession(self.half)
