"""Runs of episodes as the command line and the self-play loop start them, and the played
episodes of stored runs as records, evaluation and fine-tuning read them."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import DictgameConfig
from .server_failures import ServerStopped, server_failures
from .signals import stopped
from .store import open_store


@dataclass(frozen=True)
class RunRequest:
    """What `dictgame run` is asked beyond the config: which instances, how often, how fast."""

    game: str | None = None  # the game asked for (--game), checked against a resumed run's
    experiment: str | None = None
    instances: Path | None = None
    resume: int | None = None
    parallel: int = 1
    runs: int = 1
    episodes: int | None = None  # exactly this many, drawn in turn from the experiments


def run_arguments(request: RunRequest, config: DictgameConfig) -> dict[str, Any]:
    """What makes a run the same run: started again with these, it is finished, not redone."""
    arguments = {
        "game": config.game,
        "experiment": request.experiment,
        "instances": str(request.instances.resolve()) if request.instances else None,
        "seed": config.seed or 0,
        "models": [_run_model(config, seat) for seat in (0, 1)],
        "settings": config.games.get(config.game, {}),
    }
    # Named only when repeated, so that runs stored before the flag existed are found again.
    if request.runs != 1:
        arguments["runs"] = request.runs
    if request.episodes is not None:
        arguments["episodes"] = request.episodes
    return arguments


def repeated(instances: tuple[dict[str, Any], ...], runs: int) -> list[dict[str, Any]]:
    """The instances played `runs` times: each repeat the same games with their seeds moved
    on, so that the players sample anew (an instance without a seed gets the episode's own)."""
    return [_moved(instance, repeat) for repeat in range(runs) for instance in instances]


def _moved(instance: dict[str, Any], repeat: int) -> dict[str, Any]:
    """An instance's `repeat`-th playing: its seed moved on by that much."""
    if repeat and "seed" in instance:
        return {**instance, "seed": (int(instance["seed"]) + repeat) % 2**31}
    return dict(instance)


def drawn(experiments: list[Any], count: int) -> list[tuple[str, dict[str, Any]]]:
    """Exactly `count` episodes from the experiments' instances, taken in turn from each
    experiment (the first instance of every experiment, then the second ...), repeated with
    their seeds moved on once all are taken: a small batch covers every experiment, and the
    same count from the same seed is the same batch."""
    longest = max((len(e.instances) for e in experiments), default=0)
    if longest == 0:
        return []
    picked: list[tuple[str, dict[str, Any]]] = []
    repeat = 0
    while len(picked) < count:
        for index in range(longest):
            for experiment in experiments:
                if index < len(experiment.instances) and len(picked) < count:
                    instance = _moved(experiment.instances[index], repeat)
                    number = repeat * len(experiment.instances) + index
                    picked.append((experiment.name, {"game_id": number, **instance}))
        repeat += 1
    return picked


def _run_model(config: DictgameConfig, seat: int) -> str:
    """A seat's model as it identifies a run: a server's model by name, not by the address,
    so a run whose server moved is still the same run."""
    if config.base_urls_for(seat):
        return config.seat_model(seat) or ""
    return str(config.model_for(seat) or "")


def play_stored_run(request: RunRequest, config: DictgameConfig) -> int:
    """Play every episode of a stored run (a new one, or the unfinished rest of one with the
    same arguments or of `request.resume`), saying what it does on stdout; returns the exit
    code."""
    if request.runs < 1:
        print(f"dictgame: --runs must be at least 1, not {request.runs}", file=sys.stderr)
        return 2
    if request.episodes is not None and (request.episodes < 1 or request.runs != 1):
        print("dictgame: --episodes must be at least 1, and is given instead of --runs "
              "(N episodes drawn in turn from the experiments)", file=sys.stderr)
        return 2
    if "human" in (config.seat_a, config.seat_b):
        print("dictgame: a run plays models only; play with a person in a seat with "
              "dictgame play --headless --seat-a human", file=sys.stderr)
        return 2
    from ...engine.core.instances import check_instance, pick, read_instances
    from ...engine.games import get_game
    from ...saves.runs import create_run, find_run
    from ...saves.runs import run_arguments as stored_arguments
    from .players import check_servers, open_backend
    from .runner import play_run

    with open_store(config) as store:
        if request.resume is not None:
            run_id = request.resume
            stored = stored_arguments(store, run_id)
            if request.game is not None and request.game != stored["game"]:
                title = get_game(stored["game"]).title
                print(f"dictgame: run {run_id} is a run of {title}, not of {request.game}; "
                      f"finish it with dictgame run --resume {run_id} (without --game)",
                      file=sys.stderr)
                return 2
            config = config.model_copy(update={"game": stored["game"]})
            check_servers(config, get_game(config.game))
        else:
            game = get_game(config.game)
            config = check_servers(config, game)
            arguments = run_arguments(request, config)
            run_id = find_run(store, arguments) or 0
            if not run_id:
                if request.instances is not None:
                    experiments = read_instances(request.instances)
                else:
                    experiments = game.experiments(arguments["seed"])
                # Each instance keeps its number in its experiment (clembench's game_id); the
                # repeats of --runs are numbered on, as if the instances were listed again.
                chosen = pick(experiments, request.experiment)
                episodes = drawn(chosen, request.episodes) if request.episodes else [
                    (experiment.name, {"game_id": number, **instance})
                    for experiment in chosen
                    for number, instance in enumerate(repeated(experiment.instances, request.runs))
                ]
                # Fail on a bad instance (another game's, fields missing) before anything is stored.
                source = f"instances file {request.instances}" if request.instances else game.name
                for number, (experiment, instance) in enumerate(episodes):
                    check_instance(game, instance, f"{source}: {experiment} instance {instance['game_id']}")
                    config.game_settings(arguments["seed"] + number, game.name, instance)
                run_id = create_run(store, game.name, arguments, episodes)
                print(f"Run {run_id}: {len(episodes)} episodes of {game.title}", flush=True)
            else:
                print(f"Run {run_id} has these arguments: finishing it", flush=True)
        backend = open_backend(config, parallel=request.parallel)
        try:
            with server_failures(f"dictgame run --resume {run_id}"):
                play_run(store, run_id, config, backend, sys.stdout, parallel=request.parallel)
        except KeyboardInterrupt as stop:
            return stopped(stop, run_id=run_id)
        except ServerStopped as stop:
            return stop.exit_code
        finally:
            backend.close()
    print(f"run id: {run_id}")
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
