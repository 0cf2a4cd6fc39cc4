"""The terminal UI: saved games, the settings of a new game, and a game played live.

Nothing heavy happens at start: llama.cpp is imported and models are loaded only when a
game screen seats its players, in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from textual.app import App, SystemCommand
from textual.filter import LineFilter
from textual.screen import Screen

from ...engine.backend import Backend, LoadProgressCallback
from ...engine.core.game import EpisodeState
from ...engine.core.settings import CommonSettings
from ...engine.games import game_for_settings
from ...engine.words import sentence
from ...saves import DamagedGame, GameNotFound, GameStore, SaveFileError
from ..games import all_keys
from ..services import locations
from ..services.config import DictgameConfig, check_keys
from ..services.players import Players, open_backend
from ..services.ui_state import remember_theme, remembered_theme
from ..widgets.bindings import bindings
from ..widgets.control_filter import DropControlCharacters
from .game_screen import GameScreen
from .home_screen import HomeScreen
from .new_game_screen import NewGameScreen

log = logging.getLogger("dictgame.tui")

# How long quitting waits for a generation to notice it was cancelled before exiting anyway.
QUIT_GRACE_SECONDS = 10.0
# One instance: Textual caches filtered lines per filter object.
_DROP_CONTROL_CHARACTERS = DropControlCharacters()


class DictgameApp(App[None]):
    """Home screen by default; `new_game` or `resume_game` open a game screen right away."""

    CSS_PATH = "app.tcss"
    TITLE = "dictgame"
    BINDINGS = bindings("app")

    def __init__(
        self,
        config: DictgameConfig,
        *,
        new_game: CommonSettings | None = None,
        resume_game: int | None = None,
        backend: Backend | None = None,
    ) -> None:
        # A remap of an unknown key id is refused before anything starts (every game's keys
        # are known here, through its front end).
        check_keys(config, all_keys())
        super().__init__()
        self.config = config
        self.store = GameStore.open(config.db.expanduser())
        # Served to a browser: the session whose games this app shows and starts.
        self.session = locations.browser_session()
        self.sees_every_game = self.session is None or locations.games_shared()
        self._new_game = new_game
        self._resume_game = resume_game
        self._backend = Players(config, local=backend) if backend is not None else None
        self._owns_backend = backend is None
        self._backend_lock = threading.Lock()
        # One game generates at a time: a game screen being closed may still be finishing
        # its last token while the next one seats its players on the same backend.
        self.generation_lock = threading.Lock()
        # The game screen that is seating its players hears the backend's load progress.
        self.load_listener: LoadProgressCallback | None = None
        self._closed = False
        # The saved game opened last: the home screen's cursor goes back to it.
        self.last_opened: int | None = None
        try:
            self.theme = remembered_theme(config.ui.theme)
        except Exception:  # an unknown theme name: keep Textual's default
            log.warning("unknown theme %r; using the default", remembered_theme(config.ui.theme))

    # -- start and stop -------------------------------------------------------------

    def get_default_screen(self) -> Screen[None]:
        return HomeScreen()

    def get_line_filters(self) -> Sequence[LineFilter]:
        # Names, messages and entries are data: their escape sequences never reach the terminal.
        return [*super().get_line_filters(), _DROP_CONTROL_CHARACTERS]

    def on_mount(self) -> None:
        self.set_keymap(self.config.ui.keys)
        self.theme_changed_signal.subscribe(self, lambda theme: remember_theme(theme.name))
        if self._new_game is not None:
            self.push_screen(
                GameScreen(game_for_settings(self._new_game).new_state(self._new_game))
            )
        elif self._resume_game is not None:
            self.open_game(self._resume_game)

    def open_game(self, game_id: int) -> None:
        """Open a saved game where its last stored move left it: paused, unless the config
        says to play at once."""
        try:
            state = self.store.load_game(game_id)
        except (GameNotFound, SaveFileError, DamagedGame) as error:
            self.notify(sentence(str(error)), title="Cannot open the game", severity="error", markup=False)
            return
        self.push_screen(GameScreen(state, game_id, play_at_once=self.config.ui.play_on_open))

    def play_new_game(self, state: EpisodeState) -> None:
        """The new-game form's game, in place of the form."""
        self.switch_screen(GameScreen(state))

    async def action_quit(self) -> None:
        """Cancel the move being generated (nothing half-written is stored), then exit."""
        games = [screen for screen in self.screen_stack if isinstance(screen, GameScreen)]
        for screen in games:
            screen.stop_playing()
        await asyncio.to_thread(self.wait_for_generation)
        for screen in games:
            screen.release_lease()
        self.exit()

    def wait_for_generation(self) -> None:
        """Block until no move is being generated (or the grace time is over)."""
        if self.generation_lock.acquire(timeout=QUIT_GRACE_SECONDS):
            self.generation_lock.release()

    def on_unmount(self) -> None:
        self._close()

    def _close(self) -> None:
        if self._closed:
            return
        self._closed = True
        # A generation still running past the grace time keeps its backend: freeing a model
        # under a running decode would crash the process on the way out.
        if self.generation_lock.acquire(blocking=False):
            try:
                if self._owns_backend and self._backend is not None:
                    self._backend.close()
            finally:
                self.generation_lock.release()
        self.store.close()

    # -- the backend, shared by every game of this run ---------------------------------

    def backend(self) -> Players:
        """The backend, opened on first use (from a worker thread: importing llama.cpp is slow)."""
        with self._backend_lock:
            if self._backend is None:
                self._backend = open_backend(self.config, self._on_load_progress)
            return self._backend

    def _on_load_progress(self, path: Path, fraction: float) -> None:
        listener = self.load_listener
        if listener is not None:
            listener(path, fraction)

    # -- actions that work from every screen --------------------------------------------

    def action_help(self) -> None:
        # Imported here: the Markdown widget costs start-up time the first screen doesn't need.
        from .help_screen import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.config.ui.keys))

    def action_new_game(self) -> None:
        """Leave whatever is open for the new-game form (a game playing is paused first)."""
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(NewGameScreen(self.config))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help", "The keys, and what the game is", self.action_help)
        if isinstance(screen, HomeScreen | GameScreen):
            yield from screen.palette_commands()
        if not isinstance(screen, NewGameScreen):
            yield SystemCommand(
                "New game", "Choose the settings of a new game", self.action_new_game
            )
