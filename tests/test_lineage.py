"""A fine-tuned model says what it was made from (issue 26): the record the fine-tuning
writer puts in its GGUF header is read back by our own header reader, told in one line of
plain words, and shown under the seat's model list in the new-game form and under the
model's row in `dictgame models`; other models show nothing.

The tuned file is written by the fine-tuning code's own writer (engine/tuning/gguf_out.py,
as `finetune`, `iterate` and the runs screen write theirs) from the embedded SmolLM2 with
no weight changed: the header is a real tuned model's, without minutes of training."""

from __future__ import annotations

import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
import test_tui_support as support
from test_cli import dictgame
from test_first_use_form import SIZE, open_form
from test_models import gguf_file, gguf_string, kv_string, kv_u32
from test_tui_person import choose
from test_tui_support import wait_until
from textual.widgets import Select

from dictgame.engine.scripted import ScriptedBackend
from dictgame.engine.tuning.gguf_out import finetune_record, write_gguf
from dictgame.engine.tuning.train import Hyper, base_architecture, sha256
from dictgame.models import embedded_model_path, read_model_info
from dictgame.tui.screens.app import DictgameApp
from dictgame.tui.services.config import DictgameConfig
from dictgame.tui.services.lineage import lineage_line
from dictgame.tui.services.model_names import model_title
from dictgame.tui.widgets.model_lineage import ModelLineage

config = support.config
BASE = Path(embedded_model_path())


@pytest.fixture(scope="module")
def record(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str | int | float]:
    """What `dictgame iterate` records of its first iteration (tui/cli/iterate.py), with
    what train.py adds: the base, its sha256, the examples kept, the losses, the settings."""
    data = tmp_path_factory.mktemp("loop") / "iteration-1.jsonl"
    return {
        "data": str(data), "filter": "above_avg", "iteration": 1, "selfplay_run": 3,
        "base": BASE.name, "base_sha256": sha256(BASE), "examples": 12,
        "loss_first": 2.3141, "loss_last": 1.0263, **asdict(Hyper(steps=24, seed=7)),
    }


@pytest.fixture(scope="module")
def tuned(record: dict[str, str | int | float], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tuned") / "iteration-1.gguf"
    write_gguf(BASE, out, {}, *base_architecture(BASE), record)
    return out


def test_the_header_reader_reads_the_lineage_the_fine_tuning_writer_wrote(
    tuned: Path, record: dict[str, str | int | float]
) -> None:
    """Our reader (no `gguf` package) against the `gguf` package's view of the same file."""
    lineage = read_model_info(tuned).lineage
    assert dict(lineage) == record == finetune_record(tuned)
    assert read_model_info(BASE).lineage == {}


def test_a_lineage_string_too_long_for_a_name_is_left_out_and_the_model_still_reads(
    tmp_path: Path,
) -> None:
    path = tmp_path / "odd.gguf"
    path.write_bytes(gguf_file([
        kv_string("general.architecture", "llama"),
        kv_string("dictgame.finetune.base", "x" * 5000),
        kv_u32("dictgame.finetune.examples", 12),
        kv_string("dictgame.finetune.filter", "above_avg"),
        kv_string("general.author", "not a lineage"),
        gguf_string("dictgame.finetune.data") + b"\x08\x00\x00\x00" + gguf_string("d.jsonl"),
    ]))
    info = read_model_info(path)
    assert info.lineage == {"examples": 12, "filter": "above_avg", "data": "d.jsonl"}
    assert lineage_line(info.lineage) == "fine-tuned on 12 examples (above_avg filter) from d.jsonl"


def test_the_lineage_line_says_what_the_record_holds_and_nothing_more(
    record: dict[str, str | int | float],
) -> None:
    sha = str(record["base_sha256"])[:8]
    assert lineage_line(record) == (
        f"fine-tuned from {BASE.name} (sha256 {sha}…) on 12 examples (above_avg filter) of "
        "self-play run 3, iteration 1; training loss 2.31 to 1.03"
    )
    # The runs screen names the game; `dictgame finetune` has a data file, no run, no
    # iteration; an older file has no base name and no losses.
    runs_screen = {**record, "game": "dealnodeal"}
    del runs_screen["iteration"]
    assert "of self-play run 3 of Deal or No Deal; training" in lineage_line(runs_screen)
    by_hand = {key: record[key] for key in ("base_sha256", "examples", "data")}
    assert lineage_line(by_hand) == (
        f"fine-tuned from a base of sha256 {sha}… on 12 examples from iteration-1.jsonl"
    )
    assert lineage_line({"examples": 1, "filter": "above\navg"}) == (
        "fine-tuned on 1 example (above avg filter)"  # one line, whatever the file holds
    )
    assert lineage_line({}) == ""


def test_dictgame_models_prints_a_tuned_models_lineage_under_its_row(
    tuned: Path, record: dict[str, str | int | float], tmp_path: Path
) -> None:
    db = tmp_path / "study" / "games.db"
    (db.parent / "finetuned").mkdir(parents=True)
    shutil.copyfile(tuned, db.parent / "finetuned" / "run-3-above_avg.gguf")
    listed = dictgame("models", "--db", str(db))
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    (row,) = [i for i, line in enumerate(lines) if line.split()[:1] == ["run-3-above_avg"]]
    assert lines[row + 1] == f"    {lineage_line(record)}"
    assert lines[row + 1].startswith(f"    fine-tuned from {BASE.name} (sha256 ")
    (embedded,) = [i for i, line in enumerate(lines) if line.split()[1:2] == [model_title(BASE)]]
    assert "fine-tuned" not in lines[embedded + 1]


async def test_the_form_says_what_the_chosen_tuned_model_was_made_from(
    tuned: Path, config: DictgameConfig
) -> None:
    copy = config.db.parent / "finetuned" / "run-3-above_avg.gguf"
    copy.parent.mkdir(parents=True)
    shutil.copyfile(tuned, copy)
    llama = config.model_copy(update={"backend": "llama"})  # the form looks for models
    app = DictgameApp(llama, backend=ScriptedBackend())
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, app)
        select = form.query_one("#model-a", Select)
        await wait_until(pilot, lambda: len(select._options) > 2)
        notes = [form.query_one(f"#lineage-{suffix}", ModelLineage) for suffix in "ab"]
        assert not any(note.display for note in notes)  # the embedded model: nothing
        labels: dict[str, Any] = {str(value): str(label) for label, value in select._options}
        await choose(pilot, select, labels[str(copy.resolve())])
        await wait_until(pilot, lambda: notes[0].display)
        shown = str(notes[0].content)
        assert f"from {BASE.name} (sha256 " in shown
        assert "on 12 examples (above_avg filter) of self-play run 3, iteration 1" in shown
        assert notes[0].region.height > 0 and not notes[1].display
        await choose(pilot, select, labels[""])
        await wait_until(pilot, lambda: not notes[0].display)
