"""Dictionary Discovery's own keys: on the game screen, those of its dictionary table (edit,
add, remove, truth marks) and of the side view of a grounded game (after the screen's view
key); on a person's update step, those of the update form. The ids are the ones people
remap (`[ui] keys`)."""

from __future__ import annotations

from ...services.keys import ALWAYS, LOW, Key

KEYS: tuple[Key, ...] = (
    Key("game.edit", "e", "edit_entry", "Edit",
        "edit the entry chosen in the dictionary table (pauses first)", command="Edit entry"),
    Key("game.add", "a", "add_entry", "Add", "add an entry to a player's dictionary (pauses first)",
        command="Add entry"),
    Key("game.remove", "delete", "remove_entry", "Remove",
        "remove the entry chosen in the dictionary table (asks first)", command="Remove entry"),
    Key("game.side", "s", "next_side", "Scene/curve",
        "grounded games: switch what shows beside the dictionary table: the scene of the last "
        "round, the learning curve against the perfect learner's ceiling, or where each "
        "player's learning is lost", LOW, command="Switch scene, curve and learning figures",
        after="game.view"),
    Key("game.truth", "t", "toggle_truth", "Truth",
        "mark each entry right or wrong by the ground truth, or hide the marks (off at first, "
        "so as not to spoil a game being watched)", LOW, command="Show or hide right and wrong"),
    Key("person.learn", "ctrl+n", "learn_entry", "Add entry",
        "your dictionary update: add an entry to your own dictionary", ALWAYS),
    Key("person.take_back", "ctrl+z", "take_back_entry", "Take back",
        "your dictionary update: take back the entry added last (it leaves the table)", LOW),
    Key("person.done", "ctrl+s", "send_update", "Done",
        "your dictionary update: send the entries added, or none", ALWAYS),
)
