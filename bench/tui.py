"""Targets 3 (in the TUI) and 7, UI latency: the real app, driven by Textual's pilot.

`DictgameApp(config, new_game=settings, backend=...)` runs headless (`App.run_test`) on the
real llama.cpp backend (default threads), wrapped only to keep each request so the raw loop
can reuse the prompt. The compositor still renders every frame; only the terminal write is
skipped.

Decode speed with the screen updating: the game is stepped one move at a time (key `n`),
and after each move a raw `Llama.generate` loop writes 64 tokens after that move's update
prompt, alternating A B A B, as in the headless benchmark.

Latency: while the model writes (game playing), key `v` (next dictionary view) is sent at
random moments through the driver, as a terminal would (the pilot's own `press` waits for an
idle CPU, which never comes while a model generates); the latency of a press is from just
before it is sent to the first frame the compositor renders after the table took the new
view (App._display is called once per frame).
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from .common import (
    Call,
    RecordingSession,
    decode_speed,
    game_settings,
    log,
    raw_generate,
    raw_llama,
    rnd,
)
from .context import WORDS, BenchContext

NAME = "tui"
RAW_TOKENS = 64
LATENCY_LIMIT_MS = 100.0


class _RecordingBackend:
    """The real LlamaBackend; each session keeps its requests (see common.RecordingSession)."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.calls: list[Call] = []
        self.state: Any = None
        self._seats = 0

    def session(self, model_path: Path) -> Any:
        seat, self._seats = self._seats, self._seats + 1
        return RecordingSession(self.backend.session(model_path), seat, self.calls, _StateView(self))

    def close(self) -> None:
        self.backend.close()


class _StateView:
    def __init__(self, owner: _RecordingBackend) -> None:
        self._owner = owner

    @property
    def moves_played(self) -> int:
        state = self._owner.state
        return state.moves_played if state is not None else 0


def _send_key(app: Any, key: str) -> None:
    """Deliver a key as a terminal driver does, without the pilot's wait for an idle CPU
    (`Pilot.press` waits until the process stops using CPU, up to 1 s twice, which a model
    generating in a thread never does)."""
    from textual import events

    event = events.Key(key, key)
    event.set_sender(app)
    app._driver.send_message(event)


