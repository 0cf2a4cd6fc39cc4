"""llama-cpp-python's OpenAI-compatible server for tests and benchmarks, without AMX repacking.

Run as a script, it is `python -m llama_cpp.server` with the same flags:

    python tests/llama_server.py --model MODEL.gguf --host 127.0.0.1 --port 8000

On a CPU with Intel AMX, llama.cpp (0.3.36) repacks the weights into AMX buffers by default
and its AMX matrix product crashes the server on the first prompt of more than one token; the
server has no setting to turn the repacking off. The engine loads models without it (see
`cpu_has_amx` in dictgame's llama.cpp runtime); this launcher does the same for the server by
wrapping the default model parameters before the server's own entry point runs.

Imported, `LoopbackServer` starts it on a free loopback port with its log in a file, and
`LlamaCppServer` does the same for llama.cpp's own `llama-server` binary (built by
`python -m bench.llama_server`), which decodes concurrent requests together in its slots.
"""

from __future__ import annotations

import os
import runpy
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LoopbackServer:
    """The server on 127.0.0.1: started (and restarted on the same port), killed, stopped.

    `--interrupt_requests False`: by default llama-cpp-python's server ends a streamed answer
    early whenever another request arrives, which would cut short every episode of a
    parallel run; with it off, concurrent requests wait their turn.
    """

    def __init__(self, model: Path, log: Path, *flags: str, port: int | None = None) -> None:
        self.model = model
        self.log = log
        self.flags = flags
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def command(self) -> list[str]:
        return [
            sys.executable, __file__, "--model", str(self.model), "--host", "127.0.0.1",
            "--port", str(self.port), "--n_ctx", "4096", "--interrupt_requests", "False",
            *self.flags,
        ]

    def start(self, timeout: float = 120.0) -> LoopbackServer:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,  # a Ctrl+C meant for the tests does not reach it
            )
        self._wait_until_it_answers(timeout)
        return self

    def _wait_until_it_answers(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited ({self.process.returncode}): {self._tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/models", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the server did not answer within {timeout:g} s: {self._tail()}")

    def kill(self) -> None:
        """As a crash would: no chance to finish what it is doing."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def _tail(self) -> str:
        try:
            return " | ".join(self.log.read_text(errors="replace").splitlines()[-5:])
        except OSError:
            return "(no log)"

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


class LlamaCppServer(LoopbackServer):
    """llama.cpp's `llama-server` binary on 127.0.0.1, with `slots` requests decoded together.

    `--ctx-size` is shared by the slots, so each gets `slot_ctx` tokens. Without repacking
    where the CPU has AMX, as the engine loads models (`--no-repack`: the same crash as above).
    A request waits for a free slot; none is cut short by another.
    """

    def __init__(self, binary: Path, model: Path, log: Path, *flags: str, slots: int = 1,
                 slot_ctx: int = 2048, port: int | None = None) -> None:
        super().__init__(model, log, *flags, port=port)
        self.binary = binary
        self.slots = slots
        self.slot_ctx = slot_ctx

    def command(self) -> list[str]:
        from dictgame.engine.players.llama import cpu_has_amx

        return [
            str(self.binary), "--model", str(self.model), "--host", "127.0.0.1",
            "--port", str(self.port), "--parallel", str(self.slots),
            "--ctx-size", str(self.slots * self.slot_ctx),
            *(["--no-repack"] if cpu_has_amx() else []), *self.flags,
        ]


def _serve() -> None:
    import llama_cpp.llama_cpp as bindings

    default_params = bindings.llama_model_default_params

    def params_without_repacking() -> Any:
        params = default_params()
        params.use_extra_bufts = False
        return params

    bindings.llama_model_default_params = params_without_repacking
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    _serve()
