"""Game quality (issues 9 and 21): does a model learn, and how near the ceiling?

Plays each row's seeded games (5 seeds unless `--seeds`) through the one episode loop and
reads every game with `learning_of`, the figures the game stores and exports: per third of
the game the success beside the perfect-learner ceiling on the same scenes and messages,
and per player the steps where learning is lost (named its target, heard word known, entry
right, guess followed it, writes right / wrong / refused). The rows, as issue 21 names them:

- invented_memory: 4 things a scene, 12 concepts, feedback `reveal`, 40 rounds, each
  player's memory on (what a new invented game plays; `invented`: memory off);
- scenes: English / Spanish, 4 things, 20 rounds;
- free: English / Spanish, 10 rounds, with a topic (what a new free game plays).

Figures are pooled over the seeds (rounds summed, not rates averaged), and the goals are
checked on the pooled figures. Each game's result is also written, as it ends, as one JSON
line to `--out` (so a long run's finished games survive a kill).

Alone: `python -m bench.quality [--quick] [--model PATH [--no-embedded]] [--only invented,scenes]
[--seeds 5] [--threads N] [--out games.jsonl]`. The 1.5B Qwen of `../shared/MODELS.md`:
`--model "$(python -m bench.larger_model | tail -1)"`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

from dictgame.engine.backend import DEFAULT_CONTEXT_TOKENS
from dictgame.engine.games.dictionary.game import new_game_values
from dictgame.engine.games.dictionary.settings import GameSettings

from .common import log, provenance, rnd
from .context import BenchContext

NAME = "quality"
N_CTX = DEFAULT_CONTEXT_TOKENS  # what a player gets by default
ROWS: dict[str, dict[str, Any]] = {
    "invented": {"mode": "invented", "rounds": 40, "feedback": "reveal", "concept_slice": 12,
                 "scene_size": 4},
    "scenes": {"mode": "scenes", "rounds": 20, "scene_size": 4},
    "free": {"mode": "free", "rounds": 10, "topic": True},
}
# Issue 21's question whether memory helps a grounded game: the invented row with each
# player's memory on (the guess prompt then starts with the rounds remembered of the word
# heard); `invented` keeps it off. The row a new game plays is measured by default and
# judged by the invented goals (INVENTED, below).
ROWS["invented_memory"] = {**ROWS["invented"], "memory": True}
# The same with the update after a guess showing only the heard word's entry, not the whole
# dictionary (settings.update_shows): what a grounded move evaluates anew was mostly that
# listing on the 1.5B Qwen (bench.move_cost), so this row asks whether it costs less and
# learns as well.
ROWS["invented_memory_heard"] = {**ROWS["invented_memory"], "update_shows": "heard"}

# A row's rules, counted up when a change to the game makes the row's earlier games another
# measurement: the report pools only the games of a row's current rules (a line without
# `rules` played the first), and earlier ones still time the moves of the rows played
# beside them. free 2: the topic update offers each capitalised word in lower case too.
ROW_RULES: dict[str, int] = {"free": 2}


# The settings the rows differ by (rounds aside: a quick run plays fewer).
ROW_KEYS = sorted({key for values in ROWS.values() for key in values} - {"rounds"})


def row_of(settings: Any) -> str:
    """The row a game played: the row whose settings are the game's (so a new row needs no
    name rule anywhere), else the game's mode, marked as of no row."""
    if isinstance(settings, GameSettings):
        for name, values in ROWS.items():
            row = GameSettings(**values)
            if all(getattr(row, key) == getattr(settings, key) for key in ROW_KEYS):
                return name
    return f"{getattr(settings, 'mode', '?')} (settings of no row)"


def _row_a_new_game_plays() -> str:
    """The invented row whose settings are what a new invented game sets
    (game.new_game_values: memory, the update's listing), so the row measured by default is
    the game a person starts, not a name chosen beside that decision."""
    row = row_of(GameSettings(**{**ROWS["invented"], **new_game_values("invented")}))
    if row not in ROWS:
        raise LookupError(f"no bench.quality row plays a new invented game: {row}")
    return row


INVENTED = _row_a_new_game_plays()
CANDIDATES = ("invented_memory_heard",)
DEFAULT_ROWS = (INVENTED, "scenes", "free")
QUICK_ROUNDS = {"invented": 12, "scenes": 8, "free": 4, "invented_memory": 12,
                "invented_memory_heard": 12}
