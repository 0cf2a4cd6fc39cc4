"""The footer, fitted to the terminal: when the keys do not all fit, the least needed go first
(their tier, declared with the key), so F1 Help and the screen's main keys stay in view at 80
columns. Every key stays in the help screen and the command palette."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.events import Resize
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from .bindings import footer_tier


class FittingFooter(Footer):
    def __init__(self) -> None:
        super().__init__(compact=True, show_command_palette=False)

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        shown: dict[str, tuple[str, str, str, str, bool, str, int]] = {}
        for binding, enabled, tooltip in (
            (active.binding, active.enabled, active.tooltip)
            for active in self.screen.active_bindings.values()
        ):
            if binding.show and binding.action not in shown:
                shown[binding.action] = (
                    binding.key,
                    self.app.get_key_display(binding),
                    binding.description,
                    binding.action,
                    enabled,
                    tooltip or binding.description,
                    footer_tier(binding.id, binding.action),
                )
        items = list(shown.values())
        width = self.size.width or self.app.size.width
        # A compact key is "key label" and a space apart from the next.
        while items and sum(len(i[1]) + len(i[2]) + 2 for i in items) - 1 > width:
            lowest = min(item[6] for item in items)
            dropped = max(n for n, item in enumerate(items) if item[6] == lowest)
            del items[dropped]
        self.styles.grid_size_columns = len(items)
        for key, display, description, action, enabled, tooltip, _tier in items:
            yield FooterKey(
                key, display, description, action, disabled=not enabled, tooltip=tooltip
            ).data_bind(compact=Footer.compact)

    def on_resize(self, event: Resize) -> None:
        if self._bindings_ready:
            self.call_after_refresh(self.recompose)
