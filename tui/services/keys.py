"""The keys of the terminal UI's app, its screens and the generic game screen, declared once:
the screens' bindings, the footer, the help screen and the check of `[ui] keys` all read this
list (`widgets/bindings.py` makes Textual's bindings of it). A game's own keys (Dictionary
Discovery's table and update form, Deal or No Deal's propose key) are declared beside its
front end, `tui/games/<game>/keys.py`, as `Key` records of the same sections, and reach
every reader through the game's front end (`GameFront.keys`).

A key's id is what a person remaps (`keys = { "game.pause" = "p" }`). Pause and resume are
one id: from the person's side they are one key, so a remap moves both. No Textual import
here: a game's keys are plain data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# How long a key keeps its place in the footer when the terminal is narrow: the lowest tier
# goes first; NEVER is kept out of the footer (help and the palette still list it).
NEVER, LOW, MIDDLE, ALWAYS = 0, 1, 2, 3


@dataclass(frozen=True)
class Key:
    id: str
    keys: str
    action: str
    label: str
    does: str
    footer: int = MIDDLE
    priority: bool = False
    # The command palette's title ("" : not in the palette).
    command: str = ""
    # A game's own key: the id of the key it follows on its screen ("": the game's key before
    # it, or for the first, the game screen's playing keys).
    after: str = ""


KEYS: tuple[Key, ...] = (
    Key("app.help", "f1", "help", "Help", "this help: the keys and what the figures mean", ALWAYS),
    Key("app.quit", "ctrl+q", "quit", "Quit", "quit; every completed move is already saved",
        ALWAYS, priority=True),
    Key("home.resume", "enter", "resume", "Open", "open the selected game (paused: look, edit, play)",
        command="Open game"),
    Key("home.new", "n", "new_game", "New game", "choose the settings of a new game", ALWAYS),
    Key("home.export", "x", "export", "Export", "write the selected game as Markdown and JSON",
        command="Export game"),
    Key("home.delete", "delete", "delete", "Delete", "delete the selected game (asks first)",
        command="Delete game"),
    Key("home.runs", "r", "runs", "Runs",
        "every run, the figures of the one selected, and fine-tuning a model on it",
        command="Runs"),
    Key("runs.finetune", "f", "finetune", "Fine-tune",
        "fine-tune a model on the selected run's transcripts (asks the model, filter, steps "
        "and output first)", ALWAYS),
    Key("runs.cancel", "c", "cancel_training", "Cancel",
        "stop the fine-tuning at the end of its step; nothing of it is written", ALWAYS),
    Key("runs.back", "escape", "back", "Back", "back to the saved games", ALWAYS),
    Key("tuning.start", "ctrl+s", "start", "Fine-tune",
        "write the training data and start fine-tuning", ALWAYS),
    Key("tuning.cancel", "escape", "cancel", "Cancel", "close without fine-tuning", ALWAYS),
    Key("game.pause", "space", "pause", "Pause",
        "pause / resume; pausing drops the message being written, nothing half-written is kept",
        ALWAYS, command="Pause"),
    Key("game.pause", "space", "resume", "Resume", "play on from the last saved move", ALWAYS,
        command="Resume"),
    Key("game.step", "n", "step", "Step", "play one move, then pause", command="Play one move"),
    Key("game.view", "v", "next_view", "View",
        "switch the view: the dictionary table (all / common / each player's), or Deal or No "
        "Deal's values (both players' / each player's)", LOW, command="Switch view"),
    Key("game.raw", "r", "raw", "Raw",
        "show the raw prompt and raw output of the chosen move in its pane, or hide them", LOW,
        command="Raw prompt and output"),
    Key("game.export", "x", "export", "Export", "write the game as Markdown and JSON", LOW,
        command="Export game"),
    Key("game.memory", "m", "memory", "Memory",
        "what each player's memory retrieved for its latest move, with the three scores, and "
        "its reflections (games with memory on)", LOW, command="Memory inspector"),
    Key("game.back", "escape", "back", "Back", "back to the saved games (the game stays saved)",
        command="Back to saved games"),
    Key("pane.previous", "up", "previous_move", "Earlier", "choose the move above in a pane",
        NEVER),
    Key("pane.next", "down", "next_move", "Later", "choose the move below in a pane", NEVER),
    Key("new_game.start", "ctrl+s", "start", "Start game", "start with these settings", ALWAYS),
    Key("new_game.cancel", "escape", "cancel", "Cancel", "back to the saved games", ALWAYS),
    Key("editor.save", "ctrl+s", "save", "Save", "save the entry", ALWAYS),
    Key("editor.edit_existing", "ctrl+o", "edit_existing", "Edit it",
        "the word is already in the dictionary: edit that entry instead", ALWAYS),
    Key("editor.cancel", "escape", "cancel", "Cancel", "close without changes", ALWAYS),
    Key("export.write", "ctrl+s", "export", "Export", "write the files", ALWAYS),
    Key("export.cancel", "escape", "cancel", "Cancel", "close without writing", ALWAYS),
    Key("confirm.yes", "y", "confirm", "Yes", "go ahead", ALWAYS),
    Key("confirm.no", "n,escape", "cancel", "No", "leave everything as it is", ALWAYS),
    Key("help.close", "escape,f1,q", "close", "Close", "close this help", ALWAYS),
    Key("memory.close", "escape,m,q", "close", "Close", "close the memory inspector", ALWAYS),
)

# The help screen's sections, in order: the first part of a key's id, and its heading.
SECTIONS = {
    "game": "Playing",
    "person": "Your turn, when you play a seat",
    "pane": "A player's pane",
    "home": "Saved games",
    "runs": "Runs",
    "tuning": "Fine-tune form",
    "new_game": "New game",
    "editor": "Entry editor",
    "export": "Export",
    "confirm": "Questions",
    "memory": "Memory inspector",
    "help": "Help",
    "app": "Everywhere",
}


# The game screen's last key that plays the game: a game's own keys follow it unless they
# name the key they follow, before the keys that look at the game (view, raw, ...) and leave.
PLAYING = "game.step"


def with_own(keys: Iterable[Key], own: Iterable[Key]) -> list[Key]:
    """`keys` with a game's (or every game's) own keys among them, each where it follows."""
    placed = list(keys)
    previous = PLAYING
    for key in own:
        anchor = key.after or previous
        anchors = [n for n, shown in enumerate(placed) if shown.id == anchor]
        placed.insert(anchors[-1] + 1 if anchors else len(placed), key)
        previous = key.id
    return placed


def ids_of(keys: Iterable[Key]) -> list[str]:
    return sorted({key.id for key in keys})


def keys_of(section: str, keys: Iterable[Key] = KEYS) -> list[Key]:
    return [key for key in keys if key.id.split(".")[0] == section]


def check_keymap(keymap: dict[str, str], keys: Iterable[Key]) -> None:
    """A remap names ids of `keys` only: a typo would otherwise be silently ignored."""
    known = ids_of(keys)
    unknown = sorted(set(keymap) - set(known))
    if unknown:
        raise ValueError(
            f"unknown binding id {', '.join(map(repr, unknown))}; the ids are "
            + ", ".join(known)
        )
