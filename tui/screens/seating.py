"""Seating a game's players on the game screen: the models load in a worker (the loading bar
shows their progress), then the episode opens (`open_episode`: stored, claimed, its game
master and saver) and the game plays, or waits paused; a model that cannot load sends the
person back to the form (a new game) or to the saved games."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work

from ...engine.core.episode import GameMaster
from ...engine.core.game import EpisodeState, Game
from ...engine.core.provenance import SeatPlayer
from ...engine.words import sentence
from ...saves import StoredGame
from ..services.episodes import open_episode
from ..services.game_modes import Mode
from ..services.model_names import seat_title
from ..services.players import Seats, seat_players, seat_provenance
from ..widgets.chat_pane import ChatPane
from ..widgets.loading_bar import LoadingBar
from ..widgets.person_turn import PersonTurn
from .new_game_screen import NewGameScreen

if TYPE_CHECKING:
    from textual.screen import Screen

    from ...saves import GameLease
    from .app import DictgameApp

    _Base = Screen[None]
else:
    _Base = object

log = logging.getLogger("dictgame.tui")


class SeatingPlayers(_Base):
    """Mixed into the game screen, which gives it the state, the person's turn and `_start`."""

    if TYPE_CHECKING:
        state: EpisodeState[Any]
        game: Game[Any]
        game_id: int | None
        players: tuple[SeatPlayer, SeatPlayer] | None
        master: GameMaster | None
        person_turn: PersonTurn
        play_when_seated: bool
        mode: Mode
        _lease: GameLease | None
        _move_saver: StoredGame | None

        @property
        def dictgame(self) -> DictgameApp: ...

        @property
        def panes(self) -> list[ChatPane]: ...

        def _start(self, moves: int | None) -> None: ...

    @work(thread=True, exclusive=True, group="seat", exit_on_error=False)
    def _seat_players(self) -> None:
        app = self.dictgame
        settings = self.state.settings
        try:
            with app.generation_lock:
                sessions = seat_players(
                    app.backend(), settings, app.config, self.game, self.person_turn.sessions.__getitem__
                )
                self.players = seat_provenance(app.backend(), settings, app.config, self.game)
        except Exception as error:
            log.exception("cannot seat the players")
            self._from_thread(self._seating_failed, error)
            return
        self._from_thread(self._players_seated, sessions)

    def _from_thread(self, callback: Callable[..., object], *args: object) -> None:
        """Run `callback` on the UI thread, unless the app has gone in the meantime."""
        try:
            self.dictgame.call_from_thread(callback, *args)
        except RuntimeError:
            log.info("the app closed while players were being seated")

    def _on_load_progress(self, path: Path, fraction: float) -> None:
        """Called by the backend from the loading thread."""
        self._from_thread(self.query_one(LoadingBar).show_progress, path, fraction)

    def _players_seated(self, sessions: Seats) -> None:
        if not self.is_attached:
            return
        self.dictgame.load_listener = None
        self.query_one("#loading").display = False
        opened = open_episode(
            self.dictgame.store, self.game, self.state, sessions, self.players,
            game_id=self.game_id, lease=self._lease, session=self.dictgame.session,
        )
        self.game_id, self._lease = opened.game_id, opened.lease
        self.dictgame.last_opened = self.game_id
        self.master, self._move_saver = opened.master, opened.saver
        for seat, pane in enumerate(self.panes):  # who really plays, now that it is known
            if self.players is not None:
                pane.set_title(seat_title(self.state, seat, self.players[seat].kind == "scripted"))
        if self.play_when_seated:
            self._start(moves=None)
        else:
            self.mode = Mode.PAUSED

    def _seating_failed(self, error: Exception) -> None:
        if not self.is_attached:
            return
        message = sentence(f"The players could not be seated: {error}")
        self.notify(message, title="Model not loaded", severity="error", timeout=10, markup=False)
        if self.game_id is None:
            self.app.switch_screen(
                NewGameScreen(self.dictgame.config, self.state.settings, str(error))
            )
        else:
            self.app.pop_screen()
