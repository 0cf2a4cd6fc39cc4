"""The items on the table and what they are worth: counts, values, points, the instance
constraints of Lewis et al. (2017), and every way to divide the items."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator

ITEMS = ("books", "hats", "balls")
ITEM = ("book", "hat", "ball")

# A number per item type, in the order of ITEMS.
Counts = tuple[int, int, int]
Values = tuple[int, int, int]

MIN_COUNT, MAX_COUNT = 1, 4
MIN_TOTAL, MAX_TOTAL = 5, 7
MAX_VALUE = 10
# All the items together are worth exactly this much to each player.
TOTAL_VALUE = 10


def points(values: Values, take: Counts) -> int:
    """What the items a player takes are worth to that player."""
    return sum(v * n for v, n in zip(values, take, strict=True))


def complement(counts: Counts, take: Counts) -> Counts:
    """What is left for the partner when a player takes `take`."""
    a, b, c = (total - n for total, n in zip(counts, take, strict=True))
    return a, b, c


def adds_up(counts: Counts, first: Counts, second: Counts) -> bool:
    """A deal is valid when the two proposals add up to the items, type by type."""
    return all(x + y == total for x, y, total in zip(first, second, counts, strict=True))


def allocations(counts: Counts) -> Iterator[Counts]:
    """Every way to divide the items: what the first player takes (the second takes the rest)."""
    for a, b, c in itertools.product(*(range(n + 1) for n in counts)):
        yield a, b, c


@functools.lru_cache(maxsize=64)
def value_vectors(counts: Counts) -> tuple[Values, ...]:
    """Every value per item type (0-10) that makes all the items worth exactly 10."""
    return tuple(
        (a, b, c)
        for a, b, c in itertools.product(range(MAX_VALUE + 1), repeat=3)
        if points((a, b, c), counts) == TOTAL_VALUE
    )


def instance_problem(counts: Counts, values: tuple[Values, Values]) -> str | None:
    """Which constraint of the game an instance breaks (None if it keeps them all)."""
    if any(not MIN_COUNT <= n <= MAX_COUNT for n in counts):
        return f"each item count must be {MIN_COUNT} to {MAX_COUNT}, not {counts}"
    if not MIN_TOTAL <= sum(counts) <= MAX_TOTAL:
        return f"there must be {MIN_TOTAL} to {MAX_TOTAL} items in all, not {sum(counts)}"
    for seat, own in enumerate(values):
        if any(not 0 <= v <= MAX_VALUE for v in own):
            return f"values must be 0 to {MAX_VALUE}, not {own}"
        if points(own, counts) != TOTAL_VALUE:
            return f"all the items must be worth {TOTAL_VALUE} to player {seat + 1}, not {points(own, counts)}"
    for item, (a, b) in zip(ITEMS, zip(*values, strict=True), strict=True):
        if a == 0 and b == 0:
            return f"{item} are worth nothing to both players"
    return None


def describe(take: Counts) -> str:
    """A proposal as the players write it: (0 books, 1 hat, 2 balls)."""
    return "(" + ", ".join(
        f"{n} {ITEM[i] if n == 1 else ITEMS[i]}" for i, n in enumerate(take)
    ) + ")"


def items_text(counts: Counts) -> str:
    """The items in words: "1 book, 2 hats and 3 balls"."""
    parts = [f"{n} {ITEM[i] if n == 1 else ITEMS[i]}" for i, n in enumerate(counts)]
    return f"{parts[0]}, {parts[1]} and {parts[2]}"


def pareto_optimal(counts: Counts, values: tuple[Values, Values], take: Counts) -> bool:
    """Whether no other division gives both players at least as many points and one of them
    more, checked over every division of the items. `take` is the first player's share."""
    first, second = values
    mine, theirs = points(first, take), points(second, complement(counts, take))
    for other in allocations(counts):
        a, b = points(first, other), points(second, complement(counts, other))
        if a >= mine and b >= theirs and (a > mine or b > theirs):
            return False
    return True


def best_joint(counts: Counts, values: tuple[Values, Values]) -> int:
    """The most points both players together can get from one division of the items."""
    first, second = values
    return max(
        points(first, take) + points(second, complement(counts, take))
        for take in allocations(counts)
    )
