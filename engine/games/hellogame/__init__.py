"""hellogame, clembench's annotated example: a model greets and welcomes a guest by name."""

from ...core.registry import register
from .game import HELLOGAME

register(HELLOGAME)

__all__ = ["HELLOGAME"]
