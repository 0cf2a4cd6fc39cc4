"""The training examples: chat transcripts (`{"messages": [{"role", "content"}, ...]}` per
line, as `dictgame finetune-data` writes them), rendered with the base model's own chat
template, the loss counted only on the assistant's replies."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import FinetuneError

ROLES = ("system", "user", "assistant")
IGNORED = -100  # the label PyTorch's cross-entropy skips


@dataclass(frozen=True)
class Example:
    """One transcript as token ids, and the labels the loss is counted on."""

    ids: list[int]
    labels: list[int]


def read_chats(path: Path) -> list[list[dict[str, str]]]:
    """The chats of a JSONL file; a malformed or empty file is one clear error."""
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise FinetuneError(f"cannot read the data file {path}: {error}") from None
    chats = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        chats.append(_chat(line, f"{path.name}, line {number}"))
    if not chats:
        raise FinetuneError(f"the data file {path} has no examples")
    return chats


def _chat(line: str, where: str) -> list[dict[str, str]]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise FinetuneError(f"{where} is not JSON: {error.msg}") from None
    messages = record.get("messages") if isinstance(record, dict) else None
    if not isinstance(messages, list) or not messages:
        raise FinetuneError(f'{where} has no "messages" list')
    for message in messages:
        if not (isinstance(message, dict) and message.get("role") in ROLES
                and isinstance(message.get("content"), str)):
            raise FinetuneError(f"{where}: each message needs a role ({', '.join(ROLES)}) and a text content")
    if not any(m["role"] == "assistant" for m in messages):
        raise FinetuneError(f"{where} has no assistant reply to learn from")
    return [{"role": m["role"], "content": m["content"]} for m in messages]


def encode(chat: list[dict[str, str]], tokenizer: Any, max_tokens: int) -> Example:
    """The chat as the model sees it at play time; each reply is labelled from the first
    token after the template's assistant header to its end-of-turn mark, so the model learns
    to answer and to stop, not to write the prompts."""
    ids: list[int] = []
    labels: list[int] = []
    shown = ""
    for index, message in enumerate(chat):
        if message["role"] == "assistant":
            header = _render(tokenizer, chat[:index], generation_prompt=True)
            _extend(ids, labels, tokenizer, _after(shown, header), learn=False)
            shown = header
        text = _render(tokenizer, chat[: index + 1], generation_prompt=False)
        _extend(ids, labels, tokenizer, _after(shown, text), learn=message["role"] == "assistant")
        shown = text
    return Example(ids[:max_tokens], labels[:max_tokens])


def _render(tokenizer: Any, messages: list[dict[str, str]], generation_prompt: bool) -> str:
    return str(tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation_prompt))


def _after(shown: str, text: str) -> str:
    if not text.startswith(shown):
        raise FinetuneError("the base model's chat template rewrites earlier turns; cannot label its replies")
    return text[len(shown):]


def _extend(ids: list[int], labels: list[int], tokenizer: Any, text: str, learn: bool) -> None:
    new = tokenizer(text, add_special_tokens=False)["input_ids"]
    ids.extend(new)
    labels.extend(new if learn else [IGNORED] * len(new))
