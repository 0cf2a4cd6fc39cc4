"""Instances and experiments as clembench writes them, from a game's seeded generator.

`instances.json` is `{"experiments": [{"name": ..., "game_instances": [{"game_id": 0, ...}]}]}`;
runs read such a file back, so a study can be re-run on exactly the same episodes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .game import Experiment, Game


class InstancesError(ValueError):
    """An instances file that cannot be used; the message says which and why."""


def instances_document(experiments: list[Experiment]) -> dict[str, Any]:
    return {
        "experiments": [
            {
                "name": experiment.name,
                "game_instances": [
                    {"game_id": number, **instance}
                    for number, instance in enumerate(experiment.instances)
                ],
            }
            for experiment in experiments
        ]
    }


def generate(game: Game[Any], seed: int) -> dict[str, Any]:
    return instances_document(game.experiments(seed))


def read_instances(path: Path) -> list[Experiment]:
    """Experiments from a clembench-shaped instances file."""
    try:
        document = json.loads(Path(path).read_text("utf-8"))
        experiments = [
            Experiment(
                name=str(item["name"]),
                instances=tuple(dict(instance) for instance in item["game_instances"]),
            )
            for item in document["experiments"]
        ]
    except OSError as error:
        raise InstancesError(f"instances file {path}: cannot be read ({error.strerror})") from None
    except (ValueError, KeyError, TypeError) as error:
        raise InstancesError(
            f"instances file {path}: not an instances file ({type(error).__name__}: {error}); "
            "write one with: dictgame instances GAME --out FILE"
        ) from None
    return experiments


def pick(experiments: list[Experiment], name: str | None) -> list[Experiment]:
    """One experiment by name, or all of them."""
    if name is None:
        return experiments
    chosen = [e for e in experiments if e.name == name]
    if not chosen:
        known = ", ".join(e.name for e in experiments)
        raise InstancesError(f"no experiment named {name!r}; the experiments are: {known}")
    return chosen
