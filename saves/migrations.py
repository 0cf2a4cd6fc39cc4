"""The save file's schema, as an ordered list of named migrations applied when a store opens.

sqlite-utils (4.0 and later) ships `Migrations`: each migration runs in one transaction with
the record of it having been applied, so a crash mid-migration leaves it pending. What it
does not do is notice a save file written by a newer dictgame; `unknown_migrations` is that
check, and the store refuses such a file before changing anything in it.

Add a migration by appending a function; never edit or rename one that has shipped.
"""

from __future__ import annotations

import json

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
def m003_games_of_every_kind(db: Database) -> None:
    """One store for every game: which game a row is, its instance and outcome; runs of
    episodes; the person's edits as rows of their own. The moves' JSON records are the source
    of truth, so the tables that repeated them (messages, dictionary operations and entries)
    go. Games saved before this were all Dictionary Discovery."""
    games = db.table("games")
    games.add_column("game", str, not_null_default="dictionary")
    games.add_column("instance_json", str, not_null_default="{}")
    games.add_column("outcome", str, not_null_default="")
    games.add_column("summary", str, not_null_default="")
    # The round of the latest saved move, for lists ("round 3 of 10").
    games.add_column("rounds_played", int, not_null_default=0)
    db.execute("update games set rounds_played = moves_played / 2")
    db.execute(
        "update games set summary = (select group_concat(language, ' / ') from "
        "(select language from players where players.game_id = games.id order by seat))"
    )
    db.table("edits").create(
        {"game_id": int, "seq": int, "after_move": int, "data_json": str},
        pk=("game_id", "seq"),
        foreign_keys=[_belongs_to_game("edits")],
        not_null={"game_id", "seq", "after_move", "data_json"},
    )
    rows = db.query(
        "select * from dictionary_operations where source = 'user' order by game_id, seq"
    )
    seqs: dict[int, int] = {}
    for row in list(rows):
        applied = {
            "owner": row["owner"],
            "operation": {
                "kind": row["kind"],
                "foreign": row["foreign"],
                "meaning": row["meaning"],
                "confidence": row["confidence"],
            },
            "source": "user",
            "round": row["round"],
            "after_move": row["after_move"],
        }
        seq = seqs.get(row["game_id"], 0)
        seqs[row["game_id"]] = seq + 1
        db.table("edits").insert(
            {
                "game_id": row["game_id"],
                "seq": seq,
                "after_move": row["after_move"],
                "data_json": json.dumps(applied, ensure_ascii=False),
            }
        )
    for table in ("messages", "dictionary_operations", "dictionary_entries"):
        db.table(table).drop()
    db.table("runs").create(
        {
            "id": int,
            "game": str,
            "created": str,
            "updated": str,
            "arguments_json": str,
        },
        pk="id",
        not_null={"game", "created", "updated", "arguments_json"},
    )
    db.table("episodes").create(
        {
            "run_id": int,
            "seq": int,
            "experiment": str,
            "instance_json": str,
            "game_id": int,
        },
        pk=("run_id", "seq"),
        foreign_keys=[
            ForeignKey("episodes", "run_id", "runs", "id", on_delete="CASCADE"),
            ForeignKey("episodes", "game_id", "games", "id", on_delete="SET NULL"),
        ],
        not_null={"run_id", "seq", "experiment", "instance_json"},
    )
    db.table("episodes").create_index(["game_id"])


@migrations()
def m003_lease_process_start(db: Database) -> None:
    """When the lease's process started: a pid reused by another program is not the holder."""
    db.table("game_leases").add_column("process_start", str)


@migrations()
def m004_game_ids_never_reused(db: Database) -> None:
    """The highest game id ever given, so a deleted game's id is never given again: its
    exports (`dictgame-3.md`) and the ids people wrote down keep meaning one game. SQLite
    alone reuses the highest id once its row is deleted."""
    db.table("id_sequence").create({"name": str, "last": int}, pk="name", not_null={"last"})
    highest = db.execute("select coalesce(max(id), 0) from games").fetchone()[0]
    db.table("id_sequence").insert({"name": "games", "last": highest})


@migrations()
def m005_seat_players(db: Database) -> None:
    """Who really played each seat, from which move on (engine/core/provenance.py). Saves
    from before say only what the settings named: a person and the game's own player are
    known, a server's model by name; which backend played a model seat, or whether its file
    was played at all, is not known and stays `unknown`, never guessed."""
    db.table("seat_players").create(
        {"game_id": int, "seat": int, "from_move": int, "player_json": str},
        pk=("game_id", "seat", "from_move"),
        foreign_keys=[_belongs_to_game("seat_players")],
        not_null={"game_id", "seat", "from_move", "player_json"},
    )
    for row in list(db.query("select game_id, seat, model from players")):
        model = row["model"]
        player: dict[str, str] = {"kind": "unknown"}
        if model == "human":
            player = {"kind": "person"}
        elif model == "programmatic":
            player = {"kind": "programmatic"}
        elif isinstance(model, str) and model.startswith("server:"):
            player = {"kind": "server"}
            if model[len("server:"):]:
                player["model"] = model[len("server:"):]
        elif model:
            player["configured"] = model
        db.table("seat_players").insert(
            {"game_id": row["game_id"], "seat": row["seat"], "from_move": 0,
             "player_json": json.dumps(player, ensure_ascii=False)}
        )


@migrations()
def m006_browser_sessions(db: Database) -> None:
    """The browser session (`dictgame serve`) that started a game: a served study shows each
    session its own games only. Empty for a game started anywhere else."""
    db.table("games").add_column("session", str)


def next_game_id(db: Database) -> int:
    """Take the next game id (inside the caller's transaction)."""
    db.execute(
        "update id_sequence set last = max(last, (select coalesce(max(id), 0) from games)) + 1 "
        "where name = 'games'"
    )
    return int(db.execute("select last from id_sequence where name = 'games'").fetchone()[0])


def unknown_migrations(db: Database) -> list[str]:
    """Applied migrations this dictgame does not know: the file comes from a newer version."""
    known = set(migrations.names)
    return [m.name for m in migrations.applied(db) if m.name not in known]
