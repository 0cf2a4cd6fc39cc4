"""Export a game: a Markdown transcript and a JSON record, written next to the saves by default.

Files already there are not written over without asking: an earlier export of the same game
may have been kept on purpose.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from ...engine.core.export import export_text
from ...engine.core.game import EpisodeState
from ...engine.core.provenance import SeatHistory
from ...engine.games import game_of
from ...engine.words import sentence
from ..widgets.bindings import bindings
from ..widgets.confirm_modal import ConfirmModal
from ..widgets.footer import FittingFooter


def export_paths(game_id: int, folder: Path) -> tuple[Path, Path]:
    return folder / f"dictgame-{game_id}.md", folder / f"dictgame-{game_id}.json"


def write_export(
    game_id: int, state: EpisodeState[Any], folder: Path, players: Sequence[SeatHistory]
) -> tuple[Path, Path]:
    """Write `dictgame-<id>.md` and `dictgame-<id>.json` into `folder`; returns both paths."""
    folder.mkdir(parents=True, exist_ok=True)
    markdown, record = export_paths(game_id, folder)
    game = game_of(state)
    markdown.write_text(export_text(game, game_id, state, "markdown", players) + "\n", "utf-8")
    record.write_text(export_text(game, game_id, state, "json", players) + "\n", "utf-8")
    return markdown, record


class ExportModal(ModalScreen[tuple[Path, Path] | None]):
    BINDINGS = bindings("export")

    def __init__(
        self, game_id: int, state: EpisodeState[Any], db_path: Path, players: Sequence[SeatHistory]
    ) -> None:
        super().__init__()
        self.game_id = game_id
        self.state = state
        self.players = players
        self.default_folder = db_path.expanduser().resolve().parent

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="export"):
            yield Static(f"Export game {self.game_id}", classes="dialog-title")
            yield Label("Folder for the Markdown transcript and the JSON record")
            # Typing goes on from the end of the folder shown, rather than replacing it.
            yield Input(str(self.default_folder), compact=True, select_on_focus=False, id="folder")
            yield Static("", id="export-error", classes="field-error", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Export", variant="primary", compact=True, id="export-button")
                yield Button("Cancel", compact=True, id="cancel")
        yield FittingFooter()

    def on_mount(self) -> None:
        folder = self.query_one("#folder", Input)
        folder.focus()
        folder.cursor_position = len(folder.value)

    @on(Button.Pressed, "#export-button")
    @on(Input.Submitted)
    def action_export(self) -> None:
        folder = Path(self.query_one("#folder", Input).value.strip() or ".").expanduser()
        there = [path for path in export_paths(self.game_id, folder) if path.exists()]
        if not there:
            self._write(folder)
            return
        names = " and ".join(f'"{path.name}"' for path in there)
        question = Text(f"{names} already in {folder}. Write over them?")

        def overwrite(confirmed: bool | None) -> None:
            if confirmed:
                self._write(folder)

        self.app.push_screen(ConfirmModal(question, confirm="Write over"), overwrite)

    def _write(self, folder: Path) -> None:
        try:
            written = write_export(self.game_id, self.state, folder, self.players)
        except OSError as error:
            message = self.query_one("#export-error", Static)
            message.update(Text(sentence(f"cannot write to {folder}: {error.strerror or error}")))
            message.display = True
            return
        self.app.notify(
            f"{written[0]}\n{written[1]}",
            title=f"Game {self.game_id} exported",
            timeout=10,
            markup=False,
        )
        self.dismiss(written)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
