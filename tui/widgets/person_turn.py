"""The person's turn on the game screen: what the game master asks them, and where they
answer; hidden while a model plays.

A person's seat is a `HumanSession`, as in the headless game: the game worker waits on its
queue of answers (never the UI thread), and a pause or quit cancels that wait. What the
person sends reaches the game master as a model's answer would, under the same move rules (a
broken one is asked again, the rule named) and is stored like one. A step is answered with a
typed message, or with the form the game's front end gives it (`GameFront.forms`: Deal or
No Deal's proposal, Dictionary Discovery's update), which posts `Answered`.
"""

from __future__ import annotations

import functools
import queue
from collections.abc import Callable
from typing import Any, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from ...engine.backend import GenerationRequest
from ...engine.core.human import HumanSession
from ..services.game_modes import Notice, PersonAsked
from ..services.people import people
from ..services.person import for_a_person
from .game_front import Answered, AnswerForm, GameFront
from .message_field import MessageField


def _asked(post: Callable[[Notice], None], seat: int, request: GenerationRequest) -> None:
    post(PersonAsked(seat, request))


class PersonTurn(Vertical):
    def __init__(
        self, state: Any, front: GameFront, post: Callable[[Notice], None], *, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.state = state
        self.front = front
        # One session per seat a person plays; each tells the screen (through `post`, from
        # the worker thread) when the game master asks it.
        self.sessions = {
            seat: HumanSession(on_turn=functools.partial(_asked, post, seat))
            for seat, person in enumerate(people(state.settings))
            if person
        }
        # The form of each step the game gives one, and the typed message for the others.
        self.forms = {step: make(state) for step, make in front.forms.items()}
        self.message = MessageField(id="person-message")
        # Whose answer is awaited, and for which step; None while no person is asked.
        self.seat: int | None = None
        self.step = ""
        # The move rule the person's last answer broke, while they answer again.
        self.broken: str | None = None

    def compose(self) -> ComposeResult:
        # The answer is docked at the bottom, always in view; the question scrolls above it.
        with Vertical(id="person-answer"):
            yield Static("", id="person-above", markup=False)
            yield from self.forms.values()
            yield self.message
        with VerticalScroll(id="person-asked-scroll"):
            yield Static("", id="person-asked", markup=False)

    def on_mount(self) -> None:
        self.display = False

    @property
    def waiting(self) -> bool:
        return self.seat is not None

    def _form(self, step: str) -> Widget:
        return self.forms.get(step, self.message)

    def ask(self, seat: int, step: str, request: GenerationRequest, broken: str | None) -> None:
        """Show what the game master asks, the move rules the person's answers broke on the
        way (so a re-prompt says why), and the one form that answers this step."""
        self.seat, self.step, self.broken = seat, step, broken
        form = self._form(step)
        name = self.state.settings.players[seat].name
        asked = Text(f"{name}, your turn\n", style="bold")
        if broken:
            asked.append(f"Your answer broke a move rule ({broken}): answer again.\n", style="italic")
        asked.append(cast(AnswerForm, form).question(for_a_person(request.messages[-1].content)))
        rules = request.messages[0]
        if rules.role == "system":  # scrolled to below the question: the game's rules for you
            asked.append("\n\nYour rules\n", style="bold dim")
            asked.append(rules.content, style="dim")
        self.query_one("#person-asked", Static).update(asked)
        self.query_one("#person-asked-scroll").scroll_home(animate=False)
        for other in (*self.forms.values(), self.message):
            other.display = other is form
        above = self.query_one("#person-above", Static)
        above.display = self.front.above is not None
        if self.front.above is not None:
            above.update(self.front.above(self.state, seat, step))
        self.display = True
        cast(AnswerForm, form).start(seat)

    def close(self) -> None:
        """The wait is over (answered, paused or quit): hide, and drop an answer not taken
        (an update not applied leaves the table)."""
        self.seat, self.broken = None, None
        self.display = False
        for form in self.forms.values():
            cast(AnswerForm, form).clear()
        for session in self.sessions.values():
            try:
                while True:
                    session.answers.get_nowait()
            except queue.Empty:
                pass

    @on(Answered)
    def _answered(self, event: Answered) -> None:
        event.stop()
        if self.seat is None:
            return
        session = self.sessions[self.seat]
        self.seat = None
        self.display = False
        session.answers.put(event.text)
