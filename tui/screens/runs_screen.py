"""Runs: every stored run, the figures of the one selected (those `dictgame eval` prints), and
fine-tuning a model on it, trained in a worker thread with its progress on screen.

Cancel stops the training at the next step: nothing of it is written (the output is written
through a temporary file only once training is over, and the data file goes with it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, ProgressBar, Static

from ...engine.tuning import Cancelled, FinetuneError
from ...engine.words import plural, sentence
from ...saves import DamagedGame, DamagedRun
from ...saves.runs import RunSummary, list_runs
from ..services import game_summary
from ..services.run_tuning import TuningPlan, run_figures, train, tuned_models
from ..services.tuning import clock
from ..widgets.bindings import bindings
from ..widgets.footer import FittingFooter
from .finetune_form import FinetuneForm

if TYPE_CHECKING:
    from ...engine.tuning.train import Step
    from .app import DictgameApp

COLUMNS = ("run", "game", "experiment", "episodes", "created", "fine-tuned")
NO_RUNS = "No runs yet. Start one with: dictgame run --game dealnodeal --experiment coop"


class RunsScreen(Screen[None]):
    BINDINGS = bindings("runs")

    def __init__(self) -> None:
        super().__init__()
        self._figures: dict[int, str] = {}
        self._runs: dict[int, RunSummary] = {}
        # Set by Cancel (or by leaving the app): the training stops before its next step.
        self._stop = threading.Event()
        self.training: TuningPlan | None = None
        # Models written this session outside the default folder, by run.
        self._written: dict[int, list[str]] = {}

    @property
    def dictgame(self) -> DictgameApp:
        return cast("DictgameApp", self.app)

    def compose(self) -> ComposeResult:
        yield Static("dictgame · runs", classes="screen-title")
        table: DataTable[Text] = DataTable(id="run-table", cursor_type="row", zebra_stripes=True)
        for label in COLUMNS:
            table.add_column(label, key=label)
        yield table
        yield Static(NO_RUNS, id="no-runs", markup=False)
        yield Static("", id="run-figures", markup=False)
        with Vertical(id="training"):
            yield Static("", id="training-status", markup=False)
            yield ProgressBar(total=None, show_eta=False, id="training-bar")
        yield Static("", id="run-error", classes="field-error", markup=False)
        yield FittingFooter()

    def on_mount(self) -> None:
        self.query_one("#training").display = False
        self.query_one("#run-error").display = False
        self.refresh_runs()

    def refresh_runs(self) -> None:
        runs = list_runs(self.dictgame.store)
        self._runs = {run.id: run for run in runs}
        self._figures.clear()  # a run may have been played on since
        table = self.query_one("#run-table", DataTable)
        selected = self.selected_run
        table.clear()
        for run in runs:
            table.add_row(*(Text(cell) for cell in self._cells(run)), key=str(run.id))
        if selected is not None and str(selected.id) in table.rows:
            table.move_cursor(row=table.get_row_index(str(selected.id)), animate=False)
        table.display = bool(runs)
        self.query_one("#no-runs").display = not runs
        table.focus()
        self._show_figures()
        self.refresh_bindings()

    def _cells(self, run: RunSummary) -> list[str]:
        if run.damaged:
            return [str(run.id), game_summary.game_title(run.game), f"damaged: {run.damaged}",
                    "-", game_summary.last_played(run.created), "-"]
        experiment = run.arguments.get("experiment") or "all"
        # Who played its games as they recorded it; a run that mixes players names each.
        played = ", ".join(sorted(run.players)) if len(run.players) < 2 else \
            "mixed: " + ", ".join(f"{pair} ({n})" for pair, n in sorted(run.players.items()))
        tuned = [p.name for p in tuned_models(self.dictgame.config, run.id)] + self._written.get(run.id, [])
        return [
            str(run.id), game_summary.game_title(run.game), f"{experiment} · {played or 'none yet'}",
            f"{run.done} of {run.episodes}", game_summary.last_played(run.created), ", ".join(tuned) or "-",
        ]

    @property
    def selected_run(self) -> RunSummary | None:
        table = self.query_one("#run-table", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self._runs.get(int(key)) if key is not None else None

    @on(DataTable.RowHighlighted, "#run-table")
    def _show_figures(self) -> None:
        """`dictgame eval`'s figures of the run under the cursor (computed once a run)."""
        run = self.selected_run
        figures = self.query_one("#run-figures", Static)
        if run is None:
            figures.update("")
            return
        if run.id not in self._figures:
            try:
                self._figures[run.id] = run_figures(self.dictgame.config, run.id) or "Nothing played to the end yet."
            except (DamagedRun, DamagedGame) as error:  # the other runs still show theirs
                self._figures[run.id] = sentence(str(error))
        figures.update(Text(f"Run {run.id}: {self._figures[run.id]}"))
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "finetune":
            return self.training is None and (not self.is_mounted or self.selected_run is not None)
        if action == "cancel_training":
            return self.training is not None
        return True

    def _error(self, message: str) -> None:
        error = self.query_one("#run-error", Static)
        error.update(Text(sentence(message)))
        error.display = bool(message)

    def action_finetune(self) -> None:
        run = self.selected_run
        if run is None or self.training is not None:
            return
        self._error("")
        self.app.push_screen(FinetuneForm(run, self.dictgame.config), self._start)

    def _start(self, chosen: tuple[TuningPlan, int] | None) -> None:
        if chosen is None:
            return
        plan, examples = chosen
        self.training = plan
        self._stop.clear()
        self.query_one("#training").display = True
        bar = self.query_one("#training-bar", ProgressBar)
        bar.update(total=None, progress=0)
        self._status(f"Fine-tuning {plan.base.name} on {plural(examples, 'example')} of run {plan.run_id} "
                     f"({plan.keep}): loading the model for training")
        self.refresh_bindings()
        self._train(plan)

    def _status(self, text: str) -> None:
        self.query_one("#training-status", Static).update(Text(text))

    @work(thread=True, exclusive=True, group="finetune")
    def _train(self, plan: TuningPlan) -> None:
        started = time.monotonic()
        try:
            train(plan, self.dictgame.config, self._on_step_from_thread, self._stop.is_set)
        except Cancelled:
            self._tell(self._finished, plan, None, "")
        except (FinetuneError, OSError) as error:
            self._tell(self._finished, plan, None, str(error))
        except Exception as error:  # a library's own failure: one line, the app goes on
            self._tell(self._finished, plan, None, f"fine-tuning failed: {error}")
        else:
            self._tell(self._finished, plan, time.monotonic() - started, "")

    def _tell(self, callback: Callable[..., Any], *args: Any) -> None:
        """Run `callback` on the UI thread, unless the app has gone (quit while training)."""
        try:
            self.app.call_from_thread(callback, *args)
        except RuntimeError:
            pass

    def _on_step_from_thread(self, step: Step) -> None:
        if not self._stop.is_set():
            self._tell(self._on_step, step)

    def _on_step(self, step: Step) -> None:
        if self._stop.is_set():  # a step that ended before Cancel, arriving after it
            return
        self.query_one("#training-bar", ProgressBar).update(total=step.total, progress=step.number)
        more = "writing the model" if step.number == step.total else f"{clock(step.seconds_left)} left"
        self._status(f"Fine-tuning {self.training.base.name if self.training else ''}: step "
                     f"{step.number}/{step.total}  loss {step.loss:.3f}  {more}")

    def _finished(self, plan: TuningPlan, seconds: float | None, error: str) -> None:
        self.training = None
        self.query_one("#training").display = False
        if seconds is not None:
            size = plan.out.stat().st_size / 2**20
            if plan.out not in tuned_models(self.dictgame.config, plan.run_id):
                self._written.setdefault(plan.run_id, []).append(str(plan.out))
            self.notify(f"{plan.out} ({size:.0f} MiB) in {clock(seconds)}",
                        title="Fine-tuned model written", timeout=15, markup=False)
        elif error:
            self._error(error)
        else:
            self.notify(f"Nothing was written to {plan.out}.", title="Fine-tuning cancelled", markup=False)
        if self.is_mounted:
            self.refresh_runs()

    def action_cancel_training(self) -> None:
        if self.training is not None and not self._stop.is_set():
            self._stop.set()
            self._status("Cancelling: training stops at the end of this step; nothing is written")

    def action_back(self) -> None:
        if self.training is not None:
            self.notify("Fine-tuning is running: cancel it first.", severity="warning", markup=False)
            return
        self.dismiss()

    def on_unmount(self) -> None:
        # Quitting the app while training: stop at the next step rather than write after exit.
        self._stop.set()
