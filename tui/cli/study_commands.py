"""The commands of studies: games and their instances, runs of episodes, records, evaluation."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..services.config import DictgameConfig
from ..services.runs import (
    RunRequest,
    note_mixed,
    note_unfinished,
    play_stored_run,
    played_episodes,
)
from ..services.store import open_store


def command_games(args: argparse.Namespace, config: DictgameConfig) -> int:
    from ...engine.games import all_games

    for game in all_games():
        experiments = ", ".join(e.name for e in game.experiments(0))
        print(f"{game.name:<12} {game.title}: {game.description}")
        print(f"{'':<12} experiments: {experiments}")
    return 0


def command_instances(args: argparse.Namespace, config: DictgameConfig) -> int:
    from ...engine.core.instances import generate
    from ...engine.games import get_game

    text = json.dumps(generate(get_game(args.game_name), args.seed), ensure_ascii=False, indent=2)
    if args.out is None:
        sys.stdout.write(text + "\n")
    else:
        try:
            args.out.write_text(text + "\n", "utf-8")
        except OSError as error:
            print(f"dictgame: cannot write {args.out}: {error.strerror or error}; choose "
                  "another path", file=sys.stderr)
            return 2
        print(f"Instances of {args.game_name} (seed {args.seed}) written to {args.out}")
    return 0


def command_run(args: argparse.Namespace, config: DictgameConfig) -> int:
    return play_stored_run(run_request(args), config)


def run_request(args: argparse.Namespace) -> RunRequest:
    return RunRequest(
        game=args.game, experiment=args.experiment, instances=args.instances,
        resume=args.resume, parallel=args.parallel, runs=args.runs, episodes=args.episodes,
    )


def command_runs(args: argparse.Namespace, config: DictgameConfig) -> int:
    from ...saves.runs import list_runs

    with open_store(config) as store:
        runs = list_runs(store)
    if not runs:
        print("No runs yet. Start one with: dictgame run --game hellogame")
        return 0
    print(f"{'id':>4}  {'game':<12} {'episodes':>9}  {'experiment':<20} created")
    for run in runs:
        if run.damaged:
            print(f"{run.id:>4}  {run.game:<12} damaged: {run.damaged}")
            continue
        experiment = run.arguments.get("experiment") or "all"
        print(f"{run.id:>4}  {run.game:<12} {run.done:>4}/{run.episodes:<4}  {experiment:<20} {run.created[:16]}")
    return 0


def command_records(args: argparse.Namespace, config: DictgameConfig) -> int:
    from ...engine.core.clembench import write_records

    episodes = played_episodes(config, [args.run_id])
    written = write_records(episodes, args.out)
    print(f"{len(written)} episodes written as clembench records under {args.out}")
    note_mixed(config, [args.run_id])
    return 0


def command_eval(args: argparse.Namespace, config: DictgameConfig) -> int:
    from ...engine.core.evaluation import csv_text, evaluate, table_text

    rows = evaluate(played_episodes(config, args.run_ids))
    print_figures(config, args, table_text(rows), csv_text(rows))
    return 0


def print_figures(config: DictgameConfig, args: argparse.Namespace, table: str, csv: str) -> None:
    """A study command's figures: the table, a line for the games left out, and the CSV
    where `--csv` asks for it."""
    print(table)
    note_unfinished(config, args.run_ids)
    if args.csv is not None:
        Path(args.csv).write_text(csv, "utf-8")
        print(f"Written to {args.csv}")
