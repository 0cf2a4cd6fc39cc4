"""One name per model, wherever it is shown (the new-game form and its list, the panes, the
saved games, `dictgame models`): its file name without `.gguf`. A game saved without a model
file plays the embedded default, shown under that file's name too."""

from __future__ import annotations

from pathlib import Path

from ..models import ModelFileError, embedded_model_path

SCRIPTED = "scripted"


def model_title(model: str | Path | None, *, scripted: bool = False) -> str:
    if scripted:
        return SCRIPTED
    if not model:
        try:
            model = embedded_model_path()
        except ModelFileError:
            return "the embedded model"
    name = Path(model).name
    return name[: -len(".gguf")] if name.lower().endswith(".gguf") else name
