"""The commands of studies: games and their instances, runs of episodes, records, evaluation."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

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


def run_arguments(args: argparse.Namespace, config: DictgameConfig) -> dict[str, Any]:
    """What makes a run the same run: started again with these, it is finished, not redone."""
    arguments = {
        "game": config.game,
        "experiment": args.experiment,
        "instances": str(args.instances.resolve()) if args.instances else None,
        "seed": config.seed or 0,
        "models": [_run_model(config, seat) for seat in (0, 1)],
        "settings": config.games.get(config.game, {}),
    }
    # Named only when repeated, so that runs stored before the flag existed are found again.
    if args.runs != 1:
        arguments["runs"] = args.runs
    return arguments


def repeated(instances: tuple[dict[str, Any], ...], runs: int) -> list[dict[str, Any]]:
    """The instances played `runs` times: each repeat the same games with their seeds moved
    on, so that the players sample anew (an instance without a seed gets the episode's own)."""
    return [
        {**instance, "seed": (int(instance["seed"]) + repeat) % 2**31}
        if repeat and "seed" in instance else dict(instance)
        for repeat in range(runs)
        for instance in instances
    ]


def _run_model(config: DictgameConfig, seat: int) -> str:
    """A seat's model as it identifies a run: a server's model by name, not by the address,
    so a run whose server moved is still the same run."""
    if config.base_urls_for(seat):
        return config.seat_model(seat) or ""
    return str(config.model_for(seat) or "")


def command_run(args: argparse.Namespace, config: DictgameConfig) -> int:
    return play_stored_run(run_request(args), config)


def run_request(args: argparse.Namespace) -> RunRequest:
    return RunRequest(
        game=args.game, experiment=args.experiment, instances=args.instances,
        resume=args.resume, parallel=args.parallel, runs=args.runs,
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

    episodes = played_episodes(config, args.run_ids)
    rows = evaluate(episodes)
    print(table_text(rows))
    note_unfinished(config, args.run_ids)
    if args.csv is not None:
        Path(args.csv).write_text(csv_text(rows), "utf-8")
        print(f"Written to {args.csv}")
    return 0
