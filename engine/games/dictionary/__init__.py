"""Dictionary Discovery, the flagship game: two players build a common dictionary by talking."""

from ...core.registry import register
from .game import DICTIONARY

register(DICTIONARY)

__all__ = ["DICTIONARY"]