FIRST_SEED = 101
SPARK = " ▁▂▃▄▅▆▇█"


def spark(values: list[float]) -> str:
    return "".join(SPARK[min(8, round(v * 8))] for v in values)


def play_game(model: Path, values: dict[str, Any], n_threads: int,
              save: Path | None = None) -> dict[str, Any]:
    """One seeded game on `model` in both seats, read as the game stores and exports it;
    with `save`, stored there too, so its moves can be read (or the game opened in dictgame)."""
    from dictgame.engine.core.episode import GameMaster, NoSaver, play
    from dictgame.engine.games.dictionary.learning import learning_of
    from dictgame.engine.games.dictionary.settings import GameSettings
    from dictgame.engine.games.dictionary.state import GameState
    from dictgame.engine.games.dictionary.truth import final_truth
    from dictgame.engine.players.llama import LlamaBackend

    settings = GameSettings(**values)
    if save is not None:  # the stored game says which model played each seat
        settings = settings.model_copy(update={"players": tuple(
            p.model_copy(update={"model": str(model)}) for p in settings.players)})
    backend = LlamaBackend(n_ctx=N_CTX, n_threads=n_threads)
    store = None
    try:
        state = GameState(settings)
        master = GameMaster(state, (backend.session(model), backend.session(model)))
        saver: Any = NoSaver()
        if save is not None:
            from dictgame.engine.core.provenance import SeatPlayer
            from dictgame.models.digest import file_sha256
            from dictgame.saves.store import GameStore
            from dictgame.tui.services.locations import digest_cache

            store = GameStore.open(save)
            player = SeatPlayer(kind="llama.cpp", model=model.name,
                                sha256=file_sha256(model, digest_cache()), chat_format="template")
            saver = store.saver(store.create_game(settings), (player, player))
        started = time.perf_counter()
        play(master, saver)
        seconds = time.perf_counter() - started
    finally:
        backend.close()
        if store is not None:
            store.close()
    later = state.records[1:]  # the first move opens the game: no guess, no update
    result: dict[str, Any] = {
        "seed": settings.seed,
        "rounds": settings.rounds,
        "seconds": rnd(seconds, 1),
        "seconds_per_move": rnd(statistics.fmean(m.seconds for m in later), 3),
        "violated_moves": sum(1 for m in state.records if m.violated),
    }
    learning = learning_of(state)
    if learning is None:
        truth = final_truth(state)
        judge_pairs = truth.common if truth is not None else None
        result.update(
            common_pairs=len(state.common),
            common_covered=judge_pairs.covered if judge_pairs is not None else 0,
            common_right=judge_pairs.right if judge_pairs is not None else 0,
        )
        return result
    result["success"] = [int(r.success) for r in learning.rounds]
    result["ceiling"] = [rnd(r.ceiling, 3) for r in learning.rounds]
    result["thirds"] = {
        str(part): [sum(r.success for r in chosen), rnd(sum(r.ceiling for r in chosen), 3),
                    len(chosen)]
        for part in (1, 2, 3)
        if (chosen := [r for r in learning.rounds if _third(r.round, settings.rounds) == part])
    }
    result["seats"] = [_seat_figures(seat) for seat in learning.seats]
    return result


def _third(round_: int, rounds: int) -> int:
    from dictgame.engine.games.dictionary.learning import third_of

    return third_of(round_, rounds)


def _seat_figures(seat: Any) -> dict[str, Any]:
    names = ("guesses", "right", "spoke", "named_target", "heard_known", "entry_right",
             "followed", "followed_right", "update_steps", "refused_steps", "update_reprompts",
             "writes_right", "writes_wrong", "removed_right", "removed_wrong", "refused",
             "lessons", "lessons_kept")
    figures: dict[str, Any] = {name: getattr(seat, name) for name in names}
    figures["ceiling"] = rnd(seat.ceiling, 3)
    figures["refused_reasons"] = dict(seat.refused_reasons)
    return figures


