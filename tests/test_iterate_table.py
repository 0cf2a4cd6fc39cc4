"""`dictgame iterate`'s table: the gain of a tuned model is measured on the held-out games
both models played, pair by pair, with its standard error."""

from __future__ import annotations

import math
import re

from dictgame.tui.services.iterate_table import Evaluation, Training, paired_gain, table_text


def _row(iteration: int, scores: dict[tuple[str, int], float], trained: Training | None) -> Evaluation:
    return Evaluation(iteration, f"model-{iteration}", len(scores), ("main score",), ("x",), scores, 12.5, trained)


def test_the_gain_is_paired_on_the_games_both_models_played() -> None:
    before = {("en", 0): 1.0, ("en", 1): 2.0, ("en", 2): 3.0, ("en", 3): 9.0}
    after = {("en", 0): 2.0, ("en", 1): 2.0, ("en", 2): 5.0, ("de", 0): 0.0}
    mean, se, pairs = paired_gain(before, after)
    # Differences 1, 0, 2: mean 1, sample variance 1, standard error sqrt(1/3); the games
    # only one model played ("en" 3, "de" 0) are left out.
    assert pairs == 3 and mean == 1.0 and math.isclose(se, math.sqrt(1 / 3))
    assert paired_gain(before, {("fr", 0): 1.0}) == (0.0, 0.0, 0)


def test_the_table_says_the_gain_its_noise_and_what_each_model_learned_from() -> None:
    before = {("en", 0): 1.0, ("en", 1): 2.0, ("en", 2): 3.0}
    after = {("en", 0): 2.0, ("en", 1): 2.0, ("en", 2): 5.0}
    lines = table_text([
        _row(0, before, None),
        _row(1, after, Training(examples=7, filter="nonzero", loss_first=2.345, loss_last=1.2)),
    ]).splitlines()
    assert lines[0].split() == ["iteration", "model", "games", "main", "score", "gain", "(paired)",
                                "tok/s", "trained", "on"]
    assert lines[2].split()[4:] == ["-", "12.5", "-"]
    assert re.split(r"\s{2,}", lines[3])[4:] == [
        "+1.00 ± 0.58, +1.7 SE", "12.5", "7 examples (nonzero), loss 2.35 -> 1.20"]
