"""A game as a Markdown transcript or a JSON record, built from its state alone."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from ...words import plural
from .dictionary import DictionaryEntry, Source, normalized_pair
from .learning import Learning, learning_of
from .scenes import label, language_codes
from .scores import Scores, score
from .state import GameState
from .truth import RoundTruth, figures, final_truth, truth_curve


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
        "ground_truth": ground_truth_record(state),
        "learning": learning_record(state),
    }


def learning_record(state: GameState) -> dict[str, Any] | None:
    """The ceiling and each player's four steps (`learning.py`); None in free mode."""
    learning = learning_of(state)
    if learning is None:
        return None
    thirds = []
    for part in (1, 2, 3):
        success, ceiling = learning.third(part)
        thirds.append({"third": part, "success": success, "ceiling": ceiling})
    return {
        "rounds": [asdict(r) for r in learning.rounds],
        "thirds": thirds,
        "players": [asdict(seat) for seat in learning.seats],
    }


def ground_truth_record(state: GameState) -> dict[str, Any] | None:
    """Per round and at the end, the figures of `truth.figures`; None where not judgeable."""
    final = final_truth(state)
    if final is None:
        return None
    grounded = state.settings.grounded
    return {
        "rounds": [{"round": t.round, **figures(t, grounded)} for t in truth_curve(state)],
        "final": figures(final, grounded),
    }


def game_json(game_id: int, state: GameState) -> str:
    return json.dumps(game_record(game_id, state), ensure_ascii=False, indent=2)


def game_markdown(game_id: int, state: GameState) -> str:
    settings = state.settings
    a, b = settings.players
    # In invented mode the players speak their lexicons, not the language their settings name.
    spoken = ("invented language",) * 2 if settings.mode == "invented" else (a.language, b.language)
    lines = [
        f"# dictgame {game_id}: {a.name} ({spoken[0]}) and {b.name} ({spoken[1]})",
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
        if move.scene is not None:
            guess = label(settings, move.seat, move.pick) if move.pick else "nothing"
            meant = label(settings, move.seat, move.meant_thing or move.scene.target)
            verdict = "right" if move.guessed_right else f"wrong, meant {meant}"
            lines.append(f"*{player.name} guessed round {move.scene.round}: {guess} ({verdict})*")
        if move.message:
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
            is_common = normalized_pair(entry, seat, language_codes(settings)) in common
            lines.append(
                f"| {_cell(entry.foreign)} | {_cell(entry.meaning)} | {entry.confidence:.2f} | "
                f"round {entry.added_round} | {_author(entry, player.name)} | "
                f"{'yes' if is_common else ''} |"
            )
        lines.append("")
    lines += ["## Scores", "", *scores_lines(score(state), state), ""]
    curve = truth_curve(state)
    if curve:
        lines += ["## Ground truth per round", "", *truth_table(curve, settings.grounded), ""]
    learning = learning_of(state)
    if learning is not None:
        lines += ["## Where learning is lost", "", *learning_lines(learning, state), ""]
    return "\n".join(lines)


def _share(part: float | None) -> str:
    return "-" if part is None else f"{part:.0%}"


def learning_lines(learning: Learning, state: GameState) -> list[str]:
    """The success of each third beside the ceiling's, then each player's four steps."""
    thirds = [learning.third(part) for part in (1, 2, 3)]
    lines = [
        "success by thirds " + " / ".join(_share(s) for s, _ in thirds)
        + "; ceiling " + " / ".join(_share(c) for _, c in thirds),
    ]
    for seat in learning.seats:
        name = state.settings.players[seat.seat].name
        reasons = ", ".join(f"{why} ×{count}" for why, count in seat.refused_reasons.items())
        lines.append(
            f"{name}: named its target {seat.named_target} of {seat.spoke}; "
            f"guessed {seat.right} of {seat.guesses} right (ceiling {seat.ceiling:.1f}); "
            f"heard word known {seat.heard_known} ({seat.entry_right} right), "
            f"guess followed it {seat.followed} ({seat.followed_right} right); "
            f"wrote {seat.writes_right} right, {seat.writes_wrong} wrong, "
            f"removed {seat.removed_right} right; lesson kept {seat.lessons_kept} of "
            f"{seat.lessons}; {seat.refused} refused" + (f" ({reasons})" if reasons else "")
        )
    return lines


def _author(entry: DictionaryEntry, player: str) -> str:
    """Who made the entry what it is: `user` once the person added or edited it (as the UI
    and the JSON record say), else the player."""
    return "user" if Source.USER in (entry.added_by, entry.updated_by) else player


def truth_table(curve: list[RoundTruth], grounded: bool) -> list[str]:
    if grounded:
        rows = ["| round | success | rate | F1 A | F1 B | F1 common |", "| --- | --- | --- | --- | --- | --- |"]
        rows += [
            f"| {t.round} | {'yes' if t.success else 'no'} | {t.success_rate or 0:.0%} | "
            f"{t.players[0].f1:.2f} | {t.players[1].f1:.2f} | {t.common.f1:.2f} |"
            for t in curve
        ]
        return rows
    rows = ["| round | precision A (coverage) | precision B (coverage) | precision common (coverage) |",
            "| --- | --- | --- | --- |"]
    rows += [
        f"| {t.round} | " + " | ".join(
            f"{j.precision:.2f} ({j.coverage:.0%})" for j in (*t.players, t.common)
        ) + " |"
        for t in curve
    ]
    return rows


def truth_line(state: GameState) -> str | None:
    """The ground truth in one line, for the end of a game and the status bar."""
    final = final_truth(state)
    if final is None:
        return None
    names = [p.name for p in state.settings.players]
    if state.settings.grounded:
        decided = sum(1 for m in state.records if m.scene is not None)
        right = sum(1 for m in state.records if m.guessed_right)
        return (
            f"ground truth: {right} of {decided} guesses right ({final.success_rate or 0:.0%}, "
            f"chance {final.chance or 0:.0%}); F1 {names[0]} {final.players[0].f1:.2f}, "
            f"{names[1]} {final.players[1].f1:.2f}, common {final.common.f1:.2f}"
        )
    return (
        f"ground truth (entries the bank covers): precision {names[0]} "
        f"{final.players[0].precision:.2f} ({final.players[0].coverage:.0%} covered), "
        f"{names[1]} {final.players[1].precision:.2f} ({final.players[1].coverage:.0%}), "
        f"common {final.common.precision:.2f} ({final.common.coverage:.0%})"
    )


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
    truth = truth_line(state)
    if truth is not None:
        lines.append(truth)
    learning = learning_of(state)
    if learning is not None:
        lines += learning_lines(learning, state)
    return lines


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
