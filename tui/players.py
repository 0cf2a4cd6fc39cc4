"""Seat a game's players at their models: the one place the app turns settings into sessions.

The headless runner, batch runs and the terminal UI call this, so they play exactly the same
game. A seat the game plays itself (programmatic) gets no session.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..engine.backend import Backend, LoadProgressCallback, PlayerSession
from ..engine.core.game import Game
from ..engine.core.settings import CommonSettings
from ..models import ModelInfo, resolve_model
from .config import DictgameConfig

Seats = tuple[PlayerSession | None, PlayerSession | None]


def open_backend(config: DictgameConfig, on_load_progress: LoadProgressCallback | None = None) -> Backend:
    """The backend the configuration asks for; llama.cpp is imported only when needed."""
    if config.backend == "scripted":
        from ..engine.scripted import ScriptedBackend

        return ScriptedBackend(token_delay=config.scripted_token_delay)
    from ..engine.players.llama import LlamaBackend

    runtime = config.runtime
    return LlamaBackend(
        n_ctx=runtime.context_size,
        n_threads=runtime.threads,
        n_gpu_layers=runtime.gpu_layers,
        on_load_progress=on_load_progress,
        chat_format=runtime.chat_format,
    )


def player_models(
    settings: CommonSettings, config: DictgameConfig, game: Game[Any] | None = None
) -> tuple[ModelInfo | None, ModelInfo | None]:
    """Each model seat's file, checked before any weights load (None: no model file)."""
    kinds = game.seats if game is not None else ("model", "model")
    if config.backend == "scripted":
        return None, None
    first, second = (
        resolve_model(player.model) if kind == "model" else None
        for player, kind in zip(settings.players, kinds, strict=True)
    )
    return first, second


def seat_players(
    backend: Backend, settings: CommonSettings, config: DictgameConfig, game: Game[Any] | None = None
) -> Seats:
    """One session per model seat; players on the same file share its loaded weights."""
    kinds = game.seats if game is not None else ("model", "model")
    models = player_models(settings, config, game)
    sessions: list[PlayerSession | None] = []
    for seat, kind in enumerate(kinds):
        model = models[seat]
        if kind != "model":
            sessions.append(None)
        else:
            sessions.append(backend.session(model.path if model else Path(f"scripted-{'ab'[seat]}")))
    return sessions[0], sessions[1]
