"""Deal or No Deal: two players negotiate how to divide items they value privately."""

from ...core.registry import register
from .game import DEALNODEAL

register(DEALNODEAL)

__all__ = ["DEALNODEAL"]
