"""Where free talk's topic pairs are lost: per move of saved free games with a topic, was the
topic's word said, written down by the listener, and did the pair reach the common dictionary.

Free mode with `topic` gives both players each round the same thing of the concept bank, each
in its own words; a round can add one right common pair: A says its word, B writes it with
its own word as the meaning, B says its word, A writes that. Issue 21's goal (5 right common
pairs in a 10-round game of the 1.5B Qwen) is missed; this counts, for both players and all
games together, the steps where a pair is lost (GAME.md, "The ceiling"):

- said: the speaker's message holds its topic word (in the normal form the truth compares);
- written right: the listener's update added (or revised to) the partner's topic word with
  its own topic word as the meaning; other writes are split by what they got wrong;
- refused: operations the game master refused, with their reasons;
- common: topics with a right common pair at the end.

`python -m bench.free_steps FILE...` (FILE: games saved by `python -m bench.quality --save`);
`--moves` also prints every move. With `--model GGUF --variants base,meaning,...` the updates
of listeners who heard their topic's word said are asked again, greedily and alone (as the
game asks them), with variants of the prompt and schema, and the right writes counted: to
tell a variant's effect on the writing step from the games' divergence before playing games.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dictgame.engine.backend import ChatMessage, GenerationRequest
from dictgame.engine.core.game import Ask
from dictgame.engine.games.dictionary.asks import (
    heard_or_held,
    prompt_book,
    topic_update_ask,
    update_ask,
)
from dictgame.engine.games.dictionary.dictionary import (
    Dictionary,
    OperationKind,
    common_pairs,
    normalize,
)
from dictgame.engine.games.dictionary.game import told_topic
from dictgame.engine.games.dictionary.rules import (
    UpdateParseError,
    message_words,
    parse_update,
    says,
    update_schema,
)
from dictgame.engine.games.dictionary.scenes import draw_topic, label, language_codes
from dictgame.engine.games.dictionary.settings import GameSettings
from dictgame.engine.games.dictionary.state import GameState
from dictgame.engine.games.dictionary.truth import Judge
from dictgame.saves.store import GameStore

from .common import log, smollm2_path


@dataclass(frozen=True)
class Heard:
    """A listener's update about the message it heard, and the topic that message was about."""

    judge: Judge
    seat: int
    instruction: str
    incoming: str
    # The listener's dictionary when it was asked.
    dictionary: Dictionary
    # The round the message was said in (its topic is the round's).
    round: int

    @property
    def concept(self) -> str:
        """The round's topic."""
        concept = draw_topic(self.settings, self.round)
        assert concept is not None
        return concept

    @property
    def settings(self) -> GameSettings:
        return self.judge.settings

    @property
    def theirs(self) -> str:
        """The topic in the speaker's words: the word to learn."""
        return label(self.settings, 1 - self.seat, self.concept)

    @property
    def mine(self) -> str:
        return label(self.settings, self.seat, self.concept)

    def words(self) -> list[str]:
        """The message's words and those already held (what the game offered before the topic was the meaning)."""
        return heard_or_held(self.incoming, self.dictionary)

    def said(self) -> bool:
        """Whether the game told this listener the topic: the heard message said the
        speaker's word for it (the game's own test, game.told_topic)."""
        return told_topic(self.settings, self.seat, self.incoming, self.round) is not None


def write_kind(heard: Heard, foreign: str, meaning: str) -> str:
    """What a listener's write about the heard topic got right (judged as the game's truth
    judges an entry), or which word it wrote."""
    if heard.judge.entry(heard.seat, foreign, meaning)[1] == heard.concept:
        return "written right"
    if heard.judge.concept_of(1 - heard.seat, foreign) == heard.concept:
        return "partner's word, other meaning"
    if normalize(foreign) in {normalize(w) for w in message_words(heard.incoming)}:
        return "another word of the message"
    if normalize(foreign) in heard.dictionary:
        return "an entry held, not heard, written again"
    return "a word not in the message"


def held_before(state: GameState, move_index: int, seat: int) -> Dictionary:
    """A player's dictionary when a move was asked: the game restored to the moves before it
    and the person's edits made before it."""
    edits = [edit for edit in state.edits if edit.after_move <= move_index]
    return GameState.restore(state.settings, state.records[:move_index], edits).dictionaries[seat]


