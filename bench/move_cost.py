"""Where a move's seconds go, read from saved games: `python -m bench.move_cost FILE...`.

Issue 21's cost goal compares a grounded round with a free move; when it is missed, the
stored moves say why. Per game and per step of a move (describe, choose, update, reply):
asks a move, prompt tokens evaluated anew and found in the player's cache, tokens
generated, and seconds (of them the prompt's), as means over the moves after the first
(which opens the game), then per kind of game (bench.quality's rows) over all the games
read. Reads the `--save` file of `python -m bench.quality` or any
saved-games file; plays nothing.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from dictgame.saves.store import GameStore

FIGURES = ("asks", "evaluated", "cached", "generated", "seconds", "prompt_seconds")


def cost_of(records: list[Any]) -> dict[str, Any]:
    """Per step, the means a move of `records` (the first move left out: it opens the game)."""
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
    moves = max(1, len(later))
    per_step = {name: {k: round(v / moves, 2) for k, v in figures.items()}
                for name, figures in steps.items()}
    move = {k: round(sum(s[k] for s in per_step.values()), 2) for k in FIGURES}
    return {"moves": len(later), "move": move, "steps": per_step}


def pooled(costs: list[dict[str, Any]]) -> dict[str, float]:
    """A move's figures over several games, weighted by their moves."""
    moves = sum(cost["moves"] for cost in costs) or 1
    return {k: round(sum(c["move"][k] * c["moves"] for c in costs) / moves, 1) for k in FIGURES}


def row_of(settings: Any) -> str:
    """The kind of game, as bench.quality's rows name them (memory on or off)."""
    mode = str(getattr(settings, "mode", "?"))
    return f"{mode}_memory" if getattr(settings, "memory", None) is not None else mode


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
                cost = cost_of(list(state.records))
                mode = row_of(state.settings)
                rows.setdefault(mode, []).append(cost)
                print(json.dumps({"file": str(path), "game": summary.id, "row": mode,
                                  "seed": state.settings.seed, **cost}))
                move = cost["move"]
                print(f"{path.name} game {summary.id} ({mode}, seed {state.settings.seed}): "
                      f"{move['seconds']} s a move, {move['evaluated']:.0f} tokens evaluated, "
                      f"{move['cached']:.0f} cached, {move['generated']:.1f} generated")
                for step, figures in cost["steps"].items():
                    print(f"  {step}: {figures['asks']} asks, {figures['evaluated']:.0f} evaluated, "
                          f"{figures['cached']:.0f} cached, {figures['generated']:.1f} generated, "
                          f"{figures['seconds']} s ({figures['prompt_seconds']} s the prompt)")
    for row, costs in rows.items():
        figures = pooled(costs)
        print(f"{row}, {len(costs)} games: a move {figures['seconds']} s, asks "
              f"{figures['asks']}, {figures['evaluated']:.0f} tokens evaluated, "
              f"{figures['cached']:.0f} cached, {figures['generated']:.1f} generated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
