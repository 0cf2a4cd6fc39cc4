"""Batch runs: every episode of a run played through the one episode loop, with progress.

A run's episodes are stored before the first one is played (`saves.runs`), and each
episode's game is created together with its link to the run, so a run killed at any moment
and started again plays no finished episode twice and resumes the one that was cut short.
"""

from __future__ import annotations

import time
from typing import Any, TextIO

from ..engine.backend import Backend
from ..engine.core.episode import GameMaster, play
from ..engine.core.game import Game
from ..engine.games import get_game
from ..saves import GameStore
from ..saves.runs import EpisodeRow, episodes, run_arguments
from .config import DictgameConfig
from .headless import SavedBeforeStopping
from .players import Seats, seat_players

DONE = ("finished", "aborted")


class Progress:
    """Episodes done / total, elapsed, ETA: one redrawn line on a terminal, else a line each."""

    def __init__(self, total: int, done: int, out: TextIO) -> None:
        self.total, self.done, self.out = total, done, out
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
            self.out.write("\r\x1b[2K" + line)
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
    store: GameStore, run_id: int, config: DictgameConfig, backend: Backend, out: TextIO
) -> int:
    """Play every episode of the run that is not over; returns how many were played."""
    arguments = run_arguments(store, run_id)
    game = get_game(arguments["game"])
    rows = episodes(store, run_id)
    progress = Progress(len(rows), sum(1 for e in rows if e.status in DONE), out)
    progress.show("starting")
    seats: Seats | None = None
    try:
        for episode in rows:
            if episode.status in DONE:
                continue
            state, game_id = _episode_state(store, game, episode, config, arguments)
            if seats is None:
                seats = seat_players(backend, state.settings, config, game)
            for session in seats:
                if session is not None:
                    session.reset()
            with store.acquire(game_id):
                master = GameMaster(state, seats, game)
                play(master, SavedBeforeStopping(store.saver(game_id)))
            progress.advance(f"game {game_id}: {master.outcome.result.value}")
    finally:
        progress.close()
    return progress.played


def _episode_state(
    store: GameStore, game: Game[Any], episode: EpisodeRow, config: DictgameConfig,
    arguments: dict[str, Any],
) -> tuple[Any, int]:
    """The episode's game: resumed where it was cut short, or created now."""
    if episode.game_id is not None:
        return store.load_game(episode.game_id), episode.game_id
    seed = int(arguments.get("seed") or 0) + episode.seq
    settings = config.game_settings(seed, game.name, episode.instance)
    game_id = store.create_game(settings, game, episode.instance, episode=episode)
    return game.new_state(settings), game_id
