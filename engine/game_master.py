"""The game master of Dictionary Discovery: plays one move at a time over a `GameState`.

A caller drives the game by calling `play_next_move` (the TUI from a worker thread, the
headless runner in a loop); between calls it may pause, let the user edit, or save. A move
is computed on a copy of the listener's dictionary and applied to the state only once it is
complete, so a cancelled move leaves nothing behind.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from .backend import (
    CancelToken,
    ChatMessage,
    ContextOverflowError,
    Generation,
    GenerationRequest,
    PlayerSession,
)
from .dictionary import AppliedOperation, Dictionary, OperationKind, Source, check_operation
from .events import (
    AttemptFinished,
    EventCallback,
    MoveFinished,
    MoveStarted,
    OperationApplied,
    OperationRejected,
    StepStarted,
    TextStreamed,
)
from .prompts import PromptBook
from .records import Attempt, MoveRecord, RejectedOperation, Step
from .rules import (
    UpdateParseError,
    clean_reply,
    cut_to_limit,
    parse_update,
    reply_violation,
    update_schema,
    update_token_budget,
)
from .settings import GameSettings
from .state import GameState, GameStatus

T = TypeVar("T")
# Turns a model's raw answer into a value, and names the move rule it broke (None if none).
Parser = Callable[[str], tuple[T, str | None]]


RETRY_WARMING = 0.3


class GameOver(Exception):
    """`play_next_move` was called on a game that has ended."""


class GameMaster:
    def __init__(
        self,
        state: GameState,
        sessions: tuple[PlayerSession, PlayerSession],
        prompts: PromptBook | None = None,
    ) -> None:
        self.state = state
        self.sessions = sessions
        self.prompts = prompts or PromptBook(state.settings)
        # First move of each player's own conversation still shown to it; moves forward
        # in jumps when the context window fills, so the prompt stays append-only between.
        self._window_start = [0, 0]

    @property
    def settings(self) -> GameSettings:
        return self.state.settings

    def play_next_move(
        self,
        on_event: EventCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> MoveRecord:
        """Play one move to its end and apply it; on cancellation the state is untouched."""
        state = self.state
        if state.status is not GameStatus.PLAYING:
            raise GameOver(f"the game is {state.status.value}")
        emit = on_event or (lambda event: None)
        cancel = cancel or CancelToken()
        move_index, seat, round_ = state.moves_played, state.next_seat, state.current_round
        started_at = time.time()
        emit(MoveStarted(move_index, round_, seat))

        attempts: list[Attempt] = []
        applied: list[AppliedOperation] = []
        rejected: list[RejectedOperation] = []
        if move_index == 0:
            incoming = None
            message, violated = self._open(seat, attempts, emit, cancel)
        else:
            incoming = state.moves[-1].message
            update_violated = self._learn(
                seat, incoming, move_index, round_, attempts, applied, rejected, emit, cancel
            )
            message, reply_violated = self._reply(seat, incoming, attempts, emit, cancel)
            violated = update_violated or reply_violated

        record = MoveRecord(
            move_index=move_index,
            round=round_,
            seat=seat,
            incoming=incoming,
            attempts=tuple(attempts),
            applied=tuple(applied),
            rejected=tuple(rejected),
            message=message,
            violated=violated,
            started_at=started_at,
            finished_at=time.time(),
        )
        cancel.raise_if_cancelled()
        state.apply_move(record)
        emit(MoveFinished(record))
        return record

    # -- the three kinds of step -------------------------------------------------------

    def _open(
        self, seat: int, attempts: list[Attempt], emit: EventCallback, cancel: CancelToken
    ) -> tuple[str, bool]:
        """The first player's greeting: the configured opening, or the model's own."""
        if self.settings.opening.strip():
            return " ".join(self.settings.opening.split()), False
        instruction = self.prompts.opening(seat)
        return self._ask_for_message(seat, "opening", instruction, None, attempts, emit, cancel)

    def _learn(
        self,
        seat: int,
        incoming: str,
        move_index: int,
        round_: int,
        attempts: list[Attempt],
        applied: list[AppliedOperation],
        rejected: list[RejectedOperation],
        emit: EventCallback,
        cancel: CancelToken,
    ) -> bool:
        """Consult and learn: the listener's dictionary update, checked operation by operation."""
        with self.state.lock:
            dictionary: Dictionary = self.state.dictionaries[seat].copy()
        partner_said = self.state.said_by(1 - seat)
        instruction = self.prompts.update(seat, incoming, dictionary)

        def parse(raw: str) -> tuple[object, str | None]:
            try:
                return parse_update(raw), None
            except UpdateParseError as error:
                return None, str(error)

        parsed, violated = self._ask(
            seat,
            "update",
            instruction,
            parse,
            max_tokens=update_token_budget(self.settings.max_operations),
            json_schema=update_schema(self.settings.max_operations),
            attempts=attempts,
            emit=emit,
            cancel=cancel,
        )
        if parsed is None:
            return violated
        for operation in parsed.operations:  # type: ignore[attr-defined]
            if operation.kind is OperationKind.ADD and operation.foreign in dictionary:
                # Recorded as what it does, so the history and transcript say "revise".
                operation = operation.model_copy(update={"kind": OperationKind.REVISE})
            reason = check_operation(operation, dictionary, partner_said)
            if reason:
                refused = RejectedOperation(operation=operation, reason=reason)
                rejected.append(refused)
                emit(OperationRejected(seat, refused))
                continue
            change = AppliedOperation(
                owner=seat,
                operation=operation,
                source=Source.PLAYER,
                round=round_,
                after_move=move_index,
            )
            dictionary.apply(operation, Source.PLAYER, round_)
            applied.append(change)
            emit(OperationApplied(seat, change))
        return violated

    def _reply(
        self,
        seat: int,
        incoming: str,
        attempts: list[Attempt],
        emit: EventCallback,
        cancel: CancelToken,
    ) -> tuple[str, bool]:
        instruction = self.prompts.reply(seat, incoming)
        return self._ask_for_message(seat, "reply", instruction, incoming, attempts, emit, cancel)

    def _ask_for_message(
        self,
        seat: int,
        step: Step,
        instruction: str,
        incoming: str | None,
        attempts: list[Attempt],
        emit: EventCallback,
        cancel: CancelToken,
    ) -> tuple[str, bool]:
        words = self.settings.words_per_message
        names = tuple(player.name for player in self.settings.players)

        def parse(raw: str) -> tuple[str, str | None]:
            text = clean_reply(raw, names)
            return text, reply_violation(text, words, incoming)

        message, violated = self._ask(
            seat,
            step,
            instruction,
            parse,
            max_tokens=6 * words + 16,
            json_schema=None,
            attempts=attempts,
            emit=emit,
            cancel=cancel,
        )
        return (cut_to_limit(message, words) if violated else message), violated

    # -- asking a model, under the move rules ----------------------------------------------

    def _ask(
        self,
        seat: int,
        step: Step,
        instruction: str,
        parse: Parser[T],
        *,
        max_tokens: int,
        json_schema: dict | None,
        attempts: list[Attempt],
        emit: EventCallback,
        cancel: CancelToken,
    ) -> tuple[T, bool]:
        """Ask, parse, and re-prompt while a move rule is broken; True if it stayed broken."""
        follow_up: list[ChatMessage] = [ChatMessage("user", instruction)]
        asked = instruction
        value: T
        for attempt_number in range(self.settings.max_reprompts + 1):
            emit(StepStarted(seat, step, attempt_number))
            generation = self._generate(
                seat, step, follow_up, max_tokens, json_schema, attempt_number, emit, cancel
            )
            value, violation = parse(generation.text)
            attempt = Attempt.from_generation(step, asked, generation, violation)
            attempts.append(attempt)
            emit(AttemptFinished(seat, attempt))
            if violation is None:
                return value, False
            if self.settings.reprompt == "feedback":
                asked = self.prompts.reprompt(seat, violation, instruction)
                follow_up = [
                    ChatMessage("user", instruction),
                    ChatMessage("assistant", generation.text),
                    ChatMessage("user", asked),
                ]
        return value, True

    def _generate(
        self,
        seat: int,
        step: Step,
        follow_up: list[ChatMessage],
        max_tokens: int,
        json_schema: dict | None,
        attempt_number: int,
        emit: EventCallback,
        cancel: CancelToken,
    ) -> Generation:
        """One request to the player's model; when the context is full, show less history."""
        while True:
            request = GenerationRequest(
                messages=(*self.conversation(seat), *follow_up),
                max_tokens=max_tokens,
                temperature=self._temperature(attempt_number),
                seed=self.settings.seed + 1000 * self.state.moves_played + attempt_number,
                json_schema=json_schema,
            )
            try:
                return self.sessions[seat].generate(
                    request,
                    on_text=lambda text: emit(TextStreamed(seat, step, text)),
                    cancel=cancel,
                )
            except ContextOverflowError:
                if not self._shrink_window(seat):
                    raise

    def _temperature(self, attempt_number: int) -> float:
        """Each re-prompt samples a little hotter: a small model that broke a rule once
        tends to fall into the same answer again (an echo, a stock phrase)."""
        return min(2.0, self.settings.temperature + RETRY_WARMING * attempt_number)

    def conversation(self, seat: int) -> tuple[ChatMessage, ...]:
        """The player's own view of the talk so far: rules, then each message it answered."""
        turns: list[ChatMessage] = [ChatMessage("system", self.prompts.system(seat))]
        own_moves = [m for m in self.state.moves if m.seat == seat]
        for move in own_moves[self._window_start[seat] :]:
            if move.incoming is None:
                instruction = self.prompts.opening(seat)
            else:
                instruction = self.prompts.reply(seat, move.incoming)
            turns.append(ChatMessage("user", instruction))
            turns.append(ChatMessage("assistant", move.message))
        return tuple(turns)

    def _shrink_window(self, seat: int) -> bool:
        """Drop the older half of the shown history; False if there is nothing left to drop."""
        shown = sum(1 for m in self.state.moves if m.seat == seat) - self._window_start[seat]
        if shown <= 0:
            return False
        self._window_start[seat] += max(1, shown // 2)
        return True

