"""Batch runs: every episode of a run played through the one episode loop, with progress.

A run's episodes are stored before the first one is played (`saves.runs`), and each
episode's game is created together with its link to the run, so a run killed at any moment
and started again plays no finished episode twice and resumes the one that was cut short.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Any, TextIO

from ...engine.backend import Backend, CancelToken
from ...engine.core.episode import play
from ...engine.core.game import Game
from ...engine.core.instances import InstancesError, check_instance
from ...engine.games import get_game
from ...saves import DamagedRun, GameStore
from ...saves.runs import EpisodeRow, episodes, run_arguments
from .config import DictgameConfig
from .episodes import open_episode
from .players import Seats, seat_players, seat_provenance
from .terminal import printable, unguarded

DONE = ("finished", "aborted")


class Progress:
    """Episodes done / total, elapsed, ETA: one redrawn line on a terminal, else a line each."""

    def __init__(self, total: int, done: int, out: TextIO) -> None:
        # The line is redrawn with our own \r and erase codes, which the guard on stdout would
        # show escaped: they go to the terminal itself, the line's text made printable here.
        self.total, self.done, self.out = total, done, unguarded(out)
        self.started = time.monotonic()
        self.played = 0
        self.live = out.isatty()

    def advance(self, note: str) -> None:
        self.done += 1
        self.played += 1
        self.show(note)

    def show(self, note: str = "") -> None:
        elapsed = time.monotonic() - self.started
        left = self.total - self.done
        eta = f"{_clock(elapsed / self.played * left)}" if self.played else "?"
        width = 20
        filled = round(width * self.done / self.total) if self.total else width
        bar = "#" * filled + "." * (width - filled)
        line = (
            f"[{bar}] {self.done}/{self.total} episodes · elapsed {_clock(elapsed)} · "
            f"ETA {eta}{' · ' + note if note else ''}"
        )
        if self.live:
            self.out.write("\r\x1b[2K" + printable(line))
        else:
            self.out.write(line + "\n")
        self.out.flush()

    def close(self) -> None:
        if self.live:
            self.out.write("\n")
            self.out.flush()


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}"


def play_run(
    store: GameStore,
    run_id: int,
    config: DictgameConfig,
    backend: Backend,
    out: TextIO,
    parallel: int = 1,
) -> int:
    """Play every episode of the run that is not over, `parallel` at a time; returns how many
    were played to their end.

    Each episode in flight has its own game master and players (on a server, its own
    requests, which the server batches; in-process, each player its own KV cache on the
    shared model: a context of its own, or, with `runtime.shared_context`, a sequence of a
    shared context, so the episodes' tokens are decoded together).
    The first error, or a stop (Ctrl+C, a signal), cancels the episodes in flight: their
    current moves are dropped whole, and the command waits for them before it ends.
    """
    arguments = run_arguments(store, run_id)
    game = get_game(arguments["game"])
    rows = episodes(store, run_id)
    waiting = [episode for episode in rows if episode.status not in DONE]
    progress = Progress(len(rows), len(rows) - len(waiting), out)
    progress.show("starting")
    seats = SeatPool(backend, config, game)
    stop = CancelToken()
    try:
        with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="episode") as pool:
            futures = [
                pool.submit(_play_episode, store, game, episode, config, arguments, seats, stop)
                for episode in waiting
            ]
            try:
                for future in as_completed(futures):
                    note = future.result()
                    if note is not None:
                        progress.advance(note)
            except BaseException:
                stop.cancel()
                for future in futures:
                    future.cancel()
                raise  # once the pool has waited for the episodes in flight
    finally:
        progress.close()
    return progress.played


class SeatPool:
    """Players not in use: an episode takes a pair (seated anew only when none is free, so a
    run seats at most `parallel` pairs) and gives it back when it ends."""

    def __init__(self, backend: Backend, config: DictgameConfig, game: Game[Any]) -> None:
        self.backend, self.config, self.game = backend, config, game
        self._idle: list[Seats] = []
        self._lock = threading.Lock()

    @contextmanager
    def seats(self, settings: Any) -> Iterator[Seats]:
        with self._lock:
            seats = self._idle.pop() if self._idle else None
        if seats is None:
            seats = seat_players(self.backend, settings, self.config, self.game)
        for session in seats:
            if session is not None:
                session.reset()
        try:
            yield seats
        finally:
            with self._lock:
                self._idle.append(seats)


def _play_episode(
    store: GameStore,
    game: Game[Any],
    episode: EpisodeRow,
    config: DictgameConfig,
    arguments: dict[str, Any],
    seats: SeatPool,
    stop: CancelToken,
) -> str | None:
    """Play one episode to its end; its note for the progress line, or None if stopped."""
    if stop.cancelled:
        return None
    state = _episode_state(store, game, episode, config, arguments)
    with seats.seats(state.settings) as players:
        who = seat_provenance(seats.backend, state.settings, seats.config, game)
        with open_episode(store, game, state, players, who, game_id=episode.game_id,
                          instance=episode.instance, episode=episode) as opened:
            # Signals reach only the main thread, which waits for this one: a move's commit
            # is never cut short, so it needs no `held_signals` (which only the main thread
            # may use).
            if play(opened.master, opened.saver, cancel=stop) != "finished":
                return None
    return f"game {opened.game_id}: {opened.master.outcome.result.value}"


def _episode_state(
    store: GameStore, game: Game[Any], episode: EpisodeRow, config: DictgameConfig,
    arguments: dict[str, Any],
) -> Any:
    """The episode's game: resumed where it was cut short, or new (stored once its players
    are seated)."""
    if episode.game_id is not None:
        return store.load_game(episode.game_id)
    seed = arguments.get("seed") or 0
    if not isinstance(seed, int):
        raise DamagedRun(episode.run_id, f"its seed {seed!r} is not a whole number")
    try:  # checked when the run was stored: an instance that fails now was damaged since
        check_instance(game, episode.instance, f"the instance of its episode {episode.seq}")
    except InstancesError as error:
        raise DamagedRun(episode.run_id, str(error)) from None
    seed += episode.seq
    return game.new_state(config.game_settings(seed, game.name, episode.instance))
