"""The commands of studies: games and their instances, runs of episodes, records, evaluation."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .commands import open_store
from ..services.config import DictgameConfig
from ..services.server_failures import ServerStopped, server_failures
from ..services.signals import stopped


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
    if args.runs < 1:
        print(f"dictgame: --runs must be at least 1, not {args.runs}", file=sys.stderr)
        return 2
    if "human" in (config.seat_a, config.seat_b):
        print("dictgame: a run plays models only; play with a person in a seat with "
              "dictgame play --headless --seat-a human", file=sys.stderr)
        return 2
    from ...engine.core.instances import check_instance, pick, read_instances
    from ...engine.games import get_game
    from ...saves.runs import create_run, find_run
    from ...saves.runs import run_arguments as stored_arguments
    from ..services.players import check_servers, open_backend
    from ..services.runner import play_run

    with open_store(config) as store:
        if args.resume is not None:
            run_id = args.resume
            stored = stored_arguments(store, run_id)
            if args.game is not None and args.game != stored["game"]:
                title = get_game(stored["game"]).title
                print(f"dictgame: run {run_id} is a run of {title}, not of {args.game}; "
                      f"finish it with dictgame run --resume {run_id} (without --game)",
                      file=sys.stderr)
                return 2
            config = config.model_copy(update={"game": stored["game"]})
            check_servers(config, get_game(config.game))
        else:
            game = get_game(config.game)
            config = check_servers(config, game)
            arguments = run_arguments(args, config)
            run_id = find_run(store, arguments) or 0
            if not run_id:
                if args.instances is not None:
                    experiments = read_instances(args.instances)
                else:
                    experiments = game.experiments(arguments["seed"])
                # Each instance keeps its number in its experiment (clembench's game_id); the
                # repeats of --runs are numbered on, as if the instances were listed again.
                episodes = [
                    (experiment.name, {"game_id": number, **instance})
                    for experiment in pick(experiments, args.experiment)
                    for number, instance in enumerate(repeated(experiment.instances, args.runs))
                ]
                # Fail on a bad instance (another game's, fields missing) before anything is stored.
                source = f"instances file {args.instances}" if args.instances else game.name
                for number, (experiment, instance) in enumerate(episodes):
                    check_instance(game, instance, f"{source}: {experiment} instance {instance['game_id']}")
                    config.game_settings(arguments["seed"] + number, game.name, instance)
                run_id = create_run(store, game.name, arguments, episodes)
                print(f"Run {run_id}: {len(episodes)} episodes of {game.title}", flush=True)
            else:
                print(f"Run {run_id} has these arguments: finishing it", flush=True)
        backend = open_backend(config, parallel=args.parallel)
        try:
            with server_failures(f"dictgame run --resume {run_id}"):
                play_run(store, run_id, config, backend, sys.stdout, parallel=args.parallel)
        except KeyboardInterrupt as stop:
            return stopped(stop, run_id=run_id)
        except ServerStopped as stop:
            return stop.exit_code
        finally:
            backend.close()
    print(f"run id: {run_id}")
    return 0


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


def played_episodes(config: DictgameConfig, run_ids: list[int]) -> list[Any]:
    """The finished and aborted episodes of runs, as the records and evaluation read them."""
    from ...engine.core.clembench import PlayedEpisode
    from ...engine.games import get_game
    from ...saves.runs import episodes
    from ...saves.runs import run_arguments as stored_arguments

    played = []
    with open_store(config) as store:
        for run_id in run_ids:
            game = get_game(stored_arguments(store, run_id)["game"])
            for episode in episodes(store, run_id):
                if episode.game_id is None or episode.status == "playing":
                    continue
                played.append(
                    PlayedEpisode(
                        game=game,
                        experiment=episode.experiment,
                        instance=episode.instance,
                        state=store.load_game(episode.game_id),
                        players=store.seat_histories(episode.game_id),
                    )
                )
    return played


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


def note_unfinished(config: DictgameConfig, run_ids: list[int]) -> None:
    """Lines for the episodes left out, and for runs that mix players."""
    note_mixed(config, run_ids)
    unfinished = unfinished_count(config, run_ids)
    if unfinished:
        print(f"({unfinished} episode{'s' if unfinished != 1 else ''} not played to the end yet "
              "are left out; finish them with dictgame run --resume RUN_ID)")


def note_mixed(config: DictgameConfig, run_ids: list[int]) -> None:
    """A line for each run whose games were not all played by the same players."""
    from ...engine.core.provenance import mixture_note
    from ...saves.runs import episodes, run_players

    with open_store(config) as store:
        for run_id in run_ids:
            note = mixture_note(f"run {run_id}", run_players(store, episodes(store, run_id)))
            if note is not None:
                print(f"({note})")


def unfinished_count(config: DictgameConfig, run_ids: list[int]) -> int:
    from ...saves.runs import episodes

    with open_store(config) as store:
        return sum(
            1 for run_id in run_ids for e in episodes(store, run_id)
            if e.status not in ("finished", "aborted")
        )
