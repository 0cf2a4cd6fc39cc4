"""The commands of Deal or No Deal studies: the analysis of self-play runs (their
fine-tuning data is every game's: `finetune_commands`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ...engine.games.dealnodeal.state import DealState
from ..services.config import DictgameConfig
from .study_commands import played_episodes, print_figures

EXIT_BAD_INPUT = 2


def deal_states(config: DictgameConfig, run_ids: list[int]) -> list[Any] | None:
    """The played episodes of Deal or No Deal runs; None (after one line) if a run is not one."""
    episodes = played_episodes(config, run_ids)
    other = sorted({e.game.title for e in episodes if not isinstance(e.state, DealState)})
    if other:
        print(f"dictgame: these runs play {', '.join(other)}, not Deal or No Deal", file=sys.stderr)
        return None
    return episodes


def command_analyze(args: argparse.Namespace, config: DictgameConfig) -> int:
    from ...engine.games.dealnodeal.analysis import analyze, csv_text, played_game, table_text

    episodes = deal_states(config, args.run_ids)
    if episodes is None:
        return EXIT_BAD_INPUT
    rows = analyze(played_game(e.state, e.pair) for e in episodes)
    print_figures(config, args, table_text(rows), csv_text(rows))
    return 0


def add_commands(add: Any) -> None:
    """The subcommands, on the parser's `add` (name, handler, help)."""
    analyze = add("analyze", command_analyze, "Deal or No Deal: figures of self-play runs")
    analyze.add_argument("run_ids", type=int, nargs="+", metavar="RUN_ID")
    analyze.add_argument("--csv", type=Path, help="also write the table as CSV")
