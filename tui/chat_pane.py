"""One player's pane: the conversation as that player lives it, with its own words streaming in.

Everything a model wrote is shown as plain `Text`, never as markup: a model that writes
`[red]` or `[link=...]` gets those characters on screen, nothing more.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from ..engine.core.records import Message
from ..engine.core.records import messages_of as _messages_of


class ChatPane(VerticalScroll):
    """Committed messages of both players, then the move being generated (if this player's)."""

    def __init__(self, seat: int, names: tuple[str, str], *, id: str | None = None) -> None:
        super().__init__(id=id, classes=f"chat-pane seat-{seat}")
        self.seat = seat
        self.names = names
        self.can_focus = True
        self._stream = Static("", classes="stream")
        self._stream.display = False

    def compose(self) -> ComposeResult:
        yield self._stream

    def on_mount(self) -> None:
        # Stay at the newest message until the person scrolls up to read older ones.
        self.anchor()

    def set_messages(self, messages: list[Message], violated: set[int]) -> None:
        """Show exactly the committed messages (after loading, or after a move was cancelled)."""
        self.query(".message").remove()
        self.mount_all(
            [self._bubble(m, m.move_index in violated) for m in messages], before=self._stream
        )
        self.show_stream(None)

    def add_message(self, message: Message, violated: bool) -> None:
        self.mount(self._bubble(message, violated), before=self._stream)
        self.show_stream(None)

    def show_stream(self, text: Text | None) -> None:
        """The move being generated, or None once it is committed or cancelled."""
        if text is None:
            self._stream.display = False
            self._stream.update("")
            return
        self._stream.display = True
        self._stream.update(text)

    @property
    def stream_text(self) -> str:
        """What the pane shows of the move being generated ('' when none)."""
        return str(self._stream.content) if self._stream.display else ""

    def _bubble(self, message: Message, violated: bool) -> Static:
        own = message.seat == self.seat
        line = Text()
        line.append(self.names[message.seat], style="bold")
        line.append(f"  round {message.round}", style="dim")
        if violated:
            line.append("  (move rule broken)", style="dim italic")
        line.append("\n")
        line.append(message.text)
        return Static(
            line,
            classes=f"message {'own' if own else 'partner'} seat-{message.seat}",
            markup=False,
        )


def messages_of(state: Any) -> list[Message]:
    """The committed messages of a game of any kind."""
    return _messages_of(state.moves)