def pooled(games: list[dict[str, Any]]) -> dict[str, Any]:
    """A row's figures over its seeds: rounds and steps summed, then divided."""
    if not games:
        return {}
    out: dict[str, Any] = {
        "games": len(games),
        "seconds_per_move": rnd(statistics.fmean(g["seconds_per_move"] for g in games), 3),
        "violated_moves": sum(g["violated_moves"] for g in games),
    }
    if "thirds" not in games[0]:
        covered = sum(g["common_covered"] for g in games)
        out.update(
            common_right_per_game=rnd(statistics.fmean(g["common_right"] for g in games), 2),
            common_right=[g["common_right"] for g in games],
            common_precision_covered=rnd(
                sum(g["common_right"] for g in games) / covered, 3) if covered else None,
        )
        return out
    for part in ("1", "2", "3"):
        right = sum(g["thirds"][part][0] for g in games if part in g["thirds"])
        ceiling = sum(g["thirds"][part][1] for g in games if part in g["thirds"])
        rounds = sum(g["thirds"][part][2] for g in games if part in g["thirds"])
        if rounds:
            out[f"success_third_{part}"] = rnd(right / rounds, 3)
            out[f"ceiling_third_{part}"] = rnd(ceiling / rounds, 3)
    if out.get("ceiling_third_3"):
        out["third_3_of_ceiling"] = rnd(out["success_third_3"] / out["ceiling_third_3"], 3)
    if "success_third_1" in out and "success_third_3" in out:
        out["rise_points"] = rnd(100 * (out["success_third_3"] - out["success_third_1"]), 1)
    seats = [s for g in games for s in g["seats"]]
    totals = {k: sum(s[k] for s in seats) for k in seats[0] if k != "refused_reasons"}
    steps = totals["update_steps"]
    out["refused_update_steps"] = rnd(totals["refused_steps"] / steps, 3) if steps else None
    out["totals"] = totals
    reasons: dict[str, int] = {}
    for seat in seats:
        for why, count in seat["refused_reasons"].items():
            reasons[why] = reasons.get(why, 0) + count
    out["refused_reasons"] = reasons
    return out


def _report(model: str, row: str, game: dict[str, Any]) -> None:
    head = (f"  {model} {row} seed {game['seed']}: {game['seconds']}s, "
            f"{game['seconds_per_move']}s a move, {game['violated_moves']} violated moves")
    if "success" in game:
        thirds = " / ".join(f"{t[0]}/{t[2]} (ceiling {t[1]:.1f})" for t in game["thirds"].values())
        log(f"{head}\n    success {''.join(map(str, game['success']))}  thirds {thirds}"
            f"\n    ceiling {spark(game['ceiling'])}")
    else:
        log(f"{head}; right common pairs {game['common_right']} of {game['common_covered']} "
            f"covered ({game['common_pairs']} common)")


def goals(rows: dict[str, dict[str, Any]], large: bool) -> dict[str, Any]:
    """Issue 21's goals for this model, on the pooled figures: the embedded SmolLM2's, or
    (`large`) the 1.5B Qwen's."""
    scenes, free = rows.get("scenes", {}), rows.get("free", {})
    # The invented rows measured beside the one a new game plays.
    other = [row for row in ROWS if row.startswith("invented") and row in rows
             and row != INVENTED]
    found: dict[str, Any] = {}
    # Judged by the invented goals: the row a new game plays, and a candidate to replace it.
    for name in (INVENTED, *(row for row in CANDIDATES if row in other)):
        invented = rows.get(name, {})
        found[f"{name}_third_3_of_ceiling>={0.9 if large else 0.7}"] = invented.get(
            "third_3_of_ceiling")
        found[f"{name}_refused_update_steps<=0.05"] = invented.get("refused_update_steps")
        if large:
            found[f"{name}_rise_points>=25"] = invented.get("rise_points")
    if large:
        first, last = scenes.get("success_third_1"), scenes.get("success_third_3")
        found["scenes_third_3_minus_third_1>=0"] = (
            rnd(last - first, 3) if first is not None and last is not None else None)
        found["scenes_success_third_3>=0.9"] = last
        found["free_common_right_per_game>=5"] = free.get("common_right_per_game")
        found["free_common_precision_covered>=0.8"] = free.get("common_precision_covered")
    free_move = free.get("seconds_per_move")
    for name in (INVENTED, "scenes", *other):
        move = rows.get(name, {}).get("seconds_per_move")
        found[f"{name}_round_cost_vs_free_move<=1.5"] = (
            rnd(move / free_move, 3) if move and free_move else None)
    return found


