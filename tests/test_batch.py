"""Batches: per-item failures recorded, nothing lost, reruns resume, inputs validated."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from summarize import BatchItem, abrief_many, brief_many
from summarize.batch import read_inputs
from summarize.cli import main
from summarize.config import Settings
from summarize.errors import InputError, PermanentModelError
from summarize.models import CompletionRequest
from summarize.schema import DraftActor, DraftBriefing, DraftPosition
from summarize.testing import FakeModel

ARTICLE = "Officials in {city} said on Monday that the bridge would close for repairs in May."


def draft(request: CompletionRequest) -> DraftBriefing:
    article = request.messages[-1]["content"]
    city = article.split("Officials in ")[1].split(" said")[0]
    return DraftBriefing(
        summary=f"{city} closes a bridge.",
        actors=[DraftActor(name=f"{city} officials", aliases=[], kind="group", role="")],
        positions=[
            DraftPosition(
                actor=f"{city} officials",
                evidence=["the bridge would close for repairs in May"],
                stance="Close the bridge.",
            )
        ],
        open_questions=[],
    )


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_every_item_gets_one_line_and_failures_do_not_stop_the_batch(tmp_path: Path) -> None:
    items = [(f"city-{i}", ARTICLE.format(city=f"City{i}")) for i in range(6)]
    items.insert(2, ("empty", "   "))
    model = FakeModel(default=draft)
    out = tmp_path / "results.jsonl"
    summary = brief_many(
        items, out=out, model=model, config=Settings(strategy="single"), concurrency=3
    )
    assert (summary.done, summary.failed, summary.skipped) == (6, 1, 0)
    assert summary.errors == {"InputError": 1}
    records = {r["id"]: r for r in lines(out)}
    assert sorted(records) == sorted(i for i, _ in items)
    assert records["empty"]["ok"] is False
    assert records["empty"]["error"]["type"] == "InputError"  # type: ignore[index]
    assert records["city-4"]["briefing"]["summary"] == "City4 closes a bridge."  # type: ignore[index]
    assert summary.prompt_tokens > 0


def test_a_rerun_skips_what_is_done_and_drops_a_torn_line(tmp_path: Path) -> None:
    items = [(f"c{i}", ARTICLE.format(city=f"C{i}")) for i in range(5)]
    out = tmp_path / "results.jsonl"
    brief_many(
        items[:3], out=out, model=FakeModel(default=draft), config=Settings(strategy="single")
    )
    with out.open("a") as handle:
        handle.write('{"id": "c3", "ok": tr')  # killed mid-write
    model = FakeModel(default=draft)
    summary = brief_many(items, out=out, model=model, config=Settings(strategy="single"))
    assert (summary.done, summary.skipped) == (2, 3)
    assert len(model.history) == 2
    assert sorted(r["id"] for r in lines(out)) == ["c0", "c1", "c2", "c3", "c4"]  # type: ignore[type-var]


def test_failures_are_skipped_on_rerun_unless_retried(tmp_path: Path) -> None:
    items = [("a", ARTICLE.format(city="A")), ("b", ARTICLE.format(city="B"))]
    out = tmp_path / "results.jsonl"
    failing = FakeModel(draft, PermanentModelError("HTTP 401, the API key was rejected"))
    first = brief_many(
        items, out=out, model=failing, config=Settings(strategy="single"), concurrency=1
    )
    assert (first.done, first.failed) == (1, 1)
    again = brief_many(
        items, out=out, model=FakeModel(default=draft), config=Settings(strategy="single")
    )
    assert (again.done, again.skipped) == (0, 2)
    retried = brief_many(
        items,
        out=out,
        model=FakeModel(default=draft),
        config=Settings(strategy="single"),
        retry_failed=True,
    )
    assert (retried.done, retried.skipped) == (1, 1)
    assert sorted((r["id"], r["ok"]) for r in lines(out)) == [("a", True), ("b", True)]  # type: ignore[type-var]


async def test_cancelling_keeps_what_finished(tmp_path: Path) -> None:
    gate = asyncio.Event()

    class Slow(FakeModel):
        async def acomplete(self, request: CompletionRequest):  # type: ignore[no-untyped-def]
            if "City0" not in request.messages[-1]["content"]:
                await gate.wait()  # never set: these are in flight when cancelled
            return self._next(request)

    items = [BatchItem(id=f"c{i}", text=ARTICLE.format(city=f"City{i}")) for i in range(4)]
    out = tmp_path / "results.jsonl"
    task = asyncio.create_task(
        abrief_many(
            items,
            out=out,
            model=Slow(default=draft),
            config=Settings(strategy="single"),
            concurrency=4,
        )
    )
    while not out.exists() or not out.read_text():
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [r["id"] for r in lines(out)] == ["c0"]


def test_inputs_from_a_folder_and_from_jsonl(tmp_path: Path) -> None:
    (tmp_path / "docs" / "sub").mkdir(parents=True)
    (tmp_path / "docs" / "a.txt").write_text("A")
    (tmp_path / "docs" / "sub" / "b.html").write_text("<p>B</p>")
    (tmp_path / "docs" / "notes.pdf").write_bytes(b"%PDF")
    assert [i.id for i in read_inputs(tmp_path / "docs")] == ["a.txt", "sub/b.html"]
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text('{"id": "x", "text": "X"}\n\n{"id": 7, "text": "Y"}\n')
    assert [(i.id, i.text) for i in read_inputs(jsonl)] == [("x", "X"), ("7", "Y")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"id": "x", "text": "X"}\nnot json\n', "line 2: not JSON"),
        ('{"id": "x"}\n', 'line 1: needs {"id"'),
        ('{"id": "x", "text": "X"}\n{"id": "x", "text": "Y"}\n', "line 2: duplicate id 'x'"),
        ("\n", "no items"),
    ],
)
def test_bad_jsonl_names_the_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(content)
    with pytest.raises(InputError, match=message.replace("{", r"\{")):
        read_inputs(path)


def test_the_batch_command_summarises_and_fails_when_items_fail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import summarize.batch

    model = FakeModel(default=draft)
    monkeypatch.setattr(summarize.batch, "resolve_model", lambda name, settings: model)
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(3):
        (docs / f"{i}.txt").write_text(ARTICLE.format(city=f"Town{i}"))
    (docs / "3.txt").write_bytes(b"\x00\x01binary")
    out = tmp_path / "out.jsonl"
    with pytest.raises(SystemExit) as info:
        main(["batch", str(docs), "--out", str(out), "--quiet", "--strategy", "single"])
    err = capsys.readouterr().err
    assert info.value.code == 1
    assert "3 done, 1 failed, 0 skipped" in err and "InputError x1" in err
    assert len(lines(out)) == 4


async def test_a_batch_reads_its_input_lazily_keeping_at_most_concurrency_in_flight(
    tmp_path: Path,
) -> None:
    read: list[str] = []
    finished: list[str] = []
    ahead: list[int] = []

    def items() -> Iterator[tuple[str, str]]:
        for i in range(20):
            read.append(f"c{i}")
            ahead.append(len(read) - len(finished))
            yield f"c{i}", ARTICLE.format(city=f"City{i}")

    class Slow(FakeModel):
        async def acomplete(self, request: CompletionRequest):  # type: ignore[no-untyped-def]
            await asyncio.sleep(0)  # let the other workers run
            return self._next(request)

    summary = await abrief_many(
        items(),
        out=tmp_path / "results.jsonl",
        model=Slow(default=draft),
        config=Settings(strategy="single"),
        concurrency=3,
        on_result=lambda result, _: finished.append(result.id),
    )
    assert summary.done == 20
    assert max(ahead) == 3  # three workers, each holding one item
    assert sorted(finished) == sorted(read)


def test_a_rerun_of_a_lazy_input_counts_what_it_skips_before_it_starts(tmp_path: Path) -> None:
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text(
        "".join(
            json.dumps({"id": f"c{i}", "text": ARTICLE.format(city=f"C{i}")}) + "\n"
            for i in range(5)
        )
    )
    out = tmp_path / "results.jsonl"
    out.write_text(
        "".join(json.dumps({"id": f"c{i}", "ok": True, "seconds": 1}) + "\n" for i in (1, 3))
    )
    starts: list[tuple[int, int]] = []
    model = FakeModel(default=draft)
    summary = brief_many(
        read_inputs(jsonl),
        out=out,
        model=model,
        config=Settings(strategy="single"),
        on_start=lambda pending, skipped: starts.append((pending, skipped)),
    )
    assert starts == [(3, 2)]
    assert (summary.done, summary.skipped) == (3, 2)
    assert [r["id"] for r in lines(out)] == ["c1", "c3", "c0", "c2", "c4"]


def test_lazy_inputs_can_be_read_again_and_know_their_size(tmp_path: Path) -> None:
    (tmp_path / "docs" / "b").mkdir(parents=True)
    for name in ("c.txt", "b/z.md", "a.html", "b/a.txt", "b.txt"):
        (tmp_path / "docs" / name).write_text(name)
    inputs = read_inputs(tmp_path / "docs")
    expected = ["a.html", "b/a.txt", "b/z.md", "b.txt", "c.txt"]
    assert [i.id for i in inputs] == [i.id for i in inputs] == expected
    assert len(inputs) == 5
    # the order of a sorted recursive listing, as before the input was read lazily
    assert expected == sorted(expected, key=lambda name: Path(name).parts)
