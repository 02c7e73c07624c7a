"""The Ray engine on a local Ray instance (one per session, 2 CPUs) with fake models: the local
engine's records and error capture, resumable reruns, every input and output format, the CLI,
and a worker killed mid-run (nothing lost, nothing written twice)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from summarize.config import Settings
from summarize.models import ChatModel, CompletionRequest
from summarize.testing import FakeModel, echo_model, echo_reply

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.ray

from summarize.ray_engine import ray_brief_many  # noqa: E402

SINGLE = Settings(strategy="single")


def article(number: int) -> str:
    return (
        f"The council of Town {number} voted on Tuesday to approve harbour plan {number}. "
        f"Mayor Ana Ruiz said the plan would create {100 + number} local jobs."
    )


@pytest.fixture(scope="session", autouse=True)
def ray_instance() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    # The workers cannot import this test module: what it defines travels by value.
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield
    ray.shutdown()


def write_jsonl(path: Path, ids: list[str], texts: dict[str, str] | None = None) -> Path:
    texts = texts or {}
    with path.open("w", encoding="utf-8") as handle:
        for number, item_id in enumerate(ids):
            text = texts.get(item_id, article(number))
            handle.write(json.dumps({"id": item_id, "text": text}) + "\n")
    return path


def records(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


class CrashOnce:
    """A model factory whose model kills its own process (the Ray actor) on the article of
    ``item`` the first time, as a worker lost mid-run; a marker file remembers it happened."""

    def __init__(self, marker: Path, item: int) -> None:
        self.marker = marker
        self.words = f"Town {item} voted"

    def __call__(self) -> ChatModel:
        def reply(request: CompletionRequest) -> object:
            if self.words in request.messages[-1]["content"] and not self.marker.exists():
                self.marker.write_text(str(os.getpid()))
                os._exit(1)
            return echo_reply(request)

        return FakeModel(default=reply, keep_history=False)


def test_the_ray_engine_writes_the_local_engines_records_and_captures_failures(
    tmp_path: Path,
) -> None:
    ids = [f"a{i:02d}" for i in range(12)]
    source = write_jsonl(tmp_path / "in.jsonl", ids, {"a03": "   "})
    out = tmp_path / "out.jsonl"
    summary = ray_brief_many(source, out=out, model=echo_model, config=SINGLE, concurrency=4)
    assert (summary.done, summary.failed, summary.skipped) == (11, 1, 0)
    assert summary.errors == {"InputError": 1} and summary.prompt_tokens > 0
    by_id = {r["id"]: r for r in records(out)}
    assert sorted(by_id) == ids
    assert by_id["a03"]["ok"] is False
    assert by_id["a03"]["error"]["type"] == "InputError"  # type: ignore[index]
    assert by_id["a05"]["briefing"]["summary"].startswith(  # type: ignore[index]
        "The article begins: The council of Town 5"
    )
    assert set(by_id["a05"]) == {"id", "ok", "seconds", "briefing"}


def test_a_ray_rerun_skips_what_is_done_and_retries_failures_on_request(tmp_path: Path) -> None:
    ids = [f"b{i}" for i in range(6)]
    source = write_jsonl(tmp_path / "in.jsonl", ids, {"b1": ""})
    out = tmp_path / "out.jsonl"
    out.write_text(
        json.dumps({"id": "b0", "ok": True, "seconds": 1.0, "briefing": {}}) + "\n"
        '{"id": "b4", "ok": tr'  # torn by a kill
    )
    starts: list[tuple[int, int]] = []
    first = ray_brief_many(
        source, out=out, model=echo_model, config=SINGLE, on_start=lambda *a: starts.append(a)
    )
    assert starts == [(5, 1)]
    assert (first.done, first.failed, first.skipped) == (4, 1, 1)
    again = ray_brief_many(source, out=out, model=echo_model, config=SINGLE)
    assert (again.done, again.failed, again.skipped) == (0, 0, 6)
    fixed = write_jsonl(tmp_path / "fixed.jsonl", ids)
    retried = ray_brief_many(fixed, out=out, model=echo_model, config=SINGLE, retry_failed=True)
    assert (retried.done, retried.skipped) == (1, 5)
    assert sorted((r["id"], r["ok"]) for r in records(out)) == [(i, True) for i in ids]  # type: ignore[type-var]


def test_a_folder_in_and_parquet_out_then_parquet_in(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "a.txt").write_text(article(1))
    (docs / "sub" / "b.html").write_text(f"<p>{article(2)}</p>")
    (docs / "notes.pdf").write_bytes(b"%PDF")
    out = tmp_path / "results.parquet"
    summary = ray_brief_many(docs, out=out, model=echo_model, config=SINGLE)
    assert (summary.done, summary.failed) == (2, 0)
    table = pq.read_table(out)
    assert sorted(table.column("id").to_pylist()) == ["a.txt", "sub/b.html"]
    assert table.column_names == ["id", "ok", "seconds", "briefing", "error"]
    briefing = json.loads(table.column("briefing")[0].as_py())
    assert briefing["summary"].startswith("The article begins: The council of Town")
    assert ray_brief_many(docs, out=out, model=echo_model, config=SINGLE).skipped == 2

    source = tmp_path / "in.parquet"
    pq.write_table(
        pq.read_table(out).select(["id"]).append_column("text", [[article(7), article(8)]]),
        source,
    )
    again = ray_brief_many(source, out=tmp_path / "second.jsonl", model=echo_model, config=SINGLE)
    assert again.done == 2
    assert sorted(r["id"] for r in records(tmp_path / "second.jsonl")) == ["a.txt", "sub/b.html"]  # type: ignore[type-var]


def test_a_worker_killed_mid_run_loses_nothing_and_writes_nothing_twice(tmp_path: Path) -> None:
    ids = [f"k{i:02d}" for i in range(16)]
    source = write_jsonl(tmp_path / "in.jsonl", ids)
    out = tmp_path / "out.jsonl"
    marker = tmp_path / "crashed"
    summary = ray_brief_many(
        source, out=out, model=CrashOnce(marker, item=5), config=SINGLE, concurrency=4
    )
    assert marker.exists()  # a worker did die on k05
    assert (summary.done, summary.failed) == (16, 0)
    written = [r["id"] for r in records(out)]
    assert sorted(written) == ids  # each id exactly once


def test_the_batch_command_runs_on_ray_against_an_endpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from summarize.cli import main
    from summarize.testing_server import FaultServer, Respond, echo_briefing

    source = write_jsonl(tmp_path / "in.jsonl", ["x", "y", "z"])
    out = tmp_path / "out.jsonl"
    with FaultServer(Respond(echo_briefing)) as server:
        monkeypatch.setenv("SUMMARIZE_BASE_URL", server.base_url)
        main(["batch", str(source), "--out", str(out), "--engine", "ray", "--model", "gpt-4o-mini",
              "--strategy", "single", "--quiet"])  # fmt: skip
        assert len(server.requests) == 3
    assert "3 done, 0 failed, 0 skipped" in capsys.readouterr().err
    assert sorted(r["id"] for r in records(out)) == ["x", "y", "z"]  # type: ignore[type-var]


def test_the_ray_engine_reports_a_missing_input_and_a_bad_line_before_it_runs(
    tmp_path: Path,
) -> None:
    from summarize.errors import InputError

    with pytest.raises(InputError, match="no such file"):
        ray_brief_many(tmp_path / "nope.jsonl", out=tmp_path / "o.jsonl", model=echo_model)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "text": "A"}\nnot json\n')
    with pytest.raises(InputError, match="line 2: not JSON"):
        ray_brief_many(bad, out=tmp_path / "o.jsonl", model=echo_model)
    bad.write_text('{"id": "a", "text": "A"}\n{"text": "B"}\n')
    with pytest.raises(InputError, match="line 2: the Ray engine needs an id"):
        ray_brief_many(bad, out=tmp_path / "o.jsonl", model=echo_model)
