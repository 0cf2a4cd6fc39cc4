"""Opening an episode: the one way headless play, runs and the game screen put a game in
the save file, claim it, and hand it to the episode loop (engine/core/episode.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from ...engine.core.episode import GameMaster
from ...engine.core.game import Game
from ...engine.core.provenance import SeatPlayer
from ...saves import GameLease, GameStore, StoredGame
from ...saves.runs import EpisodeRow


@dataclass
class OpenEpisode:
    """A stored game ready to play: its id, its game master over the seated players, the
    saver that stores each move, and the lease that keeps every other process off it until
    it is closed."""

    game_id: int
    master: GameMaster
    saver: StoredGame
    lease: GameLease

    def close(self) -> None:
        self.lease.release()

    def __enter__(self) -> OpenEpisode:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def open_episode(
    store: GameStore,
    game: Game[Any],
    state: Any,
    sessions: Sequence[Any],
    players: Sequence[SeatPlayer] | None,
    *,
    game_id: int | None = None,
    lease: GameLease | None = None,
    instance: dict[str, Any] | None = None,
    episode: EpisodeRow | None = None,
    session: str | None = None,
) -> OpenEpisode:
    """Open `state`'s game: stored now if it is new (`game_id` None; with the instance and
    run episode it plays, and the browser session that started it), claimed unless the
    caller holds its lease already, and recorded as played by `players` from the next move
    on. The players are seated before: a model that cannot load leaves nothing stored."""
    if game_id is None:
        game_id = store.create_game(state.settings, game, instance, episode=episode, session=session)
    claimed = lease if lease is not None else store.acquire(game_id)
    try:
        saver = store.saver(game_id, players)
    except BaseException:
        if lease is None:
            claimed.release()
        raise
    return OpenEpisode(game_id, GameMaster(state, sessions, game), saver, claimed)
