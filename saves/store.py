"""The save file: games as SQLite rows, written one transaction per move or edit.

The history of dictionary operations is the source of truth on resume; the materialised
dictionary entries are there for queries and exports, and are checked against a replay of
the history whenever a game is loaded.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from pydantic import BaseModel, ConfigDict
from sqlite_utils import Database

from ..engine.dictionary import (
    AppliedOperation,
    Dictionary,
    DictionaryEntry,
    Operation,
    OperationKind,
    Source,
)
from ..engine.records import MoveRecord
from ..engine.settings import GameSettings
from ..engine.state import GameState, GameStatus
from .errors import GameInUse, GameNotFound, SaveFileError
from .journal import Event, edit_event, move_events, status_event
from .leases import Holder, process_start
from .migrations import migrations
from .save_file import check_path, check_save

log = logging.getLogger(__name__)

# How long a write waits for another dictgame's transaction on the same file (busy timeout).
BUSY_TIMEOUT_SECONDS = 10.0


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _timestamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


class GameSummary(BaseModel):
    """One line of the saved-games list."""

    model_config = ConfigDict(frozen=True)

    id: int
    player_names: tuple[str, str]
    languages: tuple[str, str]
    models: tuple[str | None, str | None]
    status: GameStatus
    moves_played: int
    rounds: int
    created: datetime
    updated: datetime

    @property
    def rounds_played(self) -> int:
        return self.moves_played // 2


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
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise SaveFileError(
                path, f"its folder cannot be created ({error.strerror}); choose another location"
            ) from error
        check_path(path)
        try:
            connection = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=False
            )
        except sqlite3.Error as error:
            raise SaveFileError(
                path, f"it cannot be opened ({error}); check the permissions of it and its folder"
            ) from error
        db = Database(connection, execute_plugins=False)
        try:
            _prepare(db, path)
        except sqlite3.Error as error:
            db.close()
            raise SaveFileError(
                path, f"it cannot be used ({error}); check its permissions or choose another file"
            ) from error
        except BaseException:
            db.close()
            raise
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

    def create_game(self, settings: GameSettings) -> int:
        now = _now()
        with self._lock, self._transaction():
            game_id = (
                self._db.table("games")
                .insert(
                    {
                        "created": now,
                        "updated": now,
                        "status": GameStatus.PLAYING.value,
                        "settings_json": settings.model_dump_json(),
                        "seed": settings.seed,
                        "rounds": settings.rounds,
                        "moves_played": 0,
                    }
                )
                .last_pk
            )
            assert game_id is not None  # an INTEGER primary key is always assigned
            self._db.table("players").insert_all(
                {
                    "game_id": game_id,
                    "seat": seat,
                    "name": player.name,
                    "language": player.language,
                    "model": player.model,
                }
                for seat, player in enumerate(settings.players)
            )
        return int(game_id)

    def save_move(self, game_id: int, state: GameState, record: MoveRecord) -> None:
        """Save a move the state has already applied: all of it, or nothing."""
        with state.lock:
            if record.move_index >= state.moves_played or state.moves[record.move_index] != record:
                raise ValueError(f"move {record.move_index} is not applied to this game state")
            entries = list(state.dictionaries[record.seat])
            status = state.status
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
            self._db.table("messages").insert(
                {
                    "game_id": game_id,
                    "move_index": record.move_index,
                    "round": record.round,
                    "seat": record.seat,
                    "text": record.message,
                    "prompt_tokens": record.prompt_tokens,
                    "completion_tokens": record.completion_tokens,
                    "seconds": record.seconds,
                    "violated": record.violated,
                }
            )
            self._insert_operations(game_id, record.applied)
            self._replace_entries(game_id, record.seat, entries)
            at = _timestamp(record.finished_at)
            self._append_events(game_id, move_events(record), at)
            self._update_game(game_id, previous_status, status, record.move_index + 1)

    def save_edit(self, game_id: int, state: GameState, applied: AppliedOperation) -> None:
        """Save the user's change to a player's dictionary, made with `GameState.edit`."""
        with state.lock:
            entries = list(state.dictionaries[applied.owner])
            status = state.status
        with self._lock, self._transaction():
            previous_status = self._status_of(game_id)
            self._insert_operations(game_id, (applied,))
            self._replace_entries(game_id, applied.owner, entries)
            self._append_events(game_id, [edit_event(applied)], _now())
            # An edit can complete the common dictionary and so finish the game; the count
            # of moves is left to save_move, which may not have saved the latest one yet.
            self._update_game(game_id, previous_status, status)

    def set_status(self, game_id: int, status: GameStatus | str) -> None:
        status = GameStatus(status)
        with self._lock, self._transaction():
            previous_status = self._status_of(game_id)
            self._update_game(game_id, previous_status, status)

    def record_error(self, game_id: int, error: BaseException, move_index: int) -> None:
        """Journal an error that stopped play at `move_index`, so the record says why.

        A save file that cannot take even this (a full disk, the usual cause) is left alone:
        the log file has the error.
        """
        data = {"error": type(error).__name__, "message": str(error)}
        try:
            with self._lock, self._transaction():
                self._game_row(game_id)
                self._append_events(game_id, [Event("error", data, move_index, None)], _now())
        except SaveFileError:
            log.warning("could not journal the error of game %s", game_id)

    def delete_game(self, game_id: int) -> None:
        """Delete a game and all its rows; not while another dictgame is playing it."""
        with self._lock, self._transaction():
            holder = self._live_holder(game_id)
            if holder and not _is_this_process(holder):
                raise GameInUse(game_id, holder["pid"], holder["hostname"])
            cursor = self._db.execute("delete from games where id = ?", [game_id])
            if cursor.rowcount == 0:
                raise GameNotFound(game_id)

    # -- reading ---------------------------------------------------------------------

    def load_game(self, game_id: int) -> GameState:
        """Rebuild a game from its moves and the replay of its dictionary history."""
        with self._lock:
            game = self._game_row(game_id)
            moves = [
                MoveRecord.model_validate_json(row["record_json"])
                for row in self._db.query(
                    "select record_json from moves where game_id = ? order by move_index",
                    [game_id],
                )
            ]
            history = [
                _applied_from_row(row)
                for row in self._db.query(
                    # The order things happened in; see `_insert_operations`.
                    "select * from dictionary_operations where game_id = ? "
                    "order by after_move, source = 'player', seq",
                    [game_id],
                )
            ]
            stored = [self._stored_dictionary(game_id, owner) for owner in (0, 1)]
        state = GameState.restore(
            GameSettings.model_validate_json(game["settings_json"]),
            moves,
            history,
            aborted=game["status"] == GameStatus.ABORTED.value,
        )
        for owner, dictionary in enumerate(stored):
            if dictionary != state.dictionaries[owner]:
                log.warning(
                    "game %s: the saved dictionary of seat %s differs from its history; "
                    "using the history",
                    game_id,
                    owner,
                )
        return state

    def list_games(self) -> list[GameSummary]:
        """Saved games, the most recently played first."""
        with self._lock:
            games = list(self._db.query("select * from games order by updated desc, id desc"))
            players: dict[int, list[dict[str, Any]]] = {}
            for row in self._db.query("select * from players order by game_id, seat"):
                players.setdefault(row["game_id"], []).append(row)
        return [
            GameSummary(
                id=game["id"],
                player_names=tuple(p["name"] for p in players[game["id"]]),
                languages=tuple(p["language"] for p in players[game["id"]]),
                models=tuple(p["model"] for p in players[game["id"]]),
                status=game["status"],
                moves_played=game["moves_played"],
                rounds=game["rounds"],
                created=game["created"],
                updated=game["updated"],
            )
            for game in games
        ]

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

    # -- one writer per game ---------------------------------------------------------

    def acquire(self, game_id: int) -> GameLease:
        """Claim a game for this process; a claim left by a process that died is taken over."""
        lease = GameLease(self, game_id, os.getpid(), socket.gethostname(), _now())
        with self._lock, self._transaction():
            self._game_row(game_id)
            holder = self._live_holder(game_id)
            if holder:
                raise GameInUse(game_id, holder["pid"], holder["hostname"])
            self._db.table("game_leases").insert(
                {
                    "game_id": game_id,
                    "pid": lease.pid,
                    "hostname": lease.hostname,
                    "started": lease.started,
                    "process_start": process_start(lease.pid),
                },
                replace=True,
            )
        return lease

    def _live_holder(self, game_id: int) -> dict[str, Any] | None:
        """The lease on a game, unless the process that took it has died."""
        for holder in self._db.query(
            "select pid, hostname, process_start from game_leases where game_id = ?", [game_id]
        ):
            if Holder.from_row(holder).is_alive():
                return holder
            log.info("game %s: the lease of process %s is stale (ended)", game_id, holder["pid"])
        return None

    def _release(self, lease: GameLease) -> None:
        with self._lock, self._transaction():
            # Only our own claim: after a takeover the row belongs to someone else.
            self._db.execute(
                "delete from game_leases where game_id = ? and pid = ? and hostname = ?",
                [lease.game_id, lease.pid, lease.hostname],
            )

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
        status: GameStatus,
        moves_played: int | None = None,
    ) -> None:
        changes: dict[str, Any] = {"updated": _now(), "status": status.value}
        if moves_played is not None:
            changes["moves_played"] = moves_played
        self._db.table("games").update(game_id, changes)
        if status is not previous:
            self._append_events(game_id, [status_event(previous.value, status.value)], _now())

    def _next_seq(self, table: str, game_id: int) -> int:
        rows = self._db.execute(
            f"select coalesce(max(seq) + 1, 0) from {table} where game_id = ?", [game_id]
        )
        return int(rows.fetchone()[0])

    def _insert_operations(self, game_id: int, operations: Iterable[AppliedOperation]) -> None:
        """Append to the history in the order the rows are written.

        The order the state applied them in is (after_move, user edits before the move's own
        operations, seq): a move's operations are applied when the move completes, after any
        edit made while it was being played. Loading sorts by that key rather than by seq
        alone, so a move saved by the worker after an edit saved by the UI thread still
        replays in the order it was played.
        """
        seq = self._next_seq("dictionary_operations", game_id)
        self._db.table("dictionary_operations").insert_all(
            {
                "game_id": game_id,
                "seq": seq + offset,
                "owner": applied.owner,
                "source": applied.source.value,
                "after_move": applied.after_move,
                "round": applied.round,
                "kind": applied.operation.kind.value,
                "foreign": applied.operation.foreign,
                "meaning": applied.operation.meaning,
                "confidence": applied.operation.confidence,
            }
            for offset, applied in enumerate(operations)
        )

    def _replace_entries(self, game_id: int, owner: int, entries: list[DictionaryEntry]) -> None:
        self._db.table("dictionary_entries").delete_where("game_id = ? and owner = ?", [game_id, owner])
        self._db.table("dictionary_entries").insert_all(
            {
                "game_id": game_id,
                "owner": owner,
                "foreign": entry.foreign,
                "meaning": entry.meaning,
                "confidence": entry.confidence,
                "added_round": entry.added_round,
                "added_by": entry.added_by.value,
                "updated_round": entry.updated_round,
                "updated_by": entry.updated_by.value,
            }
            for entry in entries
        )

    def _stored_dictionary(self, game_id: int, owner: int) -> Dictionary:
        return Dictionary(
            DictionaryEntry(
                foreign=row["foreign"],
                meaning=row["meaning"],
                confidence=row["confidence"],
                added_round=row["added_round"],
                added_by=Source(row["added_by"]),
                updated_round=row["updated_round"],
                updated_by=Source(row["updated_by"]),
            )
            for row in self._db.query(
                "select * from dictionary_entries where game_id = ? and owner = ?",
                [game_id, owner],
            )
        )

    def _append_events(self, game_id: int, events: Iterable[Event], at: str) -> None:
        seq = self._next_seq("events", game_id)
        self._db.table("events").insert_all(
            {
                "game_id": game_id,
                "seq": seq + offset,
                "at": at,
                "move_index": event.move_index,
                "seat": event.seat,
                "kind": event.kind,
                "data": json.dumps(event.data, ensure_ascii=False),
            }
            for offset, event in enumerate(events)
        )


class GameLease:
    """This process's claim to write one game; release it when the game is closed."""

    def __init__(
        self, store: GameStore, game_id: int, pid: int, hostname: str, started: str
    ) -> None:
        self._store = store
        self.game_id = game_id
        self.pid = pid
        self.hostname = hostname
        self.started = started
        self.released = False

    def release(self) -> None:
        if not self.released:
            self._store._release(self)
            self.released = True

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


def _prepare(db: Database, path: Path) -> None:
    """Check the file is a save this version understands, then set it up and migrate it."""
    check_save(db, path)
    db.execute("pragma foreign_keys = on")
    db.enable_wal()
    if db.journal_mode != "wal":
        raise SaveFileError(path, "it cannot be written; check its permissions")
    # FULL syncs the log at every commit: a killed process never loses a saved move.
    db.execute("pragma synchronous = full")
    migrations.apply(db)


def _applied_from_row(row: dict[str, Any]) -> AppliedOperation:
    return AppliedOperation(
        owner=row["owner"],
        operation=Operation(
            kind=OperationKind(row["kind"]),
            foreign=row["foreign"],
            meaning=row["meaning"],
            confidence=row["confidence"],
        ),
        source=Source(row["source"]),
        round=row["round"],
        after_move=row["after_move"],
    )


def _is_this_process(holder: dict[str, Any]) -> bool:
    return (holder["pid"], holder["hostname"]) == (os.getpid(), socket.gethostname())
