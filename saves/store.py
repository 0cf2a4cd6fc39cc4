"""The save file: games of every kind as SQLite rows, written one transaction per move or edit.

A game is its settings, its instance, and its moves as JSON records (the source of truth on
resume), plus the person's edits; `engine.games` turns them back into the game's state.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from pydantic import BaseModel
from sqlite_utils import Database

from ..engine.core.game import EpisodeState, Game, GameStatus, Outcome
from ..engine.core.provenance import SeatHistory, SeatPlayer
from ..engine.core.records import MoveRecord
from ..engine.core.settings import CommonSettings
from ..engine.games import game_for_settings
from .errors import GameInUse, GameNotFound, SaveFileError
from .journal import Event, append_events, edit_event, move_events, next_seq, status_event
from .leases import GameLease, is_this_process, live_holder, release_lease, take_lease
from .migrations import next_game_id
from .replay import restored_state
from .runs import EpisodeRow, attach_game
from .save_file import open_save
from .seat_players import insert_players, record_players, seat_histories
from .summaries import GameSummary, list_games

log = logging.getLogger(__name__)

# How long a write waits for another dictgame's transaction on the same file (busy timeout).
BUSY_TIMEOUT_SECONDS = 10.0


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _timestamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


class GameStore:
    """All saved games in one SQLite file.

    One connection, shared by every thread and guarded by a lock that each public method
    holds: the TUI saves moves from a worker thread and edits from the UI thread, and a
    transaction must never take in another thread's statements. SQLite serialises writers
    anyway, so a connection per thread would only add "database is locked" waits between
    our own threads.
    """

    def __init__(self, db: Database, path: Path) -> None:
        self._db = db
        self.path = path
        self._lock = threading.RLock()

    @classmethod
    def open(cls, path: Path) -> GameStore:
        """Open or create a save file; a file that is not ours is refused untouched."""
        path = Path(path)
        db = open_save(path, BUSY_TIMEOUT_SECONDS)
        return cls(db, path)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------------

    def create_game(
        self,
        settings: CommonSettings,
        game: Game[Any] | None = None,
        instance: dict[str, Any] | None = None,
        episode: EpisodeRow | None = None,
        session: str | None = None,
    ) -> int:
        """Store a new game (and, for a run, make it the game of `episode`, atomically);
        `session`: the browser session that started it, if one did."""
        game = game or game_for_settings(settings)
        now = _now()
        with self._lock, self._transaction():
            game_id = (
                self._db.table("games")
                .insert(
                    {
                        "id": next_game_id(self._db),
                        "created": now,
                        "updated": now,
                        "status": GameStatus.PLAYING.value,
                        "game": game.name,
                        "settings_json": settings.model_dump_json(),
                        "instance_json": json.dumps(instance or {}, ensure_ascii=False),
                        "summary": game.summary(settings),
                        "seed": settings.seed,
                        "rounds": int(getattr(settings, "rounds", 1)),
                        "moves_played": 0,
                        "session": session,
                    }
                )
                .last_pk
            )
            assert game_id is not None  # an INTEGER primary key is always assigned
            insert_players(self._db, int(game_id), settings, game)
            if episode is not None:
                attach_game(self._db, self.path, episode, int(game_id))
        return int(game_id)

    def save_move(self, game_id: int, state: EpisodeState[Any], record: MoveRecord) -> None:
        """Save a move the state has already applied: all of it, or nothing."""
        game = _game_of(state)
        with state.lock:
            if record.move_index >= state.moves_played or state.moves[record.move_index] != record:
                raise ValueError(f"move {record.move_index} is not applied to this game state")
            outcome = game.outcome(state)
        with self._lock, self._transaction():
            previous_status = self._status_of(game_id)
            # First, so that saving a move twice fails before anything else is written.
            self._db.table("moves").insert(
                {
                    "game_id": game_id,
                    "move_index": record.move_index,
                    "record_json": record.model_dump_json(),
                }
            )
            at = _timestamp(record.finished_at)
            append_events(self._db, game_id, move_events(record), at)
            self._update_game(
                game_id,
                previous_status,
                outcome,
                {"moves_played": record.move_index + 1, "rounds_played": _rounds_played(state)},
            )

    def save_edit(self, game_id: int, state: EpisodeState[Any], edit: BaseModel) -> None:
        """Save the person's change to a game's state (its `after_move` orders it on resume)."""
        game = _game_of(state)
        with state.lock:
            outcome = game.outcome(state)
        after_move = int(getattr(edit, "after_move"))
        with self._lock, self._transaction():
            previous_status = self._status_of(game_id)
            self._db.table("edits").insert(
                {
                    "game_id": game_id,
                    "seq": next_seq(self._db, "edits", game_id),
                    "after_move": after_move,
                    "data_json": edit.model_dump_json(),
                }
            )
            append_events(self._db, game_id, [edit_event(edit)], _now())
            # An edit can complete the common dictionary and so finish the game; the count
            # of moves is left to save_move, which may not have saved the latest one yet.
            self._update_game(game_id, previous_status, outcome)

    def save_outcome(self, game_id: int, state: EpisodeState[Any]) -> None:
        """Store where a game stands after play stopped (finished, lost, aborted)."""
        with state.lock:
            outcome = _game_of(state).outcome(state)
        with self._lock, self._transaction():
            self._update_game(game_id, self._status_of(game_id), outcome)

    def set_status(self, game_id: int, status: GameStatus | str) -> None:
        """Mark a game (e.g. the person stopped it for good: aborted)."""
        status = GameStatus(status)
        with self._lock, self._transaction():
            previous_status = self._status_of(game_id)
            changes: dict[str, Any] = {"updated": _now(), "status": status.value}
            if status is GameStatus.ABORTED:
                changes["outcome"] = "aborted: stopped"
            self._db.table("games").update(game_id, changes)
            if status is not previous_status:
                append_events(
                    self._db, game_id, [status_event(previous_status.value, status.value)], _now()
                )

    def record_error(self, game_id: int, error: BaseException, move_index: int) -> None:
        """Journal an error that stopped play at `move_index`, so the record says why.

        A save file that cannot take even this (a full disk, the usual cause) is left alone:
        the log file has the error.
        """
        data = {"error": type(error).__name__, "message": str(error)}
        try:
            with self._lock, self._transaction():
                self._game_row(game_id)
                append_events(self._db, game_id, [Event("error", data, move_index, None)], _now())
        except SaveFileError:
            log.warning("could not journal the error of game %s", game_id)

    def delete_game(self, game_id: int) -> None:
        """Delete a game and all its rows; not while another dictgame is playing it."""
        with self._lock, self._transaction():
            holder = self._live_holder(game_id)
            if holder and not is_this_process(holder):
                raise GameInUse(game_id, holder["pid"], holder["hostname"])
            cursor = self._db.execute("delete from games where id = ?", [game_id])
            if cursor.rowcount == 0:
                raise GameNotFound(game_id)

    def saver(self, game_id: int, players: Sequence[SeatPlayer] | None = None) -> StoredGame:
        """The episode loop's way into this file for one game; `players`, who plays each seat
        from the next move on, is recorded with the game (none given: not known)."""
        if players is not None:
            with self._lock, self._transaction():
                record_players(self._db, self._game_row(game_id), players)
        return StoredGame(self, game_id)

    # -- reading ---------------------------------------------------------------------

    def load_game(self, game_id: int) -> Any:
        """Rebuild a game's state from its settings, its moves and the person's edits.

        A row that no longer parses (a file edited by hand, or written by a buggy version)
        raises `DamagedGame` naming the game and the move; other games are unaffected.
        """
        with self._lock:
            row = self._game_row(game_id)
            move_rows = list(
                self._db.query(
                    "select move_index, record_json from moves where game_id = ? "
                    "order by move_index",
                    [game_id],
                )
            )
            edit_rows = list(
                self._db.query(
                    "select seq, data_json from edits where game_id = ? order by seq", [game_id]
                )
            )
        return restored_state(game_id, row, move_rows, edit_rows)

    def seat_histories(self, game_id: int) -> tuple[SeatHistory, ...]:
        """Who really played each seat of a game, from which move on."""
        with self._lock:
            self._game_row(game_id)
            return seat_histories(self._db, game_id)

    def game_name(self, game_id: int) -> str:
        with self._lock:
            return str(self._game_row(game_id)["game"])

    def instance(self, game_id: int) -> dict[str, Any]:
        with self._lock:
            return dict(json.loads(self._game_row(game_id)["instance_json"]))

    def list_games(self, session: str | None = None) -> list[GameSummary]:
        """Saved games, the most recently played first: every game, or only those the
        browser session `session` started."""
        with self._lock:
            return list_games(self._db, session)

    def events(self, game_id: int) -> list[dict[str, Any]]:
        """The journal of a game in the order it was written, for exports."""
        with self._lock:
            self._game_row(game_id)
            return [
                {**row, "data": json.loads(row["data"])}
                for row in self._db.query(
                    "select seq, at, move_index, seat, kind, data from events "
                    "where game_id = ? order by seq",
                    [game_id],
                )
            ]

    # -- one writer per game (saves/leases.py) ----------------------------------------

    def acquire(self, game_id: int) -> GameLease:
        """Claim a game for this process; a claim left by a process that died is taken over."""
        with self._lock, self._transaction():
            self._game_row(game_id)
            return take_lease(self._db, self, game_id)

    def _live_holder(self, game_id: int) -> dict[str, Any] | None:
        return live_holder(self._db, game_id)

    def _release(self, lease: GameLease) -> None:
        with self._lock, self._transaction():
            release_lease(self._db, lease)

    # -- for the save file's other tables (saves/runs.py) ------------------------------

    @contextmanager
    def reading(self) -> Iterator[Database]:
        """The connection, for a module of this package that reads tables of its own."""
        with self._lock:
            yield self._db

    @contextmanager
    def writing(self) -> Iterator[Database]:
        """The connection inside one transaction, for a module of this package that writes
        tables of its own: all of it is saved, or none."""
        with self._lock, self._transaction():
            yield self._db

    # -- rows ------------------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE: take the write lock up front, so a busy file makes us wait
        (busy timeout) rather than fail halfway; sqlite-utils nests its writes inside."""
        try:
            self._db.execute("begin immediate")
            try:
                yield
                self._db.commit()
            except BaseException:
                self._db.rollback()
                raise
        except sqlite3.OperationalError as error:
            # Disk full, a read-only file, an I/O error: this change is rolled back whole,
            # and every change committed before it is still in the file.
            raise SaveFileError(
                self.path,
                f"cannot write ({error}); this change was not saved, everything saved "
                "before it is safe; free disk space or fix permissions, then resume",
            ) from error

    def _game_row(self, game_id: int) -> dict[str, Any]:
        for row in self._db.query("select * from games where id = ?", [game_id]):
            return row
        raise GameNotFound(game_id)

    def _status_of(self, game_id: int) -> GameStatus:
        return GameStatus(self._game_row(game_id)["status"])

    def _update_game(
        self,
        game_id: int,
        previous: GameStatus,
        outcome: Outcome,
        changes: dict[str, Any] | None = None,
    ) -> None:
        status = outcome.status
        if previous is GameStatus.ABORTED and status is GameStatus.PLAYING:
            status = previous  # stopped by the person: stays so until resumed
        row = {"updated": _now(), "status": status.value, **(changes or {})}
        if outcome.over:
            row["outcome"] = f"{outcome.result.value}: {outcome.reason}" if outcome.reason else outcome.result.value
        self._db.table("games").update(game_id, row)
        if status is not previous:
            append_events(self._db, game_id, [status_event(previous.value, status.value)], _now())


class StoredGame:
    """One game in a store, as the episode loop's `Saver`."""

    def __init__(self, store: GameStore, game_id: int) -> None:
        self.store = store
        self.game_id = game_id

    def save_move(self, state: EpisodeState[Any], record: MoveRecord) -> None:
        self.store.save_move(self.game_id, state, record)

    def save_outcome(self, state: EpisodeState[Any], outcome: Outcome) -> None:
        self.store.save_outcome(self.game_id, state)

    def save_error(self, state: EpisodeState[Any], error: BaseException) -> None:
        self.store.record_error(self.game_id, error, state.moves_played)


def _game_of(state: EpisodeState[Any]) -> Game[Any]:
    from ..engine.games import game_of

    return game_of(state)


def _rounds_played(state: EpisodeState[Any]) -> int:
    """Rounds whose every move is saved: the game says so where it knows, else the last
    move's round."""
    played = getattr(state, "rounds_played", None)
    if isinstance(played, int):
        return played
    return state.moves[-1].round if state.moves else 0
