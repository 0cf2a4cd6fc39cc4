"""One player's pane: the game as that player lives it. The partner's moves are what it
heard; its own are what it learned, what was refused, and what it said; the move it is
writing streams in at the bottom. `up` / `down` choose a move, `r` shows that move raw.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from ...engine.core.records import MoveRecord
from ..services import move_view
from ..services.move_view import MoveViews, PlainViews
from .bindings import bindings


class MoveBubble(Static):
    """One committed move, as the pane's player sees it (or raw)."""

    def __init__(self, record: MoveRecord, classes: str) -> None:
        super().__init__("", markup=False, classes=classes)
        self.record = record

    def on_click(self, event: events.Click) -> None:
        pane = self.parent
        if isinstance(pane, ChatPane):
            pane.focus()
            pane.choose(self.record.move_index)


class ChatPane(VerticalScroll):
    """Committed moves of both players, then the move being written (if this player's)."""

    BINDINGS = bindings("pane")

    def __init__(
        self,
        seat: int,
        names: tuple[str, str],
        views: MoveViews | None = None,
        hidden: Callable[[MoveRecord], bool] | None = None,
        *,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=f"chat-pane seat-{seat}")
        self.seat = seat
        self.names = names
        self.views = views or PlainViews()
        # A move not shown yet (a model's proposal, hidden from the person until the end).
        self.hidden = hidden
        self.can_focus = True
        # The move chosen with up/down or a click, and whether it is shown raw.
        self.chosen: int | None = None
        self.raw = False
        self._stream = Static("", classes="stream", markup=False)
        self._stream.display = False

    def compose(self) -> ComposeResult:
        yield self._stream

    def on_mount(self) -> None:
        # Stay at the newest move until the person scrolls up to read older ones.
        self.anchor()

    # -- the title: who the player is ---------------------------------------------------------

    def set_title(self, parts: Sequence[str]) -> None:
        """Name, language, model: the later parts go when the pane is too narrow for them
        (the whole title stays in the tooltip)."""
        self._title_parts = tuple(parts)
        self.tooltip = " · ".join(parts)
        self._fit_title()

    def _fit_title(self) -> None:
        parts = getattr(self, "_title_parts", ())
        room = self.size.width - 6  # the corners and the spaces around the title
        shown = " · ".join(parts)
        while len(parts) > 1 and room > 0 and len(shown) > room:
            parts = parts[:-1]
            shown = " · ".join(parts)
        self.border_title = Text(shown)

    def on_resize(self, event: events.Resize) -> None:
        self._fit_title()

    # -- the committed moves ---------------------------------------------------------------

    def set_moves(self, records: Sequence[MoveRecord]) -> None:
        """Show exactly the committed moves (after loading, or after a move was cancelled)."""
        self.query(MoveBubble).remove()
        self.mount_all([self._bubble(record) for record in records], before=self._stream)
        self.show_stream(None)

    def add_move(self, record: MoveRecord) -> None:
        self.mount(self._bubble(record), before=self._stream)
        self.show_stream(None)

    def _bubble(self, record: MoveRecord) -> MoveBubble:
        kind = "own" if record.seat == self.seat else "partner"
        bubble = MoveBubble(record, classes=f"message {kind} seat-{record.seat}")
        self._paint(bubble)
        return bubble

    def _paint(self, bubble: MoveBubble) -> None:
        record = bubble.record
        chosen = record.move_index == self.chosen
        bubble.set_class(chosen, "-chosen")
        if self.hidden is not None and self.hidden(record):
            bubble.update(move_view.private(record, self.names))
        elif chosen and self.raw:
            bubble.update(move_view.raw(record, self.names))
        elif record.seat == self.seat:
            bubble.update(self.views.own(record, self.names))
        else:
            bubble.update(self.views.heard(record, self.names))

    @property
    def bubbles(self) -> list[MoveBubble]:
        return list(self.query(MoveBubble))

    # -- choosing a move, and its raw view -------------------------------------------------

    def choose(self, move_index: int | None) -> None:
        self.chosen = move_index
        for bubble in self.bubbles:
            self._paint(bubble)
            if bubble.record.move_index == move_index:
                self.release_anchor()
                bubble.scroll_visible(animate=False)

    def toggle_raw(self) -> None:
        """Show the chosen move raw, or as the player saw it; the newest own move if none."""
        if self.chosen is None:
            own = [b.record.move_index for b in self.bubbles if b.record.seat == self.seat]
            if not own:
                self.notify("This player has not played a move yet.")
                return
            self.chosen = own[-1]
        self.raw = not self.raw
        self.choose(self.chosen)

    def _step(self, by: int) -> None:
        moves = [b.record.move_index for b in self.bubbles]
        if not moves:
            return
        if self.chosen not in moves:
            self.choose(moves[-1])
            return
        at = moves.index(self.chosen) + by
        self.choose(moves[max(0, min(at, len(moves) - 1))])

    def action_previous_move(self) -> None:
        self._step(-1)

    def action_next_move(self) -> None:
        self._step(1)

    # -- the move being written ---------------------------------------------------------------

    def show_stream(self, text: Text | None) -> None:
        """The move being written, or None once it is committed or cancelled."""
        if text is None:
            self._stream.display = False
            self._stream.update("")
            return
        self._stream.display = True
        self._stream.update(text)

    @property
    def stream_text(self) -> str:
        """What the pane shows of the move being written ('' when none)."""
        return str(self._stream.content) if self._stream.display else ""
