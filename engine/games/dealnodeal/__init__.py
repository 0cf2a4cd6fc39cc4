"""Deal or No Deal: two players negotiate how to divide items they value privately."""

from .game import DEALNODEAL

__all__ = ["DEALNODEAL"]
