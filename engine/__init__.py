"""The game and the runtime that plays it: game master, rules, state, model backends.

Never imports Textual or SQLite: the TUI and the store build on it, not the other way.
"""
