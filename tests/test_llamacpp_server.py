"""The ``llamacpp`` profile against a real ``llama_cpp.server`` on loopback (issue 10).

llama-cpp-python's schema-to-grammar converter escapes a quotation mark inside an enum string
wrongly; a llama.cpp server then logs "failed to parse grammar" and dies. We cannot fix a server
we do not run, so what we send one must hold no such literal: the ``single`` strategy sends free
evidence, the ``passes`` strategy cites sentences by number. These tests start the server as a
subprocess (the embedded model's weights, 2 threads) and restart it whenever a test killed it.
"""

from __future__ import annotations

import asyncio
import importlib.util
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import pytest

import summarize.local
from summarize import Briefing, brief
from summarize.config import ModelProfile, Settings, Strategy
from summarize.models import CompletionRequest, OpenAIChatModel
from summarize.passes import single
from summarize.passes.base import Caller
from summarize.prompts import Prompts
from summarize.testing import FakeModel
from summarize.text import clean_article

_SERVER_MODULES = [
    "llama_cpp",
    "fastapi",
    "uvicorn",
    "sse_starlette",
    "starlette_context",
    "pydantic_settings",
]
_MISSING = [m for m in _SERVER_MODULES if importlib.util.find_spec(m) is None]

pytestmark = [
    pytest.mark.local_model,
    pytest.mark.skipif(
        bool(_MISSING),
        reason=f"llama_cpp.server needs {', '.join(_MISSING)}: "
        "pip install 'llama-cpp-python[server]==0.3.36' (in the dev extra)",
    ),
    pytest.mark.skipif(
        not summarize.local.is_available(),
        reason="the embedded model's weights are not installed: " + summarize.local.INSTALL_HINT,
    ),
]

STARTUP_SECONDS = 120.0
STOP_SECONDS = 15.0

QUOTED = 'Opposition leaders called the poll a "grand deception," according to the report.'
# Fictional, short (each brief well under a minute on 2 cores), and full of quotation marks.
ARTICLE = (
    "The electoral commission of Varnia declared President Amara Kessel the winner of "
    "Sunday's election with 86 percent of the vote. "
    f"{QUOTED} "
    '"The results were written before a single ballot was cast," said Tomas Ridel, the main '
    "opposition candidate, who asked his supporters to stay calm. "
    'Commission chief Lena Osei said the vote was "free, transparent and credible" and '
    "rejected calls for a recount."
)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class LlamaServer:
    """``python -m llama_cpp.server`` on a free loopback port, its output in ``log_path``."""

    model_path: Path
    log_path: Path
    port: int = 0
    starts: int = 0
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        self.port = _free_port()
        command = [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(self.model_path),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--n_ctx",
            "4096",
            "--n_threads",
            "2",
        ]
        with self.log_path.open("ab") as log:  # the child keeps its own copy of the handle
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        self.starts += 1
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if self.process.poll() is not None:
                pytest.fail(
                    f"llama_cpp.server exited with {self.process.returncode} while starting:\n"
                    + self.log_tail()
                )
            try:
                if httpx2.get(f"{self.base_url}/models", timeout=5).status_code == 200:
                    return
            except httpx2.TransportError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail(
                    f"llama_cpp.server not ready after {STARTUP_SECONDS:g}s:\n" + self.log_tail()
                )
            time.sleep(0.5)

    def exited_within(self, seconds: float) -> bool:
        """Whether the process has ended, waiting up to ``seconds`` for it to."""
        assert self.process is not None
        try:
            self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            return False
        return True

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        if not self.exited_within(STOP_SECONDS):
            self.process.kill()
            self.process.wait()

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def log_since(self, offset: int) -> str:
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return log.read().decode("utf-8", "replace")

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_since(0)[-chars:]


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    server = LlamaServer(
        model_path=summarize.local.ensure_weights(),
        log_path=tmp_path_factory.mktemp("llama-server") / "server.log",
    )
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def server(llama_server: LlamaServer) -> LlamaServer:
    """The module's server, started again if an earlier test killed it."""
    if not llama_server.alive():
        llama_server.start()
    return llama_server


@dataclass
class RecordingModel(OpenAIChatModel):
    """The real client, keeping the keyword arguments of every request it sends."""

    sent: list[tuple[CompletionRequest, dict[str, Any]]] = field(default_factory=list)

    def request_kwargs(self, request: CompletionRequest) -> dict[str, Any]:
        kwargs = super().request_kwargs(request)
        self.sent.append((request, kwargs))
        return kwargs


def _profile(server: LlamaServer) -> ModelProfile:
    return ModelProfile(
        name="llamacpp",
        model="any",
        base_url=server.base_url,
        structured_output="json_object_schema",
        context_window=4096,
        # A whole briefing of this article runs to ~500 tokens: at 512 the first answer was cut
        # short and asked again, doubling the time of the single strategy's test.
        max_output_tokens=768,
        timeout=600.0,  # requests queue behind each other on a 2-core server
        max_retries=0,  # a dead server should fail the test at once, not be waited for
        max_attempts=2,
    )


