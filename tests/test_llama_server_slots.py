"""Players on llama.cpp's own `llama-server` (slots), where `python -m bench.llama_server` has
built it already: building takes far too long for the tests, so without a cached binary every
test here is skipped. Schemas in the OpenAI form really constrain the answer there, and a
parallel run of Dictionary Discovery plays its episodes through the slots to the end."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from llama_server import LlamaCppServer

from dictgame.engine.backend import ChatMessage, GenerationRequest
from dictgame.engine.games import get_game
from dictgame.engine.games.dictionary.rules import update_schema
from dictgame.engine.players.openai_http import OpenAIBackend, ServerOptions
from dictgame.models import embedded_model_path

pytestmark = pytest.mark.real_model

DICTGAME = str(Path(sys.executable).parent / "dictgame")
BUILDER = Path(__file__).resolve().parent.parent / "bench" / "llama_server.py"


def cached_binary() -> Path | None:
    """bench/llama_server.py's cached binary for the installed llama-cpp-python, if built."""
    spec = importlib.util.spec_from_file_location("bench_llama_server", BUILDER)
    assert spec is not None and spec.loader is not None
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    found: Path | None = builder.cached_binary()
    return found


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaCppServer]:
    binary = cached_binary()
    if binary is None:
        pytest.skip("llama-server is not built (python -m bench.llama_server builds it)")
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with LlamaCppServer(binary, embedded_model_path(), log, "--threads", "1", slots=2) as running:
        yield running


def answer(server: LlamaCppServer, form: Any, request: GenerationRequest) -> str:
    backend = OpenAIBackend([server.url], ServerOptions(schema_form=form))
    try:
        return backend.session(backend.check(None)).generate(request).text
    finally:
        backend.close()


def test_a_schema_in_the_openai_form_constrains_the_answer(server: LlamaCppServer) -> None:
    """The dictionary update's schema with a prompt that invites prose: sent as `json_schema`
    the answer is the schema's JSON; sent as nothing, it is not (the constraint did it)."""
    request = GenerationRequest(
        (ChatMessage("user", "Write a long poem about the sea, the wind and the boats."),),
        max_tokens=120, seed=11, temperature=0.8, json_schema=update_schema(max_operations=2))
    constrained = json.loads(answer(server, "json_schema", request))
    assert set(constrained) == {"updates"} and len(constrained["updates"]) <= 2
    assert all(u["op"] in ("add", "revise", "remove") for u in constrained["updates"])
    free = answer(server, "none", request)
    assert not free.lstrip().startswith('{"updates"'), free


def test_a_parallel_run_plays_every_episode_through_the_slots(
    server: LlamaCppServer, tmp_path: Path
) -> None:
    db = tmp_path / "games.db"
    instances = tmp_path / "instances.json"
    experiment = get_game("dictionary").experiments(0)[0]
    instances.write_text(json.dumps({"experiments": [{"name": experiment.name, "game_instances": [
        {"game_id": n, **instance} for n, instance in enumerate(experiment.instances[:2])]}]}))
    environment = {k: v for k, v in os.environ.items() if k != "DICTGAME_BACKEND"}
    done = subprocess.run(
        [DICTGAME, "run", "--game", "dictionary", "--instances", str(instances), "--parallel", "2",
         "--rounds", "1", "--db", str(db), "--base-url", server.url],
        capture_output=True, text=True, timeout=600,
        env={**environment, "DICTGAME_SERVER__SCHEMA_FORM": "json_schema"},
    )
    assert done.returncode == 0, done.stderr
    assert "2/2 episodes" in done.stdout
    for game_id in (1, 2):
        record = json.loads(subprocess.run(
            [DICTGAME, "export", str(game_id), "--format", "json", "--db", str(db)],
            capture_output=True, text=True, check=True, env=environment).stdout)
        assert record["status"] == "finished", record
        assert all(m["completion_tokens"] > 0 for m in record["messages"])
