"""The quality bench's figures as a Markdown page, written from the games it stored.

`python -m bench.quality ... --out games.jsonl` appends one JSON line per game as it ends,
with the commit, date, machine and command that played it; this reads such files, pools
each model's rows over their seeds (as `bench.quality.pooled`), checks issue 21's goals and
writes the page, so no figure in it is typed by hand:

`python -m bench.quality_report games.jsonl [more.jsonl] --markdown docs/quality.md`
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any

from .common import rnd, short_commit
from .quality import ROW_RULES, _met, goals, pooled

# Moves of rows measured in different runs are compared across them: the cost goal holds
# only where both rows of a model come from one run on an equally loaded machine.
LARGE = "qwen"  # a model file whose name holds this is held to the 1.5B Qwen's goals
ROW_TITLES = {
    "invented": "invented, 4 things, 12 concepts, `reveal`, 40 rounds",
    "scenes": "scenes, English / Spanish, 4 things, 20 rounds",
    "free": "free, English / Spanish, topic, 10 rounds",
    "invented_memory": "invented as above, each player's memory on",
    "invented_memory_heard": "invented with memory, the update showing the heard word's entry only",
}


def read_games(paths: list[Path]) -> list[dict[str, Any]]:
    games = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                games.append(json.loads(line))
    return games


def by_model(games: list[dict[str, Any]]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    found: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for game in games:
        found.setdefault(game["model"], {}).setdefault(game["row"], []).append(game)
    return found


# What a game line holds beside its figures: how long it took, and the run that played it.
NOT_FIGURES = ("seconds", "seconds_per_move", "commit", "date", "machine", "command")


def distinct(games: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The games, each replay counted once: llama.cpp plays a seed the same way again on the
    same build and machine (each run plays its own free games to time its rows beside), and
    a game of the same row and seed with every figure the same, move by move, is that game
    again, not a second measurement of the model."""
    seen: set[str] = set()
    found = []
    for game in games:
        key = json.dumps({k: v for k, v in game.items() if k not in NOT_FIGURES}, sort_keys=True)
        if key not in seen:
            seen.add(key)
            found.append(game)
    return found


