"""Dictionary Discovery's front end: its panel (the dictionary table, and beside it in a
grounded game the scene, the curve and the learning figures), the update form of a person's
update step, and the new-game form's section for its settings, set field by field."""

from __future__ import annotations

from ...widgets.game_front import GameFront
from .keys import KEYS
from .panel import Panel
from .settings_form import SettingsSection
from .update_form import UpdateForm

FRONT = GameFront(
    keys=KEYS,
    panel=Panel,
    forms={"update": lambda state: UpdateForm(state.settings, id="update-form")},
    settings_form=lambda settings: SettingsSection(settings, id="dictionary-settings"),
)
