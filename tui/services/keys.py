"""Every key of the terminal UI, declared once: the screens' bindings, the footer, the help
screen and the config check (`[ui] keys`) all read this list (`widgets/bindings.py` makes
Textual's bindings of it).

A key's id is what a person remaps (`keys = { "game.pause" = "p" }`). Pause and resume are
one id: from the person's side they are one key, so a remap moves both. No Textual import
here: the config check runs before the UI starts.
"""

from __future__ import annotations

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
    Key("game.edit", "e", "edit_entry", "Edit",
        "edit the entry chosen in the dictionary table (pauses first)", command="Edit entry"),
    Key("game.add", "a", "add_entry", "Add", "add an entry to a player's dictionary (pauses first)",
        command="Add entry"),
    Key("game.remove", "delete", "remove_entry", "Remove",
        "remove the entry chosen in the dictionary table (asks first)", command="Remove entry"),
    Key("game.view", "v", "next_view", "View",
        "switch the view: the dictionary table (all / common / each player's), or Deal or No "
        "Deal's values (both players' / each player's)", LOW, command="Switch view"),
    Key("game.side", "s", "next_side", "Scene/curve",
        "grounded games: switch what shows beside the dictionary table: the scene of the last "
        "round, the learning curve against the perfect learner's ceiling, or where each "
        "player's learning is lost", LOW, command="Switch scene, curve and learning figures"),
    Key("game.truth", "t", "toggle_truth", "Truth",
        "mark each entry right or wrong by the ground truth, or hide the marks (off at first, "
        "so as not to spoil a game being watched)", LOW, command="Show or hide right and wrong"),
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
    Key("person.propose", "ctrl+t", "propose", "Propose",
        "your turn in Deal or No Deal: propose a division now instead of a message", ALWAYS),
    Key("person.learn", "ctrl+n", "learn_entry", "Add entry",
        "your dictionary update: add an entry to your own dictionary", ALWAYS),
    Key("person.take_back", "ctrl+z", "take_back_entry", "Take back",
        "your dictionary update: take back the entry added last (it leaves the table)", LOW),
    Key("person.done", "ctrl+s", "send_update", "Done",
        "your dictionary update: send the entries added, or none", ALWAYS),
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


def known_ids() -> list[str]:
    return sorted({key.id for key in KEYS})


def keys_of(section: str) -> list[Key]:
    return [key for key in KEYS if key.id.split(".")[0] == section]


def footer_tier(binding_id: str | None, action: str) -> int:
    """How long a binding keeps its place in a narrow footer (Textual's own: middle)."""
    for key in KEYS:
        if key.id == binding_id and key.action == action:
            return key.footer
    return MIDDLE


def check_keymap(keymap: dict[str, str]) -> None:
    """A remap names known ids only: a typo would otherwise be silently ignored."""
    unknown = sorted(set(keymap) - set(known_ids()))
    if unknown:
        raise ValueError(
            f"unknown binding id {', '.join(map(repr, unknown))}; the ids are "
            + ", ".join(known_ids())
        )
