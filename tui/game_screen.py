"""The game screen: both players' panes, the live dictionary table, pause / step / edit.

A worker thread drives the same steps as the headless runner (`GameMaster.play_next_move`,
then `store.save_move`). It never touches widgets: it appends the game master's notices to
an inbox that a timer drains every `FLUSH_SECONDS`, so a fast model costs one repaint per
interval, not one per token. Pausing cancels the generation: the game master then leaves
the state untouched, and the pane drops the half-written move.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from rich.text import Text
from textual import work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Label, ProgressBar, Static

from ..engine.backend import CancelToken
from ..engine.core.episode import GameMaster, play
from ..engine.core.events import GameEvent, MoveFinished
from ..engine.core.game import EpisodeState
from ..engine.core.settings import served_model
from ..engine.games import game_of
from ..saves import GameInUse
from .chat_pane import ChatPane, messages_of
from .export_modal import ExportModal
from .live_move import LiveMove
from .new_game_screen import NewGameScreen
from .panels import GamePanel, panel_for
from .players import Seats, seat_players

if TYPE_CHECKING:
    from ..saves import GameLease
    from .app import DictgameApp

log = logging.getLogger("dictgame.tui")

# How often streamed text and other notices reach the screen.
FLUSH_SECONDS = 0.05


class Mode(StrEnum):
    LOADING = "loading models"
    PLAYING = "playing"
    STEPPING = "playing one move"
    PAUSED = "paused"
    FINISHED = "finished"
    READ_ONLY = "read-only"


@dataclass(frozen=True)
class PlayEnded:
    """The worker's last notice: why it stopped. `token` tells a stale run from the current."""

    token: CancelToken
    reason: Literal["cancelled", "stepped", "finished", "failed"]
    error: str | None = None


Notice = GameEvent | PlayEnded


