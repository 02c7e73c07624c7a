"""The API key never leaks: not to stdout, stderr, logs, tracebacks, nor any file written.

Every path runs the real CLI in-process (``main([...])``) against a ``FaultServer`` on
127.0.0.1, with the key in ``$SUMMARIZE_API_KEY`` and ``--debug`` on (tracebacks and debug
logs). Servers that echo the key back, in full or masked, are the adversary. Afterwards every
file under ``tmp_path`` (bytes), the captured stdout and stderr, the log records and any
traceback shown are searched for the key, its last 8 characters and its secret middle.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import summarize.pipeline
from summarize.cli import main
from summarize.errors import (
    ModelUnavailableError,
    PermanentModelError,
    SummarizeError,
)
from summarize.models import OpenAIChatModel
from summarize.testing_server import (
    Behaviour,
    Drop,
    FaultServer,
    RawBody,
    Respond,
    Status,
    echo_briefing,
)

PREFIX = "sk-proj-"
KEY = PREFIX + "LEAKCHECK-" + "5f0c2e9a7b3d41c8a6e2f9d0b7c3a1e4"
MASKED = KEY[:11] + "..." + KEY[-4:]  # how OpenAI echoes a key: "sk-proj-LEA...a1e4"
NEEDLES = {
    "the full key": KEY,
    "its last 8 characters": KEY[-8:],
    "its secret middle": KEY[len(PREFIX) : -4],
    "its masked form": MASKED,
}
ECHO = f"Incorrect API key provided: {KEY}. You can find your key at ... ({MASKED})"
MARKER = "Quarantined Harbour"  # an article naming this is rejected, echoing the key

ARTICLE = (
    "The city council voted on Tuesday to approve the new harbour plan. "
    "Mayor Ana Ruiz said the plan would create 2,000 jobs. "
    "Residents of the old port district oppose it and promise to appeal."
)
BAD_ARTICLE = (
    f"The {MARKER} authority closed the docks on Friday after a chemical spill. "
    "Inspectors said the clean-up would take at least three weeks to finish."
)


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as running:
        yield running


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """``--debug`` adds a handler to the ``summarize`` logger; take it off again."""
    logger = logging.getLogger("summarize")
    handlers, level = logger.handlers[:], logger.level
    yield
    logger.handlers[:] = handlers
    logger.setLevel(level)


@pytest.fixture(autouse=True)
def models(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[OpenAIChatModel]]:
    """Every model client the CLI makes; closed at the end (``brief`` leaves its own open)."""
    made: list[OpenAIChatModel] = []

    class Tracked(OpenAIChatModel):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(summarize.pipeline, "OpenAIChatModel", Tracked)
    yield made
    for model in made:
        model.close()


@pytest.fixture
def env(
    server: FaultServer,
    in_tmp_cwd: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> Path:
    monkeypatch.setenv("SUMMARIZE_BASE_URL", server.base_url)
    monkeypatch.setenv("SUMMARIZE_STRATEGY", "single")
    monkeypatch.setenv("SUMMARIZE_API_KEY", KEY)
    caplog.set_level(logging.DEBUG)  # every logger, the openai client's included
    return in_tmp_cwd


# --- running and searching ------------------------------------------------------------------


@dataclass
class Run:
    code: int
    out: str
    err: str
    exc: BaseException | None = None  # what escaped main() (only under --debug)
    shown_traceback: str = ""  # what Python prints for it


def _forget_tracebacks(exc: BaseException | None) -> None:
    """Drop the frames an error holds, so the model client they reference is freed (and its
    connection closed) now, by reference counting, not by the cycle collector in a later test."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        exc.__traceback__ = None
        exc = exc.__cause__ or exc.__context__


def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> Run:
    try:
        main(args)
    except SystemExit as stop:
        run = Run(stop.code if isinstance(stop.code, int) else 1, "", "")
        _forget_tracebacks(stop)
    except SummarizeError as error:  # --debug lets the error out, with its traceback
        run = Run(1, "", "", error, "".join(traceback.format_exception(error)))
        _forget_tracebacks(error)
    else:
        run = Run(0, "", "")
    run.out, run.err = capsys.readouterr()
    return run


