"""The scene of the last decided round of a grounded game: what each player saw, the thing
meant, the guess and the game master's verdict. Only decided rounds are shown, so the panel
never tells the person a target before the listener has guessed."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from ....engine.games.dictionary.scenes import label
from ....engine.games.dictionary.state import GameState


class SceneView(Static):
    DEFAULT_CSS = """
    SceneView { height: auto; padding: 0 1; border-top: solid $primary-darken-2; }
    """

    def show(self, state: GameState) -> None:
        self.update(scene_text(state))


def scene_text(state: GameState) -> Text:
    with state.lock:
        settings = state.settings
        decided = [m for m in state.records if m.scene is not None]
        moves = list(state.records)
    text = Text()
    if not decided:
        text.append("No round decided yet.", style="dim")
        return text
    move = decided[-1]
    scene = move.scene
    assert scene is not None
    speaker, listener = 1 - move.seat, move.seat
    names = [p.name for p in settings.players]
    said = moves[move.move_index - 1].message
    text.append(f"Round {scene.round}: ", style="bold")
    text.append(f'{names[speaker]} said "{said}"\n')
    for seat in (speaker, listener):
        text.append(f"{names[seat]} sees ", style="dim")
        for number, concept in enumerate(scene.views[seat], start=1):
            style = ""
            if concept == move.meant_thing:
                style = "bold green"
            elif seat == listener and concept == move.pick:
                style = "bold red"
            text.append(f"{number}. {label(settings, seat, concept)}", style=style)
            text.append("  ")
        text.append("\n")
    guess = label(settings, listener, move.pick) if move.pick else "nothing"
    verdict, style = ("right", "green") if move.guessed_right else ("wrong", "red")
    text.append(f"{names[listener]} guessed {guess}: ")
    text.append(verdict, style=f"bold {style}")
    return text
