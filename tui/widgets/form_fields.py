"""The new-game form's fields: a labelled field with room for its error, and where each
common setting's error is shown."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from ...engine.words import sentence

# Where each common setting's validation error is shown (pydantic location -> field id); a
# game's own section says where its settings' errors go.
FIELD_OF_ERROR: dict[tuple[str | int, ...], str] = {
    ("players", 0, "name"): "name-a",
    ("players", 0, "model"): "path-a",
    ("players", 1, "name"): "name-b",
    ("players", 1, "model"): "path-b",
    ("temperature",): "temperature",
    ("seed",): "seed",
    ("instance",): "instance",
    ("name",): "name-a",
}


def field(
    label: str, widget: Widget, classes: str = "", note: Widget | None = None
) -> ComposeResult:
    """A labelled field with room for its error message underneath, then `note` (shown and
    hidden with the field)."""
    with Vertical(classes=f"field {classes}".strip()):
        yield Label(label)
        yield widget
        error = Static("", id=f"{widget.id}-error", classes="field-error")
        error.display = False
        yield error
        if note is not None:
            yield note


def show_error(form: Widget, field_id: str, message: str) -> None:
    widget = form.query_one(f"#{field_id}")
    widget.add_class("-invalid")
    error = form.query_one(f"#{field_id}-error", Static)
    error.update(Text(sentence(message)))
    error.display = True


def focus_first_error(form: Widget) -> None:
    """The first wrong field, its text selected: what is typed next replaces it (focusing a
    field that already has the focus would select nothing)."""
    first = form.query(".-invalid").first()
    first.focus()
    if isinstance(first, Input):
        first.select_all()


def clear_errors(form: Widget) -> None:
    for widget in form.query(".-invalid"):
        widget.remove_class("-invalid")
    for error in form.query(".field-error"):
        error.display = False
