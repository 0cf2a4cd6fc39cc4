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


def check_instance(game: Game[Any], instance: object, label: str) -> dict[str, Any]:
    """The instance, if `game` can play it; else InstancesError in one line naming `label`.

    Another game's instance shares none of the fields this game's own generator writes (all
    have a game_id and a seed); an instance missing a field the game needs, or holding one of
    the wrong kind, is refused by the game's settings.
    """
    if not isinstance(instance, dict):
        raise InstancesError(f"{label}: an instance is a JSON object, not {type(instance).__name__}")
    if not isinstance(instance.get("game_id", 0), int):
        raise InstancesError(f"{label}: its game_id is not a whole number")
    own = _own_fields(game)
    fields = set(instance) - COMMON_FIELDS
    if own and fields and not fields & own:
        raise InstancesError(
            f"{label}: not an instance of {game.title} (it has {', '.join(sorted(fields))}; "
            f"{game.title}'s have {', '.join(sorted(own))}): another game's instances? write "
            f"this game's with: dictgame instances {game.name} --out FILE"
        )
    try:
        game.settings_for(dict(instance), {})
    except (ValueError, KeyError, TypeError) as error:
        raise InstancesError(f"{label}: {game.title} cannot play it ({one_line(error)})") from None
    return instance


# Fields every game's instances have.
COMMON_FIELDS = frozenset({"game_id", "seed"})
_fields: dict[tuple[str, int], frozenset[str]] = {}


def _own_fields(game: Game[Any]) -> frozenset[str]:
    """The fields the game's own generator writes (once per game: Deal or No Deal's takes
    16 ms, and a run checks every instance)."""
    key = (game.name, id(game.experiments))
    if key not in _fields:
        _fields[key] = frozenset(
            field for e in game.experiments(0) for i in e.instances for field in i
        ) - COMMON_FIELDS
    return _fields[key]


def one_line(error: Exception) -> str:
    """An error in one line: pydantic's first problem with where it is, else the message's
    first line."""
    if isinstance(error, KeyError) and error.args:
        return f"no {error.args[0]}"
    errors = getattr(error, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ())) or "value"
        return f"{where}: {first.get('msg', 'invalid')}"
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def pick(experiments: list[Experiment], name: str | None) -> list[Experiment]:
    """One experiment by name, or all of them."""
    if name is None:
        return experiments
    chosen = [e for e in experiments if e.name == name]
    if not chosen:
        known = ", ".join(e.name for e in experiments)
        raise InstancesError(f"no experiment named {name!r}; the experiments are: {known}")
    return chosen
