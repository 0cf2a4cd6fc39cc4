"""Dictionary Discovery, the flagship game: two players build a common dictionary by talking."""

from .game import DICTIONARY

__all__ = ["DICTIONARY"]
