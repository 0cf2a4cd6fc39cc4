"""What the benchmarks of one `python -m bench` run share: options, and the long game played once."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .common import PlayedGame, default_threads, log, play_game, smollm2_path

# The long game: 60 rounds in a 2048-token window (target 6); its first 30 rounds are the
# 30-round game of target 1 (the window first shrinks well after round 30 at 6 words).
LONG_ROUNDS, LONG_CTX = 60, 2048
# Quick: a window small enough that the game master has to shrink it.
QUICK_ROUNDS, QUICK_CTX = 16, 768
WORDS = 6


@dataclass
class BenchContext:
    quick: bool = False
    selected: tuple[str, ...] = ()
    n_threads: int = field(default_factory=default_threads)
    model: Path = field(default_factory=smollm2_path)
    # A second GGUF that the quality benchmark measures beside the embedded model.
    other_model: Path | None = None
    _games: dict[tuple[int, int], PlayedGame] = field(default_factory=dict)

    def long_game(self, min_rounds: int | None = None) -> PlayedGame:
        """The long game (played on first use; targets 1 and 6 read the same game)."""
        rounds, n_ctx = (QUICK_ROUNDS, QUICK_CTX) if self.quick else (LONG_ROUNDS, LONG_CTX)
        if min_rounds is not None and "long_game" not in self.selected:
            rounds = min(rounds, min_rounds)
        for (played_rounds, played_ctx), game in self._games.items():
            if played_rounds >= rounds and played_ctx == n_ctx:
                return game
        log(
            f"playing a {rounds}-round game (n_ctx {n_ctx}, {WORDS} words a message, "
            f"{self.n_threads} thread(s)) on {self.model.name}"
        )
        game = play_game(self.model, rounds=rounds, n_ctx=n_ctx, n_threads=self.n_threads, words=WORDS)
        self._games[(rounds, n_ctx)] = game
        log(f"  game over after {len(game.records)} moves in {game.seconds:.0f}s"
            + (f" with error {game.error}" if game.error else ""))
        return game

    def note(self) -> dict[str, Any]:
        return {"quick": self.quick, "threads": self.n_threads, "model": self.model.name}