async def _wait(pilot: Any, condition: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await pilot.pause(0.02)
    return True


async def _drive(ctx: BenchContext, steps: int, presses: int) -> dict[str, Any]:
    from dictgame.engine.players.llama import LlamaBackend
    from dictgame.tui.screens.app import DictgameApp
    from dictgame.tui.screens.game_screen import GameScreen, Mode
    from dictgame.tui.services.config import DictgameConfig
    from dictgame.tui.widgets.dictionary_table import DictionaryTable

    folder = tempfile.TemporaryDirectory(prefix="dictgame-bench-")
    home = Path(folder.name)
    config = DictgameConfig(
        db=home / "bench.db",
        runtime={"context_size": 4096},
        games={"dictionary": {"words_per_message": WORDS}},
    )
    backend = _RecordingBackend(LlamaBackend(n_ctx=4096, n_threads=ctx.n_threads))
    tokenizer = backend.backend.model(ctx.model)
    llm = raw_llama(ctx.model, n_ctx=4096, n_threads=ctx.n_threads)
    settings = game_settings(rounds=40, seed=13)
    app = DictgameApp(config, new_game=settings, backend=backend)
    frames: list[float] = []
    result: dict[str, Any] = {}
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            original_display = app._display

            def display(screen: Any, renderable: Any) -> None:
                if renderable is not None:
                    frames.append(time.perf_counter())
                original_display(screen, renderable)

            app._display = display  # type: ignore[method-assign]
            screen = app.screen
            assert isinstance(screen, GameScreen)
            backend.state = screen.state
            if not await _wait(pilot, lambda: screen.mode is not Mode.LOADING, 120):
                raise RuntimeError("the players were never seated")
            await pilot.press("space")  # pause; then step move by move
            await _wait(pilot, lambda: screen.mode is Mode.PAUSED, 30)

            # -- decode speed, stepping A B A B ------------------------------------------
            raw_runs: list[dict[str, float]] = []
            for _ in range(steps):
                before = screen.state.moves_played
                await pilot.press("n")
                ok = await _wait(
                    pilot,
                    lambda b=before: screen.state.moves_played > b and screen.mode is Mode.PAUSED,
                    120,
                )
                if not ok:
                    raise RuntimeError("a stepped move did not finish")
                index = screen.state.moves_played - 1
                calls = [c for c in backend.calls if c.move_index == index]
                if calls:
                    update = next((c for c in calls if c.request.json_schema is not None), calls[0])
                    tokens = tokenizer.tokenize_prompt(tokenizer.render(update.request.messages))
                    raw_runs.append(await asyncio.to_thread(raw_generate, llm, tokens, RAW_TOKENS))
            records = [m for m in screen.state.moves if m.attempts]
            attempts = [a for r in records for a in r.attempts]
            game_tokens, game_seconds = decode_speed(attempts)
            raw_tokens = sum(r["tokens"] - 1 for r in raw_runs)
            raw_seconds = sum(r["decode_seconds"] for r in raw_runs)
            in_tui = game_tokens / game_seconds if game_seconds else 0.0
            raw_speed = raw_tokens / raw_seconds if raw_seconds else 0.0
            result["decode"] = {
                "met": raw_speed > 0 and in_tui / raw_speed >= 0.9,
                "ratio_in_tui_vs_raw": rnd(in_tui / raw_speed if raw_speed else 0.0),
                "in_tui_tokens_per_s": rnd(in_tui, 1),
                "raw_tokens_per_s": rnd(raw_speed, 1),
                "in_tui_tokens": game_tokens,
                "moves": len(records),
                "frames_rendered": len(frames),
                "criteria": "decode tokens/s in the running TUI >= 0.9 x raw Llama.generate loop",
            }

            # -- latency while the model writes ------------------------------------------
            await pilot.press("space")  # resume: plays until paused
            await _wait(pilot, lambda: screen.mode is Mode.PLAYING, 30)
            table = screen.query_one(DictionaryTable)
            view_changes: list[float] = []  # when the table took a new view
            original_repaint = table._repaint
            seen = {"view": table.view}

            def repaint() -> None:
                if table.view != seen["view"]:
                    seen["view"] = table.view
                    view_changes.append(time.perf_counter())
                original_repaint()

            table._repaint = repaint  # type: ignore[method-assign]
            rng = random.Random(5)
            latencies: list[float] = []
            busy = 0
            for _ in range(presses):
                await asyncio.sleep(rng.uniform(0.05, 0.25))
                if screen.mode is not Mode.PLAYING:
                    break
                writing = screen._live.speaker is not None  # a move is being generated
                start = time.perf_counter()
                _send_key(app, "v")
                deadline = start + 2.0
                shown = None
                while shown is None and time.perf_counter() < deadline:
                    changed = next((t for t in view_changes if t >= start), None)
                    if changed is not None:
                        shown = next((f for f in frames if f >= changed), None)
                    if shown is None:
                        await asyncio.sleep(0.002)
                latencies.append(1000 * ((shown or deadline) - start))
                busy += writing
            await pilot.press("space")
            await _wait(pilot, lambda: screen.mode is not Mode.PLAYING, 30)
            latencies.sort()
            p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))] if latencies else 0.0
            result["latency"] = {
                "met": bool(latencies) and p95 <= LATENCY_LIMIT_MS,
                "p95_ms": rnd(p95, 1),
                "p50_ms": rnd(latencies[len(latencies) // 2], 1) if latencies else None,
                "max_ms": rnd(latencies[-1], 1) if latencies else None,
                "presses": len(latencies),
                "presses_while_generating": busy,
                "criteria": "95th percentile from key press to the frame showing it <= 100 ms",
            }
            await pilot.press("ctrl+q")
        result["met"] = result["decode"]["met"] and result["latency"]["met"]
    finally:
        llm.close()
        backend.close()
        folder.cleanup()
    return result


def run(ctx: BenchContext) -> dict[str, Any]:
    steps, presses = (4, 25) if ctx.quick else (6, 40)
    log(f"tui: {steps} stepped moves against the raw loop, then {presses} key presses while playing")
    result = asyncio.run(_drive(ctx, steps, presses))
    return result
