"""Target 8, start-up: `dictgame` shows its first screen in under a second.

Each run is a fresh process started the way the `dictgame` script starts (the same `main()`
with no arguments), headless, in an empty temporary data folder: the first run creates the
save file, later runs open it. Time runs from just before the process is spawned to the
first refresh after the home screen mounted (CLOCK_MONOTONIC is shared by the processes),
when the process exits. `dictgame --help` is timed the same way, as a whole process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .common import ROOT, log, median, rnd
from .context import BenchContext

NAME = "startup"
LIMIT_S = 1.0

_CHILD = r"""
import json, sys, time
from dictgame.tui.screens import app as app_module
from dictgame.tui.screens import home_screen

def shown():
    print(json.dumps({"shown": time.monotonic()}), flush=True)
    app_module.DictgameApp.__bench_app__.exit()

original_mount = home_screen.HomeScreen.on_mount
def on_mount(self):
    original_mount(self)
    self.call_after_refresh(shown)
home_screen.HomeScreen.on_mount = on_mount

original_init = app_module.DictgameApp.__init__
def init(self, *args, **kwargs):
    original_init(self, *args, **kwargs)
    app_module.DictgameApp.__bench_app__ = self
app_module.DictgameApp.__init__ = init
original_run = app_module.DictgameApp.run
app_module.DictgameApp.run = lambda self, **kw: original_run(self, headless=True, size=(120, 40))

from dictgame.tui.cli import main as cli
cli.refuse_without_terminal = lambda: None  # drawn headless here: no terminal is needed
sys.exit(cli.main([]))
"""


def _env(home: Path) -> dict[str, str]:
    """A fresh home: its own data, logs and an empty config (a config named must exist)."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").touch()
    env = dict(os.environ)
    env.update({
        "DICTGAME_DATA_DIR": str(home / "data"),
        "DICTGAME_CONFIG": str(home / "config.toml"),
        "DICTGAME_LOG_DIR": str(home / "logs"),
    })
    for name in ("DICTGAME_DB", "DICTGAME_BACKEND", "DICTGAME_MODEL", "DICTGAME_SEED"):
        env.pop(name, None)
    return env


def _first_screen(home: Path) -> float:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", _CHILD], cwd=ROOT, env=_env(home),
                          capture_output=True, text=True, timeout=60, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith('{"shown"')]
    if not lines:
        raise RuntimeError(f"no first screen ({done.returncode}): {done.stderr[-600:]}")
    return json.loads(lines[-1])["shown"] - started


def _help(home: Path) -> float:
    script = Path(sys.executable).with_name("dictgame")
    command = [str(script), "--help"] if script.exists() else [sys.executable, "-m", "dictgame.tui.cli.main", "--help"]
    started = time.monotonic()
    subprocess.run(command, env=_env(home), capture_output=True, timeout=60, check=True)
    return time.monotonic() - started


def run(ctx: BenchContext) -> dict[str, Any]:
    runs = 3 if ctx.quick else 4
    log(f"startup: {runs} fresh `dictgame` processes to the first screen, {runs} `dictgame --help`")
    with tempfile.TemporaryDirectory(prefix="dictgame-bench-") as folder:
        home = Path(folder)
        first = [_first_screen(home) for _ in range(runs)]
        helps = [_help(home) for _ in range(runs)]
    typical = median(first)
    return {
        "met": typical < LIMIT_S,
        "first_screen_s_median": rnd(typical),
        "first_screen_s_new_data_folder": rnd(first[0]),
        "first_screen_s_runs": [rnd(x) for x in first],
        "help_s_median": rnd(median(helps)),
        "help_s_runs": [rnd(x) for x in helps],
        "criteria": "median time from spawning `dictgame` to its first screen shown < 1 s",
    }
