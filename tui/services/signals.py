"""Stopping a game from outside: Ctrl+C, `kill` (SIGTERM), the terminal closing (SIGHUP).

Each stops a headless game at once, as Ctrl+C always did: the signal is raised as `Stopped`
(a KeyboardInterrupt) wherever the game is, the move being played is dropped whole, and
every completed move is already in the save file. The command then prints one line and
exits with 128 + the signal's number, as shells report a process a signal ended.

The one place a signal must wait is the commit of a finished move (`held_signals`): a move
that is complete is saved before the game stops.

The terminal UI keeps Textual's own handling (it reads Ctrl+C as a key).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

log = logging.getLogger("dictgame.signals")

_NAMES: dict[int, str] = {signal.SIGINT: "Ctrl+C", signal.SIGTERM: "SIGTERM"}
if hasattr(signal, "SIGHUP"):  # not on Windows
    _NAMES[signal.SIGHUP] = "SIGHUP (the terminal closed)"

_held = False
_pending: int | None = None


class Stopped(KeyboardInterrupt):
    """A signal asked dictgame to stop."""

    def __init__(self, signal_number: int) -> None:
        super().__init__(signal_number)
        self.signal_number = signal_number

    @property
    def exit_code(self) -> int:
        return 128 + self.signal_number

    @property
    def reason(self) -> str:
        return _NAMES.get(self.signal_number, f"signal {self.signal_number}")


def _stop(signal_number: int, frame: FrameType | None) -> None:
    global _pending
    if _held:
        _pending = signal_number
        return
    _restore_defaults()
    raise Stopped(signal_number)


def _restore_defaults() -> None:
    """Once stopping, a second signal ends the process at once, as it would without dictgame."""
    for signal_number in _NAMES:
        signal.signal(signal_number, signal.SIG_DFL)


def stop_on_signals() -> None:
    """Raise `Stopped` in the main thread on Ctrl+C, SIGTERM and SIGHUP."""
    for signal_number in _NAMES:
        signal.signal(signal_number, _stop)


@contextmanager
def held_signals() -> Iterator[None]:
    """Let a stop wait until the block is done (the commit of a finished move), then stop."""
    global _held, _pending
    _held = True
    try:
        yield
    finally:
        _held = False
    if _pending is not None:
        signal_number, _pending = _pending, None
        _restore_defaults()
        raise Stopped(signal_number)


def stopped(
    stop: KeyboardInterrupt, *, game_id: int | None = None, before_game: bool = False,
    run_id: int | None = None, kept: str = "",
) -> int:
    """Say in one line why the command stopped and what was kept; returns the exit code."""
    reason = stop.reason if isinstance(stop, Stopped) else _NAMES[signal.SIGINT]
    if before_game:
        kept = " before the game started; nothing was stored"
    elif game_id is not None:
        kept = (
            f"; every completed move is saved, and `dictgame resume {game_id} --headless` "
            "goes on from there"
        )
    elif run_id is not None:
        kept = f"; every completed move is saved. Continue with: dictgame run --resume {run_id}"
    log.info("stopped by %s (game %s)", reason, game_id)
    _say(f"\nStopped by {reason}{kept}.")
    return stop.exit_code if isinstance(stop, Stopped) else 128 + signal.SIGINT


def output_closed() -> int:
    """stdout's reader went away (`dictgame export 1 | head`): stop quietly, as SIGPIPE would."""
    _silence_closed_streams()
    return 128 + 13  # SIGPIPE


def _say(line: str) -> None:
    try:
        sys.stdout.flush()  # the transcript first, then the line that ends it
        print(line, file=sys.stderr, flush=True)
    except OSError:  # the terminal is gone (SIGHUP): the log file has the line
        _silence_closed_streams()


def _silence_closed_streams() -> None:
    """Point stdout and stderr at /dev/null, so the flush at exit cannot fail (exit code 120)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        for stream in (sys.__stdout__, sys.__stderr__):
            if stream is not None:
                os.dup2(devnull, stream.fileno())
    finally:
        os.close(devnull)
