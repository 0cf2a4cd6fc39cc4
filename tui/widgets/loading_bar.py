"""What the game screen shows while the players' models load: the file, how far along."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, ProgressBar


class LoadingBar(Vertical):
    def compose(self) -> ComposeResult:
        yield Label("Loading the players' models…", id="loading-label")
        yield ProgressBar(total=1.0, show_eta=False, id="loading-progress")

    def show_progress(self, path: Path, fraction: float) -> None:
        self.query_one("#loading-label", Label).update(Text(f"Loading {path.name}…"))
        self.query_one("#loading-progress", ProgressBar).update(progress=fraction)