class GameScreen(Screen[None]):
    BINDINGS = [
        Binding("space", "pause", "Pause", id="game.pause", tooltip="Stop the move being written"),
        Binding(
            "space", "resume", "Resume", id="game.resume", tooltip="Play on from the last move"
        ),
        Binding("n", "step", "Step", id="game.step", tooltip="Play one move, then pause"),
        Binding("e", "edit_entry", "Edit", id="game.edit", tooltip="Edit the selected entry"),
        Binding("a", "add_entry", "Add", id="game.add", tooltip="Add an entry to a dictionary"),
        Binding(
            "delete",
            "remove_entry",
            "Remove",
            id="game.remove",
            tooltip="Remove the selected entry",
        ),
        Binding(
            "v",
            "next_view",
            "View",
            id="game.view",
            show=False,  # the tabs above the table show the views, and take clicks
            tooltip="All / common / each player's entries",
        ),
        Binding(
            "x", "export", "Export", id="game.export", tooltip="Write the game as Markdown and JSON"
        ),
        Binding("escape", "back", "Back", id="game.back", tooltip="Back to the saved games"),
    ]

    mode: reactive[Mode] = reactive(Mode.LOADING, init=False)

    def __init__(self, state: EpisodeState[Any], game_id: int | None = None) -> None:
        super().__init__()
        self.state = state
        self.game = game_of(state)
        self.game_id = game_id
        self.master: GameMaster | None = None
        self._lease: GameLease | None = None
        self._holder: str | None = None
        self._token: CancelToken | None = None
        self._inbox: deque[tuple[float, Notice]] = deque()
        self._live = LiveMove()

    @property
    def dictgame(self) -> DictgameApp:
        return cast("DictgameApp", self.app)

    # -- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        names = (self.state.settings.players[0].name, self.state.settings.players[1].name)
        with Horizontal(id="panes"):
            yield ChatPane(0, names, id="pane-a")
            yield ChatPane(1, names, id="pane-b")
        yield panel_for(self.state)
        with Vertical(id="loading"):
            yield Label("Loading the players' models…", id="loading-label")
            yield ProgressBar(total=1.0, show_eta=False, id="loading-progress")
        yield Static(id="status-line", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        for seat, pane in enumerate(self.query(ChatPane)):
            pane.border_title = Text(self._pane_title(seat))
        self._show_committed(highlight=False)
        self.set_interval(FLUSH_SECONDS, self._flush_inbox)
        if self.game_id is not None:
            try:
                self._lease = self.dictgame.store.acquire(self.game_id)
            except GameInUse as error:
                self._holder = f"process {error.pid} on {error.hostname}"
                self.notify(str(error), title="Opened read-only", severity="warning", markup=False)
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

    def _pane_title(self, seat: int) -> str:
        player = self.state.settings.players[seat]
        if self.dictgame.config.backend == "scripted":
            model = "scripted"
        elif served_model(player.model) is not None:
            model = f"{Path(served_model(player.model) or 'the first model').name} on a server"
        elif player.model:
            model = Path(player.model).name
        else:
            model = "SmolLM2-135M (embedded)"
        language = getattr(player, "language", "")
        if self.game.seats[seat] == "programmatic":
            model = "the game's own player"
        return " · ".join(part for part in (player.name, language, model) if part)

    # -- seating the players (loads the models) -------------------------------------------

    @work(thread=True, exclusive=True, group="seat", exit_on_error=False)
    def _seat_players(self) -> None:
        app = self.dictgame
        settings = self.state.settings
        try:
            with app.generation_lock:
                sessions = seat_players(app.backend(), settings, app.config, self.game)
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
        self._from_thread(self._show_load_progress, path, fraction)

    def _show_load_progress(self, path: Path, fraction: float) -> None:
        self.query_one("#loading-label", Label).update(Text(f"Loading {path.name}…"))
        self.query_one("#loading-progress", ProgressBar).update(progress=fraction)

    def _players_seated(self, sessions: Seats) -> None:
        if not self.is_attached:
            return
        self.dictgame.load_listener = None
        self.query_one("#loading").display = False
        if self.game_id is None:
            self.game_id = self.dictgame.store.create_game(self.state.settings, self.game)
            self._lease = self.dictgame.store.acquire(self.game_id)
        self.master = GameMaster(self.state, sessions, self.game)
        self._start(moves=None)

    def _seating_failed(self, error: Exception) -> None:
        if not self.is_attached:
            return
        message = f"The players could not be seated: {error}"
        self.notify(message, title="Model not loaded", severity="error", timeout=10, markup=False)
        if self.game_id is None:
            self.app.switch_screen(
                NewGameScreen(self.dictgame.config, self.state.settings, str(error))
            )
        else:
            self.app.pop_screen()

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
        assert self.master is not None and self.game_id is not None
        app, master, game_id = self.dictgame, self.master, self.game_id
        # A run cancelled a moment ago may still be finishing its token: wait for it.
        with app.generation_lock:
            try:
                stop = play(master, app.store.saver(game_id), on_event=self._post, cancel=token,
                            moves=moves)
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
        live = self._live
        while self._inbox:
            stamp, notice = self._inbox.popleft()
            match notice:
                case MoveFinished(record=record):
                    self._end_move()
                    for pane in self.query(ChatPane):
                        pane.add_message(messages_of(self.state)[record.move_index], record.violated)
                    committed = True
                case PlayEnded():
                    if live.speaker is not None:  # cancelled mid-move: back to the last commit
                        self._end_move()
                        committed = True
                    self._play_ended(notice)
                case _:
                    live.hear(notice, stamp)
        if live.speaker is not None:
            name = self.state.settings.players[live.speaker].name
            self.query(ChatPane)[live.speaker].show_stream(live.view(name))
        if committed:
            self.panel.show(self.state)
        self._show_status()

    def _end_move(self) -> None:
        if self._live.speaker is not None:
            self.query(ChatPane)[self._live.speaker].show_stream(None)
        self._live.end()

    def _play_ended(self, ended: PlayEnded) -> None:
        if ended.reason == "failed":
            self.notify(
                ended.error or "",
                title="The game stopped",
                severity="error",
                timeout=15,
                markup=False,
            )
        if ended.token is not self._token:
            return  # a run the person already replaced by pressing resume or step
        if ended.reason == "finished":
            self.mode = Mode.FINISHED
            outcome = self.game.outcome(self.state)
            reason = f": {outcome.reason}" if outcome.reason else ""
            self.notify(Text(f"Game over, {outcome.result.value}{reason}."), title="Finished")
        elif self.mode is not Mode.READ_ONLY:
            self.mode = Mode.PAUSED

    # -- showing the state ----------------------------------------------------------------

    @property
    def panel(self) -> GamePanel:
        return cast(GamePanel, self.query_one("#game-panel"))

    def _show_committed(self, highlight: bool) -> None:
        violated = {m.move_index for m in self.state.moves if m.violated}
        for pane in self.query(ChatPane):
            pane.set_messages(messages_of(self.state), violated)
        self.panel.show(self.state)
        self._show_status()

    def _show_status(self) -> None:
        state, settings = self.state, self.state.settings
        outcome = self.game.outcome(state)
        mode = outcome.result.value if self.mode is Mode.FINISHED else self.mode.value
        if self.mode is Mode.READ_ONLY and self._holder:
            mode = f"read-only: open in {self._holder}"
        line = Text()
        last = state.moves[-1].round if state.moves else 1
        round_ = getattr(state, "current_round", last)
        rounds = getattr(settings, "rounds", None)
        line.append(f"Round {round_}" + (f" of {rounds}" if rounds else ""), style="bold")
        line.append(f" · {mode}")
        rate = self._live.tokens_per_second
        if self.mode in (Mode.PLAYING, Mode.STEPPING) and rate is not None:
            line.append(f" · {rate:.1f} tok/s")
        line.append(f" · {self.panel.status(state)}")
        self.query_one("#status-line", Static).update(line)

    def watch_mode(self, mode: Mode) -> None:
        self.refresh_bindings()
        self._show_status()

    # -- the person's actions -------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        mode = self.mode
        if action == "pause":
            return mode in (Mode.PLAYING, Mode.STEPPING)
        if action == "resume":
            return mode is Mode.PAUSED
        if action == "step":
            if mode in (Mode.FINISHED, Mode.READ_ONLY):
                return False
            return True if mode is Mode.PAUSED else None
        if action in ("edit_entry", "add_entry", "remove_entry", "next_view"):
            if not getattr(self.panel, "editable", False):
                return False
            if action == "next_view":
                return True
            return None if mode in (Mode.READ_ONLY, Mode.LOADING) or self.game_id is None else True
        if action == "export":
            return None if self.game_id is None else True
        return True

    def action_pause(self) -> None:
        self.stop_playing()
        self.mode = Mode.PAUSED

    def action_resume(self) -> None:
        self._start(moves=None)

    def action_step(self) -> None:
        self._start(moves=1)

    def action_next_view(self) -> None:
        self._editing().next_view()

    def action_edit_entry(self) -> None:
        self._editing().edit_entry()

    def action_add_entry(self) -> None:
        self._editing().add_entry()

    def action_remove_entry(self) -> None:
        self._editing().remove_entry()

    def _editing(self) -> Any:
        """The panel, once the game is paused: the player sees an edit from its next move."""
        if self.mode in (Mode.PLAYING, Mode.STEPPING):
            self.action_pause()
        return self.panel

    def _save_edit(self, edit: Any) -> None:
        assert self.game_id is not None
        self.dictgame.store.save_edit(self.game_id, self.state, edit)
        self._show_status()

    def action_export(self) -> None:
        if self.game_id is not None:
            self.app.push_screen(ExportModal(self.game_id, self.state, self.dictgame.config.db))

    async def action_back(self) -> None:
        """Cancel the move in progress, wait for the worker to let go, then leave."""
        self.stop_playing()
        if self.mode is not Mode.LOADING:  # a model still loading is left to finish on its own
            await asyncio.to_thread(self.dictgame.wait_for_generation)
        self.release_lease()
        self.dismiss()

    def palette_commands(self) -> Iterable[SystemCommand]:
        if self.check_action("pause", ()):
            yield SystemCommand("Pause", "Stop the move being written", self.action_pause)
        if self.check_action("resume", ()):
            yield SystemCommand("Resume", "Play on from the last move", self.action_resume)
            yield SystemCommand("Play one move", "Play one move, then pause", self.action_step)
        if self.check_action("add_entry", ()):
            yield SystemCommand(
                "Edit entry", "Edit the selected dictionary entry", self.action_edit_entry
            )
            yield SystemCommand(
                "Add entry", "Add an entry to a player's dictionary", self.action_add_entry
            )
            yield SystemCommand(
                "Remove entry", "Remove the selected entry", self.action_remove_entry
            )
        if self.game_id is not None:
            yield SystemCommand(
                "Export game", "Write this game as Markdown and JSON", self.action_export
            )
        if self.check_action("next_view", ()):
            yield SystemCommand(
                "Switch dictionary view", "All, common, or each player's", self.action_next_view
            )
        yield SystemCommand(
            "Back to saved games", "Leave this game (it is saved)", self.action_back
        )
