"""Where a move's seconds go, read from saved games: `python -m bench.move_cost FILE...`.

Issue 21's cost goal compares a grounded round with a free move; when it is missed, the
stored moves say why. Per game and per step of a move (describe, choose, update, reply):
asks a move, prompt tokens evaluated anew and found in the player's cache, tokens
generated, and seconds (of them the prompt's), as means over the moves after the first
(which opens the game), then per players and kind of game (bench.quality's rows) over all
the games read. Reads the `--save` file of `python -m bench.quality` or any
saved-games file; plays nothing.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from dictgame.engine.core.provenance import pair_name, seat_names
from dictgame.saves.store import GameStore

from .quality import row_of

FIGURES = ("asks", "evaluated", "cached", "generated", "seconds", "prompt_seconds")


def totals_of(records: list[Any]) -> dict[str, Any]:
    """Per step, the sums over the moves of `records` after the first (it opens the game);
    means are derived from these, so games pool by adding them."""
    later = records[1:]
    steps: dict[str, dict[str, float]] = {}
    for record in later:
        for attempt in record.attempts:
            step = steps.setdefault(attempt.step, dict.fromkeys(FIGURES, 0.0))
            step["asks"] += 1
            step["evaluated"] += attempt.prompt_tokens
            step["cached"] += attempt.cached_tokens
            step["generated"] += attempt.completion_tokens
            step["seconds"] += attempt.seconds
            step["prompt_seconds"] += attempt.prompt_seconds
    return {"moves": len(later), "steps": steps}


def pooled(games: list[dict[str, Any]]) -> dict[str, Any]:
    """Several games' totals as one: moves and each step's sums added."""
    steps: dict[str, dict[str, float]] = {}
    for game in games:
        for name, figures in game["steps"].items():
            step = steps.setdefault(name, dict.fromkeys(FIGURES, 0.0))
            for key in FIGURES:
                step[key] += figures[key]
    return {"moves": sum(game["moves"] for game in games), "steps": steps}


def means(totals: dict[str, Any]) -> dict[str, Any]:
    """A move's figures, per step and for the whole move: the sums divided by the moves."""
    moves = max(1, totals["moves"])
    steps = {name: {k: round(v / moves, 2) for k, v in figures.items()}
             for name, figures in totals["steps"].items()}
    move = {k: round(sum(f[k] for f in totals["steps"].values()) / moves, 2) for k in FIGURES}
    return {"moves": totals["moves"], "move": move, "steps": steps}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.move_cost",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("files", type=Path, nargs="+", help="saved-games files")
    args = parser.parse_args(argv)
    rows: dict[str, list[dict[str, Any]]] = {}
    for path in args.files:
        with GameStore.open(path) as store:
            for summary in store.list_games():
                state = store.load_game(summary.id)
                totals = totals_of(list(state.records))
                row = row_of(state.settings)
                # Games pool by who played them as well: two models' moves are not one figure.
                players = pair_name(seat_names(store.seat_histories(summary.id)))
                rows.setdefault(f"{players}: {row}", []).append(totals)
                cost = means(totals)
                print(json.dumps({"file": str(path), "game": summary.id, "row": row,
                                  "seed": state.settings.seed, **cost}))
                print(f"{path.name} game {summary.id} ({row}, seed {state.settings.seed}): "
                      + _line(cost["move"]))
                for step, figures in cost["steps"].items():
                    print(f"  {step}: " + _line(figures))
    for row, games in rows.items():
        print(f"{row}, {len(games)} games: " + _line(means(pooled(games))["move"]))
    return 0


def _line(figures: dict[str, float]) -> str:
    return (f"{figures['asks']} asks, {figures['evaluated']:.0f} tokens evaluated, "
            f"{figures['cached']:.0f} cached, {figures['generated']:.1f} generated, "
            f"{figures['seconds']} s a move ({figures['prompt_seconds']} s the prompt)")


if __name__ == "__main__":
    raise SystemExit(main())
