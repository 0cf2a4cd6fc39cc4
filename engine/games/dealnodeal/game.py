"""Deal or No Deal on the core (Lewis et al. 2017, as played in the self-play study of Liao,
Tomlin and Klein 2024): two players divide books, hats and balls that each values privately.

A turn is `[message] <text>` or `[propose]`; a player who proposes is then asked what it
takes, under a JSON schema, and its partner must propose next. Proposals stay hidden from
the partner; the game ends with the second one, and a deal is valid when they add up. A
reply that breaks the move rules is asked again, and `max_invalid` broken replies in a row
abort the game; `max_messages` messages without both proposals end it with no deal. With
`guided` set, the reply's tag is generated under a JSON schema too.
"""

from __future__ import annotations

import functools
import time
from typing import Any

from ...backend import ChatMessage
from ...core.game import PLAYING, Answer, Ask, Game, Outcome, Result, Turn
from ...core.settings import PlayerSettings, split_given
from .analysis import held_out_figures
from .instances import experiments, play_instance
from .items import ITEM, describe, items_text
from .prompts import PromptBook
from .records import DealMoveRecord, MoveKind
from .rules import Reply, parse_reply, parse_take, reply_schema, take_json, take_schema
from .scores import objective_scores, reward, scores
from .settings import DealSettings
from .state import DealState

# A message of a few sentences; a proposal's JSON.
REPLY_TOKENS = 96
TAKE_TOKENS = 32


@functools.lru_cache(maxsize=16)
def prompt_book(settings: DealSettings) -> PromptBook:
    return PromptBook(settings)


def new_state(settings: DealSettings) -> DealState:
    return DealState(settings)


def answer_shown(move: DealMoveRecord) -> str:
    """A move as its player's own history shows it: what it answered, cleaned up."""
    if move.kind == "take" and move.take is not None:
        return take_json(move.take)
    return move.message


def history(state: DealState, seat: int) -> tuple[tuple[ChatMessage, ...], ...]:
    """A player's earlier turns as it saw them: what it was asked, what it answered."""
    return tuple(
        (ChatMessage("user", m.attempts[0].instruction), ChatMessage("assistant", answer_shown(m)))
        for m in state.moves
        if m.seat == seat and not m.violated and m.attempts
    )


def incoming(state: DealState, seat: int) -> str | None:
    """The partner's latest message since this player last moved."""
    for move in reversed(state.moves):
        if move.seat == seat:
            return None
        if move.kind == "message":
            return move.message.removeprefix("[message]").strip()
    return None


def next_turn(state: DealState) -> Turn | None:
    if state.over:
        return None
    settings = state.settings
    prompts = prompt_book(settings)
    seat = state.next_seat
    heard = incoming(state, seat)
    reprompts = settings.max_invalid - 1
    if state.proposing == seat or len(state.proposals) == 1:
        instruction = prompts.take(seat, partner_proposed=state.proposing != seat)
        ask = Ask(
            step="take",
            instruction=instruction,
            parse=lambda raw: parse_take(raw, settings.counts),
            max_tokens=TAKE_TOKENS,
            json_schema=take_schema(settings.counts),
            reprompts=reprompts,
            feedback=lambda violation: prompts.reprompt(seat, violation, instruction),
        )
    else:
        instruction = prompts.move(seat, heard)
        may_propose = state.messages_sent > 0
        ask = Ask(
            step="reply",
            instruction=instruction,
            parse=lambda raw: parse_reply(raw, may_propose),
            max_tokens=REPLY_TOKENS,
            json_schema=reply_schema(may_propose) if settings.guided else None,
            reprompts=reprompts,
            feedback=lambda violation: prompts.reprompt(seat, violation, instruction),
        )
    return Turn(seat, state.current_round, prompts.system(seat), history(state, seat), (ask,), heard)


def apply(
    state: DealState, turn: Turn, answers: tuple[Answer, ...], started_at: float
) -> tuple[DealMoveRecord, list[Any]]:
    (answer,) = answers
    take = None
    kind: MoveKind
    if answer.violated:
        kind, message = "invalid", answer.attempts[-1].raw_output.strip()
    elif isinstance(answer.value, Reply):
        kind, message = answer.value.kind, answer.value.said
    else:
        take = answer.value
        kind, message = "take", f"[propose] {describe(take)}"
    record = DealMoveRecord(
        move_index=state.moves_played,
        round=turn.round,
        seat=turn.seat,
        incoming=turn.incoming,
        attempts=answer.attempts,
        message=message,
        violated=answer.violated,
        started_at=started_at,
        finished_at=time.time(),
        kind=kind,
        take=take,
    )
    state.apply_move(record)
    return record, []


def outcome(state: DealState) -> Outcome:
    if state.aborted:
        return Outcome(Result.ABORTED, state.aborted)
    names = [p.name for p in state.settings.players]
    if state.deal:
        proposed = state.proposals
        return Outcome(
            Result.SUCCESS,
            f"deal: {names[0]} takes {describe(proposed[0])}, {names[1]} takes {describe(proposed[1])}",
        )
    if state.both_proposed:
        return Outcome(Result.LOSE, "no deal: the proposals do not add up to the items")
    if state.capped:
        return Outcome(Result.LOSE, f"no deal after {state.settings.max_messages} messages")
    return PLAYING


def settings_for(instance: dict[str, Any], given: dict[str, Any]) -> DealSettings:
    """An instance's items, values, first speaker, objective and seed, with the caller's
    models, names and settings."""
    models, names, values = split_given(
        instance, given, ("counts", "values", "first", "objective", "seed")
    )
    players = (
        PlayerSettings(name=names[0] or "Player A", model=models[0]),
        PlayerSettings(name=names[1] or "Player B", model=models[1]),
    )
    return DealSettings(players=players, **values)



def summary(settings: DealSettings) -> str:
    return f"{items_text(settings.counts)} ({settings.objective})"


def report(state: DealState) -> list[str]:
    """The items, each player's values, proposals, points and scores."""
    settings = state.settings
    lines = [f"items: {items_text(settings.counts)}; objective: {settings.objective}"]
    proposed = state.proposals
    score = objective_scores(settings.objective, state.points)
    for seat, player in enumerate(settings.players):
        worth = ", ".join(f"{ITEM[i]} {v}" for i, v in enumerate(settings.values[seat]))
        took = describe(proposed[seat]) if seat in proposed else "no proposal"
        lines.append(
            f"{player.name}: values {worth}; proposed {took}; "
            f"points {state.points[seat]}, score {score[seat]}"
        )
    return lines


DEALNODEAL: Game[DealState] = Game(
    name="dealnodeal",
    title="Deal or No Deal",
    description="Two players divide books, hats and balls they value privately; a deal counts "
    "when their hidden proposals add up (Lewis et al. 2017; Liao, Tomlin and Klein 2024).",
    settings_type=DealSettings,
    record_type=DealMoveRecord,
    seats=("model", "model"),
    new_state=new_state,
    next_turn=next_turn,
    apply=apply,
    outcome=outcome,
    scores=scores,
    experiments=experiments,
    settings_for=settings_for,
    summary=summary,
    report=report,
    play_instance=play_instance,
    reward=reward,
    held_out_figures=held_out_figures,
    # The cooperative experiment, as in the self-play study.
    iterate_experiment="coop",
)