def _settings(profile: ModelProfile, strategy: Strategy) -> Settings:
    return Settings(model=profile.name, models={profile.name: profile}, strategy=strategy)


def _enum_strings(node: Any) -> list[str]:
    """Every string a schema fixes as an ``enum`` choice or a ``const``."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "enum" and isinstance(value, list):
                found += [v for v in value if isinstance(v, str)]
            elif key == "const" and isinstance(value, str):
                found.append(value)
            else:
                found += _enum_strings(value)
    elif isinstance(node, list):
        for value in node:
            found += _enum_strings(value)
    return found


def _sent_schemas(model: RecordingModel) -> list[dict[str, Any]]:
    assert model.sent, "no request reached the server"
    schemas = []
    for _, kwargs in model.sent:
        response_format = kwargs["response_format"]
        assert response_format["type"] == "json_object", response_format
        schemas.append(response_format["schema"])
    return schemas


def test_a_real_llama_cpp_server_dies_on_an_enum_holding_a_quotation_mark(
    server: LlamaServer,
) -> None:
    # The hazard itself, sent by hand: the shape an enum of article sentences would take.
    offset = server.log_size()
    schema = {
        "type": "object",
        "properties": {"evidence": {"type": "string", "enum": [QUOTED]}},
        "required": ["evidence"],
    }
    body = {
        "model": "any",
        "messages": [{"role": "user", "content": "Quote the evidence."}],
        "max_tokens": 8,
        "response_format": {"type": "json_object", "schema": schema},
    }
    try:
        response = httpx2.post(f"{server.base_url}/chat/completions", json=body, timeout=120)
    except httpx2.TransportError as exc:
        answer = f"no answer ({type(exc).__name__})"
    else:
        answer = f"HTTP {response.status_code}: {response.text[:300]}"
        assert response.status_code >= 500, f"the server accepted the grammar: {answer}"

    died = server.exited_within(10)
    log = server.log_since(offset)
    assert "failed to parse grammar" in log, f"{answer}\n{log[-3000:]}"
    # Observed with llama-cpp-python 0.3.36: no answer, the process killed by SIGSEGV (-11).
    assert died, f"the server survived ({answer})"
    assert server.process is not None and server.process.returncode != 0


def test_the_single_strategy_briefs_quoted_sentences_without_killing_the_server(
    server: LlamaServer,
) -> None:
    profile = _profile(server)
    settings = _settings(profile, "single")
    # Control: for the embedded model, whose grammar we build ourselves, this article's quoted
    # sentence does become an enum choice; it is that enum a server must never get.
    embedded = FakeModel(profile=profile.model_copy(update={"name": "local", "provider": "local"}))
    caller = Caller(model=embedded, prompts=Prompts(), limit=asyncio.Semaphore(1))
    assert QUOTED in _enum_strings(single.evidence_schema(caller, settings, ARTICLE))

    offset = server.log_size()
    model = RecordingModel(profile)
    started = time.monotonic()
    briefing = brief(ARTICLE, model=model, config=settings)
    seconds = time.monotonic() - started

    assert isinstance(briefing, Briefing)
    assert briefing.summary.strip()
    assert server.alive(), f"the server died after {seconds:.0f}s:\n{server.log_tail()}"
    assert "failed to parse grammar" not in server.log_since(offset)
    for schema in _sent_schemas(model):
        literals = _enum_strings(schema)
        assert not [s for s in literals if '"' in s or "\\" in s], literals
        assert QUOTED not in literals


def test_the_passes_strategy_cites_sentences_by_number_and_its_quotes_are_verbatim(
    server: LlamaServer,
) -> None:
    offset = server.log_size()
    model = RecordingModel(_profile(server))
    started = time.monotonic()
    briefing = brief(ARTICLE, model=model, config=_settings(model.profile, "passes"))
    seconds = time.monotonic() - started

    assert server.alive(), f"the server died after {seconds:.0f}s:\n{server.log_tail()}"
    assert "failed to parse grammar" not in server.log_since(offset)
    for schema in _sent_schemas(model):
        literals = _enum_strings(schema)
        assert not [s for s in literals if '"' in s or "\\" in s], literals
    # The positions calls cite the actor's sentences by number, never by their text.
    citations = [
        kwargs["response_format"]["schema"]["properties"]["positions"]["items"]["properties"][
            "evidence"
        ]["items"]
        for request, kwargs in model.sent
        if request.schema_name == "positions"
    ]
    assert citations, "no positions call was made"
    assert all(c["type"] == "integer" and c["enum"] for c in citations), citations

    article = clean_article(ARTICLE)  # the text the offsets refer to
    verified = [q for p in briefing.positions for q in p.evidence if q.verified]
    assert verified, f"no verified quote in {briefing.positions}"
    for quote in verified:
        assert quote.start is not None and quote.end is not None
        assert article[quote.start : quote.end] == quote.text