def find_secrets(texts: dict[str, str], folder: Path, ignore: tuple[Path, ...] = ()) -> list[str]:
    """Where any needle occurs: in the texts, or in any file under ``folder`` (as bytes)."""
    found = []
    for label, text in texts.items():
        found += [f"{label}: {name}" for name, needle in NEEDLES.items() if needle in text]
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p not in ignore):
        data = path.read_bytes()
        found += [
            f"{path.relative_to(folder)}: {name}"
            for name, needle in NEEDLES.items()
            if needle.encode() in data
        ]
    return found


def assert_no_secret(
    run: Run, caplog: pytest.LogCaptureFixture, folder: Path, ignore: tuple[Path, ...] = ()
) -> None:
    texts = {
        "stdout": run.out,
        "stderr": run.err,
        "log": caplog.text,
        "log messages": "\n".join(r.getMessage() for r in caplog.records),
        "traceback": run.shown_traceback,
    }
    assert find_secrets(texts, folder, ignore) == []


def assert_key_was_sent(server: FaultServer) -> None:
    assert server.completions, "no request reached the server"
    # The server redacts what it records, so the header's presence is what can be checked.
    assert all(r.headers.get("authorization") == "***" for r in server.completions)


def write_article(folder: Path, text: str = ARTICLE, name: str = "article.txt") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_needles_would_be_found(tmp_path: Path) -> None:
    """The search itself works: each needle is found in text and in a file."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "f.bin").write_bytes(b"\x00" + KEY[-8:].encode() + b"\xff")
    found = find_secrets({"text": f"Bearer {KEY}", "masked": MASKED}, tmp_path)
    assert "text: the full key" in found
    assert "masked: its masked form" in found
    assert "sub/f.bin: its last 8 characters" in found
    assert find_secrets({"text": "sk-proj-***"}, tmp_path / "nothing-here") == []


# --- brief ----------------------------------------------------------------------------------


@pytest.mark.parametrize("output", ["stdout", "file"])
def test_a_successful_brief(
    env: Path,
    server: FaultServer,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    output: str,
) -> None:
    article = write_article(env)
    args = ["--debug", "brief", str(article), "--model", "gpt-4o-mini", "--format", "json"]
    if output == "file":
        args += ["--out", str(env / "briefing.json")]
    run = cli(args, capsys)
    assert run.code == 0, run.err
    text = run.out if output == "stdout" else (env / "briefing.json").read_text()
    assert json.loads(text)["summary"].startswith("The article begins")
    assert "profile=gpt-4o-mini" in caplog.text  # debug logging was on: ours
    assert any(r.name.startswith("openai") for r in caplog.records)  # and the client's
    assert_key_was_sent(server)
    assert_no_secret(run, caplog, env)


def test_the_brief_command_closes_its_connection(
    env: Path, models: list[OpenAIChatModel], capsys: pytest.CaptureFixture[str]
) -> None:
    run = cli(["brief", str(write_article(env)), "--model", "gpt-4o-mini", "-q"], capsys)
    assert run.code == 0, run.err
    assert models, "the CLI made no OpenAIChatModel"
    assert all(model._client is None for model in models)  # close() drops the client


FAILURES: list[tuple[str, Behaviour, type[SummarizeError], str]] = [
    (
        "401 echoing the key",
        Status(401, message=ECHO),
        PermanentModelError,
        "HTTP 401, the API key was rejected: Incorrect API key provided: ***.",
    ),
    (
        "403 echoing the key",
        Status(403, message=ECHO),
        PermanentModelError,
        "HTTP 403, access denied: Incorrect API key provided: ***.",
    ),
    (
        "500 until giving up",
        Status(500, message=ECHO),
        ModelUnavailableError,
        "gave up after 5 attempts: HTTP 500: Incorrect API key provided: ***.",
    ),
    (
        "429 with a text body",
        RawBody(ECHO, status=429, content_type="text/plain"),
        ModelUnavailableError,
        "gave up after 5 attempts: HTTP 429",
    ),
    (
        "non-JSON 200 body",
        RawBody(f"<html><body>{ECHO}</body></html>", content_type="text/html"),
        ModelUnavailableError,
        "gave up after 5 attempts: the endpoint answered with no choices",
    ),
    (
        "dropped connection",
        Drop(),
        ModelUnavailableError,
        "gave up after 5 attempts: could not connect",
    ),
]


@pytest.mark.parametrize("debug", [True, False], ids=["debug", "plain"])
@pytest.mark.parametrize(
    ("name", "fault", "error", "message"), FAILURES, ids=[f[0] for f in FAILURES]
)
def test_a_failing_brief(
    env: Path,
    server: FaultServer,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    name: str,
    fault: Behaviour,
    error: type[SummarizeError],
    message: str,
    debug: bool,
) -> None:
    server.default = fault
    article = write_article(env)
    args = ["brief", str(article), "--model", "gpt-4o-mini", "--format", "json"]
    run = cli(["--debug", *args] if debug else args, capsys)
    assert run.code == 1
    assert run.out == ""
    if debug:
        assert isinstance(run.exc, error), run.exc
        assert message in str(run.exc)
        assert "Traceback" in run.shown_traceback
    else:
        assert run.exc is None
        assert message in run.err and "Traceback" not in run.err
    assert_key_was_sent(server)
    assert_no_secret(run, caplog, env)


def test_a_long_server_message_that_cuts_the_key(
    env: Path,
    server: FaultServer,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The first 298 characters of the message end two characters short of the key's end.
    server.default = Status(401, message="x" * (300 - len(KEY) + 2) + KEY + " was rejected")
    run = cli(["brief", str(write_article(env)), "--model", "gpt-4o-mini"], capsys)
    assert run.code == 1 and "HTTP 401" in run.err
    assert_no_secret(run, caplog, env)


def test_the_debug_traceback_hides_the_client_error_that_holds_the_key(
    env: Path, server: FaultServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """The openai exception quotes the server's reply (and so the key) unredacted: the error
    raised in its place must not chain it visibly, or ``--debug`` would print it."""
    server.default = Status(401, message=ECHO)
    run = cli(["--debug", "brief", str(write_article(env)), "--model", "gpt-4o-mini"], capsys)
    assert isinstance(run.exc, PermanentModelError)
    hidden = [e for e in (run.exc.__cause__, run.exc.__context__) if e is not None]
    if any(KEY in str(e) for e in hidden):  # the adversary's reply is in there...
        assert run.exc.__cause__ is None and run.exc.__suppress_context__  # ...never shown
    assert "Incorrect API key provided: ***" in run.shown_traceback
    assert "During handling of the above exception" not in run.shown_traceback
    assert "direct cause" not in run.shown_traceback
    assert find_secrets({"traceback": run.shown_traceback}, env) == []


def test_a_key_in_the_config_file(
    env: Path,
    server: FaultServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.delenv("SUMMARIZE_API_KEY")
    config = env / "summarize.toml"
    config.write_text(
        f'[models.hosted]\nmodel = "gpt-4o-mini"\nbase_url = "{server.base_url}"\n'
        f'api_key = "{KEY}"\n'
    )
    listed = cli(["--debug", "models"], capsys)
    assert listed.code == 0 and "hosted" in listed.out
    assert_no_secret(listed, caplog, env, ignore=(config,))

    briefed = cli(
        ["--debug", "brief", str(write_article(env)), "-m", "hosted", "-f", "json"], capsys
    )
    assert briefed.code == 0, briefed.err
    assert_key_was_sent(server)
    assert_no_secret(briefed, caplog, env, ignore=(config,))

    server.default = Status(401, message=ECHO)
    failed = cli(["brief", str(write_article(env)), "-m", "hosted"], capsys)
    assert failed.code == 1 and "Incorrect API key provided: ***" in failed.err
    assert_no_secret(failed, caplog, env, ignore=(config,))


# --- batch ----------------------------------------------------------------------------------


def reject_marked(request: dict[str, Any]) -> Behaviour:
    text = json.dumps(request.get("messages", []))
    return Status(401, message=ECHO) if MARKER in text else echo_briefing(request)


def test_a_batch_with_a_failing_item(
    env: Path,
    server: FaultServer,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    server.default = Respond(reject_marked)
    inputs = env / "input.jsonl"
    items = [("good-1", ARTICLE), ("bad", BAD_ARTICLE), ("good-2", ARTICLE.replace("Ruiz", "Li"))]
    inputs.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in items))
    out = env / "results" / "results.jsonl"
    run = cli(
        ["--debug", "batch", str(inputs), "--out", str(out), "--model", "gpt-4o-mini"], capsys
    )
    assert run.code == 1  # an item failed
    assert "2 done, 1 failed" in run.err and "PermanentModelError x1" in run.err
    records = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert records["bad"]["ok"] is False
    assert "Incorrect API key provided" in records["bad"]["error"]["message"]
    assert records["good-1"]["ok"] and records["good-2"]["ok"]
    assert_key_was_sent(server)
    assert_no_secret(run, caplog, env)


# --- eval: record, then replay --------------------------------------------------------------


def reference_yaml(case_id: str, article: str, actor: str, evidence: str) -> str:
    return (
        f"id: {case_id}\n"
        f"article: ../../articles/{article}\n"
        "summary: >-\n"
        "  A local decision and the reactions to it.\n"
        "actors:\n"
        f"  - name: {actor}\n"
        "    kind: person\n"
        "    salience: core\n"
        "positions:\n"
        f"  - actor: {actor}\n"
        "    stance: Speaks about the decision.\n"
        "    evidence:\n"
        f'      - "{evidence}"\n'
        "open_questions:\n"
        "  - question: What happens next?\n"
    )


@pytest.fixture
def dataset(env: Path) -> Path:
    articles = env / "evals" / "articles"
    folder = env / "evals" / "datasets" / "tiny"
    articles.mkdir(parents=True)
    folder.mkdir(parents=True)
    write_article(articles, ARTICLE, "harbour.txt")
    write_article(articles, BAD_ARTICLE, "spill.txt")
    (folder / "harbour.yaml").write_text(
        reference_yaml("harbour", "harbour.txt", "Ana Ruiz", "the plan would create 2,000 jobs")
    )
    (folder / "spill.yaml").write_text(
        reference_yaml(
            "spill", "spill.txt", "Inspectors", "the clean-up would take at least three weeks"
        )
    )
    return folder


def test_an_eval_recorded_then_replayed(
    env: Path,
    dataset: Path,
    server: FaultServer,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    server.default = Respond(reject_marked)
    common = ["eval", str(dataset), "--model", "gpt-4o-mini", "--similarity", "lexical"]

    recorded = cli(["--debug", *common, "--record", "--out", str(env / "recorded")], capsys)
    assert recorded.code in (0, 1), recorded.err  # whether a failed case fails the run
    assert "spill" in recorded.err
    results = json.loads((env / "recorded" / "results.json").read_text())
    assert results["mode"] == "record"
    errors = {c["id"]: c["error"] for c in results["cases"]}
    assert errors["harbour"] is None and "Incorrect API key provided" in errors["spill"]
    # summarize.recording's folder: evals/recordings/<dataset>/<profile>, beside the datasets
    recordings = env / "evals" / "recordings" / "tiny" / "gpt-4o-mini"
    assert len(list(recordings.glob("*.json"))) == 1  # the one call that succeeded
    assert_key_was_sent(server)
    calls = len(server.completions)
    assert_no_secret(recorded, caplog, env)

    replayed = cli(["--debug", *common, "--replay", "--out", str(env / "replayed")], capsys)
    assert replayed.code in (0, 1), replayed.err
    assert len(server.completions) == calls  # offline: no request reached the server
    results = json.loads((env / "replayed" / "results.json").read_text())
    assert results["mode"] == "replay"
    assert {c["id"]: c["ok"] for c in results["cases"]} == {"harbour": True, "spill": False}
    assert_no_secret(replayed, caplog, env)


# --- user prompt templates ------------------------------------------------------------------
# tests/test_prompts.py already checks that Prompts refuses ``''.__class__.__mro__`` and the
# like with a TemplateError; this checks the same holds end to end, for a template folder
# named in summarize.toml, before any request is made.


def test_a_configured_template_folder_is_sandboxed(
    env: Path,
    server: FaultServer,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    templates = env / "my-prompts"
    templates.mkdir()
    (templates / "brief_user.j2").write_text(
        "{{ ''.__class__.__mro__[1].__subclasses__() }}\n<article>\n{{ article }}\n</article>"
    )
    (env / "summarize.toml").write_text(f'prompts_dir = "{templates.as_posix()}"\n')
    run = cli(["brief", str(write_article(env)), "--model", "gpt-4o-mini"], capsys)
    assert run.code == 1
    assert "brief_user.j2" in run.err and "unsafe" in run.err
    assert "<class" not in run.out + run.err
    assert server.completions == []  # refused before anything was sent
    assert_no_secret(run, caplog, env)
