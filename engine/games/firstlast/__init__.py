"""firstlast, clembench's tutorial game: two players talk about a topic, each utterance
framed by words that begin with the letter of its turn."""

from .game import FIRSTLAST

__all__ = ["FIRSTLAST"]
