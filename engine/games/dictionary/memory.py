"""Dictionary Discovery's memory: what each player observes, how important it is, and how a
long free game's prompt is built from the recent exchanges and the retrieved memories
instead of dropping the oldest history.

The streams are a function of the move records and the person's edits (`observe_move`,
`observe_edit` in the order they happened), so a restored game rebuilds them exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ...backend import ChatMessage
from ...core.game import Answer, Ask
from ...core.memory import (
    REFLECTION_SCHEMA,
    REFLECTION_TOKENS,
    Memory,
    MemoryStream,
    NgramEmbedder,
    Reflection,
    Retrieved,
    estimate_tokens,
    parse_reflections,
    recent_start,
    shown_lines,
)
from .dictionary import AppliedOperation, OperationKind
from .records import MoveRecord
from .scenes import label
from .settings import GameSettings

if TYPE_CHECKING:
    from .state import GameState

Exchange = tuple[ChatMessage, ...]

EMBED = NgramEmbedder()

# The cheap importance rule (1-10): what changes the dictionary, a failed round and the
# person's word weigh most; small talk least.
IMPORTANCE = {
    "said": 1.0,
    "heard": 2.0,
    OperationKind.ADD: 6.0,
    OperationKind.REVISE: 5.0,
    OperationKind.REMOVE: 4.0,
    OperationKind.CONFIRM: 3.0,
    "edit": 8.0,
    "round right": 4.0,
    "round wrong": 7.0,
    "reflection": 8.0,
}
# A reflection cites at most this many memories.
REFLECTION_EVIDENCE = 10


def new_streams(settings: GameSettings) -> tuple[MemoryStream, MemoryStream] | None:
    if settings.memory is None:
        return None
    return (MemoryStream(settings.memory, EMBED), MemoryStream(settings.memory, EMBED))


def _words(applied: AppliedOperation) -> str:
    """What a dictionary change is about: the word and its meaning."""
    return f"{applied.operation.foreign} {applied.operation.meaning}"


def _change_text(applied: AppliedOperation, partner: str) -> str:
    op = applied.operation
    if applied.source.value == "user":
        return f'The person set my dictionary: "{op.foreign}" means "{op.meaning}"'
    if op.kind is OperationKind.REMOVE:
        return f'I removed "{op.foreign}" from my dictionary'
    verb = {OperationKind.ADD: "learned", OperationKind.REVISE: "revised",
            OperationKind.CONFIRM: "confirmed"}[op.kind]
    return f'I {verb} {partner}\'s word "{op.foreign}" means "{op.meaning}"'


def observe_move(
    streams: tuple[MemoryStream, MemoryStream], settings: GameSettings, record: MoveRecord
) -> None:
    """What a move leaves in each player's memory: the message said and heard, the mover's
    dictionary changes and the round's outcome; then what its prompt used (the access) and
    the reflections the mover wrote."""
    move, mover = record.move_index, record.seat
    names = [player.name for player in settings.players]
    if record.message:
        streams[mover].add(move, "said", f'I told {names[1 - mover]} "{record.message}"',
                           IMPORTANCE["said"], about=record.message)
        streams[1 - mover].add(move, "heard", f'{names[mover]} told me "{record.message}"',
                               IMPORTANCE["heard"], about=record.message)
    for applied in record.applied:
        streams[mover].add(move, "learned", _change_text(applied, names[1 - mover]),
                           IMPORTANCE[applied.operation.kind], about=_words(applied))
    if record.scene is not None:
        right = record.guessed_right
        verdict = "right" if right else "wrong"
        meant = record.meant_thing if settings.feedback == "reveal" else None
        for seat in (0, 1):
            # With `reveal` the listener was told the thing meant: the round's lesson.
            lesson = (f'; {names[1 - mover]} meant "{label(settings, mover, meant)}"'
                      if seat == mover and meant is not None else "")
            streams[seat].add(
                move, "round",
                f'Round {record.round}: "{record.incoming}" was guessed {verdict}{lesson}',
                IMPORTANCE["round right" if right else "round wrong"],
                about=record.incoming,
            )
    stream = streams[mover]
    stream.access([r.id for r in record.retrieved], move)
    for reflection in record.reflections:
        stream.add(move, "reflection", reflection.text, IMPORTANCE["reflection"],
                   reflection.evidence)


def observe_edit(streams: tuple[MemoryStream, MemoryStream], applied: AppliedOperation) -> None:
    """The person's change to a player's dictionary: the player remembers it, weighty."""
    streams[applied.owner].add(applied.after_move, "edit", _change_text(applied, ""),
                               IMPORTANCE["edit"], about=_words(applied))


def recall(
    state: GameState, seat: int, history: tuple[Exchange, ...], incoming: str
) -> tuple[tuple[Exchange, ...], tuple[Retrieved, ...], tuple[Ask, ...]]:
    """A move's view of the past: the recent exchanges that fit the budget, the memories
    retrieved for the message heard (those the exchanges show anyway left out), and the
    reflection ask when one is due."""
    assert state.memories is not None and state.settings.memory is not None
    memory, stream = state.settings.memory, state.memories[seat]
    tokens = [sum(estimate_tokens(m.content) for m in exchange) for exchange in history]
    start = recent_start(tokens, memory.recent_tokens, memory.window_step)
    own = [m.move_index for m in state.moves if m.seat == seat]
    # The first shown exchange answers the partner's move just before it.
    first_shown = (own[start] if start < len(own) else state.moves_played) - 1

    def shown(memory: Memory) -> bool:
        return memory.kind in ("said", "heard") and memory.move >= first_shown

    retrieved = tuple(stream.retrieve(incoming, state.moves_played, skip=shown))
    reflect = (reflection_ask(stream, state.settings, seat),) if stream.reflection_due else ()
    return history[start:], retrieved, reflect


def with_memories(stream: MemoryStream, retrieved: Sequence[Retrieved], instruction: str) -> str:
    """The game master's words with the retrieved memories before them. Only the last
    message of a prompt carries them, so the rest of the prompt stays append-only."""
    if not retrieved:
        return instruction
    lines = shown_lines(stream, [r.id for r in retrieved])
    return "What you remember from earlier:\n" + "\n".join(lines) + "\n\n" + instruction


def reflection_ask(stream: MemoryStream, settings: GameSettings, seat: int) -> Ask:
    """The player's reflection: a few insights about the partner's words, each citing the
    memories (by number) it rests on."""
    cited = stream.since_reflection(REFLECTION_EVIDENCE)
    ids = sorted(m.id for m in cited)
    partner = settings.players[1 - seat].name
    instruction = (
        "Your memories:\n" + "\n".join(shown_lines(stream, ids)) + "\n\n"
        f"Write up to 3 short insights about {partner}'s words: what they mean, which you "
        "are sure of, which you doubt. Cite the numbers of the memories each rests on. "
        'Answer only with JSON like {"insights": [{"insight": "...", "because": [1, 2]}]}'
    )
    return Ask(step="reflect", instruction=instruction,
               parse=lambda raw: parse_reflections(raw, ids),
               max_tokens=REFLECTION_TOKENS, json_schema=REFLECTION_SCHEMA, reprompts=1)


def reflections_of(answers: Sequence[Answer]) -> tuple[Reflection, ...]:
    """The insights a move's reflection wrote; none when it stayed unreadable."""
    for answer in answers:
        if answer.step == "reflect" and not answer.violated:
            return tuple(answer.value)
    return ()
