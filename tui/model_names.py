"""One name per model, wherever it is shown (the new-game form and its list, the panes, the
saved games, `dictgame models`): its file name without `.gguf`. A game saved without a model
file plays the embedded default, shown under that file's name too."""

from __future__ import annotations

from pathlib import Path

from ..engine.core.settings import served_model
from ..models import ModelFileError, embedded_model_path

SCRIPTED = "scripted"


def model_title(model: str | Path | None, *, scripted: bool = False) -> str:
    if scripted:
        return SCRIPTED
    served = served_model(str(model)) if model is not None else None
    if served is not None:
        return f"{Path(served).name or 'the first model'} on a server"
    if not model:
        try:
            model = embedded_model_path()
        except ModelFileError:
            return "the embedded model"
    name = Path(model).name
    return name[: -len(".gguf")] if name.lower().endswith(".gguf") else name
