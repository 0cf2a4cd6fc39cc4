"""Fine-tuning a GGUF model on its own games and writing it back as GGUF, through the real
`dictgame finetune` and `dictgame iterate` commands on the embedded SmolLM2-135M: a few
training steps on a tiny training set (these machines have 2 shared cores), then the file is
read back by the gguf package, by transformers and by llama.cpp, which plays a game on it."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from test_cli import SCRIPTED, assert_clean_failure, dictgame

pytest.importorskip("peft", reason="needs the extra dictgame[finetune]")
gguf = pytest.importorskip("gguf")

from dictgame.engine.tuning.gguf_out import base_weight, finetune_record, to_gguf_layout  # noqa: E402
from dictgame.models import embedded_model_path  # noqa: E402

pytestmark = pytest.mark.finetune
STEPS = ("--steps", "2", "--lr", "1e-3", "--threads", "2")


def isolated(folder: Path) -> dict[str, str]:
    config = folder / "settings" / "config.toml"
    config.parent.mkdir(exist_ok=True)
    config.touch()  # a config file DICTGAME_CONFIG names must exist
    return {"DICTGAME_DATA_DIR": str(folder / "data"), "DICTGAME_CONFIG": str(config),
            "DICTGAME_LOG_DIR": str(folder / "logs")}


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three transcripts of scripted self-play games that made a deal."""
    folder = tmp_path_factory.mktemp("data")
    db, data = folder / "games.db", folder / "all.jsonl"
    env = {**SCRIPTED, **isolated(folder)}
    assert dictgame("run", "--game", "dealnodeal", "--experiment", "coop", "--db", str(db), env=env).returncode == 0
    made = dictgame("finetune-data", "1", "--filter", "above_avg", "--out", str(data), "--db", str(db), env=env)
    assert made.returncode == 0, made.stderr
    tiny = folder / "tiny.jsonl"
    tiny.write_text("".join(data.read_text("utf-8").splitlines(keepends=True)[:3]), "utf-8")
    return tiny


# Runs a command and prints its peak resident set (KiB) on stderr's last line.
PEAK = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(code)")


