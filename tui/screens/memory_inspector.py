"""The memory inspector: for each player, the memories its latest move's prompt showed, with
their three scores, and the reflections it wrote (issue 11). Only looking: the game plays on."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ...engine.core.memory import score_line
from ..widgets.bindings import bindings
from ..widgets.footer import FittingFooter


def player_memory(state: Any, seat: int) -> Text:
    """One player's side: what its latest move retrieved, best first, then its reflections
    with the memories each cites."""
    stream = state.memories[seat]
    name = state.settings.players[seat].name
    text = Text(f"{name}: {len(stream.memories)} memories\n", style="bold")
    latest = next((r for r in reversed(state.moves) if r.seat == seat and r.retrieved), None)
    if latest is None:
        text.append("nothing retrieved yet\n")
    else:
        text.append(f"retrieved for move {latest.move_index}:\n")
        for retrieved in latest.retrieved:
            text.append(f"  {score_line(stream, retrieved)}\n")
    reflections = stream.reflections()
    text.append("reflections:\n" if reflections else "no reflections yet\n")
    for memory in reflections:
        cited = ", ".join(str(i) for i in memory.evidence) or "none"
        text.append(f"  [{memory.id}] (move {memory.move}) {memory.text}  (from {cited})\n")
    return text


class MemoryInspector(ModalScreen[None]):
    BINDINGS = bindings("memory")

    def __init__(self, state: Any) -> None:
        super().__init__()
        self.state = state

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="memory"):
            yield Static("Memory", classes="dialog-title")
            with VerticalScroll():
                with self.state.lock:
                    for seat in (0, 1):
                        yield Static(player_memory(self.state, seat), id=f"memory-{seat}")
        yield FittingFooter()

    def action_close(self) -> None:
        self.dismiss(None)
