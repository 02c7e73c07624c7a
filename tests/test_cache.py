"""The response cache: a rerun costs no model calls, a changed template misses exactly the calls
it renders, only complete replies are kept, no secret is stored, and threads and processes
share one file safely."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from test_cli import run  # the CLI driver: exit code, stdout, stderr
from test_eval import write_dataset

from summarize import brief
from summarize.cache import CachedModel, ResponseCache, default_cache_path
from summarize.config import ModelProfile, load_settings
from summarize.errors import TransientModelError
from summarize.models import Completion, CompletionRequest
from summarize.pipeline import resolve_model
from summarize.recording import RecordingModel, call_key
from summarize.schema import Briefing
from summarize.testing import FakeModel
from summarize.testing_server import FaultServer

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"
KEY = "sk-test-CACHE-SECRET-7f3a9c2e41"
ARTICLE = """Bridge vote splits Eastport council

Mayor Ana Silva said on Monday that the city will build a new bridge over the river by 2027.
"We cannot wait another decade for a crossing," Silva told reporters at city hall.
Council member Tom Reyes rejected the plan. Reyes said it would cost too much to borrow.
The council will vote on the budget on March 3.
"""


def reply(request: CompletionRequest) -> Any:
    """Answers every pass of the passes strategy, and ``ask()`` with an echo."""
    if request.schema_name == "echo":
        return "an answer to " + request.messages[0]["content"]
    if request.schema_name == "actors":
        return {
            "actors": [
                {"name": "Ana Silva", "aliases": ["Silva"], "kind": "person", "role": "Mayor"},
                {"name": "Tom Reyes", "aliases": ["Reyes"], "kind": "person", "role": "Council"},
            ]
        }
    if request.schema_name == "positions":
        actor = re.search(r"what does (.+?)(?: \(.*?\))? want", request.messages[2]["content"])
        assert actor is not None
        return {"positions": [{"evidence": [1], "stance": f"{actor.group(1)} has a view."}]}
    if request.schema_name == "questions":
        return {
            "open_questions": [
                {"question": "Will the council approve the bridge on March 3?", "why_open": "."},
                {"question": "How would Eastport borrow for the bridge?", "why_open": "Not said."},
            ]
        }
    assert request.schema_name == "summary", request.schema_name
    return {"summary": "Eastport's mayor wants a bridge by 2027; a council member objects."}


def profile(**update: Any) -> ModelProfile:
    return ModelProfile(
        name="hosted", model="gpt-4o-mini", base_url="http://127.0.0.1:9/v1", api_key=KEY
    ).model_copy(update=update)


def cached(tmp_path: Path, **update: Any) -> tuple[CachedModel, FakeModel]:
    inner = FakeModel(default=reply, profile=profile(**update))
    return CachedModel(inner, ResponseCache(tmp_path / "responses.sqlite3")), inner


def ask(text: str) -> CompletionRequest:
    return CompletionRequest(messages=[{"role": "user", "content": text}], schema_name="echo")


def test_a_second_identical_briefing_makes_no_model_call(tmp_path: Path) -> None:
    model, inner = cached(tmp_path)
    first = brief(ARTICLE, model=model, strategy="passes")
    calls = len(inner.history)
    assert calls >= 4 and first.usage.calls == calls and first.usage.cache_hits == 0
    second = brief(ARTICLE, model=model, strategy="passes")
    assert len(inner.history) == calls  # the model was not reached again
    assert second.usage.calls == 0 and second.usage.cache_hits == calls
    assert second.usage.prompt_tokens == second.usage.completion_tokens == 0  # nothing paid
    assert second.model_dump(exclude={"usage"}) == first.model_dump(exclude={"usage"})
    assert (model.counts.hits, model.counts.misses, model.counts.stored) == (calls, calls, calls)


def test_a_changed_template_misses_exactly_the_calls_it_renders(tmp_path: Path) -> None:
    model, inner = cached(tmp_path)
    brief(ARTICLE, model=model, strategy="passes")
    before = [r.schema_name for r in inner.history]
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    original = (PROMPTS / "questions_task.j2").read_text(encoding="utf-8")
    (prompts / "questions_task.j2").write_text(original + "\nKeep each question short.\n")
    inner.history.clear()
    again = brief(
        ARTICLE, model=model, config=load_settings(prompts_dir=prompts, strategy="passes")
    )
    assert [r.schema_name for r in inner.history] == ["questions"] * before.count("questions")
    assert "Keep each question short." in inner.history[0].messages[-1]["content"]
    assert again.usage.cache_hits == len(before) - before.count("questions")
    assert again.usage.calls == before.count("questions")


def test_the_sync_path_answers_from_the_cache_too(tmp_path: Path) -> None:
    model, inner = cached(tmp_path)
    inner.enqueue("first answer", "second answer")
    assert model.complete(ask("q")).text == "first answer"
    hit = model.complete(ask("q"))
    assert hit.text == "first answer" and hit.from_cache and len(inner.history) == 1
    assert model.complete(ask("another q")).text == "second answer"


@pytest.mark.parametrize(
    "answer",
    [
        Completion(text='{"summary": "cut', finish_reason="length"),
        Completion(text="", refusal="I cannot help with that."),
        Completion(text="   "),
        Completion(text="{}", finish_reason="content_filter"),
    ],
    ids=["cut-off", "refusal", "empty", "filtered"],
)
def test_incomplete_replies_are_not_kept(tmp_path: Path, answer: Completion) -> None:
    model, inner = cached(tmp_path)
    inner.enqueue(answer, answer)
    model.complete(ask("q"))
    assert not model.complete(ask("q")).from_cache
    assert len(inner.history) == 2 and model.counts.stored == 0
    assert model.cache.stats().rows == 0


def test_errors_are_not_kept(tmp_path: Path) -> None:
    model, inner = cached(tmp_path)
    inner.enqueue(TransientModelError("HTTP 503"), "now it works")
    with pytest.raises(TransientModelError):
        model.complete(ask("q"))
    assert model.complete(ask("q")).text == "now it works" and len(inner.history) == 2
    assert model.complete(ask("q")).from_cache and len(inner.history) == 2


def test_a_sampling_profile_is_cached_only_with_a_seed(tmp_path: Path) -> None:
    sampled, inner = cached(tmp_path, temperature=0.8, seed=None)
    inner.enqueue("one sample", "another sample")
    assert [sampled.complete(ask("q")).text for _ in range(2)] == ["one sample", "another sample"]
    assert sampled.counts.bypassed == 2 and sampled.cache.stats().rows == 0
    seeded, inner = cached(tmp_path, temperature=0.8, seed=7)
    inner.enqueue("seeded sample")
    assert [seeded.complete(ask("q")).text for _ in range(2)] == ["seeded sample"] * 2
    assert len(inner.history) == 1


def test_the_key_and_the_rows_hold_no_secret(tmp_path: Path) -> None:
    url = f"http://user:{KEY}@127.0.0.1:9/v1?api-key={KEY}"
    model, _ = cached(tmp_path, base_url=url)
    brief(ARTICLE, model=model, strategy="passes")
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("responses.sqlite3*"))
    assert stored and KEY.encode() not in stored and b"user:" not in stored
    assert b"127.0.0.1:9/v1" in stored  # the endpoint itself is kept, its credentials are not
    request = ask("q")
    keyless = profile(base_url=url, api_key=None)
    assert call_key(profile(base_url=url), request) == call_key(keyless, request)
    # A different key on the same profile still finds the same replies.
    other, inner = cached(tmp_path, base_url=url, api_key="sk-test-a-different-key-000")
    again = brief(ARTICLE, model=other, strategy="passes")
    assert inner.history == [] and again.usage.calls == 0


def test_profiles_and_endpoints_do_not_share_replies(tmp_path: Path) -> None:
    first, _ = cached(tmp_path)
    first.complete(ask("q"))
    for update in ({"name": "other"}, {"base_url": "http://127.0.0.1:10/v1"}, {"model": "m2"}):
        model, inner = cached(tmp_path, **update)
        assert not model.complete(ask("q")).from_cache and len(inner.history) == 1


def test_stats_and_clear(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "sub" / "responses.sqlite3")
    assert cache.stats().rows == 0 and cache.clear() == 0 and not cache.path.exists()
    model = CachedModel(FakeModel(default="an answer", profile=profile()), cache)
    for text in ("a", "b", "c", "a"):
        model.complete(ask(text))
    stats = cache.stats()
    assert (stats.rows, stats.hits, stats.profiles) == (3, 1, {"hosted": 3})
    assert stats.bytes > 0 and stats.path == cache.path
    with sqlite3.connect(cache.path) as conn:  # "a" and "b" last used 40 days ago
        conn.execute(
            "UPDATE replies SET used = used - 40 * 86400 WHERE key != ?",
            [call_key(profile(), ask("c"))],
        )
    conn.close()
    assert cache.clear(older_than_days=30) == 2 and cache.stats().rows == 1
    assert cache.clear() == 1 and cache.stats().rows == 0


def test_a_damaged_cache_file_costs_a_warning_not_a_briefing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "responses.sqlite3").write_bytes(b"this is not a database" * 100)
    model, inner = cached(tmp_path)
    briefing = brief(ARTICLE, model=model, strategy="passes")
    assert briefing.actors and briefing.usage.calls == len(inner.history) > 0
    assert "response cache" in caplog.text and model.counts.stored == 0


def test_a_recording_of_a_cached_call_is_a_plain_reply(tmp_path: Path) -> None:
    model, _ = cached(tmp_path)
    model.complete(ask("q"))
    RecordingModel(model, tmp_path / "rec").complete(ask("q"))
    (recording,) = (tmp_path / "rec").glob("*.json")
    text = recording.read_text()
    assert '"from_cache"' not in text and '"text": "an answer to q"' in text


def test_a_profile_with_cache_true_is_wrapped_where_models_are_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUMMARIZE_CACHE_DIR", str(tmp_path))
    config = tmp_path / "summarize.toml"
    config.write_text('[models.gpt]\nmodel = "gpt-4o-mini"\ncache = true\n')
    settings = load_settings(config)
    made = resolve_model("gpt", settings)
    assert isinstance(made, CachedModel) and made.cache.path == tmp_path / "responses.sqlite3"
    assert not isinstance(resolve_model("gpt-4o", settings), CachedModel)
    assert isinstance(resolve_model("gpt-4o", load_settings(config, cache=True)), CachedModel)
    config.write_text('cache = true\n[models.gpt]\nmodel = "gpt-4o-mini"\n')
    assert isinstance(resolve_model("gpt-4o", load_settings(config)), CachedModel)


def test_the_cache_folder_comes_from_the_environment_then_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SUMMARIZE_CACHE_DIR", raising=False)
    configured = load_settings(cache_dir=tmp_path / "from-config")
    assert default_cache_path(configured) == tmp_path / "from-config" / "responses.sqlite3"
    monkeypatch.setenv("SUMMARIZE_CACHE_DIR", str(tmp_path / "from-env"))
    assert default_cache_path(configured) == tmp_path / "from-env" / "responses.sqlite3"


def test_threads_share_one_cache(tmp_path: Path) -> None:
    def echo(request: CompletionRequest) -> str:
        return "answer to " + request.messages[0]["content"]

    model = CachedModel(
        FakeModel(default=echo, profile=profile()), ResponseCache(tmp_path / "r.sqlite3")
    )
    questions = [f"question {i % 40}" for i in range(400)]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda q: model.complete(ask(q)).text, questions))
    assert answers == ["answer to " + q for q in questions]
    assert model.counts.hits + model.counts.misses == 400 and model.counts.misses >= 40
    assert model.counts.stored == 40 and model.cache.stats().rows == 40


WRITER = textwrap.dedent(
    """
    import logging, sys, time
    from pathlib import Path
    from summarize.cache import ResponseCache
    from summarize.config import ModelProfile
    from summarize.models import Completion, CompletionRequest

    logging.basicConfig(level=logging.WARNING)
    path, go, first = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    cache = ResponseCache(path)  # the file does not exist yet: both processes create it
    profile = ModelProfile(name="p", model="m", base_url="http://127.0.0.1:9/v1")
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.005)
    for i in range(first, first + 300):
        request = CompletionRequest(messages=[{"role": "user", "content": f"q{i}"}])
        cache.put(profile, request, Completion(text=f"a{i}"))
        hit = cache.get(profile, request)
        assert hit is not None and hit.text == f"a{i}", (i, hit)
    """
)


def test_two_processes_share_one_cache(tmp_path: Path) -> None:
    path, go = tmp_path / "shared.sqlite3", tmp_path / "go"
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(go), str(first)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for first in (0, 150)  # 150 keys written by both
    ]
    for writer in writers:  # both imported and waiting, then released together
        assert writer.stdout is not None and writer.stdout.readline() == "ready\n"
    go.touch()
    results = [(w.wait(timeout=300), w.communicate()) for w in writers]
    for code, (_, err) in results:
        assert code == 0 and err == "", err
    stats = ResponseCache(path).stats()
    assert stats.rows == 450 and stats.hits == 600


# --- the command line: brief, batch and eval, and the cache commands ----------------------------


@pytest.fixture
def endpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultServer]:
    """A real OpenAI-style server on 127.0.0.1, and the cache in ``tmp_path/cache``."""
    monkeypatch.setenv("SUMMARIZE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("SUMMARIZE_API_KEY", KEY)
    with FaultServer() as server:
        monkeypatch.setenv("SUMMARIZE_BASE_URL", server.base_url)
        yield server


def test_brief_with_cache_twice_reaches_the_endpoint_once(
    endpoint: FaultServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    article = tmp_path / "article.txt"
    article.write_text(ARTICLE)
    args = ["brief", str(article), "--model", "gpt-4o-mini", "--format", "json", "--cache"]
    code, first, err = run(args, capsys)
    assert code == 0, err
    calls = len(endpoint.completions)
    assert calls >= 4 and f"{calls} model calls, 0 answered from the cache" in err
    code, second, err = run(args, capsys)
    assert code == 0 and len(endpoint.completions) == calls
    assert f"0 model calls, {calls} answered from the cache" in err
    before, after = (Briefing.model_validate_json(out) for out in (first, second))
    assert after.usage.cache_hits == calls
    assert after.model_dump(exclude={"usage"}) == before.model_dump(exclude={"usage"})
    code, out, _ = run(["cache", "stats"], capsys)
    assert code == 0 and f"replies: {calls}" in out and f"hits: {calls}" in out
    assert str(tmp_path / "cache" / "responses.sqlite3") in out
    stored = b"".join(p.read_bytes() for p in (tmp_path / "cache").iterdir())
    assert KEY.encode() not in stored
    code, _, err = run(["cache", "clear", "--older-than", "1"], capsys)
    assert code == 0 and "removed 0 cached replies" in err
    code, _, err = run(["cache", "clear"], capsys)
    assert code == 0 and f"removed {calls} cached replies" in err
    assert "replies: 0" in run(["cache", "stats"], capsys)[1]


def test_a_batch_rerun_with_a_caching_profile_makes_no_model_call(
    endpoint: FaultServer, in_tmp_cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (in_tmp_cwd / "summarize.toml").write_text(
        f'[models.hosted]\nmodel = "gpt-4o-mini"\nbase_url = "{endpoint.base_url}"\ncache = true\n'
    )
    folder = in_tmp_cwd / "articles"
    folder.mkdir()
    for number, town in enumerate(("Eastport", "Westport", "Northport")):
        (folder / f"{number}.txt").write_text(ARTICLE.replace("Eastport", town))
    code, _, err = run(["batch", str(folder), "--out", "one.jsonl", "-m", "hosted"], capsys)
    calls = len(endpoint.completions)
    assert code == 0 and calls >= 12 and f"{calls} model calls, 0 answered" in err, err
    code, _, err = run(["batch", str(folder), "--out", "two.jsonl", "-m", "hosted"], capsys)
    assert code == 0 and len(endpoint.completions) == calls, err
    assert f"0 model calls, {calls} answered from the cache" in err
    lines = [json.loads(line) for line in (in_tmp_cwd / "two.jsonl").read_text().splitlines()]
    assert len(lines) == 3
    assert sum(line["briefing"]["usage"]["cache_hits"] for line in lines) == calls
    assert all(line["briefing"]["usage"]["calls"] == 0 for line in lines)


def test_a_second_identical_eval_with_cache_makes_no_model_call(
    endpoint: FaultServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dataset = write_dataset(tmp_path / "mini")
    args = ["eval", str(dataset), "-m", "gpt-4o-mini", "--similarity", "lexical", "--cache"]
    code, _, err = run([*args, "--out", str(tmp_path / "one")], capsys)
    calls = len(endpoint.completions)
    assert code == 0 and calls > 0 and f"{calls} model calls, 0 answered" in err, err
    code, _, err = run([*args, "--out", str(tmp_path / "two")], capsys)
    assert code == 0 and len(endpoint.completions) == calls
    assert f"0 model calls, {calls} answered from the cache" in err
    scores = [
        json.loads((tmp_path / run_dir / "results.json").read_text())["aggregate"]
        for run_dir in ("one", "two")
    ]
    assert scores[0] == scores[1]


def test_recordings_imported_answer_a_record_run_without_the_model(tmp_path: Path) -> None:
    # An eval recorded once; after importing its recordings, the same briefing through the
    # cache reaches the model for nothing, and one changed call only reaches it for that call.
    folder = tmp_path / "recordings"
    recorder = RecordingModel(FakeModel(default=reply, profile=profile()), folder)
    first = brief(ARTICLE, model=recorder, strategy="passes")
    recorded = len(list(folder.glob("*.json")))
    assert recorded >= 4
    cache = ResponseCache(tmp_path / "responses.sqlite3")
    assert cache.import_recordings(profile(), folder) == recorded
    assert cache.import_recordings(profile(), folder) == 0  # already there
    inner = FakeModel(default=reply, profile=profile())
    again = brief(ARTICLE, model=CachedModel(inner, cache), strategy="passes")
    assert inner.history == [] and again.usage.cache_hits == recorded
    assert again.model_dump(exclude={"usage"}) == first.model_dump(exclude={"usage"})
    # Another model's recordings share no key: imported, they answer nothing.
    other = FakeModel(default=reply, profile=profile(model="gpt-4.1"))
    brief(ARTICLE, model=CachedModel(other, cache), strategy="passes")
    assert len(other.history) == recorded


def test_import_refuses_a_folder_without_recordings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SUMMARIZE_CACHE_DIR", str(tmp_path / "cache"))
    code, _, err = run(["cache", "import", str(tmp_path), "--model", "local"], capsys)
    assert code == 1 and "no recordings" in err


class _LockedAtFirst:
    """A connection whose first ``fails`` switches to WAL find the file locked, as when another
    process switches a new file at the same moment (SQLite then skips the busy timeout)."""

    def __init__(self, conn: sqlite3.Connection, fails: int, message: str) -> None:
        self.conn, self.fails, self.message, self.switches = conn, fails, message, 0

    def execute(self, sql: str, *args: Any) -> Any:
        if sql == "PRAGMA journal_mode=WAL":
            self.switches += 1
            if self.switches <= self.fails:
                raise sqlite3.OperationalError(self.message)
        return self.conn.execute(sql, *args)

    def executescript(self, sql: str) -> Any:
        return self.conn.executescript(sql)


def test_a_file_locked_while_another_process_switches_it_to_wal_is_waited_for(
    tmp_path: Path,
) -> None:
    path = tmp_path / "c.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    locked = _LockedAtFirst(conn, fails=3, message="database is locked")
    ResponseCache(path)._initialise(locked)  # type: ignore[arg-type]
    assert locked.switches == 4
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # Any other error is not waited for.
    broken = _LockedAtFirst(sqlite3.connect(tmp_path / "d.sqlite3"), fails=1, message="disk I/O")
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        ResponseCache(tmp_path / "d.sqlite3")._initialise(broken)  # type: ignore[arg-type]
    assert broken.switches == 1
