"""What a model dictgame fine-tuned was made from, in one line of plain words (the new-game
form under a seat's model list, `dictgame models` under its row), from the record the tuned
file carries in its header (`ModelInfo.lineage`). Only what the record holds is said: an
older file without a base name, or a model fine-tuned from a file rather than a run, reads
shorter, never guessed."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePath

from ...engine.games import all_games
from ...engine.words import plural
from ...models import FoundModel

# A name or path from a file's header is cut here: the line stays one line.
_LONGEST_NAME = 80
_SHA_SHOWN = 8  # hex digits of the base's sha256: enough to tell two bases apart


def lineage_line(lineage: Mapping[str, object]) -> str:
    """E.g. "fine-tuned from SmolLM2-135M-Instruct.Q4_1.gguf (sha256 1a2b3c4d…) on 12
    examples (above_avg filter) of self-play run 3 of Deal or No Deal, iteration 1; training
    loss 2.31 to 1.02". Empty for a model without a lineage."""
    if not lineage:
        return ""
    line = "fine-tuned" + _base(lineage) + _data(lineage)
    iteration = _count(lineage.get("iteration"))
    if iteration is not None:
        line += f", iteration {iteration}"
    first, last = _number(lineage.get("loss_first")), _number(lineage.get("loss_last"))
    if first is not None and last is not None:
        line += f"; training loss {first:.2f} to {last:.2f}"
    return line


def lineage_lines(found: list[FoundModel]) -> dict[str, str]:
    """Each fine-tuned model's line, by its path as the form's model list gives it."""
    return {
        str(model.path): lineage_line(model.info.lineage)
        for model in found
        if model.info is not None and model.info.lineage
    }


def _base(lineage: Mapping[str, object]) -> str:
    name = _text(lineage.get("base"))
    sha = _text(lineage.get("base_sha256"))[:_SHA_SHOWN]
    if name and sha:
        return f" from {name} (sha256 {sha}…)"
    if name:
        return f" from {name}"
    return f" from a base of sha256 {sha}…" if sha else ""


def _data(lineage: Mapping[str, object]) -> str:
    examples = _count(lineage.get("examples"))
    keep = _text(lineage.get("filter"))
    run = _count(lineage.get("selfplay_run"))
    data = _text(lineage.get("data"))
    if examples is None and not (keep or run is not None or data):
        return ""
    words = " on " + (plural(examples, "example") if examples is not None else "examples")
    if keep:
        words += f" ({keep} filter)"
    if run is not None:
        words += f" of self-play run {run}"
        game = _text(lineage.get("game"))
        if game:
            words += f" of {_game_titles().get(game, game)}"
    elif data:
        words += f" from {_text(PurePath(data).name)}"
    return words


def _text(value: object) -> str:
    """A string of the record on one line, cut to a readable length; "" for anything else."""
    if not isinstance(value, str):
        return ""
    text = " ".join(value.split())
    return text if len(text) <= _LONGEST_NAME else text[: _LONGEST_NAME - 1] + "…"


def _count(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def _number(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _game_titles() -> dict[str, str]:
    return {game.name: game.title for game in all_games()}
