"""A game of any kind as a JSON record or a Markdown transcript, built from its state alone.

A game with more to show (Dictionary Discovery's dictionaries) gives its own `export`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from .game import EpisodeState, Game
from .provenance import SeatHistory
from .scores import episode_scores


def episode_record(game: Game[Any], game_id: int, state: EpisodeState[Any]) -> dict[str, Any]:
    """Everything needed to study the game again, as plain JSON data."""
    outcome = game.outcome(state)
    scores = {k: (None if isinstance(v, float) and math.isnan(v) else v)
              for k, v in episode_scores(game, state).items()}
    return {
        "game_id": game_id,
        "game": game.name,
        "status": outcome.status.value,
        "outcome": {"result": outcome.result.value, "reason": outcome.reason},
        "settings": state.settings.model_dump(mode="json"),
        "messages": [
            {
                "move_index": m.move_index,
                "round": m.round,
                "seat": m.seat,
                "player": state.settings.players[m.seat].name,
                "text": m.message,
                "violated": m.violated,
            }
            for m in state.moves
        ],
        "moves": [m.model_dump(mode="json") for m in state.moves],
        "scores": scores,
    }


def episode_markdown(game: Game[Any], game_id: int, state: EpisodeState[Any]) -> str:
    outcome = game.outcome(state)
    names = " and ".join(p.name for p in state.settings.players)
    reason = f" ({outcome.reason})" if outcome.reason else ""
    lines = [
        f"# dictgame {game_id}: {game.title}, {names}",
        "",
        f"{game.summary(state.settings)}. Outcome: {outcome.result.value}{reason}; "
        f"seed {state.settings.seed}.",
        "",
        "## Transcript",
        "",
    ]
    for move in state.moves:
        flag = " *(move rule broken)*" if move.violated else ""
        player = state.settings.players[move.seat].name
        lines += [f"**{player}** (round {move.round}): {move.message}{flag}", ""]
    lines += ["## Scores", ""]
    for name, value in episode_scores(game, state).items():
        lines.append(f"- {name}: {value}")
    lines += [f"- {line}" for line in game.report(state)]
    return "\n".join(lines) + "\n"


def export_text(
    game: Game[Any], game_id: int, state: EpisodeState[Any], form: str,
    players: Sequence[SeatHistory],
) -> str:
    """`form` is "json" or "markdown"; the game's own export where it has one, with who
    really played each seat (`players`, as the save recorded it) added to either."""
    if game.export is not None:
        text = game.export(game_id, state, form)
    elif form == "json":
        text = json.dumps(episode_record(game, game_id, state), ensure_ascii=False, indent=2)
    else:
        text = episode_markdown(game, game_id, state)
    seats = [
        {
            "seat": seat,
            "player": state.settings.players[seat].name,
            "played_by": history.name,
            "spells": [{"from_move": first, **player.model_dump(exclude_none=True)}
                       for first, player in history.spells],
        }
        for seat, history in enumerate(players)
    ]
    if form == "json":
        return json.dumps({**json.loads(text), "players": seats}, ensure_ascii=False, indent=2)
    lines = ["", "## Who played", ""]
    for seat, history in zip(seats, players):
        spells = "; ".join(f"{player.describe()} (from move {first})"
                           for first, player in history.spells) or "not recorded"
        lines.append(f"- {seat['player']}: {spells}")
    return text.rstrip("\n") + "\n" + "\n".join(lines) + "\n"
