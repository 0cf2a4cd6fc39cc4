"""F1: the keys, and what the game is (the text lives in help_screen.md beside this file)."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP_TEXT = Path(__file__).with_name("help_screen.md")


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,f1,q", "close", "Close", id="help.close", tooltip="Back to the game"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help", classes="dialog"):
            yield Markdown(HELP_TEXT.read_text("utf-8"))

    def action_close(self) -> None:
        self.dismiss()