def _met(found: dict[str, Any]) -> bool | None:
    verdicts = []
    for rule, value in found.items():
        if value is None:
            continue
        bound = float(rule.split("=")[-1])
        verdicts.append(value <= bound if "<=" in rule else value >= bound)
    return all(verdicts) if verdicts else None


def measure(model: Path, names: tuple[str, ...], seeds: int, n_threads: int, quick: bool,
            out: Path | None, first_seed: int = FIRST_SEED,
            save: Path | None = None) -> dict[str, Any]:
    """Play each row's seeded games, seed by seed across the rows (seed 101 of every row,
    then 102, ...), so a change in the machine's load over a long run falls on every row
    alike and the rows' seconds a move compare side by side."""
    games: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    played_by = provenance("quality")
    for seed in range(first_seed, first_seed + seeds):
        for name in names:
            values = {**ROWS[name], "seed": seed}
            if quick:
                values["rounds"] = QUICK_ROUNDS[name]
            game = play_game(model, values, n_threads, save)
            _report(model.name, name, game)
            games[name].append(game)
            if out is not None:
                with out.open("a", encoding="utf-8") as file:
                    file.write(json.dumps({"model": model.name, "row": name,
                                           "rules": ROW_RULES.get(name, 1), **game,
                                           **played_by}) + "\n")
    rows = {name: pooled(played) for name, played in games.items()}
    for name, figures in rows.items():
        log(f"  {model.name} {name} pooled over {len(games[name])} seeds: "
            + json.dumps({k: v for k, v in figures.items() if k != "totals"}))
    return rows


def run(ctx: BenchContext, only: tuple[str, ...] | None = None, embedded: bool = True,
        seeds: int = 5, out: Path | None = None, first_seed: int = FIRST_SEED,
        save: Path | None = None) -> dict[str, Any]:
    """Measure the embedded model (unless `embedded` is false) and `ctx.other_model` if given."""
    models = [*([ctx.model] if embedded else []), *([ctx.other_model] if ctx.other_model else [])]
    seeds = min(seeds, 2) if ctx.quick else seeds
    result: dict[str, Any] = {"models": {}}
    met = []
    for model in models:
        large = model != ctx.model
        names = only or DEFAULT_ROWS
        log(f"quality: {model.name}: {', '.join(names)}, {seeds} seeds"
            f"{' (quick)' if ctx.quick else ''}")
        rows = measure(model, names, seeds, ctx.n_threads, ctx.quick, out, first_seed, save)
        found = goals(rows, large=large)
        result["models"][model.name] = {"rows": rows, "goals": found, "met": _met(found)}
        met.append(_met(found))
    result["met"] = None if all(m is None for m in met) else all(m is not False for m in met)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quality",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--model", type=Path, help="a second GGUF to measure beside the embedded one")
    parser.add_argument("--only", help="comma-separated rows: " + ", ".join(ROWS))
    parser.add_argument("--seeds", type=int, default=5, help="seeded games a row (default 5)")
    parser.add_argument("--first-seed", type=int, default=FIRST_SEED,
                        help=f"the first seed of each row (default {FIRST_SEED}): finish a run "
                        "stopped part-way, appending to the same --out")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--out", type=Path, help="append each game's result as a JSON line")
    parser.add_argument("--save", type=Path,
                        help="also store each game in this saved-games file (read its moves "
                        "with `dictgame --db FILE`, `dictgame export`)")
    parser.add_argument("--no-embedded", action="store_true",
                        help="measure only the --model GGUF, not the embedded one beside it")
    args = parser.parse_args(argv)
    if args.no_embedded and not args.model:
        parser.error("--no-embedded needs --model")
    only = tuple(args.only.split(",")) if args.only else None
    if only and not set(only) <= set(ROWS):
        parser.error(f"--only: rows are {', '.join(ROWS)}")
    ctx = BenchContext(quick=args.quick, selected=(NAME,), other_model=args.model)
    if args.threads:
        ctx.n_threads = args.threads
    result = run(ctx, only, embedded=not args.no_embedded, seeds=args.seeds, out=args.out,
                 first_seed=args.first_seed, save=args.save)
    print(json.dumps(result, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
