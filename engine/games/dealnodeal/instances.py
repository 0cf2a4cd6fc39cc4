"""The instance generator: item counts and private values drawn with a local Random, under
the constraints of Lewis et al. (2017), and the experiments, one per objective."""

from __future__ import annotations

import random
from typing import Any

from ...core.game import Experiment
from .items import (
    MAX_COUNT,
    MAX_TOTAL,
    MIN_COUNT,
    MIN_TOTAL,
    Counts,
    Values,
    instance_problem,
    value_vectors,
)
from .settings import OBJECTIVES

# Instances per experiment; a run repeats them for more games (`dictgame run --runs N`).
INSTANCES_PER_EXPERIMENT = 10


def draw_counts(rng: random.Random) -> Counts:
    """1-4 of each item type, 5-7 items in all (drawn until they fit, so every fitting
    combination is equally likely)."""
    while True:
        a, b, c = (rng.randint(MIN_COUNT, MAX_COUNT) for _ in range(3))
        if MIN_TOTAL <= a + b + c <= MAX_TOTAL:
            return a, b, c


def draw_values(rng: random.Random, counts: Counts) -> tuple[Values, Values]:
    """Each player's values, uniform over those worth 10 in all, drawn again until no item
    type is worthless to both players."""
    choices = value_vectors(counts)
    while True:
        first, second = rng.choice(choices), rng.choice(choices)
        if instance_problem(counts, (first, second)) is None:
            return first, second


def draw_instance(rng: random.Random) -> dict[str, Any]:
    """One game: the items, both players' values, who speaks first, and the episode's seed."""
    counts = draw_counts(rng)
    values = draw_values(rng, counts)
    return {
        "counts": list(counts),
        "values": [list(values[0]), list(values[1])],
        "first": rng.randrange(2),
        "seed": rng.randrange(2**31),
    }


def experiments(seed: int) -> list[Experiment]:
    """The same games under each objective, so that the objectives compare on equal terms."""
    rng = random.Random(seed)
    games = [draw_instance(rng) for _ in range(INSTANCES_PER_EXPERIMENT)]
    return [
        Experiment(objective, tuple({**game, "objective": objective} for game in games))
        for objective in OBJECTIVES
    ]


def play_instance(seed: int) -> dict[str, Any]:
    """A single game's items and values from its seed; its objective is the caller's setting."""
    return {**draw_instance(random.Random(seed)), "seed": seed}
