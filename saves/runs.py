"""Runs: a study's episodes (an experiment's instances, each played as a saved game).

A run is stored with its arguments and every episode it will play before the first is
played, so a run killed at any moment is finished by starting it again: an episode whose
game is over is never played twice, one whose game was interrupted is resumed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..engine.core.provenance import pair_name, seat_names
from .errors import DamagedRun, SaveFileError

if TYPE_CHECKING:
    from pathlib import Path

    from sqlite_utils import Database

    from .store import GameStore


class RunNotFound(KeyError):
    def __init__(self, run_id: int) -> None:
        super().__init__(run_id)
        self.run_id = run_id

    def __str__(self) -> str:
        return f"there is no run {self.run_id} (dictgame runs lists them)"


@dataclass(frozen=True)
class EpisodeRow:
    run_id: int
    seq: int
    experiment: str
    instance: dict[str, Any]
    game_id: int | None
    status: str | None


@dataclass(frozen=True)
class RunSummary:
    id: int
    game: str
    created: str
    updated: str
    arguments: dict[str, Any]
    episodes: int
    done: int
    # Who played the run's games: each set of players (a pair name) and how many games it
    # played; more than one is a run that mixes players.
    players: dict[str, int]
    # Why the run cannot be read (DamagedRun), if it cannot.
    damaged: str | None = None


def _now() -> str:
    return datetime.now(UTC).isoformat()


def create_run(
    store: GameStore, game: str, arguments: dict[str, Any], episodes: list[tuple[str, dict[str, Any]]]
) -> int:
    """Store a run and the episodes it will play, in one transaction."""
    now = _now()
    with store.writing() as db:
        run_id = (
            db.table("runs")
            .insert(
                {
                    "game": game,
                    "created": now,
                    "updated": now,
                    "arguments_json": json.dumps(arguments, ensure_ascii=False, sort_keys=True),
                }
            )
            .last_pk
        )
        db.table("episodes").insert_all(
            {
                "run_id": run_id,
                "seq": seq,
                "experiment": experiment,
                "instance_json": json.dumps(instance, ensure_ascii=False),
                "game_id": None,
            }
            for seq, (experiment, instance) in enumerate(episodes)
        )
    assert run_id is not None
    return int(run_id)


def find_run(store: GameStore, arguments: dict[str, Any]) -> int | None:
    """The latest run started with exactly these arguments: the same run, to be finished
    (or, when it is finished, not played again)."""
    text = json.dumps(arguments, ensure_ascii=False, sort_keys=True)
    with store.reading() as db:
        for row in db.query(
            "select id from runs where arguments_json = ? order by id desc limit 1", [text]
        ):
            return int(row["id"])
    return None


def episodes(store: GameStore, run_id: int) -> list[EpisodeRow]:
    with store.reading() as db:
        if not list(db.query("select id from runs where id = ?", [run_id])):
            raise RunNotFound(run_id)
        rows = list(
            db.query(
                "select e.*, g.status from episodes e left join games g on g.id = e.game_id "
                "where e.run_id = ? order by e.seq",
                [run_id],
            )
        )
    return [
        EpisodeRow(
            run_id=row["run_id"],
            seq=row["seq"],
            experiment=row["experiment"],
            instance=_instance(run_id, row["seq"], row["instance_json"]),
            game_id=row["game_id"],
            status=row["status"],
        )
        for row in rows
    ]


def _instance(run_id: int, seq: int, text: str) -> dict[str, Any]:
    """An episode's stored instance: a JSON object with its whole-number game_id."""
    try:
        instance = json.loads(text)
    except ValueError:
        instance = None
    if not isinstance(instance, dict) or not isinstance(instance.get("game_id"), int):
        raise DamagedRun(run_id, f"the instance of its episode {seq} cannot be read")
    return instance


def run_arguments(store: GameStore, run_id: int) -> dict[str, Any]:
    """What the run was started with; its game's name at least, or it is damaged."""
    with store.reading() as db:
        rows = list(db.query("select arguments_json from runs where id = ?", [run_id]))
    if not rows:
        raise RunNotFound(run_id)
    try:
        arguments = json.loads(rows[0]["arguments_json"])
    except ValueError:
        arguments = None
    if not isinstance(arguments, dict) or not isinstance(arguments.get("game"), str):
        raise DamagedRun(run_id, "its arguments cannot be read")
    return arguments


def list_runs(store: GameStore) -> list[RunSummary]:
    with store.reading() as db:
        rows = list(db.query("select * from runs order by id desc"))
    summaries = []
    for row in rows:
        try:
            arguments, played = run_arguments(store, row["id"]), episodes(store, row["id"])
        except DamagedRun as damaged:  # listed as damaged: the other runs still list
            arguments, played, problem = {}, [], damaged.problem
        else:
            problem = ""
        summaries.append(
            RunSummary(
                id=row["id"],
                game=row["game"],
                created=row["created"],
                updated=row["updated"],
                arguments=arguments,
                episodes=len(played),
                done=sum(1 for e in played if e.status in ("finished", "aborted")),
                players=run_players(store, played),
                damaged=problem or None,
            )
        )
    return summaries


def run_players(store: GameStore, played: list[EpisodeRow]) -> dict[str, int]:
    """Each set of players that played games of a run (engine/core/provenance.py), with how
    many games it played."""
    counts: dict[str, int] = {}
    for episode in played:
        if episode.game_id is not None:
            pair = pair_name(seat_names(store.seat_histories(episode.game_id)))
            counts[pair] = counts.get(pair, 0) + 1
    return counts


def attach_game(db: Database, path: Path, episode: EpisodeRow, game_id: int) -> None:
    """Within the transaction that created the game (GameStore.create_game): the episode is
    played by it."""
    cursor = db.execute(
        "update episodes set game_id = ? where run_id = ? and seq = ? and game_id is null",
        [game_id, episode.run_id, episode.seq],
    )
    if cursor.rowcount != 1:
        raise SaveFileError(path, f"episode {episode.seq} of run {episode.run_id} already has a game")
    db.execute("update runs set updated = ? where id = ?", [_now(), episode.run_id])