def of_current_rules(row: str, games: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A row's games played by its current rules (bench.quality.ROW_RULES): games of earlier
    rules measured another game, so they do not count toward the row's figures."""
    return [g for g in games if g.get("rules", 1) == ROW_RULES.get(row, 1)]


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def seeds_text(seeds: list[int]) -> str:
    """How many seeds, and which: a range where they run on, else each; and how many games,
    where runs played a seed more than once (each run measures its rows beside its own free
    games, and every game played is pooled)."""
    unique = sorted(set(seeds))
    if unique == list(range(unique[0], unique[0] + len(unique))):
        text = f"{len(unique)} ({unique[0]}-{unique[-1]})"
    else:
        text = f"{len(unique)} ({', '.join(map(str, unique))})"
    return text if len(unique) == len(seeds) else f"{text}, {len(seeds)} games"


def row_line(row: str, figures: dict[str, Any], seeds: list[int]) -> str:
    if row == "free":
        return (f"| {ROW_TITLES[row]} | {seeds_text(seeds)} | right common pairs "
                f"a game {figures['common_right_per_game']} ({', '.join(map(str, figures['common_right']))}); "
                f"precision over covered {figures['common_precision_covered'] or '- (none covered)'} | "
                f"{figures['seconds_per_move']} s |")
    thirds = " / ".join(
        f"{_pct(figures.get(f'success_third_{p}'))} ({_pct(figures.get(f'ceiling_third_{p}'))})"
        for p in ("1", "2", "3"))
    return (f"| {ROW_TITLES[row]} | {seeds_text(seeds)} | {thirds}; last third "
            f"{_pct(figures.get('third_3_of_ceiling'))} of the ceiling; refused update steps "
            f"{_pct(figures.get('refused_update_steps'))} | {figures['seconds_per_move']} s |")


def steps_lines(model: str, rows: dict[str, Any]) -> list[str]:
    """Where each grounded row's learning is lost, both players and all seeds together."""
    lines = [f"| {model}: row | named own target | heard word known (entry right) | guess "
             "followed the entry (right) | writes right / wrong / refused | lessons kept |",
             "| --- | --- | --- | --- | --- | --- |"]
    for row, figures in rows.items():
        t = figures.get("totals")
        if not t:
            continue
        lines.append(
            f"| {row} | {t['named_target']} of {t['spoke']} | {t['heard_known']} of "
            f"{t['guesses']} ({t['entry_right']}) | {t['followed']} ({t['followed_right']}) | "
            f"{t['writes_right']} / {t['writes_wrong']} / {t['refused']} | "
            f"{t['lessons_kept']} of {t['lessons']} |")
    return lines


def run_of(game: dict[str, Any]) -> tuple[str, str, str, str]:
    """The run that played a game: its commit, day, machine and command."""
    return (game.get("commit", "?"), game.get("date", "?"), game.get("machine", "?"),
            game.get("command", "?"))


def beside_free(
    rows: dict[str, list[dict[str, Any]]], grounded: str
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Each game of a grounded row with the free game of the same seed that the same run
    played (a run plays a seed's rows one after the other), so their moves' cost compares
    under the same machine and load (issue 21's goal says side by side): rows of different
    runs, days or machines apart, measured 2.4x on one machine what they measured 1.1x on
    another. Runs that split the seeds between them (two at once, one a core) pair up seed
    by seed; a grounded game no free game stood beside is left out."""
    free = {(g["seed"], run_of(g)): g for g in rows.get("free", [])}
    return [(g, free[(g["seed"], run_of(g))]) for g in rows.get(grounded, [])
            if (g["seed"], run_of(g)) in free]


def paired_cost(pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> float | None:
    """A grounded row's move against the free moves played beside it (`beside_free`), not
    against every free game stored: free games of other runs, on other machines, would weigh
    in seconds measured under another load. None where no game of the row was played beside
    one."""
    if not pairs:
        return None
    move = statistics.fmean(g["seconds_per_move"] for g, _ in pairs)
    return rnd(move / statistics.fmean(f["seconds_per_move"] for _, f in pairs), 3)


def page(games: list[dict[str, Any]]) -> str:
    out = ["# Game quality: learning against its ceiling (issue 21)", "",
           "Written by `python -m bench.quality_report bench/results/quality-*.jsonl --markdown",
           "docs/quality.md` from the games `python -m bench.quality` stored (its `--out` lines);",
           "each row is pooled over its seeds (rounds summed), a game replayed move for move",
           "by another run (the same seed and figures) counted once. Success by third of the",
           "game, with the perfect learner's ceiling on the same scenes and messages in",
           "parentheses (it writes down every pair the game master reveals and uses it; an",
           "unseen word is a blind guess, 1 in 4).", ""]
    runs = sorted({run_of(g) for g in games})
    out.append("Measured by:")
    out += [f"- `{command}` at commit {short_commit(commit)}, {date}, {machine}"
            for commit, date, machine, command in runs]
    for model, rows in by_model(games).items():
        # In the order of ROW_TITLES, whatever order the files hold the games in.
        current = {row: of_current_rules(row, games) for row, games in rows.items()}
        played = {row: distinct(current[row]) for row in ROW_TITLES if current.get(row)}
        earlier = {row: len(rows[row]) - len(current[row]) for row in rows}
        pooled_rows = {row: pooled(games) for row, games in played.items()}
        found = goals(pooled_rows, large=LARGE in model.lower())
        out += ["", f"## {model}", "", "| row | seeds | success by third (ceiling) | a move |",
                "| --- | --- | --- | --- |"]
        for row, figures in pooled_rows.items():
            seeds = sorted(g["seed"] for g in played[row])
            out.append(row_line(row, figures, seeds))
        for row, count in earlier.items():
            if count:
                out += ["", f"Left out of the {row} row: {count} games played by its earlier "
                        f"rules (bench.quality.ROW_RULES, now {ROW_RULES.get(row, 1)}); they "
                        "still time the moves of the rows their runs played beside them."]
        out += ["", *steps_lines(model, pooled_rows), "", "| goal | figure | met |",
                "| --- | --- | --- |"]
        for rule, value in found.items():
            verdict = "not measured" if value is None else (
                "met" if _met({rule: value}) else "**not met**")
            grounded = rule.partition("_round_cost")[0]
            pairs = beside_free(rows, grounded) if grounded != rule else []
            if (beside := paired_cost(pairs)) is not None:
                value, verdict = beside, "met" if _met({rule: beside}) else "**not met**"
                if len(pairs) < len(rows[grounded]):
                    verdict += (f", on the {len(pairs)} of its {len(rows[grounded])} games "
                                "played beside free talk")
            elif value is not None and grounded != rule:
                # Seconds of different runs, machines or loads apart: no figure to show.
                value, verdict = None, "not judged: the two rows were measured in different runs"
            out.append(f"| `{rule}` | {value if value is not None else '-'} | {verdict} |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quality_report",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("games", type=Path, nargs="+", help="JSON lines of bench.quality --out")
    parser.add_argument("--markdown", type=Path, help="write the page here (default: print it)")
    args = parser.parse_args(argv)
    text = page(read_games(args.games))
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")
    else:
        print(text, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