def count_game(state: GameState, counts: Counter[str], moves_shown: bool) -> list[Heard]:
    """Count a game's steps into `counts`; return the updates asked after the topic's word
    was said, each with the dictionary its listener held then (`held_before`)."""
    settings = state.settings
    codes, judge = language_codes(settings), Judge(settings)
    moves, found = list(state.records), []
    for index, move in enumerate(moves):
        seat, concept = move.seat, draw_topic(settings, move.round)
        assert concept is not None
        counts["spoke"] += 1
        counts["said its topic's word"] += says(
            move.message, label(settings, seat, concept), codes[seat])
        counts["said the partner's word for it"] += says(
            move.message, label(settings, 1 - seat, concept), codes[1 - seat])
        counts["violated moves"] += move.violated
        attempt = next((a for a in move.attempts if a.step == "update"), None)
        if index and attempt is not None:
            heard = Heard(judge, seat, attempt.instruction, move.incoming or "",
                          held_before(state, index, seat), moves[index - 1].round)
            kinds = [write_kind(heard, a.operation.foreign, a.operation.meaning)
                     for a in move.applied if a.operation.kind is not OperationKind.REMOVE]
            right = "written right" in kinds
            counts["listened"] += 1
            if heard.said():
                found.append(heard)
                counts["heard its topic's word"] += 1
                counts["  written right"] += right
                player = f"  {'AB'[seat]} ({settings.players[seat].language})"
                counts[f"{player} heard it"] += 1
                counts[f"{player} wrote it right"] += right
                for kind in set() if right else set(kinds) or {"nothing written"}:
                    counts["  not written right: " + kind] += 1
            else:
                counts["written right, the word not heard"] += right
            for refused in move.rejected:
                counts["refused: " + refused.reason.split(":")[0][:60]] += 1
            if moves_shown:
                wrote = [(a.operation.foreign, a.operation.meaning) for a in move.applied]
                print(f"  r{move.round} {'AB'[seat]} heard {heard.incoming!r} (topic "
                      f"{heard.theirs} / {heard.mine}): wrote {wrote}; says {move.message!r}")
    topics = {draw_topic(settings, r) for r in range(1, settings.rounds + 1)}
    # A common pair (A's word, B's word) is right as B's entry of A's word is.
    right = {concept for a, b in common_pairs(*state.dictionaries, judge.codes)
             if (concept := judge.entry(1, a, b)[1]) is not None}
    counts["topics"] += len(topics)
    counts["common right pairs"] += len(right)
    counts["common right pairs on a topic"] += len(right & topics)
    return found


DICTIONARY_LINES = re.compile(
    r"^(?:Words of it in your dictionary|Your dictionary|- |\(empty\)).*\n", re.M)


def dictionary_first(heard: Heard) -> str:
    """The dictionary's lines before the message and its topic, so the line that asks for
    the update follows what was just heard."""
    lines = "".join(DICTIONARY_LINES.findall(heard.instruction))
    return lines + DICTIONARY_LINES.sub("", heard.instruction)


def meaning_first_prompt(heard: Heard) -> str:
    """The example update with its meaning before its word (as the game's prompt has it
    now; a game saved before has it the other way)."""
    return re.sub(r'"word": ("[^"]*"), "meaning": ("[^"]*")', r'"meaning": \2, "word": \1',
                  heard.instruction)


def as_played(heard: Heard) -> Ask:
    """The update as the game asks it now (its schema and token budget)."""
    return topic_update_ask(heard.settings, meaning_first_prompt(heard), heard.incoming,
                            heard.mine)


def words_first(heard: Heard) -> Ask:
    """The update as the game asked it before the topic was its meaning: any meaning, the
    word first, of the message's words or those held."""
    return update_ask(heard.settings, heard.instruction, heard.words())


Schema = Callable[[Heard], "dict[str, Any] | None"]


NOT_ITS_KIND = "<{partner}'s word for {topic} itself, not for its kind>"


def not_its_kind(instruction: str, heard: Heard) -> str:
    """The example's word asked as the thing's own name, not its kind's: the misses wrote
    the kind of a definition ("Four is a number." -> number = cuatro)."""
    partner = heard.settings.players[1 - heard.seat].name
    return re.sub(r"<the word of [^>]*>",
                  NOT_ITS_KIND.format(partner=partner, topic=heard.mine), instruction)


