"""The Textual bindings and palette commands of a screen or widget, made from the one list of
keys (`services/keys.py`, which the config check reads before Textual loads)."""

from __future__ import annotations

from collections.abc import Iterator

from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.dom import DOMNode

from ..services.keys import NEVER, keys_of


def bindings(section: str, actions: tuple[str, ...] | None = None) -> list[BindingType]:
    """The Textual bindings of one screen or widget (of these actions only, when given: a
    game's form binds its own keys of the person's section)."""
    return [
        Binding(
            key.keys,
            key.action,
            key.label,
            show=key.footer != NEVER,
            priority=key.priority,
            tooltip=key.does[:1].upper() + key.does[1:],
            id=key.id,
        )
        for key in keys_of(section)
        if actions is None or key.action in actions
    ]


def palette_commands(node: DOMNode, section: str) -> Iterator[SystemCommand]:
    """The section's commands that `node` allows now, for the command palette."""
    for key in keys_of(section):
        if key.command and node.check_action(key.action, ()):
            help_text = key.does[:1].upper() + key.does[1:]
            yield SystemCommand(key.command, help_text, getattr(node, f"action_{key.action}"))
