"""Seat a game's players at their models: the one place the app turns settings into sessions.

The headless runner, batch runs and the terminal UI call this, so they play exactly the same
game. A seat the game plays itself (programmatic) gets no session; a seat whose model is a
server's (`server:NAME`) plays through the servers the configuration gives that seat.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...engine.backend import Backend, LoadProgressCallback, PlayerSession
from ...engine.core.game import Game
from ...engine.core.provenance import SeatPlayer
from ...engine.core.settings import CommonSettings, served_model
from ...models import ModelInfo, resolve_model
from ...models.digest import file_sha256
from . import locations
from .config import ConfigError, DictgameConfig

if TYPE_CHECKING:  # the server client is imported only when a seat plays through a server
    from ...engine.players.openai_http import OpenAIBackend, ServerOptions

Seats = tuple[PlayerSession | None, PlayerSession | None]
# A person's seat, from its number: how this interface hears what they answer.
PersonSeat = Callable[[int], PlayerSession]


class SeatError(ValueError):
    """A seat that cannot be played as asked: one line saying why and what to do."""

    def __init__(self, message: str, seat: int) -> None:
        super().__init__(message)
        self.seat = seat


class Players:
    """Where the players' models run: the local runtime for GGUF files, opened on first use
    (a game played wholly on servers never loads llama.cpp), and each seat's servers (seats on
    the same servers share one client, so requests are spread over them by load)."""

    def __init__(
        self,
        config: DictgameConfig,
        on_load_progress: LoadProgressCallback | None = None,
        local: Backend | None = None,
        parallel: int = 1,
    ) -> None:
        self.config = config
        self.on_load_progress = on_load_progress
        self.parallel = parallel
        self._local = local
        self._servers: dict[tuple[str, ...], OpenAIBackend] = {}
        self._lock = threading.Lock()

    @property
    def local(self) -> Backend:
        with self._lock:
            if self._local is None:
                self._local = _local_backend(self.config, self.on_load_progress, self.parallel)
            return self._local

    def session(self, model_path: Path) -> PlayerSession:
        return self.local.session(model_path)

    def servers(self, base_urls: list[str]) -> OpenAIBackend:
        from ...engine.players.openai_http import OpenAIBackend

        key = tuple(base_urls)
        with self._lock:
            if key not in self._servers:
                self._servers[key] = OpenAIBackend(base_urls, server_options(self.config))
            return self._servers[key]

    def close(self) -> None:
        with self._lock:
            backends: list[Any] = list(self._servers.values())
            if self._local is not None:
                backends.append(self._local)
            self._servers.clear()
            self._local = None
        for backend in backends:
            backend.close()


def open_backend(
    config: DictgameConfig, on_load_progress: LoadProgressCallback | None = None, parallel: int = 1
) -> Players:
    """The players' backends as the configuration asks; none is opened before it is needed.

    `parallel`: episodes played at once. Above one, with `runtime.shared_context`, the players
    of local models decode together as sequences of shared contexts (two seats an episode);
    else each has a context of its own.
    """
    return Players(config, on_load_progress, parallel=parallel)


def _local_backend(
    config: DictgameConfig, on_load_progress: LoadProgressCallback | None, parallel: int = 1
) -> Backend:
    if config.backend == "scripted":
        from ...engine.scripted import ScriptedBackend

        return ScriptedBackend(token_delay=config.scripted_token_delay)
    from ...engine.players.llama import LlamaBackend

    runtime = config.runtime
    return LlamaBackend(
        n_ctx=runtime.context_size,
        n_threads=runtime.threads,
        n_gpu_layers=runtime.gpu_layers,
        on_load_progress=on_load_progress,
        chat_format=runtime.chat_format,
        batch_sequences=sequences_per_context(parallel, runtime.threads)
        if runtime.shared_context else 1,
    )


def sequences_per_context(parallel: int, threads: int | None, cores: int | None = None) -> int:
    """How many players (two an episode) share one context when `parallel` episodes are
    played at once. Each shared context has one decode loop; one loop with `threads` threads
    keeps that many cores busy, so the episodes are spread over as many contexts as the cores
    have room for such loops: on two cores, two one-thread loops, each batching its own half
    of the players. Loops of their own need no barrier between them, where one loop of two
    threads spins at every step of a decode (and crawls when the machine is busy)."""
    if parallel <= 1:
        return 1
    from ...engine.players.llama import default_thread_count, usable_cores

    per_loop = threads or default_thread_count()
    loops = max(1, min(parallel, (cores or usable_cores()) // per_loop))
    return max(1, -(-2 * parallel // loops))


def server_options(config: DictgameConfig) -> ServerOptions:
    from ...engine.players.openai_http import ServerOptions

    server = config.server
    return ServerOptions(
        api_key_env=server.api_key_env,
        timeout=server.timeout,
        connect_timeout=server.connect_timeout,
        retries=server.retries,
        schema_form=server.schema_form,
    )


def check_servers(config: DictgameConfig, game: Game[Any] | None = None) -> DictgameConfig:
    """Before a new game or run: every server a model seat plays through answers and serves
    its model. Returns the configuration with each such seat's model named (a seat given no
    server model gets the server's first), so the game stores what it played. The server
    client is imported only for a seat that has a server: it adds 16-37 MiB to a process."""
    kinds = game.seats if game is not None else ("model", "model")
    named: dict[str, str] = {}
    for seat, suffix in enumerate("ab"):
        urls = config.base_urls_for(seat)
        if kinds[seat] != "model" or not urls:
            continue
        from ...engine.players.openai_http import OpenAIBackend

        backend = OpenAIBackend(urls, server_options(config))
        try:
            named[f"server_model_{suffix}"] = backend.check(config.server_model_for(seat))
        finally:
            backend.close()
    return config.model_copy(update=named) if named else config


def player_models(
    settings: CommonSettings, config: DictgameConfig, game: Game[Any] | None = None
) -> tuple[ModelInfo | None, ModelInfo | None]:
    """Each local model seat's file, checked before any weights load (None: no model file)."""
    kinds = game.seats if game is not None else ("model", "model")
    if config.backend == "scripted":
        return None, None
    first, second = (
        resolve_model(player.model)
        if kind == "model" and served_model(player.model) is None and not player.human
        else None
        for player, kind in zip(settings.players, kinds, strict=True)
    )
    return first, second


