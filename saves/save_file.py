"""Checks that a file is a whole dictgame save this version understands, before anything is written.

sqlite3 opens any file without complaint and only fails at the first query, and switching
the journal mode already writes. So a file is judged first, by reads alone, and a file that
fails is left byte for byte as it was.

The file's bytes are never read with Python's own `open`: closing any descriptor of a file
drops every POSIX lock this process holds on it, including those of another connection to
the same save (a second store, a test's connection), and another process could then
checkpoint and delete the write-ahead log under that connection's feet. SQLite shares its
descriptors between connections in one process to avoid exactly that, so the bytes are
read through SQLite.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database

from .errors import SaveFileError
from .migrations import migrations, unknown_migrations


def check_path(path: Path) -> None:
    """Refuse what cannot be a save file without opening it."""
    if path.exists() and not path.is_file():
        raise SaveFileError(path, "it is not a file; give the path of a save file")


def check_save(db: Database, path: Path) -> None:
    """Refuse a file that is not SQLite, is cut short, belongs to another program or is newer."""
    try:
        tables = db.table_names()
        whole = _is_whole(db, path)
    except sqlite3.DatabaseError as error:
        if getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_NOTADB:
            raise SaveFileError(
                path, "it is not a dictgame save (not an SQLite database); choose another file"
            ) from error
        raise _damaged(path) from error
    if not whole:
        raise _damaged(path)
    if tables and migrations.migrations_table not in tables:
        raise SaveFileError(
            path, "it is an SQLite database of another program; choose another file"
        )
    newer = unknown_migrations(db)
    if newer:
        raise SaveFileError(
            path,
            f"it was saved by a newer dictgame (schema changes {', '.join(newer)}); "
            "update dictgame to open it",
        )


def _is_whole(db: Database, path: Path) -> bool:
    """Whether the file holds every page its header counts.

    SQLite itself notices a file cut by whole pages only when it reads a missing one. With a
    write-ahead log beside it the main file may legitimately lag behind (a checkpoint cut off
    by a crash), so it is only measured when there is no log.
    """
    log = Path(f"{path}-wal")
    # Opening a save creates an empty log; only one holding frames may be ahead of the file.
    if log.exists() and log.stat().st_size > 0:
        return True
    page_size = db.execute("pragma page_size").fetchone()[0]
    page_count = db.execute("pragma page_count").fetchone()[0]
    return path.stat().st_size >= page_size * page_count


def _damaged(path: Path) -> SaveFileError:
    return SaveFileError(
        path,
        "it is damaged (cut short or corrupted); restore it from a backup or choose another file",
    )


def open_save(path: Path, busy_timeout: float) -> Database:
    """Open or create a save file, checked, in WAL mode and migrated; a file that is not
    ours is refused untouched."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SaveFileError(
            path, f"its folder cannot be created ({error.strerror}); choose another location"
        ) from error
    check_path(path)
    try:
        connection = sqlite3.connect(path, timeout=busy_timeout, check_same_thread=False)
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
    return db


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
