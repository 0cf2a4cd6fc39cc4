"""The settings of a new game, prefilled from the config; a bad value is shown at its field."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from pydantic import ValidationError
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static

from ...engine.core.settings import CommonSettings
from ...engine.games import all_games, get_game
from ...models import FoundModel, ModelFileError
from ..games import front_of
from ..services.config import DictgameConfig, with_people
from ..services.form_memory import config_note, form_start
from ..services.model_choices import model_options, models_to_pick
from ..services.model_names import model_title
from ..services.players import SeatError, check_people, player_models
from ..services.ui_state import remember_new_game
from ..widgets.bindings import bindings
from ..widgets.footer import FittingFooter
from ..widgets.form_fields import (
    FIELD_OF_ERROR,
    clear_errors,
    field,
    focus_first_error,
    show_error,
)
from ..widgets.game_front import SettingsSection
from ..widgets.model_lineage import ModelLineage

if TYPE_CHECKING:
    from .app import DictgameApp

# The Select value that stands for "no file given": the embedded default model.
EMBEDDED = ""
# The Select value that stands for a person playing the seat (no file path starts so).
PERSON = ":person"
PERSON_LABEL = "You (a person plays this seat)"


class NewGameScreen(Screen[None]):
    BINDINGS = bindings("new_game")

    def __init__(
        self,
        config: DictgameConfig,
        settings: CommonSettings | None = None,
        error: str | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        fresh = settings is None
        self.game, self.settings = form_start(config, settings)
        # A game that could not start comes back here with its settings and the reason.
        self._error = error
        self._seed = "" if fresh and config.seed is None else str(self.settings.seed)
        # The sections of the games set field by field (Dictionary Discovery's), by game name;
        # the others play one of their instances.
        self.sections: dict[str, Widget] = {}
        for game in all_games():
            make = front_of(game.name).settings_form
            if make is not None:
                self.sections[game.name] = make(self.settings)
                self.sections[game.name].add_class("game-settings", f"own-{game.name}")

    @property
    def _default_model(self) -> str:
        if self.config.backend == "scripted":
            return "scripted players (no model)"
        return f"{model_title(None)} (embedded)"

    def compose(self) -> ComposeResult:
        settings = self.settings
        with VerticalScroll(id="new-game-form"):
            yield Static("New game", classes="screen-title")
            if self._error:
                yield Static(Text(self._error), id="form-error", classes="form-error")
            yield from field(
                "Game",
                Select(
                    [(game.title, game.name) for game in all_games()],
                    value=self.game.name,
                    allow_blank=False,
                    compact=True,
                    id="game",
                ),
            )
            yield Static("", id="config-note", classes="form-note")
            with Horizontal(classes="numbers", id="instance-settings"):
                yield from field(
                    "Experiment",
                    Select([], allow_blank=True, compact=True, id="experiment"),
                )
                yield from field(
                    "Instance", Input("0", type="integer", compact=True, id="instance")
                )
            with Horizontal(classes="players"):
                for seat, suffix in enumerate("ab"):
                    player = settings.players[seat]
                    with Vertical(classes="player-settings"):
                        yield Label(f"Player {suffix.upper()}", classes="group-title")
                        yield Static("", id=f"game-seat-{suffix}", classes="form-note")
                        yield from field(
                            "Name", Input(player.name, compact=True, id=f"name-{suffix}"),
                            classes=f"seat-{suffix}",
                        )
                        for name, section in self.sections.items():
                            yield from cast(SettingsSection, section).seat_fields(seat, f"own-{name}")
                        yield from field(
                            "Model",
                            Select(
                                [(self._default_model, EMBEDDED), (PERSON_LABEL, PERSON)],
                                value=PERSON if player.human else EMBEDDED,
                                allow_blank=False,
                                compact=True,
                                id=f"model-{suffix}",
                                classes="model-select",
                            ),
                            classes=f"seat-{suffix}",
                            note=ModelLineage(id=f"lineage-{suffix}"),
                        )
                        yield from field(
                            "…or a GGUF file",
                            Input(
                                player.model or "",
                                placeholder="path/to/model.gguf",
                                compact=True,
                                id=f"path-{suffix}",
                            ),
                            classes=f"seat-{suffix}",
                        )
            yield from self.sections.values()
            with Horizontal(classes="numbers"):
                yield from field(
                    "Temperature",
                    Input(str(settings.temperature), type="number", compact=True, id="temperature"),
                )
                yield from field(
                    "Seed",
                    Input(
                        self._seed, placeholder="random", type="integer", compact=True, id="seed"
                    ),
                )
            with Horizontal(classes="buttons"):
                yield Button("Start game", variant="primary", compact=True, id="start")
                yield Button("Cancel", compact=True, id="cancel")
        yield FittingFooter()

    def on_mount(self) -> None:
        self._show_game(self.game.name)
        self.query_one("#name-a", Input).focus()
        if self.config.backend == "llama":
            self._find_models()

    @work(thread=True, exclusive=True, group="find-models", exit_on_error=False)
    def _find_models(self) -> None:
        """Reading every GGUF header on disk takes a moment: not on the UI thread."""
        found = models_to_pick(self.config)
        self.app.call_from_thread(self._offer_models, found)

    def _offer_models(self, found: list[FoundModel]) -> None:
        options = model_options(found, EMBEDDED)
        for suffix in "ab":
            select = self.query_one(f"#model-{suffix}", Select)
            path_input = self.query_one(f"#path-{suffix}", Input)
            typed = path_input.value.strip()
            person = select.value == PERSON
            with select.prevent(Select.Changed):
                select.set_options(
                    [*(options or [(Text(self._default_model), EMBEDDED)]), (Text(PERSON_LABEL), PERSON)]
                )
                if person:
                    select.value = PERSON
                elif typed and typed in {value for _, value in options}:
                    select.value = typed
                    path_input.value = ""
            self.query_one(f"#lineage-{suffix}", ModelLineage).know(found, select.value)

    @on(Select.Changed, "#game")
    def _game_chosen(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self._show_game(event.value)

    def _show_game(self, name: str) -> None:
        """A game with a section of its own (Dictionary Discovery) is set field by field;
        other games play one of their instances, chosen by experiment and number."""
        self.game = get_game(name)
        for own in self.sections:
            for widget in self.query(f".own-{own}"):
                widget.display = own == name
        self.query_one("#instance-settings").display = name not in self.sections
        if name not in self.sections:
            experiments = [(e.name, e.name) for e in self.game.experiments(0)]
            select = self.query_one("#experiment", Select)
            with select.prevent(Select.Changed):
                select.set_options(experiments)
                if experiments:
                    select.value = experiments[0][1]
        self._instance_chosen()
        section = self.config.games.get(name, {})
        if "temperature" in section:
            self.query_one("#temperature", Input).value = str(section["temperature"])

    @on(Select.Changed, "#experiment")
    @on(Input.Changed, "#instance")
    def _instance_chosen(self) -> None:
        self._show_config()
        self._show_game_seats()

    def _show_config(self) -> None:
        """What the config sets for this game is used, over the form's remembered choices,
        but for what the chosen instance sets itself (First and Last's turns, say): the form
        says which."""
        try:
            instance = {} if self.game.name in self.sections else self._instance()
        except ValidationError:
            instance = {}
        text = config_note(self.config.games.get(self.game.name, {}), instance)
        note = self.query_one("#config-note", Static)
        note.update(Text(text))
        note.display = bool(text)

    def _show_game_seats(self) -> None:
        """A seat the game plays itself takes no name or model from the form: the form
        shows who plays it instead of fields that would be ignored."""
        for seat, suffix in enumerate("ab"):
            own = self.game.seats[seat] == "programmatic"
            for widget in self.query(f".seat-{suffix}"):
                widget.display = not own
            note = self.query_one(f"#game-seat-{suffix}", Static)
            note.display = own
            if own:
                name = self._game_seat_name(seat)
                note.update(Text(f"Played by the game itself{': ' + name if name else ''}"))

    def _game_seat_name(self, seat: int) -> str:
        """The name the chosen instance gives a seat the game plays (empty: no instance yet)."""
        try:
            instance = self._instance()
        except ValidationError:
            return ""
        return self.game.settings_for(instance, {}).players[seat].name

    @on(Select.Changed, ".model-select")
    def _model_chosen(self, event: Select.Changed) -> None:
        """A model picked from the list replaces a typed path; a fine-tuned one says what it
        was made from."""
        if event.select.id is not None:
            self.query_one(f"#path-{event.select.id[-1]}", Input).value = ""
            self.query_one(f"#lineage-{event.select.id[-1]}", ModelLineage).show(event.value)

    @on(Input.Submitted)
    def _next_field(self) -> None:
        """Enter in a text field moves on to the next field: a game starts only when asked
        (the button, or the start key), not with half the form read."""
        self.focus_next()

    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        clear_errors(self)
        try:
            settings = self._read_settings()
        except ValidationError as error:
            for problem in error.errors():
                show_error(self, self._field_of_error(tuple(problem["loc"])), problem["msg"])
            focus_first_error(self)
            return
        try:
            check_people(settings, self.game)
        except SeatError as error:
            show_error(self, f"model-{'ab'[error.seat]}", str(error))
            focus_first_error(self)
            return
        try:
            player_models(settings, self.config, self.game)
        except ModelFileError as error:
            seat = next(
                (
                    s
                    for s, p in enumerate(settings.players)
                    if p.model and Path(p.model) == error.path
                ),
                0,
            )
            show_error(self, f"path-{'ab'[seat]}", error.problem)
            focus_first_error(self)
            return
        remember_new_game(self.game.name, settings.model_dump(mode="json"))

        cast("DictgameApp", self.app).play_new_game(self.game.new_state(settings))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss()

    def _read_settings(self) -> CommonSettings:
        """Let the game's own settings model judge the values, so the messages are its."""
        seed = self._value("seed") or str(secrets.randbelow(2**31))
        section = self.sections.get(self.game.name)
        if section is None:
            people = (self._person("a"), self._person("b"))
            return with_people(self._instance_settings(seed), people)
        players = [
            {"name": self._value(f"name-{s}"), "model": self._model(s), "human": self._person(s)}
            for s in "ab"
        ]
        common = {"players": players, "temperature": self._value("temperature"), "seed": seed}
        return cast(SettingsSection, section).read(common)

    def _field_of_error(self, location: tuple[str | int, ...]) -> str:
        """Where a setting's error is shown: at its field, or at the game's choice of its
        own (the instance, or a field of its section) for the settings as a whole."""
        section = self.sections.get(self.game.name)
        own = cast(SettingsSection, section).errors if section is not None else {}
        return own.get(location) or FIELD_OF_ERROR.get(location) or own.get((), "instance")

    def _instance(self) -> dict[str, Any]:
        """The chosen experiment's instance, without its seed: the form's seed is the game's
        (typed, or random when left empty), so two games of one instance are not one game."""
        experiments = {e.name: e for e in self.game.experiments(0)}
        chosen = self.query_one("#experiment", Select).value
        experiment = experiments.get(chosen if isinstance(chosen, str) else "")
        try:
            number = int(self._value("instance") or 0)
        except ValueError:
            number = -1
        if experiment is None or not 0 <= number < len(experiment.instances):
            count = len(experiment.instances) if experiment else 0
            raise ValidationError.from_exception_data(
                "instance",
                [{"type": "less_than", "loc": ("instance",), "input": number,
                  "ctx": {"lt": count}}],
            )
        return {k: v for k, v in experiment.instances[number].items() if k != "seed"}

    def _instance_settings(self, seed: str) -> CommonSettings:
        given: dict[str, Any] = {
            # What the config sets for the game (Deal's guided replies, say), under the form's
            # own fields.
            **self.config.games.get(self.game.name, {}),
            "models": (self._model("a"), self._model("b")),
            "names": (self._value("name-a") or None, self._value("name-b") or None),
            "temperature": self._value("temperature"),
            "seed": seed,
        }
        return self.game.settings_for(self._instance(), given)

    def _value(self, field_id: str) -> str:
        return self.query_one(f"#{field_id}", Input).value.strip()

    def _model(self, suffix: str) -> str | None:
        if self._person(suffix):
            return None
        typed = self._value(f"path-{suffix}")
        chosen = self.query_one(f"#model-{suffix}", Select).value
        return typed or (chosen if isinstance(chosen, str) and chosen != EMBEDDED else None)

    def _person(self, suffix: str) -> bool:
        """Whether "You" is chosen for the seat: a person plays it."""
        return self.query_one(f"#model-{suffix}", Select).value == PERSON
