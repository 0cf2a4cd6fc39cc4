"""The core every dialogue game plays on: a game is data and plain functions, one loop plays it.

`game.py` says what a game is; `referee.py` asks one player under the move rules;
`episode.py` is the loop every caller drives; `scores.py` and `instances.py` are clembench's
vocabulary. Nothing here knows any particular game.
"""
