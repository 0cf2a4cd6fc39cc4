"""Seat a game's two players at their models: the one place the app turns settings into sessions.

Both the headless runner and the terminal UI call this, so they play exactly the same game.
"""

from __future__ import annotations

from pathlib import Path

from ..engine.backend import Backend, LoadProgressCallback, PlayerSession
from ..engine.settings import GameSettings
from ..models import ModelInfo, resolve_model
from .config import DictgameConfig


def open_backend(config: DictgameConfig, on_load_progress: LoadProgressCallback | None = None) -> Backend:
    """The backend the configuration asks for; llama.cpp is imported only when needed."""
    if config.backend == "scripted":
        from ..engine.scripted import ScriptedBackend

        return ScriptedBackend(token_delay=config.scripted_token_delay)
    from ..engine.llama_runtime import LlamaBackend

    return LlamaBackend(
        n_ctx=config.context_size,
        n_threads=config.threads,
        n_gpu_layers=config.gpu_layers,
        on_load_progress=on_load_progress,
        chat_format=config.chat_format,
    )


def player_models(settings: GameSettings, config: DictgameConfig) -> tuple[ModelInfo, ModelInfo] | None:
    """Each player's model file, checked before any weights load; None for the scripted backend."""
    if config.backend == "scripted":
        return None
    first, second = (resolve_model(player.model) for player in settings.players)
    return first, second


def seat_players(
    backend: Backend, settings: GameSettings, config: DictgameConfig
) -> tuple[PlayerSession, PlayerSession]:
    """One session per player; players on the same file share its loaded weights."""
    models = player_models(settings, config)
    if models is None:
        return backend.session(Path("scripted-a")), backend.session(Path("scripted-b"))
    return backend.session(models[0].path), backend.session(models[1].path)