@pytest.fixture(scope="module")
def tuned(tiny_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real fine-tune, whose peak memory the check's estimate covers."""
    from dictgame.engine.tuning.memory import needed

    folder = tmp_path_factory.mktemp("tuned")
    out = folder / "tuned.gguf"
    base = Path(embedded_model_path())
    result = subprocess.run(
        [sys.executable, "-c", PEAK, str(Path(sys.executable).parent / "dictgame"), "finetune",
         "--data", str(tiny_data), "--base", str(base), "--out", str(out), "--filter", "above_avg",
         "--seed", "7", *STEPS],
        capture_output=True, text=True, timeout=600, env={**os.environ, **isolated(folder)},
    )
    assert result.returncode == 0, result.stderr
    peak = int(result.stderr.strip().splitlines()[-1]) * 1024
    assert peak < needed(base), (peak, needed(base))
    assert "step 1/2  loss " in result.stdout and "step 2/2  loss " in result.stdout
    assert f"Written {out}" in result.stdout
    assert [p.name for p in folder.iterdir() if p.suffix != ""] == ["tuned.gguf"]  # no leftover .part
    return out


def test_the_tuned_file_is_the_base_with_its_attention_updated_and_a_record(tuned: Path, tiny_data: Path) -> None:
    base_path = embedded_model_path()
    base, new = gguf.GGUFReader(base_path), gguf.GGUFReader(tuned)
    record = finetune_record(tuned)
    assert record["data"] == str(tiny_data.resolve()) and record["filter"] == "above_avg"
    assert record["seed"] == 7 and record["steps"] == 2 and record["rank"] == 8 and record["examples"] == 3
    assert record["base_sha256"] == __import__("hashlib").sha256(Path(base_path).read_bytes()).hexdigest()
    for key in ("tokenizer.chat_template", "tokenizer.ggml.tokens", "tokenizer.ggml.merges", "llama.block_count"):
        assert new.fields[key].contents() == base.fields[key].contents()
    old = {t.name: t for t in base.tensors}
    changed = []
    for tensor in new.tensors:
        before = old[tensor.name]
        if tensor.name.split(".")[-2] in ("attn_q", "attn_k", "attn_v", "attn_output"):
            assert tensor.tensor_type == gguf.GGMLQuantizationType.Q8_0
            difference = abs(base_weight(tensor) - base_weight(before))
            changed.append(difference.mean() > 1e-4)
        else:  # everything LoRA did not touch is the base's, byte for byte
            assert tensor.tensor_type == before.tensor_type and bytes(tensor.data) == bytes(before.data)
    assert len(changed) == 4 * 30 and all(changed)


def test_the_tuned_file_learned_the_training_set_in_llama_cpp_layout(tuned: Path, tiny_data: Path) -> None:
    """transformers reads the tuned GGUF back (undoing llama.cpp's row order as llama.cpp's
    own reader expects it): its loss on the training replies is below the base's, and the
    base's weights in that layout are exactly the GGUF's."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from dictgame.engine.tuning.examples import encode, read_chats

    base_path = Path(embedded_model_path())
    tokenizer = AutoTokenizer.from_pretrained(base_path.parent, gguf_file=base_path.name)
    example = encode(read_chats(tiny_data)[0], tokenizer, 1024)
    losses = {}
    for path in (base_path, tuned):
        model = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name, dtype=torch.float32)
        with torch.no_grad():
            losses[path] = float(model(input_ids=torch.tensor([example.ids]),
                                       labels=torch.tensor([example.labels])).loss)
        if path == base_path:
            tensors = {t.name: t for t in gguf.GGUFReader(path).tensors}
            for layer, name, kind in ((0, "q_proj", "attn_q"), (29, "k_proj", "attn_k")):
                weight = model.get_submodule(f"model.layers.{layer}.self_attn.{name}").weight.detach().numpy()
                gguf_name = f"blk.{layer}.{kind}.weight"
                assert (to_gguf_layout(weight, gguf_name, "llama", 9, 3) == base_weight(tensors[gguf_name])).all()
    assert losses[tuned] < losses[base_path] - 0.05, losses


@pytest.mark.real_model
def test_llama_cpp_loads_the_tuned_file_and_it_plays_a_game(tuned: Path) -> None:
    from dictgame.engine.core.episode import GameMaster, NoSaver, play
    from dictgame.engine.core.game import Result
    from dictgame.engine.games.dealnodeal import DEALNODEAL
    from dictgame.engine.games.dealnodeal.settings import DealSettings
    from dictgame.engine.players.llama import LlamaBackend

    backend = LlamaBackend(n_ctx=2048, n_threads=1)
    try:
        settings = DealSettings.model_validate({
            "counts": (1, 2, 3), "values": ((2, 1, 2), (4, 0, 2)), "objective": "coop",
            "max_messages": 4, "seed": 3, "guided": True,
        })
        state = DEALNODEAL.new_state(settings)
        master = GameMaster(state, (backend.session(tuned), backend.session(tuned)), DEALNODEAL)
        play(master, NoSaver())
    finally:
        backend.close()
    assert master.outcome.result in (Result.SUCCESS, Result.LOSE), master.outcome
    assert state.moves_played >= 2
    for move in state.moves:
        assert move.attempts[-1].completion_tokens > 0
        assert move.message.startswith(("[message] ", "[propose]"))


def test_ctrl_c_stops_training_and_writes_nothing(tiny_data: Path, tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    out = models / "never.gguf"
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "dictgame"), "finetune", "--data", str(tiny_data),
         "--base", str(embedded_model_path()), "--out", str(out), "--steps", "50", "--threads", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ},
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("step 1/50"):
            break
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == f"Stopped by Ctrl+C; nothing was written to {out}."
    assert list(models.iterdir()) == []


def _tiny_gguf(path: Path, architecture: str) -> Path:
    import numpy as np

    writer = gguf.GGUFWriter(path, architecture)
    writer.add_tensor("token_embd.weight", np.zeros((4, 32), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


@pytest.mark.parametrize(
    ("lines", "words"),
    [
        ("", ("has no examples",)),
        ('{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}\n{oops\n',
         ("line 2 is not JSON",)),
        ('{"text": "hello"}\n', ('line 1 has no "messages" list',)),
        ('{"messages": [{"role": "user", "content": "hi"}]}\n', ("no assistant reply",)),
        ('{"messages": [{"role": "robot", "content": "hi"}]}\n', ("role",)),
    ],
)
def test_bad_data_gives_one_line_and_writes_nothing(lines: str, words: tuple[str, ...], tmp_path: Path) -> None:
    data = tmp_path / "data.jsonl"
    data.write_text(lines, "utf-8")
    out = tmp_path / "out.gguf"
    result = dictgame("finetune", "--data", str(data), "--base", str(embedded_model_path()), "--out", str(out))
    assert_clean_failure(result, *words)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.jsonl", "dictgame-home"]


def test_bad_models_and_paths_give_one_line_and_write_nothing(tiny_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.gguf"

    def finetune(base: Path, target: Path = out) -> subprocess.CompletedProcess[str]:
        return dictgame("finetune", "--data", str(tiny_data), "--base", str(base), "--out", str(target))

    assert_clean_failure(finetune(_tiny_gguf(tmp_path / "mamba.gguf", "mamba")),
                         "mamba.gguf is a mamba model", "supports llama, qwen2")
    not_gguf = tmp_path / "notes.gguf"
    not_gguf.write_text("not a model", "utf-8")
    assert_clean_failure(finetune(not_gguf), "notes.gguf as a GGUF model")
    assert_clean_failure(finetune(tmp_path / "missing.gguf"), "no base model")
    base = Path(embedded_model_path())
    assert_clean_failure(finetune(base, base), "--out must be a new file")
    assert_clean_failure(finetune(base, tmp_path / "no" / "out.gguf"), "no folder")
    assert not out.exists()


def test_iterate_runs_the_loop_and_goes_on_where_it_stopped(tmp_path: Path) -> None:
    """Scripted players make the games (they always agree); the fine-tuning is real."""
    db, folder = tmp_path / "loop.db", tmp_path / "loop"
    command = ("iterate", "--model", str(embedded_model_path()), "--games", "10", "--eval-games", "10",
               "--dir", str(folder), "--db", str(db), "--steps", "1", "--threads", "2")
    first = dictgame(*command, env=SCRIPTED, timeout=600)
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("Fine-tuning ") == 1
    table = first.stdout[first.stdout.index("iteration  model"):].splitlines()
    # The games were played by the scripted players, and the table says so (never the model
    # file the loop was given, which played none of them).
    assert table[2].split()[:3] == ["0", "scripted", "10"]
    assert table[3].split()[:3] == ["1", "scripted", "10"]
    # What the model learned from and how its loss went, as its own file records it.
    record = finetune_record(folder / "iteration-1.gguf")
    assert record["selfplay_run"] == 2 and record["base"] == embedded_model_path().name
    assert table[3].endswith(f"{record['examples']} examples (above_avg), loss "
                             f"{record['loss_first']:.2f} -> {record['loss_last']:.2f}")
    # Scripted players do not learn: on the same held-out games the paired gain is nil.
    assert "+0.00 ± 0.00" in table[3]
    again = dictgame(*command, env=SCRIPTED, timeout=600)
    assert again.returncode == 0, again.stderr
    assert "Fine-tuning " not in again.stdout and "Run 1 has these arguments" in again.stdout
    assert again.stdout[again.stdout.index("iteration  model"):].splitlines() == table
    runs = dictgame("runs", "--db", str(db))
    assert len([line for line in runs.stdout.splitlines() if "dealnodeal" in line]) == 3


def test_iterate_learns_from_any_game_with_a_score(tmp_path: Path) -> None:
    """hellogame's scripted greeter welcomes on even seeds only: the successes are the data."""
    db, folder = tmp_path / "loop.db", tmp_path / "loop"
    result = dictgame("iterate", "--game", "hellogame", "--experiment", "en", "--model", str(embedded_model_path()),
                      "--games", "5", "--eval-games", "5", "--dir", str(folder), "--db", str(db),
                      "--steps", "1", "--threads", "2", env=SCRIPTED, timeout=600)
    assert result.returncode == 0, result.stderr
    table = result.stdout[result.stdout.index("iteration  model"):].splitlines()
    assert table[0].split() == ["iteration", "model", "games", "main", "score", "success", "aborted",
                                "gain", "(paired)", "tok/s", "trained", "on"]
    # The same held-out games, and the scripted greeter does not learn: the same figures.
    assert table[2].split()[2:7] == table[3].split()[2:7]
    assert table[2].split()[:2] == ["0", "scripted"] and table[3].split()[:2] == ["1", "scripted"]
    data = (folder / "iteration-1.jsonl").read_text("utf-8").splitlines()
    assert f"{len(data)} example" + "s" * (len(data) != 1) + " (above_avg)" in table[3]
    assert finetune_record(folder / "iteration-1.gguf")["examples"] == len(data)
    # Five games, drawn from the one experiment's five instances: the batch asked for.
    assert table[2].split()[2] == "5" and "Run 1: 5 episodes of Hello Game" in result.stdout
    assert all("welcome" in json.loads(line)["messages"][-1]["content"] for line in data)


def test_iterate_refuses_an_unknown_game_or_experiment(tmp_path: Path) -> None:
    model = str(embedded_model_path())
    assert_clean_failure(dictgame("iterate", "--game", "chess", "--model", model), "no game named 'chess'")
    assert_clean_failure(dictgame("iterate", "--game", "hellogame", "--experiment", "coop", "--model", model),
                         "no experiment named 'coop'")


def finetune_limited(tiny_data: Path, out: Path, limit: int, kind: int) -> subprocess.CompletedProcess[str]:
    """`dictgame finetune` with one of its resource limits set to `limit` bytes."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "dictgame"), "finetune", "--data", str(tiny_data),
         "--base", str(embedded_model_path()), "--out", str(out), "--steps", "1", "--threads", "2"],
        capture_output=True, text=True, timeout=300, env={**os.environ},
        preexec_fn=lambda: resource.setrlimit(kind, (limit, limit)),
    )


def test_too_little_memory_is_refused_before_the_model_loads(tiny_data: Path, tmp_path: Path) -> None:
    from dictgame.engine.tuning.memory import GIB, needed

    need = needed(Path(embedded_model_path()))
    result = finetune_limited(tiny_data, tmp_path / "out.gguf", need - (64 << 20), resource.RLIMIT_AS)
    assert_clean_failure(result, f"needs about {need / GIB:.1f} GiB of memory", "GiB is available",
                         "ulimit -v")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dictgame-home"]


def test_an_allocation_that_fails_during_training_is_one_line_and_writes_nothing(
    tiny_data: Path, tmp_path: Path
) -> None:
    """The check does not read the data-segment limit: under it, loading the model fails."""
    result = finetune_limited(tiny_data, tmp_path / "out.gguf", 900 << 20, resource.RLIMIT_DATA)
    assert_clean_failure(result, "ran out of memory; nothing was written")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dictgame-home"]
