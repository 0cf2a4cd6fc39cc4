"""One turn against one player: ask, parse, re-prompt while a move rule is broken, and show
less history when the context is full. Knows no game: the `Ask` says how to read an answer."""

from __future__ import annotations

import time
from collections.abc import Callable

from ..backend import (
    CancelToken,
    ChatMessage,
    ContextOverflowError,
    Generation,
    GenerationRequest,
    PlayerSession,
    aside_of,
)
from .events import AttemptFinished, EventCallback, StepStarted, TextStreamed
from .game import Answer, Ask, Turn
from .memory import estimate_tokens, recent_start
from .records import Attempt
from .settings import CommonSettings

# Each re-prompt samples this much hotter.
RETRY_WARMING = 0.3
# Past exchanges leave the prompt this many at a time once the settings' `history_tokens`
# is passed (as a memory's recent window moves, MemorySettings.window_step).
HISTORY_STEP = 6

# The game's own code answering for a programmatic seat.
ProgrammaticAnswer = Callable[[int, Ask], str]


def first_shown(turn: Turn, settings: CommonSettings) -> int:
    """The oldest of a turn's exchanges its prompts show within the settings'
    `history_tokens`: a function of the history, so a resumed game, and a record rebuilt
    afterwards, show what the game showed (until a full context hid more)."""
    budget = settings.history_tokens
    if budget is None:
        return 0
    tokens = [sum(estimate_tokens(m.content) for m in exchange) for exchange in turn.history]
    return recent_start(tokens, budget, HISTORY_STEP)


def shown_before(
    turn: Turn, settings: CommonSettings, dropped: int = 0
) -> tuple[ChatMessage, ...]:
    """What a player is shown before an ask that is not put alone: its rules, and the
    exchanges within the history's budget and past the `dropped` oldest (those the referee
    hid when the context was full; a record rebuilt afterwards does not know them)."""
    shown = turn.history[max(dropped, first_shown(turn, settings)) :]
    return (ChatMessage("system", turn.system), *(m for exchange in shown for m in exchange))


class Referee:
    """Puts a turn's asks to the player in its seat, under the move rules.

    Keeps, per seat, how many of the oldest exchanges are no longer shown: it moves forward
    in jumps when the history passes its budget or the context fills, so the prompt stays
    append-only in between and a model's cache can reuse it.
    """

    def __init__(
        self,
        settings: CommonSettings,
        sessions: tuple[PlayerSession | None, PlayerSession | None],
        programmatic: ProgrammaticAnswer | None = None,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.programmatic = programmatic
        self.window_start = [0, 0]
        self._asides: list[PlayerSession | None] = [None, None]

    def play(
        self, turn: Turn, move_index: int, emit: EventCallback, cancel: CancelToken
    ) -> tuple[Answer, ...]:
        answers = tuple(self.ask(turn, ask, move_index, emit, cancel) for ask in turn.asks)
        if turn.then is not None:
            following = turn.then(answers)
            answers += tuple(self.ask(turn, ask, move_index, emit, cancel) for ask in following)
        return answers

    def ask(
        self, turn: Turn, ask: Ask, move_index: int, emit: EventCallback, cancel: CancelToken
    ) -> Answer:
        """Ask, parse, and ask again while a move rule is broken; `violated` if it stayed so."""
        seat = turn.seat
        follow_up: list[ChatMessage] = [ChatMessage("user", ask.instruction)]
        asked = ask.instruction
        attempts: list[Attempt] = []
        reprompts = self.settings.max_reprompts if ask.reprompts is None else ask.reprompts
        value: object = None
        for number in range(reprompts + 1):
            emit(StepStarted(seat, ask.step, number))
            if self.sessions[seat] is None:
                attempt, value = self._programmatic(turn, ask, emit)
            else:
                generation = self._generate(turn, ask, follow_up, move_index, number, emit, cancel)
                value, violation = ask.parse(generation.text)
                attempt = Attempt.from_generation(ask.step, asked, generation, violation)
            attempts.append(attempt)
            emit(AttemptFinished(seat, attempt))
            if attempt.violation is None:
                return Answer(ask.step, value, False, tuple(attempts))
            if ask.feedback is not None and (
                self.settings.reprompt == "feedback" or ask.always_feedback
            ):
                asked = ask.feedback(attempt.violation)
                follow_up = [
                    ChatMessage("user", ask.instruction),
                    ChatMessage("assistant", attempt.raw_output),
                    ChatMessage("user", asked),
                ]
        return Answer(ask.step, value, True, tuple(attempts))

    def _programmatic(self, turn: Turn, ask: Ask, emit: EventCallback) -> tuple[Attempt, object]:
        if self.programmatic is None:
            raise ValueError(f"seat {turn.seat} has no player")
        started = time.perf_counter()
        text = self.programmatic(turn.seat, ask)
        emit(TextStreamed(turn.seat, ask.step, text))
        value, violation = ask.parse(text)
        attempt = Attempt(
            step=ask.step,
            instruction=ask.instruction,
            raw_output=text,
            violation=violation,
            seconds=time.perf_counter() - started,
            model=False,
        )
        return attempt, value

    def conversation(self, turn: Turn) -> tuple[ChatMessage, ...]:
        """What the player is shown before the ask: its rules and the exchanges still in view."""
        return shown_before(turn, self.settings, self.window_start[turn.seat])

    def _generate(
        self,
        turn: Turn,
        ask: Ask,
        follow_up: list[ChatMessage],
        move_index: int,
        attempt_number: int,
        emit: EventCallback,
        cancel: CancelToken,
    ) -> Generation:
        """One request to the player's model; when the context is full, show less history."""
        session = self._aside(turn.seat) if ask.alone else self.sessions[turn.seat]
        assert session is not None
        while True:
            shown = (ChatMessage("system", turn.system),) if ask.alone else self.conversation(turn)
            request = GenerationRequest(
                messages=(*shown, *follow_up),
                max_tokens=ask.max_tokens,
                temperature=self._temperature(ask, attempt_number),
                seed=self.settings.seed + 1000 * move_index + attempt_number,
                json_schema=ask.json_schema,
            )
            try:
                return session.generate(
                    request,
                    on_text=lambda text: emit(TextStreamed(turn.seat, ask.step, text)),
                    cancel=cancel,
                )
            except ContextOverflowError:
                own = self.sessions[turn.seat]
                if ask.alone and own is not None and session is not own:
                    session = own  # a larger window, the same prompt
                elif ask.alone or not self._shrink_window(turn):
                    raise

    def _aside(self, seat: int) -> PlayerSession:
        """The seat's session for asks put alone, made on the first such ask."""
        if self._asides[seat] is None:
            session = self.sessions[seat]
            assert session is not None
            self._asides[seat] = aside_of(session)
        aside_session = self._asides[seat]
        assert aside_session is not None
        return aside_session

    def _temperature(self, ask: Ask, attempt_number: int) -> float:
        """Each re-prompt samples a little hotter: a small model that broke a rule once
        tends to fall into the same answer again (an echo, a stock phrase)."""
        base = self.settings.temperature if ask.temperature is None else ask.temperature
        return min(2.0, base + RETRY_WARMING * attempt_number)

    def _shrink_window(self, turn: Turn) -> bool:
        """Drop the older half of the shown history; False if there is nothing left to drop."""
        start = max(self.window_start[turn.seat], first_shown(turn, self.settings))
        shown = len(turn.history) - start
        if shown <= 0:
            return False
        self.window_start[turn.seat] = start + max(1, shown // 2)
        return True
