"""One name per model, wherever it is shown (the new-game form and its list, the panes, the
saved games, `dictgame models`): its file name without `.gguf`. A game saved without a model
file plays the embedded default, shown under that file's name too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...engine.core.settings import served_model
from ...engine.games import game_of
from ...models import ModelFileError, embedded_model_path

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


def seat_title(state: Any, seat: int, scripted: bool) -> list[str]:
    """A player's pane title: name, language (where the game has one), who plays it."""
    player = state.settings.players[seat]
    if game_of(state).seats[seat] == "programmatic":
        model = "the game's own player"
    elif getattr(player, "human", False):
        model = "you"
    else:
        model = model_title(player.model, scripted=scripted)
    language = getattr(player, "language", "")
    if getattr(state.settings, "mode", None) == "invented":  # not what it speaks there
        language = "invented language"
    return [part for part in (player.name, language, model) if part]
