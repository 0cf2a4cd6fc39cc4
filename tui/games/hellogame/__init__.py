"""hellogame's front end: its panel (a person answers every step with a message)."""

from __future__ import annotations

from ...widgets.game_front import GameFront
from .panel import Panel

FRONT = GameFront(panel=Panel)
