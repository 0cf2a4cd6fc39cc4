"""The fine-tune form of the runs screen: the base model, the filter, steps or epochs, and the
output file, each with the CLI's default. Starting checks what `dictgame finetune` checks and
writes the training data; anything wrong is one line here and nothing is written."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from ...engine.tuning import FinetuneError
from ...engine.words import sentence
from ...saves.runs import RunSummary
from ..services.config import DictgameConfig
from ..services.run_tuning import FILTERS, TuningPlan, default_base, default_out, prepare
from ..services.tuning import Training
from ..widgets.bindings import bindings
from ..widgets.footer import FittingFooter


class FinetuneForm(ModalScreen[tuple[TuningPlan, int] | None]):
    """Dismissed with the plan and how many examples were written, or None."""

    BINDINGS = bindings("tuning")

    def __init__(self, run: RunSummary, config: DictgameConfig) -> None:
        super().__init__()
        self.run = run
        self.config = config
        self.keep: str = FILTERS[0]

    def compose(self) -> ComposeResult:
        flags = Training()
        with Vertical(classes="dialog", id="tuning"):
            yield Static(f"Fine-tune on run {self.run.id} ({self.run.game})", classes="dialog-title")
            yield Label("Base model (GGUF)")
            yield Input(str(default_base(self.run.arguments, self.config)), compact=True,
                        select_on_focus=False, id="base")
            yield Label("Transcripts to learn from")
            yield Select([(name, name) for name in FILTERS], value=self.keep, allow_blank=False,
                         compact=True, id="filter")
            with Horizontal(id="amounts"):
                with Vertical():
                    yield Label("Steps (0: by epochs)")
                    yield Input(str(flags.steps), compact=True, type="integer", id="steps")
                with Vertical():
                    yield Label("Epochs")
                    yield Input(str(flags.epochs), compact=True, type="number", id="epochs")
            yield Label("Output (a new GGUF file; the data goes beside it as .jsonl)")
            yield Input(str(default_out(self.config, self.run.id, self.keep)), compact=True,
                        select_on_focus=False, id="out")
            yield Static("", id="tuning-error", classes="field-error", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Fine-tune", variant="primary", compact=True, id="start")
                yield Button("Cancel", compact=True, id="cancel")
        yield FittingFooter()

    def on_mount(self) -> None:
        self.query_one("#start", Button).focus()

    @on(Select.Changed, "#filter")
    def _filter_changed(self, event: Select.Changed) -> None:
        """The default output names the filter: it follows the filter unless it was edited."""
        out = self.query_one("#out", Input)
        if out.value == str(default_out(self.config, self.run.id, self.keep)):
            out.value = str(default_out(self.config, self.run.id, str(event.value)))
        self.keep = str(event.value)

    def plan(self) -> TuningPlan:
        def number(field: str, kind: type[int] | type[float]) -> int | float:
            text = self.query_one(f"#{field}", Input).value.strip()
            try:
                return kind(text)
            except ValueError:
                raise FinetuneError(f"{field} must be a number, not {text!r}") from None

        return TuningPlan(
            run_id=self.run.id,
            game=self.run.game,
            base=Path(self.query_one("#base", Input).value.strip()).expanduser(),
            out=Path(self.query_one("#out", Input).value.strip()).expanduser(),
            keep=self.keep,
            steps=int(number("steps", int)),
            epochs=float(number("epochs", float)),
        )

    @on(Button.Pressed, "#start")
    @on(Input.Submitted)
    def action_start(self) -> None:
        try:
            plan = self.plan()
            examples = prepare(plan, self.config)
        except (FinetuneError, OSError) as error:
            message = self.query_one("#tuning-error", Static)
            message.update(Text(sentence(str(error))))
            message.display = True
            return
        self.dismiss((plan, examples))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
