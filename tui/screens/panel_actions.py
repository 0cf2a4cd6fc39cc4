"""The game screen's keys that act on its game's panel: the dictionary table's views and
truth marks, the person's edits (which pause the game first), and the side view of a
grounded game (scene, curve, learning figures). Which of them the screen offers now is
`game_modes.allowed`, asked with what the panel can do. The update a person writes on their
turn reaches the panel here too, to show before it is applied."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from ..services.game_modes import Mode, allowed
from ..widgets.game_front import GamePanel, Pending


class PanelActions:
    """Mixed into the game screen, which gives it `panel`, `mode`, `state` and pausing."""

    if TYPE_CHECKING:
        mode: Mode
        state: Any
        game_id: int | None
        play_when_seated: bool

        @property
        def panel(self) -> GamePanel: ...

        def action_pause(self) -> None: ...

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "memory":
            return getattr(self.state, "memories", None) is not None
        can = {power: bool(getattr(self.panel, power, False)) for power in ("editable", "views", "sides")}
        return allowed(action, self.mode, self.play_when_seated, can["editable"], self.game_id,
                       can["views"], can["sides"])

    def action_next_view(self) -> None:
        """Only looking: the game plays on."""
        cast(Any, self.panel).next_view()

    def action_next_side(self) -> None:
        """Only looking: the game plays on."""
        cast(Any, self.panel).next_side()

    def action_toggle_truth(self) -> None:
        """Only looking: the game plays on."""
        cast(Any, self.panel).toggle_truth()

    def on_pending(self, event: Pending) -> None:
        """Only looking: the answer a person is putting together (the entries of their
        update), in the panel (their dictionary table)."""
        preview = getattr(self.panel, "preview", None)
        if preview is not None:
            preview(event.seat, event.pending)

    def action_edit_entry(self) -> None:
        self._editing().edit_entry()

    def action_add_entry(self) -> None:
        self._editing().add_entry()

    def action_remove_entry(self) -> None:
        self._editing().remove_entry()

    def _editing(self) -> Any:
        """The panel, once the game is paused: the player sees an edit from its next move."""
        if self.mode in (Mode.PLAYING, Mode.STEPPING) or (
            self.mode is Mode.LOADING and self.play_when_seated
        ):
            self.action_pause()
        return self.panel
