"""Briefing many articles: bounded concurrency, every result kept, resumable, interruptible.

Each result is appended to a JSONL file and flushed as one line the moment it is done, so a
crash, a ``kill -9`` or Ctrl-C loses at most the work in flight. Rerunning the same batch skips
every id already in the file (``retry_failed`` re-runs the failures instead of skipping them).
A failure of one item (bad input, a model that keeps failing) is recorded as a line with the
error's type and message and never stops the batch.

Lines look like::

    {"id": "a.txt", "ok": true, "seconds": 41.2, "briefing": {...}}
    {"id": "b.txt", "ok": false, "seconds": 0.0, "error": {"type": "InputError", "message": "..."}}
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sized
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from summarize.config import Settings, load_settings
from summarize.errors import InputError
from summarize.models import ChatModel, aclose_model
from summarize.pipeline import Pipeline, resolve_model

__all__ = [
    "BatchInputs",
    "BatchItem",
    "BatchResult",
    "BatchSummary",
    "abrief_many",
    "brief_item",
    "brief_many",
    "read_inputs",
    "shared_pipeline",
]

INPUT_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")
URL_LIST_SUFFIXES = (".urls", ".txt")


@dataclass(frozen=True)
class BatchItem:
    """One article of a batch: its text, or the file to read it from or the URL to fetch it
    from when its turn comes (a fetch that fails is that item's ``FetchError``)."""

    id: str
    text: str | bytes | None = None
    path: Path | None = None
    url: str | None = None

    def load(self) -> tuple[str | bytes, str | None]:
        """The article, and the URL it was fetched from (where redirects ended), if any."""
        if self.text is None and self.url is not None:
            from summarize.fetch import fetch

            page = fetch(self.url)
            return page.text, page.url
        return self.read(), self.url

    def read(self) -> str | bytes:
        if self.url is not None and self.text is None:
            return self.load()[0]
        if self.text is not None:
            return self.text
        if self.path is None:
            raise InputError(f"{self.id}: no text")
        try:
            return self.path.read_bytes()
        except OSError as exc:
            raise InputError(f"{self.path}: {exc.strerror or exc}") from None


@dataclass(frozen=True)
class BatchResult:
    """What one item produced: a briefing (as JSON data) or an error."""

    id: str
    ok: bool
    seconds: float
    briefing: dict[str, Any] | None = None
    error: dict[str, str] | None = None

    def to_json(self) -> str:
        data: dict[str, Any] = {"id": self.id, "ok": self.ok, "seconds": round(self.seconds, 3)}
        if self.ok:
            data["briefing"] = self.briefing
        else:
            data["error"] = self.error
        return json.dumps(data, ensure_ascii=False)


@dataclass
class BatchSummary:
    done: int = 0
    failed: int = 0
    skipped: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    errors: dict[str, int] = field(default_factory=dict)

    def add(self, result: BatchResult) -> None:
        """Count one result: done or failed (by error type), and the tokens it cost."""
        if result.ok:
            self.done += 1
            usage = (result.briefing or {}).get("usage") or {}
            self.prompt_tokens += int(usage.get("prompt_tokens", 0))
            self.completion_tokens += int(usage.get("completion_tokens", 0))
        else:
            self.failed += 1
            kind = (result.error or {}).get("type", "Error")
            self.errors[kind] = self.errors.get(kind, 0) + 1

    @property
    def total(self) -> int:
        return self.done + self.failed + self.skipped

    def line(self) -> str:
        parts = [
            f"{self.done} done",
            f"{self.failed} failed",
            f"{self.skipped} skipped",
            f"{self.prompt_tokens + self.completion_tokens:,} tokens "
            f"({self.prompt_tokens:,} prompt, {self.completion_tokens:,} completion)",
            f"{self.seconds:.1f}s",
        ]
        if self.errors:
            parts.append("errors: " + ", ".join(f"{k} x{v}" for k, v in self.errors.items()))
        return ("interrupted: " if self.interrupted else "") + ", ".join(parts)


class BatchInputs:
    """The items of a folder, a JSONL file or a list of URLs, read lazily.

    Every line is checked when this is made (a bad line is reported with its number before
    anything runs), keeping only the ids; each iteration then reads the source again, one item
    at a time, so a batch holds the texts of the items in flight and no more.
    """

    def __init__(self, source: str | Path) -> None:
        self.path = Path(source)
        if self.path.is_dir():
            self.ids = {item.id for item in self._folder_items()}
            if not self.ids:
                raise InputError(f"{self.path}: no {'/'.join(INPUT_SUFFIXES)} files in this folder")
        elif self.path.exists() and self.path.suffix.lower() in URL_LIST_SUFFIXES:
            self.ids = _check_lines(self.path, _url_lines)
        elif self.path.exists():
            self.ids = _check_lines(self.path, _jsonl_lines)
        else:
            raise InputError(f"{self.path}: no such file or folder")

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[BatchItem]:
        if self.path.is_dir():
            return self._folder_items()
        lines = _url_lines if self.path.suffix.lower() in URL_LIST_SUFFIXES else _jsonl_lines
        return (item for _, item in lines(self.path) if isinstance(item, BatchItem))

    def _folder_items(self) -> Iterator[BatchItem]:
        """Files in the order of their sorted relative paths, one folder listed at a time."""
        root = self.path

        def walk(folder: Path) -> Iterator[BatchItem]:
            for entry in sorted(folder.iterdir(), key=lambda p: p.name):
                if entry.is_dir():
                    yield from walk(entry)
                elif entry.is_file() and entry.suffix.lower() in INPUT_SUFFIXES:
                    yield BatchItem(id=entry.relative_to(root).as_posix(), path=entry)

        return walk(root)


def read_inputs(source: str | Path) -> BatchInputs:
    """Items from a folder of .txt/.md/.html files, a JSONL file of ``{"id", "text"}`` or
    ``{"id", "url"}`` lines, or a .urls/.txt file of URLs, one a line (the id is the URL)."""
    return BatchInputs(source)


_Line = tuple[int, BatchItem | str]  # line number, and its item or a problem to report


def parse_jsonl_line(line: str, number: int) -> BatchItem | str | None:
    """One JSONL input line: its item, a problem to report, or None for a blank line."""
    if not line.strip():
        return None
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return f"line {number}: not JSON ({exc.msg})"
    url = record.get("url") if isinstance(record, dict) else None
    if isinstance(url, str) and "text" not in record:
        record = {"id": url, **record}  # a URL is its own id unless one is given
    elif not isinstance(record, dict) or not isinstance(record.get("text"), str):
        return f'line {number}: needs {{"id": ..., "text": "..."}} or "url"'
    return BatchItem(id=str(record.get("id", number)), text=record.get("text"), url=url)


def _jsonl_lines(path: Path) -> Iterator[_Line]:
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            item = parse_jsonl_line(line, number)
            if item is not None:
                yield number, item


def _url_lines(path: Path) -> Iterator[_Line]:
    """One URL a line; blank lines and ``#`` comments skipped; each URL its item's id."""
    from summarize.fetch import is_url

    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            url = line.strip()
            if not url or url.startswith("#"):
                continue
            if is_url(url):
                yield number, BatchItem(id=url, url=url)
            else:
                yield number, f"line {number}: not an http(s) URL"


def _check_lines(path: Path, lines: Callable[[Path], Iterator[_Line]]) -> set[str]:
    """The ids of a line-based input; every bad line and duplicate id reported in one error."""
    seen: set[str] = set()
    problems: list[str] = []
    for number, line in lines(path):
        if isinstance(line, str):
            problems.append(line)
        elif line.id in seen:
            problems.append(f"line {number}: duplicate id {line.id!r}")
        else:
            seen.add(line.id)
    if problems:
        shown = "; ".join(problems[:5]) + (
            f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
        )
        raise InputError(f"{path}: {shown}")
    if not seen:
        raise InputError(f"{path}: no items")
    return seen


def _load_done(out: Path, retry_failed: bool) -> set[str]:
    """Ids already in ``out``; a torn last line (a kill mid-write) is cut off.

    Read as a stream, and rewritten (as a stream too) only when a line must go.
    """
    if not out.exists():
        return set()
    done: set[str] = set()
    rewrite = False
    for line, item_id in _output_lines(out, retry_failed):
        if item_id is None:
            rewrite = True
            continue
        done.add(item_id)
        if not line.endswith("\n"):
            rewrite = True  # complete but unterminated: rewrite, or the next line joins it
    if rewrite:
        tmp = out.with_name(out.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as kept:
            for line, item_id in _output_lines(out, retry_failed):
                if item_id is not None:
                    kept.write(line if line.endswith("\n") else line + "\n")
        os.replace(tmp, out)
    return done


def _output_lines(out: Path, retry_failed: bool) -> Iterator[tuple[str, str | None]]:
    """Each line of a results file with its id, or None for a line to drop."""
    with out.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            try:
                record = json.loads(line)
                item_id: str | None = str(record["id"])
            except (ValueError, KeyError, TypeError):
                item_id = None
            else:
                if retry_failed and not record.get("ok"):
                    item_id = None
            yield line, item_id


OnResult = Callable[[BatchResult, BatchSummary], None]


async def abrief_many(
    items: Iterable[BatchItem | tuple[str, str | bytes]],
    *,
    out: str | Path | None = None,
    model: str | ChatModel | None = None,
    config: Settings | None = None,
    concurrency: int | None = None,
    retry_failed: bool = False,
    on_result: OnResult | None = None,
    on_start: Callable[[int, int], None] | None = None,
) -> BatchSummary:
    """Brief every item, at most ``concurrency`` at once, appending each result to ``out``.

    ``items`` is consumed lazily (``read_inputs`` reads one item at a time): only the items in
    flight are held, whatever the size of the input. ``on_start(pending, skipped)`` is called
    before the first item when the input's size is known (a list, ``read_inputs``' result).
    """
    settings = config if config is not None else load_settings()
    chat_model = resolve_model(model, settings)  # one client for the whole batch
    out_path = Path(out) if out is not None else None
    summary = BatchSummary()
    done_ids = _load_done(out_path, retry_failed) if out_path else set()
    if on_start and isinstance(items, Sized):
        ids = items.ids if isinstance(items, BatchInputs) else (_item(i).id for i in items)
        skipped = sum(1 for item_id in ids if item_id in done_ids)
        on_start(len(items) - skipped, skipped)
    width = concurrency or settings.concurrency
    started = time.monotonic()
    handle = None
    if out_path:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        handle = out_path.open("a", encoding="utf-8")

    def record(result: BatchResult) -> None:
        if handle:
            handle.write(result.to_json() + "\n")
            handle.flush()
        summary.add(result)
        if on_result:
            on_result(result, summary)

    def pending() -> Iterator[BatchItem]:
        for entry in items:
            item = _item(entry)
            if item.id in done_ids:
                summary.skipped += 1
            else:
                yield item

    todo = pending()
    pipeline = shared_pipeline(chat_model, settings)

    async def worker() -> None:
        # The workers share one iterator: each takes the next item when it is free, so at most
        # ``width`` items are read and in flight at any time.
        for item in todo:
            record(await brief_item(pipeline, item))

    workers = [asyncio.create_task(worker()) for _ in range(width)]
    try:
        await asyncio.gather(*workers)
    except asyncio.CancelledError:
        summary.interrupted = True
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        raise
    finally:
        summary.seconds = time.monotonic() - started
        if handle:
            handle.close()
        if chat_model is not model:  # made here, so closed here
            await aclose_model(chat_model)
    return summary


def _item(entry: BatchItem | tuple[str, str | bytes]) -> BatchItem:
    return entry if isinstance(entry, BatchItem) else BatchItem(id=entry[0], text=entry[1])


def shared_pipeline(model: ChatModel, settings: Settings) -> Callable[[], Pipeline]:
    """One pipeline for a whole batch (its templates compiled once), made on first use so that
    a failure to make it is recorded as an item's error, like any other."""
    made: list[Pipeline] = []

    def get() -> Pipeline:
        if not made:
            made.append(Pipeline(model, settings=settings))
        return made[0]

    return get


async def brief_item(make_pipeline: Callable[[], Pipeline], item: BatchItem) -> BatchResult:
    """One item's result; every failure is captured, never raised (shared by the engines)."""
    started = time.monotonic()
    try:
        # In a thread: fetching a URL must not stall the other items.
        text, url = await asyncio.to_thread(item.load) if item.url else item.load()
        briefing = await make_pipeline().arun(text, url=url)
    except Exception as exc:  # a SummarizeError, or a bug that must not cost the whole batch
        return BatchResult(item.id, False, time.monotonic() - started, error=_error(exc))
    data = briefing.model_dump(mode="json")
    return BatchResult(item.id, True, time.monotonic() - started, briefing=data)


def _error(exc: BaseException) -> dict[str, str]:
    return {
        "type": type(exc).__name__,
        "message": str(exc).splitlines()[0][:500] if str(exc) else "",
    }


def brief_many(
    items: Iterable[BatchItem | tuple[str, str | bytes]],
    **kwargs: Any,
) -> BatchSummary:
    """The sync twin of ``abrief_many``."""
    return asyncio.run(abrief_many(items, **kwargs))
