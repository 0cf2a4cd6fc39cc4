"""LoRA fine-tuning of a GGUF model on chat examples, on the CPU (or a GPU when torch sees
one): transformers loads the GGUF weights dequantised, peft adds the low-rank adapters, a
plain loop trains them (so progress and Ctrl+C stay in our hands), and the merged update of
each adapted weight goes to `gguf_out`."""

from __future__ import annotations

import hashlib
import math
import os
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from . import Cancelled, FinetuneError, require_extra
from .examples import Example, encode, read_chats
from .gguf_out import ARCHITECTURES, write_gguf
from .memory import check_memory, out_of_memory

# The attention projections: the adapters of the LoRA paper, and few enough that the output
# file stays close to the base in size and decode speed (changed tensors are stored as Q8_0).
TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj")


@dataclass(frozen=True)
class Hyper:
    """How a model is fine-tuned; stored in the output's metadata."""

    steps: int = 0  # optimizer steps; 0: `epochs` passes over the examples
    epochs: float = 1.0
    lr: float = 2e-4
    rank: int = 8
    alpha: int = 16
    seed: int = 0
    max_tokens: int = 1024  # longer transcripts are cut here


@dataclass(frozen=True)
class Step:
    """Progress of one optimizer step."""

    number: int
    total: int
    loss: float
    seconds_left: float


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def base_architecture(base: Path) -> tuple[str, int, int]:
    """The architecture, head and key-value head counts of a GGUF base, refused early when
    this module cannot write it back."""
    import gguf

    try:
        reader = gguf.GGUFReader(base)
    except (OSError, ValueError) as error:
        raise FinetuneError(f"cannot read {base} as a GGUF model: {error}") from None
    field = reader.fields.get("general.architecture")
    architecture = str(field.contents()) if field else "unknown"
    if architecture not in ARCHITECTURES:
        raise FinetuneError(
            f"the base model {base.name} is a {architecture} model; fine-tuning supports {', '.join(ARCHITECTURES)}"
        )
    heads = int(reader.fields[f"{architecture}.attention.head_count"].contents())
    kv = reader.fields.get(f"{architecture}.attention.head_count_kv")
    return architecture, heads, int(kv.contents()) if kv else heads


def finetune(
    data: Path,
    base: Path,
    out: Path,
    hyper: Hyper,
    record: dict[str, str | int | float],
    on_step: Callable[[Step], None],
    threads: int | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> None:
    """Fine-tune `base` on `data` and write `out`; nothing is written unless all went well.
    `stop` is asked before loading, before each step and before writing: when it says yes
    (another thread's Cancel), `Cancelled` is raised and nothing is written."""
    # transformers' GGUF loader draws a progress bar the step lines replace; tqdm reads this
    # when it is first imported (by gguf, below).
    os.environ.setdefault("TQDM_DISABLE", "1")
    require_extra()
    architecture, heads, kv_heads = base_architecture(base)
    chats = read_chats(data)
    check_memory(base)
    try:
        _finetune(chats, data, base, out, hyper, record, on_step, threads, stop,
                  (architecture, heads, kv_heads))
    except Exception as error:
        if out_of_memory(error):
            raise FinetuneError(f"fine-tuning {base.name} ran out of memory; nothing was written") from None
        raise


def _finetune(
    chats: list[list[dict[str, str]]],
    data: Path,
    base: Path,
    out: Path,
    hyper: Hyper,
    record: dict[str, str | int | float],
    on_step: Callable[[Step], None],
    threads: int | None,
    stop: Callable[[], bool],
    shape: tuple[str, int, int],
) -> None:
    import torch

    if threads:
        torch.set_num_threads(threads)
    random.seed(hyper.seed)
    torch.manual_seed(hyper.seed)
    _check(stop)
    tokenizer, model = _load(base)
    examples = [encode(chat, tokenizer, hyper.max_tokens) for chat in chats]
    examples = [e for e in examples if any(label >= 0 for label in e.labels)]
    if not examples:
        raise FinetuneError(f"no reply of {data.name} fits in {hyper.max_tokens} tokens")
    model = _with_adapters(model, hyper)
    losses = _train(model, examples, hyper, on_step, stop)
    _check(stop)
    updates = _merged_updates(model)
    write_gguf(base, out, updates, *shape, {
        **record,
        "base": base.name,
        "base_sha256": sha256(base),
        "examples": len(examples),
        **loss_ends(losses),
        **asdict(hyper),
    })


def loss_ends(losses: list[float]) -> dict[str, float]:
    """The mean training loss of the first and of the last tenth of the steps (at least one
    step each): whether the model learned its data at all, in two numbers."""
    tenth = max(1, len(losses) // 10)
    return {
        "loss_first": round(sum(losses[:tenth]) / tenth, 4),
        "loss_last": round(sum(losses[-tenth:]) / tenth, 4),
    }


def _check(stop: Callable[[], bool]) -> None:
    if stop():
        raise Cancelled


def _load(base: Path) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        tokenizer = AutoTokenizer.from_pretrained(base.parent, gguf_file=base.name)
        model = AutoModelForCausalLM.from_pretrained(base.parent, gguf_file=base.name, dtype=torch.float32)
    except (ValueError, KeyError, NotImplementedError) as error:
        raise FinetuneError(f"transformers cannot load {base.name} for training: {error}") from None
    if not tokenizer.chat_template:
        raise FinetuneError(f"{base.name} has no chat template to render the examples with")
    return tokenizer, model


def _with_adapters(model: Any, hyper: Hyper) -> Any:
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(
        r=hyper.rank, lora_alpha=hyper.alpha, lora_dropout=0.0,
        target_modules=list(TARGET_MODULES), task_type="CAUSAL_LM",
    )
    return get_peft_model(model, config)


def _train(
    model: Any, examples: list[Example], hyper: Hyper, on_step: Callable[[Step], None],
    stop: Callable[[], bool],
) -> list[float]:
    """One example a step, in a seeded shuffled order, AdamW with linear decay; the loss of
    each step."""
    import torch

    total = hyper.steps or max(1, math.ceil(hyper.epochs * len(examples)))
    order: list[Example] = []
    rng = random.Random(hyper.seed)
    while len(order) < total:
        shuffled = examples[:]
        rng.shuffle(shuffled)
        order.extend(shuffled)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model.to(device)
    model.train()
    trained = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trained, lr=hyper.lr, weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / total)
    started = time.monotonic()
    losses: list[float] = []
    for number, example in enumerate(order[:total], 1):
        _check(stop)
        ids = torch.tensor([example.ids], device=device)
        labels = torch.tensor([example.labels], device=device)
        loss = model(input_ids=ids, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trained, 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        elapsed = time.monotonic() - started
        losses.append(float(loss.item()))
        on_step(Step(number, total, losses[-1], elapsed / number * (total - number)))
    model.eval()
    return losses


def _merged_updates(model: Any) -> dict[str, Any]:
    """Each adapted weight's change, B·A·alpha/rank, as float32 arrays (rows = outputs)."""
    import torch
    from peft.tuners.lora import Linear

    updates = {}
    with torch.no_grad():
        for name, module in model.named_modules():
            if isinstance(module, Linear):
                delta = module.get_delta_weight("default").float().cpu().numpy()
                updates[name.removeprefix("base_model.model.")] = delta
    return updates
