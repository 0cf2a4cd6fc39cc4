"""The save file's schema, as an ordered list of named migrations applied when a store opens.

sqlite-utils (4.0 and later) ships `Migrations`: each migration runs in one transaction with
the record of it having been applied, so a crash mid-migration leaves it pending. What it
does not do is notice a save file written by a newer dictgame; `unknown_migrations` is that
check, and the store refuses such a file before changing anything in it.

Add a migration by appending a function; never edit or rename one that has shipped.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations
from sqlite_utils.db import ForeignKey


class SaveMigrations(Migrations):
    # The save file belongs to dictgame alone; its own table, as simonw/llm keeps `_llm_migrations`.
    migrations_table = "_dictgame_migrations"

    @property
    def names(self) -> list[str]:
        return [migration.name for migration in self._migrations]


migrations = SaveMigrations("dictgame")


def _belongs_to_game(table: str) -> ForeignKey:
    """Rows of a game go when the game is deleted."""
    return ForeignKey(
        table=table, column="game_id", other_table="games", other_column="id", on_delete="CASCADE"
    )


@migrations()
def m001_initial(db: Database) -> None:
    db.table("games").create(
        {
            "id": int,
            "created": str,
            "updated": str,
            "status": str,
            "settings_json": str,
            "seed": int,
            "rounds": int,
            "moves_played": int,
        },
        pk="id",
        not_null={
            "created",
            "updated",
            "status",
            "settings_json",
            "seed",
            "rounds",
            "moves_played",
        },
    )
    db.table("games").create_index(["updated"])
    # Every other table is keyed by game first, so its primary key is also its game_id index.
    db.table("players").create(
        {"game_id": int, "seat": int, "name": str, "language": str, "model": str},
        pk=("game_id", "seat"),
        foreign_keys=[_belongs_to_game("players")],
        not_null={"game_id", "seat", "name", "language"},
    )
    db.table("messages").create(
        {
            "game_id": int,
            "move_index": int,
            "round": int,
            "seat": int,
            "text": str,
            "prompt_tokens": int,
            "completion_tokens": int,
            "seconds": float,
            "violated": bool,
        },
        pk=("game_id", "move_index"),
        foreign_keys=[_belongs_to_game("messages")],
        not_null={"game_id", "move_index", "round", "seat", "text", "violated"},
    )
    db.table("moves").create(
        {"game_id": int, "move_index": int, "record_json": str},
        pk=("game_id", "move_index"),
        foreign_keys=[_belongs_to_game("moves")],
        not_null={"game_id", "move_index", "record_json"},
    )
    db.table("dictionary_operations").create(
        {
            "game_id": int,
            "seq": int,
            "owner": int,
            "source": str,
            "after_move": int,
            "round": int,
            "kind": str,
            "foreign": str,
            "meaning": str,
            "confidence": float,
        },
        pk=("game_id", "seq"),
        foreign_keys=[_belongs_to_game("dictionary_operations")],
        not_null={
            "game_id",
            "seq",
            "owner",
            "source",
            "after_move",
            "round",
            "kind",
            "foreign",
            "meaning",
            "confidence",
        },
    )
    db.table("dictionary_entries").create(
        {
            "game_id": int,
            "owner": int,
            "foreign": str,
            "meaning": str,
            "confidence": float,
            "added_round": int,
            "added_by": str,
            "updated_round": int,
            "updated_by": str,
        },
        pk=("game_id", "owner", "foreign"),
        foreign_keys=[_belongs_to_game("dictionary_entries")],
        not_null={
            "game_id",
            "owner",
            "foreign",
            "meaning",
            "confidence",
            "added_round",
            "added_by",
            "updated_round",
            "updated_by",
        },
    )
    db.table("events").create(
        {
            "game_id": int,
            "seq": int,
            "at": str,
            "move_index": int,
            "seat": int,
            "kind": str,
            "data": str,
        },
        pk=("game_id", "seq"),
        foreign_keys=[_belongs_to_game("events")],
        not_null={"game_id", "seq", "at", "kind", "data"},
    )


@migrations()
def m002_game_leases(db: Database) -> None:
    """Who is playing a game right now, so two windows never write the same game."""
    db.table("game_leases").create(
        {"game_id": int, "pid": int, "hostname": str, "started": str},
        pk="game_id",
        foreign_keys=[_belongs_to_game("game_leases")],
        not_null={"game_id", "pid", "hostname", "started"},
    )


@migrations()
def m003_lease_process_start(db: Database) -> None:
    """When the lease's process started: a pid reused by another program is not the holder."""
    db.table("game_leases").add_column("process_start", str)


def unknown_migrations(db: Database) -> list[str]:
    """Applied migrations this dictgame does not know: the file comes from a newer version."""
    known = set(migrations.names)
    return [m.name for m in migrations.applied(db) if m.name not in known]
