"""The person's turn on the game screen: what the game master asks them, and where they
answer; hidden while a model plays.

A person's seat is a `HumanSession`, as in the headless game: the game worker waits on its
queue of answers (never the UI thread), and a pause or quit cancels that wait. What the
person sends reaches the game master as a model's answer would, under the same move rules (a
broken one is asked again, the rule named) and is stored like one. Per step: a message is
typed; Deal or No Deal's proposal is a count per item type; Dictionary Discovery's update is
entries of the person's own dictionary.
"""

from __future__ import annotations

import functools
import queue
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, Static

from ...engine.backend import GenerationRequest
from ...engine.core.human import HumanSession
from ...engine.games import game_of
from ...engine.games.dealnodeal.items import ITEM, items_text
from ...engine.games.dealnodeal.rules import MESSAGE, PROPOSE, take_json
from ..services.game_modes import Notice, PersonAsked
from ..services.people import people
from ..services.person import for_a_person
from .bindings import bindings
from .proposal_form import ProposalForm
from .update_form import UpdateForm

# The form that answers each step; a step not named here is answered with a message.
FORMS = {("dealnodeal", "take"): "#proposal-form", ("dictionary", "update"): "#update-form"}


def _asked(post: Callable[[Notice], None], seat: int, request: GenerationRequest) -> None:
    post(PersonAsked(seat, request))


class PersonTurn(Vertical):
    BINDINGS = bindings("person")

    def __init__(self, state: Any, post: Callable[[Notice], None], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.state = state
        self.game = game_of(state)
        # One session per seat a person plays; each tells the screen (through `post`, from
        # the worker thread) when the game master asks it.
        self.sessions = {
            seat: HumanSession(on_turn=functools.partial(_asked, post, seat))
            for seat, person in enumerate(people(state.settings))
            if person
        }
        # Whose answer is awaited, and for which step; None while no person is asked.
        self.seat: int | None = None
        self.step = ""
        # The move rule the person's last answer broke, while they answer again.
        self.broken: str | None = None

    def compose(self) -> ComposeResult:
        # The answer is docked at the bottom, always in view; the question scrolls above it.
        with Vertical(id="person-answer"):
            if self.game.name == "dealnodeal":
                yield Static("", id="person-values", markup=False)
                yield ProposalForm(self.state.settings.counts, id="proposal-form")
            if self.game.name == "dictionary":
                yield UpdateForm(self.state.settings, id="update-form")
            yield Input(placeholder="your message; enter sends it", compact=True,
                        id="person-message")
        with VerticalScroll(id="person-asked-scroll"):
            yield Static("", id="person-asked", markup=False)

    def on_mount(self) -> None:
        self.display = False

    @property
    def waiting(self) -> bool:
        return self.seat is not None

    def ask(self, seat: int, step: str, request: GenerationRequest, broken: str | None) -> None:
        """Show what the game master asks, the move rules the person's answers broke on the
        way (so a re-prompt says why), and the one field that answers this step."""
        self.seat, self.step, self.broken = seat, step, broken
        name = self.state.settings.players[seat].name
        asked = Text(f"{name}, your turn\n", style="bold")
        if broken:
            asked.append(f"Your answer broke a move rule ({broken}): answer again.\n", style="italic")
        asked.append(for_a_person(self.game.name, step, request.messages[-1].content))
        rules = request.messages[0]
        if rules.role == "system":  # scrolled to below the question: the game's rules for you
            asked.append("\n\nYour rules\n", style="bold dim")
            asked.append(rules.content, style="dim")
        self.query_one("#person-asked", Static).update(asked)
        self.query_one("#person-asked-scroll").scroll_home(animate=False)
        form = FORMS.get((self.game.name, step))
        for child in self.query("#proposal-form, #update-form, #person-message"):
            child.display = f"#{child.id}" == form or (form is None and child.id == "person-message")
        if self.game.name == "dealnodeal":
            self._show_values(seat)
        self.display = True
        if form == "#proposal-form":
            self.query_one(ProposalForm).clear()
        elif form == "#update-form":
            self.query_one(UpdateForm).start(seat)
        else:
            field = self.query_one("#person-message", Input)
            field.value = ""
            field.focus()
        self.refresh_bindings()

    def _show_values(self, seat: int) -> None:
        settings = self.state.settings
        worth = ", ".join(
            f"a {item} {value}" for item, value in zip(ITEM, settings.values[seat], strict=True)
        )
        values = Text("Your values: ", style="dim")
        values.append(worth, style="bold")
        values.append(f"  ·  on the table: {items_text(settings.counts)}", style="dim")
        if self.step == "reply":
            values.append("  ·  ctrl+t proposes instead of a message", style="dim")
        self.query_one("#person-values", Static).update(values)

    def close(self) -> None:
        """The wait is over (answered, paused or quit): hide, and drop an answer not taken
        (an update not applied leaves the table)."""
        self.seat, self.broken = None, None
        self.display = False
        for form in self.query(UpdateForm).results():
            form.clear()
        for session in self.sessions.values():
            try:
                while True:
                    session.answers.get_nowait()
            except queue.Empty:
                pass

    def _answer(self, text: str) -> None:
        if self.seat is None:
            return
        session = self.sessions[self.seat]
        self.seat = None
        self.display = False
        session.answers.put(text)

    # -- the answers ------------------------------------------------------------------------

    @on(Input.Submitted, "#person-message")
    def _message(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if not text:
            self.notify("Type your message first.")
            return
        # In Deal or No Deal a plain message gets its tag; one typed with a tag is kept as is.
        if self.game.name == "dealnodeal" and not text.startswith("["):
            text = f"{MESSAGE} {text}"
        self._answer(text)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "propose":
            return self.waiting and (self.game.name, self.step) == ("dealnodeal", "reply")
        if action in ("learn_entry", "take_back_entry", "send_update"):
            return self.waiting and (self.game.name, self.step) == ("dictionary", "update")
        return True

    def action_propose(self) -> None:
        self._answer(PROPOSE)

    def action_learn_entry(self) -> None:
        self.query_one(UpdateForm).learn_entry()

    def action_take_back_entry(self) -> None:
        self.query_one(UpdateForm).take_back_entry()

    def action_send_update(self) -> None:
        self.query_one(UpdateForm).send_update()

    @on(ProposalForm.Proposed)
    def _proposed(self, event: ProposalForm.Proposed) -> None:
        self._answer(take_json(event.take))

    @on(UpdateForm.Updated)
    def _updated(self, event: UpdateForm.Updated) -> None:
        self._answer(event.update)
