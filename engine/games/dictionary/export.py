"""A game as a Markdown transcript or a JSON record, built from its state alone."""

from __future__ import annotations

import json
from typing import Any

from ...words import plural
from .dictionary import DictionaryEntry, Source, normalized_pair
from .scores import Scores, score
from .state import GameState


def game_record(game_id: int, state: GameState) -> dict[str, Any]:
    """Everything a researcher needs to study the game again, as plain JSON data."""
    scores = score(state)
    return {
        "game_id": game_id,
        "status": state.status.value,
        "settings": state.settings.model_dump(mode="json"),
        "messages": [
            {
                "move_index": m.move_index,
                "round": m.round,
                "seat": m.seat,
                "player": state.settings.players[m.seat].name,
                "text": m.message,
                "violated": m.violated,
                "requests": len(m.attempts),
                "prompt_tokens": m.prompt_tokens,
                "completion_tokens": m.completion_tokens,
                "generation_seconds": round(m.generation_seconds, 4),
                "seconds": round(m.seconds, 4),
            }
            for m in state.moves
        ],
        "moves": [m.model_dump(mode="json") for m in state.moves],
        "operations": [a.model_dump(mode="json") for a in state.history],
        "edits": [a.model_dump(mode="json") for a in state.history if a.source is Source.USER],
        "dictionaries": [
            [e.model_dump(mode="json") for e in state.dictionaries[seat]] for seat in (0, 1)
        ],
        "common": sorted(state.common),
        "scores": scores.model_dump(mode="json"),
    }


def game_json(game_id: int, state: GameState) -> str:
    return json.dumps(game_record(game_id, state), ensure_ascii=False, indent=2)


def game_markdown(game_id: int, state: GameState) -> str:
    settings = state.settings
    a, b = settings.players
    lines = [
        f"# dictgame {game_id}: {a.name} ({a.language}) and {b.name} ({b.language})",
        "",
        f"Status: {state.status.value}; rounds {state.rounds_played} of {settings.rounds}; "
        f"seed {settings.seed}; {plural(settings.words_per_message, 'word')} per message.",
        "",
        "## Transcript",
        "",
    ]
    for move in state.records:
        player = settings.players[move.seat]
        flag = " *(move rule broken)*" if move.violated else ""
        lines.append(f"**{player.name}** (round {move.round}): {move.message}{flag}")
        for applied in move.applied:
            op = applied.operation
            lines.append(f"- {player.name} {op.kind.value}s `{op.foreign}` = `{op.meaning}` ({op.confidence:.2f})")
        lines.append("")
    lines += ["## Dictionaries", ""]
    common = state.common
    for seat, player in enumerate(settings.players):
        partner = settings.players[1 - seat]
        lines.append(f"### {player.name}: {partner.language} words in {player.language}")
        lines.append("")
        lines.append(f"| {partner.language} | {player.language} | confidence | added | by | common |")
        lines.append("| --- | --- | --- | --- | --- | --- |")
        for entry in state.dictionaries[seat]:
            is_common = normalized_pair(entry, seat) in common
            lines.append(
                f"| {_cell(entry.foreign)} | {_cell(entry.meaning)} | {entry.confidence:.2f} | "
                f"round {entry.added_round} | {_author(entry, player.name)} | "
                f"{'yes' if is_common else ''} |"
            )
        lines.append("")
    lines += ["## Scores", "", *scores_lines(score(state), state), ""]
    return "\n".join(lines)


def _author(entry: DictionaryEntry, player: str) -> str:
    """Who made the entry what it is: `user` once the person added or edited it (as the UI
    and the JSON record say), else the player."""
    return "user" if Source.USER in (entry.added_by, entry.updated_by) else player


def scores_lines(scores: Scores, state: GameState) -> list[str]:
    """The scores as short lines, shared by the transcript and the headless runner."""
    lines = [
        f"common dictionary: {scores.common} of {plural(scores.union, 'pair')} "
        f"(agreement {scores.agreement:.0%})",
    ]
    for seat, player in enumerate(scores.players):
        name = state.settings.players[seat].name
        lines.append(
            f"{name}: {plural(player.dictionary_size, 'entry', 'entries')}; requests "
            f"{player.requests}, parsed {player.parsed}, violated {player.violated}; "
            f"{plural(player.completion_tokens, 'token')} generated, "
            f"{plural(player.prompt_tokens, 'prompt token')} evaluated, "
            f"{player.tokens_per_second:.1f} tok/s"
        )
    return lines


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
