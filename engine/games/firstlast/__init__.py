"""firstlast, clembench's tutorial game: two players talk about a topic, each utterance
framed by words that begin with the letter of its turn."""

from ...core.registry import register
from .game import FIRSTLAST

register(FIRSTLAST)

__all__ = ["FIRSTLAST"]