def seat_provenance(
    backend: Backend, settings: CommonSettings, config: DictgameConfig,
    game: Game[Any] | None = None,
) -> tuple[SeatPlayer, SeatPlayer]:
    """Who plays each seat, as `seat_players` seats them on `backend`, for the game to record:
    the backend that really answers, the model file and its sha256 (cached, models/digest.py)
    or the server, the chat format."""
    kinds = game.seats if game is not None else ("model", "model")
    models = player_models(settings, config, game)
    players: list[SeatPlayer] = []
    for seat, kind in enumerate(kinds):
        player = settings.players[seat]
        served = served_model(player.model)
        model = models[seat]
        if kind != "model":
            players.append(SeatPlayer(kind="programmatic"))
        elif player.human:
            players.append(SeatPlayer(kind="person"))
        elif served is not None:
            players.append(SeatPlayer(
                kind="server", model=served or None,
                url=" ".join(config.base_urls_for(seat)) or None, chat_format="server",
            ))
        elif (local := _local_kind(backend)) != "llama.cpp" or model is None:
            players.append(SeatPlayer(kind="scripted" if local == "scripted" else "unknown"))
        else:
            players.append(SeatPlayer(
                kind="llama.cpp", model=model.path.name,
                sha256=file_sha256(model.path, locations.digest_cache()),
                chat_format=config.runtime.chat_format,
            ))
    return players[0], players[1]


def _local_kind(backend: Backend) -> str:
    """What plays the local seats: a backend that does not say is not known."""
    local = backend.local if isinstance(backend, Players) else backend
    return str(getattr(local, "kind", "unknown"))


def check_people(settings: CommonSettings, game: Game[Any]) -> None:
    """A person may take a seat a model would play, not one the game plays itself."""
    for seat, (player, kind) in enumerate(zip(settings.players, game.seats, strict=True)):
        if player.human and kind == "programmatic":
            raise SeatError(
                f"seat {'AB'[seat]} of {game.title} is played by the game itself, not by a person",
                seat,
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
        player = settings.players[seat]
        served = served_model(player.model)
        if kind != "model":
            sessions.append(None)
        elif settings.players[seat].human:
            if person is None:
                raise SeatError(
                    f"seat {'AB'[seat]} is played by a person, who plays in the terminal UI or "
                    "the headless game (dictgame play, dictgame resume ID), not here",
                    seat,
                )
            sessions.append(person(seat))
        elif served is not None:
            urls = config.base_urls_for(seat)
            if not urls:
                raise ConfigError(
                    f"{player.name} plays the model {served!r} on a server: give the server's "
                    f"address with --base-url or --base-url-{'ab'[seat]} (base_url in the config)"
                )
            if not isinstance(backend, Players):
                raise TypeError("a seat on a server is seated by the players of open_backend")
            servers = backend.servers(urls)
            sessions.append(servers.session(served or servers.check(None)))
        else:
            model = models[seat]
            sessions.append(backend.session(model.path if model else Path(f"scripted-{'ab'[seat]}")))
    return sessions[0], sessions[1]
