"""bench.quality_report on the games the quality bench stored (bench/results): a grounded
row's cost is judged only against the free games played beside it, seed by seed in one run."""

from __future__ import annotations

import statistics
from pathlib import Path

from bench.quality import ROW_RULES
from bench.quality_report import (
    beside_free,
    by_model,
    distinct,
    of_current_rules,
    page,
    paired_cost,
    read_games,
    run_of,
)

RESULTS = Path(__file__).resolve().parent.parent / "bench" / "results"
HEARD = "invented_memory_heard"


def _as_now(games: list[dict]) -> list[dict]:
    """The games as if played by their rows' current rules (bench.quality.ROW_RULES)."""
    return [{**g, "rules": ROW_RULES.get(g["row"], 1)} for g in games]


def _qwen(games: list[dict]) -> dict[str, list[dict]]:
    (model,) = {g["model"] for g in games if "qwen" in g["model"]}
    return by_model(games)[model]


def test_a_rows_cost_is_judged_against_the_free_games_of_its_own_runs() -> None:
    beside = read_games([RESULTS / "quality-qwen-heard.jsonl"])
    other_runs = read_games([RESULTS / "quality-qwen.jsonl"])
    alone, together = _qwen(beside), _qwen(beside + other_runs)
    assert {run_of(g) for g in other_runs}.isdisjoint(run_of(g) for g in beside)
    # By hand: the heard row's mean seconds a move over the mean of the free games it ran beside.
    grounded = statistics.fmean(g["seconds_per_move"] for g in alone[HEARD])
    free = statistics.fmean(g["seconds_per_move"] for g in alone["free"])
    assert paired_cost(beside_free(alone, HEARD)) == round(grounded / free, 3)
    # Free games of other runs (other days and loads) change nothing.
    assert len(together["free"]) > len(alone["free"])
    assert paired_cost(beside_free(together, HEARD)) == paired_cost(beside_free(alone, HEARD))
    # A row whose games no free game of the same seed and run stood beside is not judged.
    assert beside_free(together, "invented_memory") == []
    assert paired_cost(beside_free(together, "invented_memory")) is None
    text = page(_as_now(beside + other_runs))
    assert f"| `{HEARD}_round_cost_vs_free_move<=1.5` | {paired_cost(beside_free(alone, HEARD))} |" in text
    assert ("| `invented_memory_round_cost_vs_free_move<=1.5` | - | not judged: the two rows "
            "were measured in different runs |") in text


def test_a_seed_without_its_free_game_is_left_out_of_the_cost() -> None:
    rows = _qwen(read_games([RESULTS / "quality-qwen-heard.jsonl"]))
    dropped = rows[HEARD][0]
    rows["free"] = [g for g in rows["free"]
                    if (g["seed"], run_of(g)) != (dropped["seed"], run_of(dropped))]
    pairs = beside_free(rows, HEARD)
    assert len(pairs) == len(rows[HEARD]) - 1 and dropped not in [g for g, _ in pairs]
    grounded = statistics.fmean(g["seconds_per_move"] for g, _ in pairs)
    free = statistics.fmean(f["seconds_per_move"] for _, f in pairs)
    assert paired_cost(beside_free(rows, HEARD)) == round(grounded / free, 3)
    assert all(run_of(g) == run_of(f) and g["seed"] == f["seed"] for g, f in pairs)
    rows["free"] = []
    assert paired_cost(beside_free(rows, HEARD)) is None


def test_a_game_replayed_by_another_run_is_counted_once() -> None:
    """Each run plays its own free games to time its rows beside; on one machine they are the
    same games again, and the free row's figures pool each game once."""
    free = _qwen(read_games([RESULTS / "quality-qwen.jsonl"]))["free"]
    kept = distinct(free)
    again = {**free[0], "seconds": 1.0, "seconds_per_move": 0.1, "commit": "another run"}
    assert distinct([*free, again]) == kept
    other = {**free[0], "common_right": free[0]["common_right"] + 1}
    assert distinct([*free, other]) == [*kept, other]
    text = page(_as_now([*free, again]))
    assert text.count("| free, ") == 1 and f"| {len(kept)} (" in text


def test_games_of_a_rows_earlier_rules_time_moves_but_are_not_its_figures() -> None:
    """A change to free talk's rules (ROW_RULES) makes its earlier games another game: they
    leave its figures, and still time the grounded moves their runs played beside them."""
    assert ROW_RULES["free"] > 1
    played = read_games([RESULTS / "quality-qwen-heard.jsonl"])
    earlier = [g for g in played if g["row"] == "free" and "rules" not in g]
    assert earlier and of_current_rules("free", earlier) == []
    now = _as_now(earlier)
    assert of_current_rules("free", now) == now
    heard = [g for g in played if g["row"] == HEARD]
    assert heard and of_current_rules(HEARD, heard) == heard
    text = page(played)
    assert "| free, " not in text and "| `free_common_right_per_game>=5` | - | not measured |" in text
    assert f"Left out of the free row: {len(earlier)} games played by its earlier rules" in text
    cost = paired_cost(beside_free(_qwen(played), HEARD))
    assert cost is not None and f"| `{HEARD}_round_cost_vs_free_move<=1.5` | {cost} | met" in text
    text = page(played + now[:1])
    assert "| free, English / Spanish, topic, 10 rounds | 1 (" in text