def offering(words: Callable[[list[str]], list[str]]) -> Schema:
    """The topic update's schema with the message's words offered as `words` gives them."""
    return lambda h: update_ask(h.settings, "", words(message_words(h.incoming)), [h.mine],
                                meaning_first=True).json_schema


VARIANTS: dict[str, tuple[Callable[[Heard], str], Schema]] = {
    # The topic as the meaning, written before the word (so the word is chosen for it), and
    # the word one of the message's: the listener names which heard word means its topic.
    "base": (meaning_first_prompt, lambda h: as_played(h).json_schema),
    "words_first": (lambda h: h.instruction, lambda h: words_first(h).json_schema),
    # The meaning is the topic or one already held: the listener knows no other for sure.
    "meaning": (lambda h: h.instruction,
                lambda h: update_schema(h.settings.max_operations, h.words(),
                                        [h.mine, *(e.meaning for e in h.dictionary)])),
    # The message's words only as said (before lower case was offered too).
    "as_said": (meaning_first_prompt, offering(lambda words: words)),
    "only_lower": (meaning_first_prompt,
                   offering(lambda words: list(dict.fromkeys(w.lower() for w in words)))),
    "kind": (lambda h: not_its_kind(meaning_first_prompt(h), h),
             offering(lambda words: words)),
    "first": (dictionary_first, lambda h: update_schema(h.settings.max_operations, h.words())),
    # Only the message's words: an entry held and not heard cannot be written again.
    "message": (lambda h: h.instruction,
                lambda h: update_schema(h.settings.max_operations, message_words(h.incoming))),
}


def writes(heard: Heard, raw: str) -> tuple[bool, int]:
    """Whether an update writes the topic's pair right, and how many other writes it has."""
    try:
        operations = parse_update(raw).operations
    except UpdateParseError:
        return False, 0
    kinds = [write_kind(heard, op.foreign, op.meaning)
             for op in operations if op.kind is not OperationKind.REMOVE]
    return "written right" in kinds, sum(kind != "written right" for kind in kinds)


def replay(updates: list[Heard], model: Path | None, variants: list[str], threads: int
           ) -> dict[str, dict[str, int]]:
    from dictgame.engine.players.llama.backend import LlamaBackend

    session = LlamaBackend(n_threads=threads).session(model or smollm2_path(), aside=False)
    counts = {}
    for name in variants:
        instruction, schema = VARIANTS[name]
        found = [
            writes(heard, session.generate(GenerationRequest(
                (ChatMessage("system", prompt_book(heard.settings).system(heard.seat)),
                 ChatMessage("user", instruction(heard))),
                max_tokens=as_played(heard).max_tokens, temperature=0.0,
                json_schema=schema(heard),
            )).text)
            for heard in updates
        ]
        counts[name] = {"right": sum(r for r, _ in found), "other writes": sum(o for _, o in found),
                        **{f"{'AB'[seat]} right": sum(r for (r, _), h in zip(found, updates)
                                                      if h.seat == seat) for seat in (0, 1)}}
        log(f"  {name}: of {len(updates)}, {counts[name]}")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.free_steps",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("games", type=Path, nargs="+", help="saved-games files")
    parser.add_argument("--moves", action="store_true", help="print every move")
    parser.add_argument("--model", type=Path, help="ask the updates again on this GGUF")
    parser.add_argument("--variants", default="",
                        help=f"comma-separated, of: {', '.join(VARIANTS)}")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--most", type=int, help="ask again only the first N updates")
    args = parser.parse_args(argv)
    counts: Counter[str] = Counter()
    games = 0
    updates: list[Heard] = []
    for path in args.games:
        with GameStore.open(path) as store:
            for summary in store.list_games():
                state = store.load_game(summary.id)
                if not isinstance(state.settings, GameSettings) or not state.settings.topic:
                    continue
                if args.moves:
                    print(f"== {path.name} game {summary.id}, seed {state.settings.seed}")
                updates += count_game(state, counts, args.moves)
                games += 1
    found: dict[str, Any] = {"games": games, **dict(sorted(counts.items()))}
    if args.variants:
        updates = updates[: args.most]
        found["replayed"] = len(updates)
        found["replayed written right"] = replay(updates, args.model, args.variants.split(","),
                                                 args.threads)
    print(json.dumps(found, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
