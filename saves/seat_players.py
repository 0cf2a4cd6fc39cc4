"""The rows of who sat where: each seat's settings (`players`) and who really played it from
which move on (`seat_players`, see engine/core/provenance.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlite_utils import Database

from ..engine.core.game import Game
from ..engine.core.provenance import UNKNOWN_PLAYER, SeatHistory, SeatPlayer
from ..engine.core.settings import CommonSettings


def insert_players(db: Database, game_id: int, settings: CommonSettings, game: Game[Any]) -> None:
    """Each seat's name, language and the model its settings name."""
    db.table("players").insert_all(
        {
            "game_id": game_id,
            "seat": seat,
            "name": player.name,
            "language": getattr(player, "language", ""),
            "model": "human" if player.human
            else player.model if game.seats[seat] == "model" else "programmatic",
        }
        for seat, player in enumerate(settings.players)
    )


def record_players(db: Database, game: dict[str, Any], players: Sequence[SeatPlayer]) -> None:
    """Each seat's player from the game's next move on, where it is not the one who played
    the seat last (a game resumed as it was adds nothing)."""
    latest = seat_histories(db, int(game["id"]), len(players))
    for seat, player in enumerate(players):
        spells = latest[seat].spells
        if spells and spells[-1][1] == player:
            continue
        db.table("seat_players").upsert(
            {
                "game_id": game["id"],
                "seat": seat,
                "from_move": int(game["moves_played"]),
                "player_json": player.model_dump_json(exclude_none=True),
            },
            pk=("game_id", "seat", "from_move"),
        )


def seat_histories(db: Database, game_id: int, seats: int = 2) -> tuple[SeatHistory, ...]:
    """Who played each seat of a game, in order; a row that no longer parses is `unknown`."""
    spells: list[list[tuple[int, SeatPlayer]]] = [[] for _ in range(seats)]
    for row in db.query(
        "select seat, from_move, player_json from seat_players where game_id = ? "
        "order by seat, from_move",
        [game_id],
    ):
        if 0 <= row["seat"] < seats:
            spells[row["seat"]].append((row["from_move"], _player(row["player_json"])))
    return tuple(SeatHistory(spells=tuple(seat)) for seat in spells)


def _player(text: str) -> SeatPlayer:
    try:
        return SeatPlayer.model_validate_json(text)
    except ValidationError:
        return UNKNOWN_PLAYER
