"""Whether fine-tuning fits in this machine's memory, asked before the model loads: a model
that cannot fit is refused with one line, not killed by the kernel halfway, and an
allocation that fails anyway is told apart from other errors.

The estimate is the dequantised float32 weights times a factor, plus a fixed part:
transformers' GGUF loader holds a weight both as a NumPy array and as a tensor while it
converts it, and training adds the adapters, their optimizer state and the activations of
one example. Measured peaks (resident), against the estimate:
- SmolLM2-135M (134.5 M weights): 3.00 GiB (`bench/finetune.py`, 200 steps on 80 Deal or No
  Deal transcripts), 2.28 GiB (10 steps, transcripts of about 600 tokens) and 1.79 GiB (three
  short transcripts); estimate 3.19 GiB;
- Qwen2.5-Coder-1.5B Q4_K_M (1.78 G weights in its GGUF): 11.15 GiB (`dictgame iterate`, six
  Deal or No Deal transcripts, 18 steps and the GGUF written); estimate 14.6 GiB.
"""

from __future__ import annotations

import errno
import os
import resource
from pathlib import Path

from . import FinetuneError

BYTES_PER_WEIGHT = 7.5
# PyTorch, transformers and the logits of a long example, whatever the model's size.
FIXED = 9 << 28  # 2.25 GiB
GIB = 1 << 30


def weight_count(base: Path) -> int:
    """The model's weights, from its GGUF header (nothing is dequantised)."""
    import gguf

    return sum(int(t.n_elements) for t in gguf.GGUFReader(base).tensors)


def needed(base: Path) -> int:
    """About how many bytes fine-tuning `base` takes at its peak."""
    return int(BYTES_PER_WEIGHT * weight_count(base)) + FIXED


def available() -> tuple[int, str] | None:
    """The bytes this process may still take, and what bounds them: the memory the kernel
    says is available, the cgroup's limit, and the address-space limit (`ulimit -v`),
    whichever is least; None where none can be read."""
    found = [bound for bound in (_mem_available(), _cgroup_room(), _address_space_room()) if bound]
    return min(found) if found else None


def check_memory(base: Path) -> None:
    """Refuse before loading when fine-tuning `base` clearly cannot fit."""
    room = available()
    need = needed(base)
    if room is not None and need > room[0]:
        raise FinetuneError(
            f"fine-tuning {base.name} needs about {need / GIB:.1f} GiB of memory; "
            f"{room[0] / GIB:.1f} GiB is available ({room[1]})"
        )


def out_of_memory(error: BaseException) -> bool:
    """Whether an error is an allocation that failed: Python's MemoryError, PyTorch's (a
    RuntimeError from its CPU allocator, OutOfMemoryError on a GPU), or a mapping refused."""
    if isinstance(error, MemoryError):
        return True
    if isinstance(error, OSError):
        return error.errno == errno.ENOMEM
    if type(error).__name__ == "OutOfMemoryError":
        return True
    return isinstance(error, RuntimeError) and "can't allocate memory" in str(error)


def _mem_available() -> tuple[int, str] | None:
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024, "free memory"
    return None


def _cgroup_room() -> tuple[int, str] | None:
    """The cgroup v2 limit of this process, less what the cgroup already uses."""
    path = "/"
    for line in _read("/proc/self/cgroup").splitlines():
        if line.startswith("0::"):
            path = line[3:] or "/"
    folder = Path("/sys/fs/cgroup") / path.lstrip("/")
    limit = _read(str(folder / "memory.max")).strip()
    if not limit.isdigit():
        return None
    used = _read(str(folder / "memory.current")).strip()
    # The page cache counts in memory.current, but the kernel gives it back under pressure.
    cache = next((int(line.split()[1]) for line in _read(str(folder / "memory.stat")).splitlines()
                  if line.startswith("file ")), 0)
    taken = max(0, int(used) - cache) if used.isdigit() else 0
    return int(limit) - taken, "the cgroup's memory limit"


def _address_space_room() -> tuple[int, str] | None:
    """`ulimit -v` less the address space this process already maps."""
    limit, _ = resource.getrlimit(resource.RLIMIT_AS)
    if limit == resource.RLIM_INFINITY:
        return None
    size = 0
    for line in _read(f"/proc/{os.getpid()}/status").splitlines():
        if line.startswith("VmSize:"):
            size = int(line.split()[1]) * 1024
    return limit - size, "the address-space limit, ulimit -v"


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""
