"""Seat a game's players at their models: the one place the app turns settings into sessions.

The headless runner, batch runs and the terminal UI call this, so they play exactly the same
game. A seat the game plays itself (programmatic) gets no session.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..engine.backend import Backend, LoadProgressCallback, PlayerSession
from ..engine.core.game import Game
from ..engine.core.settings import CommonSettings
from ..models import ModelInfo, resolve_model
from .config import DictgameConfig

Seats = tuple[PlayerSession | None, PlayerSession | None]
# A person's seat, from its number: how this interface hears what they answer.
PersonSeat = Callable[[int], PlayerSession]


class SeatError(ValueError):
    """A seat that cannot be played as asked: one line saying why and what to do."""


def open_backend(config: DictgameConfig, on_load_progress: LoadProgressCallback | None = None) -> Backend:
    """The backend the configuration asks for; llama.cpp is imported only when needed."""
    if config.backend == "scripted":
        from ..engine.scripted import ScriptedBackend

        return ScriptedBackend(token_delay=config.scripted_token_delay)
    from ..engine.llama_runtime import LlamaBackend

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
        resolve_model(player.model) if kind == "model" and not player.human else None
        for player, kind in zip(settings.players, kinds, strict=True)
    )
    return first, second


def check_people(settings: CommonSettings, game: Game[Any]) -> None:
    """A person may take a seat a model would play, not one the game plays itself."""
    for seat, (player, kind) in enumerate(zip(settings.players, game.seats, strict=True)):
        if player.human and kind == "programmatic":
            raise SeatError(
                f"seat {'AB'[seat]} of {game.title} is played by the game itself, not by a person"
            )


def seat_players(
    backend: Backend, settings: CommonSettings, config: DictgameConfig,
    game: Game[Any] | None = None, person: PersonSeat | None = None,
) -> Seats:
    """One session per model seat (players on the same file share its loaded weights), and
    a person's seat from `person`, the interface's way of hearing them."""
    kinds = game.seats if game is not None else ("model", "model")
    if game is not None:
        check_people(settings, game)
    models = player_models(settings, config, game)
    sessions: list[PlayerSession | None] = []
    for seat, kind in enumerate(kinds):
        model = models[seat]
        if kind != "model":
            sessions.append(None)
        elif settings.players[seat].human:
            if person is None:
                raise SeatError(
                    f"seat {'AB'[seat]} is played by a person, which only the headless game "
                    "can seat for now: dictgame play --headless, or dictgame resume ID --headless"
                )
            sessions.append(person(seat))
        else:
            sessions.append(backend.session(model.path if model else Path(f"scripted-{'ab'[seat]}")))
    return sessions[0], sessions[1]
