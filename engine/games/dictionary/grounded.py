"""The turns of the grounded modes (scenes, invented): a referential game, round by round.

The first player names the target of the first scene. Every later move is the listener's:
it guesses which of its things the partner's message meant (the game master shows it the
words of the message it has in its dictionary), hears the game master's verdict, updates
its dictionary, and names the target of the next scene. So the speaker and listener roles
alternate, and a round (one scene) is decided in the move numbered like it.

The player is shown no chat history: what it learned is in its dictionary, what it needs is
in the scene, and a short prompt keeps a round cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ...core.game import Answer, Ask, Turn
from ...core.memory import Retrieved
from .asks import choose_ask, naming_ask, prompt_book, scene_update_ask
from .lessons import Lesson, lesson_of
from .memory import with_memories
from .records import MoveRecord
from .rules import message_words
from .scenes import Scene, draw_scene, label, meant_concept, view_words
from .settings import GameSettings
from .state import GameState

_BARE = ("said", "heard")


def _folded_words(text: str) -> set[str]:
    return {word.casefold() for word in message_words(text)}


def grounded_turn(state: GameState) -> Turn:
    settings = state.settings
    move, seat = state.moves_played, state.next_seat
    system = prompt_book(settings).system(seat)
    if move == 0:
        return Turn(seat, 1, system, (), (describe_ask(state, seat, 1),))
    scene = draw_scene(settings, move)
    incoming = state.moves[-1].message
    things = view_words(settings, scene, seat)
    dictionary = state.dictionaries[seat].copy()

    meant = meant_concept(settings, scene, 1 - seat, incoming)

    def then(answers: tuple[Answer, ...]) -> tuple[Ask, ...]:
        pick = answers[0].value
        picked = scene.views[seat][pick] if pick is not None else None
        verdict = listener_verdict(settings, seat, meant, picked)
        lesson = lesson_of(settings, seat, scene, picked, incoming)
        asks = [scene_update_ask(settings, seat, incoming, verdict, dictionary, things, lesson)]
        if move < settings.rounds:
            asks.append(describe_ask(state, seat, move + 1))
        return tuple(asks)

    retrieved: tuple[Retrieved, ...] = ()
    if state.memories is not None:
        # What it remembers of a word heard: the rounds it came in (with `reveal`, the thing
        # meant) and its dictionary's changes; a bare "said" or "heard" tells nothing the
        # round's memory does not, and a memory of other words is noise beside the scene.
        stream, heard = state.memories[seat], _folded_words(incoming)
        retrieved = tuple(stream.retrieve(
            incoming, move,
            skip=lambda m: m.kind in _BARE or not heard & _folded_words(m.about),
        ))
    choose = choose_ask(settings, seat, incoming, things, dictionary)
    if retrieved:
        choose = replace(choose, instruction=with_memories(stream, retrieved, choose.instruction))
    return Turn(seat, move, system, (), (choose,), incoming, then, retrieved=retrieved)


def describe_ask(state: GameState, seat: int, round_: int) -> Ask:
    settings = state.settings
    scene = draw_scene(settings, round_)
    things = view_words(settings, scene, seat)
    number = scene.number_of(seat, scene.target)
    last = speaker_feedback(settings, state.records, seat)
    instruction = prompt_book(settings).describe(seat, things, number, last)
    return naming_ask(settings, seat, instruction, things, number)


def listener_verdict(settings: GameSettings, seat: int, meant: str, pick: str | None) -> str:
    """What the listener hears after its guess, per the `feedback` setting. A wrong guess is
    not repeated when the meant thing is revealed: measured on SmolLM2-135M, naming it made
    the model write the wrong guess into its dictionary as often as the right thing."""
    guessed = f'You guessed "{label(settings, seat, pick)}"' if pick else "You did not guess"
    right = pick == meant
    if settings.feedback == "none":
        return f"{guessed}."
    if settings.feedback == "outcome":
        return f"{guessed}: right!" if right else (f"{guessed}: wrong." if pick else f"{guessed}.")
    partner = settings.players[1 - seat].name
    word = label(settings, seat, meant)
    if right:
        return f'{guessed}: right! {partner} meant "{word}".'
    return f'The game master says: wrong; {partner} meant "{word}".'


def speaker_feedback(settings: GameSettings, records: list[MoveRecord], seat: int) -> str | None:
    """What the game master tells a speaker about its last message, at its next turn: how the
    partner took it (the thing in the speaker's own words)."""
    if settings.feedback == "none" or len(records) < 2:
        return None
    guessed = records[-1]
    if guessed.scene is None or guessed.seat == seat:
        return None
    said = records[-2].message
    partner = settings.players[1 - seat].name
    right = bool(guessed.guessed_right)
    if right or settings.feedback == "outcome" or guessed.pick is None:
        return f'Last round {partner} understood your "{said}" {"right" if right else "wrong"}.'
    took = label(settings, seat, guessed.pick)
    return f'Last round {partner} took your "{said}" for "{took}": wrong.'


@dataclass(frozen=True)
class Guess:
    """A grounded move's round: its scene, the thing the speaker's message named (which the
    guess is judged by), the thing guessed (None: no valid guess), and the verdict's lesson."""

    scene: Scene
    meant: str
    pick: str | None
    lesson: Lesson | None


def guess_of(turn: Turn, answers: tuple[Answer, ...], settings: GameSettings) -> Guess | None:
    """The round a move decided, or None for a move that guessed nothing."""
    chosen = next((a for a in answers if a.step == "choose"), None)
    if chosen is None or turn.incoming is None:
        return None
    scene = draw_scene(settings, turn.round)
    pick = None if chosen.violated or chosen.value is None else scene.views[turn.seat][chosen.value]
    meant = meant_concept(settings, scene, 1 - turn.seat, turn.incoming)
    return Guess(scene, meant, pick, lesson_of(settings, turn.seat, scene, pick, turn.incoming))
