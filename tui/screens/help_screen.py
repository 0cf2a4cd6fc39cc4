"""F1: what the game is, every key with its id, and what each figure on screen means.

The prose lives in help_screen.md beside this file; the key tables are made from the keys of
the app and of every game's front end (`games.all_keys`) with the person's remapping applied,
so help never names a key that does not work.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

from ..games import all_keys
from ..services.keys import SECTIONS
from ..widgets.bindings import bindings
from ..widgets.footer import FittingFooter

HELP_TEXT = Path(__file__).with_name("help_screen.md")
KEYS_MARK = "<!-- keys -->"


def key_tables(keymap: dict[str, str]) -> str:
    """One Markdown table per screen: key, binding id, what it does."""
    parts: list[str] = []
    keys = all_keys()
    for section, heading in SECTIONS.items():
        rows: dict[str, tuple[str, str]] = {}
        for key in keys:
            if key.id.split(".")[0] == section and key.id not in rows:
                pressed = keymap.get(key.id, key.keys).replace(",", " / ")
                rows[key.id] = (pressed, key.does)
        parts.append(f"### {heading}\n\n| key | id | what it does |\n| --- | --- | --- |")
        parts.extend(f"| `{pressed}` | `{id_}` | {does} |" for id_, (pressed, does) in rows.items())
        parts.append("")
    return "\n".join(parts)


class HelpScreen(ModalScreen[None]):
    BINDINGS = bindings("help")

    def __init__(self, keymap: dict[str, str]) -> None:
        super().__init__()
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        text = HELP_TEXT.read_text("utf-8").replace(KEYS_MARK, key_tables(self.keymap))
        with VerticalScroll(id="help", classes="dialog"):
            yield Markdown(text)
        yield FittingFooter()

    def action_close(self) -> None:
        self.dismiss()
