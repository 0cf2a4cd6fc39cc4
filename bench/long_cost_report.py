"""`python -m bench.long_cost_report RESULT.json [...] --markdown docs/long_cost.md`: the
tables of docs/long_cost.md, written from the JSON lines `python -m bench.long_cost` printed
(one run, or its parts run apart: each part's own command, commit and date are kept), so no
figure there is typed by hand.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from .common import short_commit

TITLE = "# Long games stay cheap: the measured figures (issue 25)"


def _last_json(path: Path) -> dict[str, Any]:
    lines = [line for line in path.read_text("utf-8").splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit(f"{path}: no JSON line of bench.long_cost in it")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def _measured_by(result: dict[str, Any]) -> str:
    by = result.get("measured_by") or {}
    return (f"`{by.get('command', 'python -m bench.long_cost')}` at commit "
            f"{short_commit(str(by.get('commit', 'unknown')))}, {by.get('date', '?')}, "
            f"{by.get('machine', '?')}; each player's window {result.get('n_ctx')} tokens, "
            f"{result.get('threads')} thread(s)")


def _step(cell: dict[str, Any], step: str) -> str:
    values = cell.get(step)
    if not values:
        return "-"
    if step == "reply":
        return f"{values['evaluated']:.0f} / {values['generated']:.0f}"
    return f"{values['evaluated']:.0f} / {values['cached']:.0f} / {values['generated']:.0f}"


def moves_table(moves: dict[str, Any]) -> list[str]:
    lines = [
        "Per seat, means over the rounds measured of a cell: the update's prompt tokens "
        "evaluated / found in the player's cache / generated; the reply's evaluated / "
        "generated; the seconds a move took; what a token evaluated and a token generated "
        "cost (ms). The games at rounds 2, 30 and 150 are played side by side, a round of "
        "each in turn, beside a fresh round-2 game as played (`beside` names the size the "
        "row was measured beside; the cores other programs kept busy meanwhile in the last "
        "column).",
        "",
        "| round | grown to | beside | entries A / B | A: update; reply | A: s a move | A: ms a token (eval, gen) "
        "| B: update; reply | B: s a move | B: ms a token (eval, gen) | other cores busy |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in moves["rows"]:
        cells = []
        for seat in "AB":
            cell = row[seat]
            cells += [f"{_step(cell, 'update')}; {_step(cell, 'reply')}", f"{cell['move_seconds']:.2f}",
                      f"{cell['ms_per_evaluated']:.1f}, {cell['ms_per_generated']:.1f}"]
        entries = " / ".join(str(n) for n in row["entries"])
        grown = "as played" if row["grown_to"] is None else str(row["grown_to"])
        beside = "-" if row.get("beside") is None else str(row["beside"])
        lines.append(f"| {row['round']} | {grown} | {beside} | {entries} | " + " | ".join(cells)
                     + f" | {row['other_cores_busy']} |")
    ratios = (
        ("a move at round 150 with 100 entries / round 2 as played (goal <= 1.3)",
         "move_seconds_round150_100_vs_round2"),
        ("the same, against round 2 with 100 entries", "move_seconds_round150_100_vs_round2_100"),
        ("ms a token evaluated, round 150 with 100 entries / round 2 as played",
         "ms_per_evaluated_round150_100_vs_round2"),
        ("ms a token generated, the same", "ms_per_generated_round150_100_vs_round2"),
    )
    lines += ["", "| ratio | A | B |", "| --- | --- | --- |"]
    for label, key in ratios:
        if key in moves:
            lines.append(f"| {label} | {moves[key]['A']:.2f} | {moves[key]['B']:.2f} |")
    lines.append(f"| goal met | {'yes' if moves['met'] else '**no**'} | |")
    return lines


def games_table(games: dict[str, Any]) -> list[str]:
    lines = ["| process | wall seconds | game seconds | peak resident MiB |",
             "| --- | --- | --- | --- |"]
    for name, label in (("game_4", "`dictgame play --headless`, 4 rounds"),
                        ("bare_4", "bare script, 4 rounds"),
                        ("game_16", "`dictgame play --headless`, 16 rounds"),
                        ("bare_16", "bare script, 16 rounds")):
        if name in games:
            g = games[name]
            lines.append(f"| {label} | {g['process_seconds']} | {g['game_seconds']} | "
                         f"{g['peak_rss_mib']:.0f} |")
    lines += [
        "",
        f"- 16 rounds / 4 rounds, wall seconds: the game {games['game_16_vs_4_process_seconds']}x "
        f"(goal <= 4.5), the bare script {games['bare_16_vs_4_process_seconds']}x",
        f"- peak resident memory of the 16-round game above the bare script's: "
        f"{games['peak_rss_above_bare_mib']:+.0f} MiB (goal <= +100)",
        f"- goals met: {'yes' if games['met'] else '**no**'}",
    ]
    return lines


def memory_table(memory: dict[str, Any]) -> list[str]:
    lines = ["| step, in a fresh process | MiB it adds | resident MiB after |", "| --- | --- | --- |"]
    for step in memory["steps"]:
        lines.append(f"| {step['step']} | {step['added_mib']:+.1f} | {step['rss_mib']:.0f} |")
    return lines


def report(results: list[dict[str, Any]]) -> str:
    """The Markdown of every part found in `results` (the last run of a part wins)."""
    parts: dict[str, dict[str, Any]] = {}
    earlier_moves: list[dict[str, Any]] = []
    for result in results:
        if "moves" in result and "moves" in parts:
            earlier_moves.append(parts["moves"])
        for part in ("moves", "games", "memory"):
            if part in result:
                parts[part] = result
    lines = [TITLE, "", "Written by `python -m bench.long_cost_report` from the JSON lines of "
             "`python -m bench.long_cost` (docs/benchmarks.md, \"Long games stay cheap\", says "
             "what is measured and why). SmolLM2-135M Q4_1, the embedded model."]
    for part, title, table in (("moves", "A move late in a long game against an early one", moves_table),
                               ("games", "Whole games, fresh processes", games_table),
                               ("memory", "Where a headless game's memory goes", memory_table)):
        if part in parts:
            result = parts[part]
            lines += ["", f"## {title}", "", f"Measured by {_measured_by(result)}.", ""]
            lines += table(result[part])
            if part == "moves" and earlier_moves:
                lines += ["", "Earlier runs of the same cells (a seeded game evaluates and writes the "
                          "same tokens in every run; only the seconds move):"]
                lines += [f"- {_measured_by(run)}: {_round150_ratio(run['moves'])}"
                          for run in earlier_moves]
    return "\n".join(lines) + "\n"


def _round150_ratio(moves: dict[str, Any]) -> str:
    ratio = moves.get("move_seconds_round150_100_vs_round2") or {}
    met = "met" if moves.get("met") else "not met"
    return (f"a move at round 150 with 100 entries / round 2 as played: A {ratio.get('A')}, "
            f"B {ratio.get('B')} (goal <= 1.3: {met})")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.long_cost_report",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", type=Path, help="files holding long_cost's JSON line")
    parser.add_argument("--markdown", type=Path, help="write here (default: print)")
    args = parser.parse_args()
    text = report([_last_json(path) for path in args.results])
    if args.markdown:
        args.markdown.write_text(text, "utf-8")
    else:
        print(text, end="")


if __name__ == "__main__":
    main()
