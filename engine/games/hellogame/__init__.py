"""hellogame, clembench's annotated example: a model greets and welcomes a guest by name."""

from .game import HELLOGAME

__all__ = ["HELLOGAME"]
