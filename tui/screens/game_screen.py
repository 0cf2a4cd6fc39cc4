"""The game screen: each player's own pane, the game's panel, pause / step / edit.

A worker thread runs the one episode loop (`engine.core.episode.play`) with the store as its
saver. It never touches widgets: it appends the game master's notices to an inbox that a
timer drains every `FLUSH_SECONDS`, so a fast model costs one repaint per interval, not one
per token. Pausing cancels the generation: the game master then leaves the state untouched,
the pane drops the half-written move, and the screen says "stopping…" until the worker has
let go. A person's seat is waited on in the worker too: the game master asks their
`HumanSession`, and `PersonTurn` shows where they answer. The players are seated first
(`seating.py`), the panel's keys are `panel_actions.py`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from textual import work
from textual.app import ComposeResult, SystemCommand
from textual.binding import BindingsMap
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.screen import Screen

from ...engine.backend import CancelToken
from ...engine.core.episode import GameMaster, play
from ...engine.core.events import MoveFinished, TextStreamed
from ...engine.core.game import EpisodeState
from ...engine.core.provenance import SeatPlayer
from ...engine.games import game_of
from ...engine.words import sentence
from ...saves import GameInUse, StoredGame
from ..games import front_of
from ..services.game_modes import Mode, Notice, PersonAsked, PlayEnded
from ..services.keys import KEYS, with_own
from ..services.live_move import LiveMove
from ..services.model_names import seat_title
from ..services.move_view import views_of
from ..services.people import hidden_move, private_step
from ..widgets.bindings import bindings, palette_commands
from ..widgets.chat_pane import ChatPane
from ..widgets.footer import FittingFooter
from ..widgets.game_front import GamePanel, panel_of
from ..widgets.loading_bar import LoadingBar
from ..widgets.person_turn import PersonTurn
from ..widgets.status_line import StatusLine
from .export_modal import ExportModal
from .memory_inspector import MemoryInspector
from .panel_actions import PanelActions
from .seating import SeatingPlayers

if TYPE_CHECKING:
    from ...saves import GameLease
    from .app import DictgameApp

log = logging.getLogger("dictgame.tui")

# How often streamed text and other notices reach the screen.
FLUSH_SECONDS = 0.05


class GameScreen(PanelActions, SeatingPlayers, Screen[None]):
    mode: reactive[Mode] = reactive(Mode.LOADING, init=False)

    def __init__(
        self, state: EpisodeState[Any], game_id: int | None = None, *, play_at_once: bool = True
    ) -> None:
        super().__init__()
        self.state = state
        self.game = game_of(state)
        self.game_id = game_id
        # Whether the game plays as soon as its players are seated (space while loading
        # turns it off): a new game does, a saved game opens paused unless configured.
        self.play_when_seated = play_at_once
        self.master: GameMaster | None = None
        self._move_saver: StoredGame | None = None  # stores each move, with who played it
        # Who plays each seat once seated, recorded with the game's moves.
        self.players: tuple[SeatPlayer, SeatPlayer] | None = None
        self._lease: GameLease | None = None
        self._holder: str | None = None
        self._token: CancelToken | None = None
        self._inbox: deque[tuple[float, Notice]] = deque()
        self._live = LiveMove()
        # Where a person answers on their turn; it holds their seats' sessions.
        self.front = front_of(self.game.name)
        # The game screen's keys with the game's own among them, bound on this screen (the
        # class has none: they differ by game); the keymap applies to them as to any.
        self.keys = with_own(KEYS, self.front.keys)
        self._bindings = BindingsMap(
            [*(binding for _, binding in self._bindings), *bindings("game", self.keys)]
        )
        self.person_turn = PersonTurn(state, self.front, self._post, id="person-turn")

    @property
    def dictgame(self) -> DictgameApp:
        return cast("DictgameApp", self.app)

    # -- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        names = (self.state.settings.players[0].name, self.state.settings.players[1].name)
        panel = panel_of(self.front, self.state)
        lines = views_of(panel)
        hidden = functools.partial(hidden_move, self.state)
        with Horizontal(id="panes"):
            yield ChatPane(0, names, lines, hidden, id="pane-a")
            yield ChatPane(1, names, lines, hidden, id="pane-b")
        yield panel
        yield self.person_turn
        yield LoadingBar(id="loading")
        yield StatusLine(id="status-line")
        yield FittingFooter()

    def on_mount(self) -> None:
        for seat, pane in enumerate(self.panes):
            pane.set_title(seat_title(self.state, seat, self.dictgame.config.backend == "scripted"))
            pane.border_subtitle = "↑↓ choose a move · r raw"
        self._show_committed()
        self.set_interval(FLUSH_SECONDS, self._flush_inbox)
        if self.game_id is not None:
            self.dictgame.last_opened = self.game_id
            try:
                self._lease = self.dictgame.store.acquire(self.game_id)
            except GameInUse as error:
                self._holder = f"process {error.pid} on {error.hostname}"
                self.notify(
                    sentence(str(error)), title="Opened read-only", severity="warning", markup=False
                )
                self.mode = Mode.READ_ONLY
                return
        panel = self.query_one("#game-panel")
        if getattr(panel, "editable", False):
            panel.save_edit = self._save_edit  # type: ignore[attr-defined]
        if self.game.outcome(self.state).over:
            self.mode = Mode.FINISHED
            return
        self.query_one("#loading").display = True
        self.dictgame.load_listener = self._on_load_progress
        self._seat_players()

    def on_unmount(self) -> None:
        self.stop_playing()
        if self.dictgame.load_listener == self._on_load_progress:
            self.dictgame.load_listener = None
        self.release_lease()

    def release_lease(self) -> None:
        if self._lease is not None:
            self._lease.release()
            self._lease = None

    @property
    def panes(self) -> list[ChatPane]:
        return list(self.query(ChatPane))

    # -- playing ------------------------------------------------------------------------

    def _start(self, moves: int | None) -> None:
        self._token = CancelToken()
        self.mode = Mode.PLAYING if moves is None else Mode.STEPPING
        self._play(self._token, moves)

    def stop_playing(self) -> None:
        """Cancel the move being generated; the worker reports back through the inbox."""
        if self._token is not None:
            self._token.cancel()

    @work(thread=True, exclusive=True, group="play", exit_on_error=False)
    def _play(self, token: CancelToken, moves: int | None) -> None:
        """Play moves until paused, done stepping, or the game ends; save each one."""
        assert self.master is not None and self._move_saver is not None
        app, master, game_id = self.dictgame, self.master, self.game_id
        # A run cancelled a moment ago may still be finishing its token: wait for it.
        with app.generation_lock:
            try:
                stop = play(
                    master, self._move_saver, on_event=self._post, cancel=token,
                    moves=moves,
                )
                ended = PlayEnded(token, stop)
            except Exception as error:
                log.exception("game %s stopped by an error", game_id)
                ended = PlayEnded(token, "failed", f"{type(error).__name__}: {error}")
            self._post(ended)

    def _post(self, notice: Notice) -> None:
        """The worker's only way to the screen (deque appends are thread-safe)."""
        self._inbox.append((time.monotonic(), notice))

    def _flush_inbox(self) -> None:
        if not self._inbox:
            return
        committed = False
        live, settings = self._live, self.state.settings
        while self._inbox:
            stamp, notice = self._inbox.popleft()
            match notice:
                case MoveFinished(record=record):
                    self._end_move()
                    for pane in self.panes:
                        pane.add_move(record)
                    committed = True
                case PlayEnded():
                    if live.speaker is not None:  # cancelled mid-move: back to the last commit
                        self._end_move()
                    self._play_ended(notice)
                case PersonAsked(seat=seat, request=request):
                    broken = live.violations[-1] if live.step[1] and live.violations else None
                    self.person_turn.ask(seat, live.step[0], request, broken)
                case TextStreamed(seat=seat, step=step) if private_step(settings, seat, step):
                    pass  # a model's proposal, not shown to the person before theirs
                case _:
                    live.hear(notice, stamp)
        if live.speaker is not None:
            name = self.state.settings.players[live.speaker].name
            self.panes[live.speaker].show_stream(live.view(name))
        if committed:
            self.panel.show(self.state)
        self._show_status()

    def _end_move(self) -> None:
        if self._live.speaker is not None:
            self.panes[self._live.speaker].show_stream(None)
        self._live.end()

    def _play_ended(self, ended: PlayEnded) -> None:
        self.person_turn.close()
        if ended.reason == "failed":
            self.notify(
                sentence(ended.error or ""), title="The game stopped", severity="error", timeout=15,
                markup=False,
            )
        if ended.token is not self._token:
            return  # a run the person already replaced by pressing resume or step
        if ended.reason == "finished":
            self.mode = Mode.FINISHED
            for pane in self.panes:  # proposals hidden until the end are shown now
                pane.choose(pane.chosen)
            outcome = self.game.outcome(self.state)
            reason = f": {outcome.reason}" if outcome.reason else ""
            self.notify(f"Game over, {outcome.result.value}{reason}.", title="Finished", markup=False)
        elif self.mode is not Mode.READ_ONLY:
            self.mode = Mode.PAUSED

    # -- showing the state ----------------------------------------------------------------

    @property
    def panel(self) -> GamePanel:
        return cast(GamePanel, self.query_one("#game-panel"))

    def _show_committed(self) -> None:
        for pane in self.panes:
            pane.set_moves(self.state.moves)
        self.panel.show(self.state)
        self._show_status()

    def _show_status(self) -> None:
        state, settings = self.state, self.state.settings
        mode = self.mode.value
        if self.mode is Mode.FINISHED:
            mode = self.game.outcome(state).result.value
        elif self.mode is Mode.READ_ONLY and self._holder:
            mode = f"read-only: open in {self._holder}"
        elif self.mode is Mode.LOADING and not self.play_when_seated:
            mode = "loading models, then paused"
        last = state.moves[-1].round if state.moves else 1
        round_ = getattr(state, "current_round", last)
        rounds = getattr(settings, "rounds", None)
        parts = [f"Round {round_}" + (f" of {rounds}" if rounds else ""), mode]
        rate = self._live.tokens_per_second
        if self.person_turn.waiting and self.person_turn.broken:
            parts.append(f"your answer was refused ({self.person_turn.broken}): answer again")
        elif self.person_turn.waiting:
            parts.append("your turn")
        elif self.mode in (Mode.PLAYING, Mode.STEPPING) and rate is not None:
            parts.append(f"{rate:.1f} tok/s")
        parts.extend(self.panel.status(state).split(" · "))
        self.query_one(StatusLine).show(parts)

    def watch_mode(self, mode: Mode) -> None:
        self.refresh_bindings()
        self._show_status()

    # -- the person's actions -------------------------------------------------------------

    def action_pause(self) -> None:
        if self.mode is Mode.LOADING:
            self.play_when_seated = False
            self.refresh_bindings()
            self._show_status()
            return
        self.stop_playing()
        self.mode = Mode.STOPPING

    def action_resume(self) -> None:
        if self.mode is Mode.LOADING:
            self.play_when_seated = True
            self.refresh_bindings()
            self._show_status()
            return
        self._start(moves=None)

    def action_step(self) -> None:
        self._start(moves=1)

    def action_raw(self) -> None:
        focused = self.focused
        pane = focused if isinstance(focused, ChatPane) else self.panes[self._last_mover()]
        pane.toggle_raw()

    def _last_mover(self) -> int:
        return self.state.moves[-1].seat if self.state.moves else 0

    def _save_edit(self, edit: Any) -> None:
        assert self.game_id is not None
        self.dictgame.store.save_edit(self.game_id, self.state, edit)
        self._show_status()

    def action_export(self) -> None:
        if self.game_id is not None:
            self.app.push_screen(ExportModal(
                self.game_id, self.state, self.dictgame.config.db,
                self.dictgame.store.seat_histories(self.game_id),
            ))

    def action_memory(self) -> None:
        self.app.push_screen(MemoryInspector(self.state))

    async def action_back(self) -> None:
        """Cancel the move in progress, wait for the worker to let go, then leave."""
        if self.mode in (Mode.PLAYING, Mode.STEPPING):
            self.action_pause()
        self.stop_playing()
        if self.mode is not Mode.LOADING:  # a model still loading is left to finish on its own
            await asyncio.to_thread(self.dictgame.wait_for_generation)
        self.release_lease()
        self.dismiss()

    def palette_commands(self) -> Iterable[SystemCommand]:
        return palette_commands(self, "game", self.keys)
