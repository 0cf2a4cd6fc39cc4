"""The Textual bindings and palette commands of a screen or widget, made from a list of keys:
the app's (`services/keys.py`) or a game's own (`tui/games/<game>/keys.py`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.dom import DOMNode

from ..services.keys import KEYS, MIDDLE, NEVER, Key, keys_of

# The footer tier of every key bound so far, by id and action: Textual's bindings carry none.
_TIERS: dict[tuple[str, str], int] = {}


def bindings(section: str, keys: Iterable[Key] = KEYS) -> list[BindingType]:
    """The Textual bindings of one screen or widget: the keys of its section (a game's form
    binds the game's own keys of the person's section)."""
    made: list[BindingType] = []
    for key in keys_of(section, keys):
        _TIERS[key.id, key.action] = key.footer
        made.append(Binding(
            key.keys,
            key.action,
            key.label,
            show=key.footer != NEVER,
            priority=key.priority,
            tooltip=key.does[:1].upper() + key.does[1:],
            id=key.id,
        ))
    return made


def footer_tier(binding_id: str | None, action: str) -> int:
    """How long a binding keeps its place in a narrow footer (Textual's own: middle)."""
    return _TIERS.get((binding_id or "", action), MIDDLE)


def palette_commands(
    node: DOMNode, section: str, keys: Iterable[Key] = KEYS
) -> Iterator[SystemCommand]:
    """The section's commands that `node` allows now, for the command palette."""
    for key in keys_of(section, keys):
        if key.command and node.check_action(key.action, ()):
            help_text = key.does[:1].upper() + key.does[1:]
            yield SystemCommand(key.command, help_text, getattr(node, f"action_{key.action}"))
