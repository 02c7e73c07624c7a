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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from summarize.config import Settings, load_settings
from summarize.errors import InputError, SummarizeError
from summarize.models import ChatModel, aclose_model
from summarize.pipeline import Pipeline, resolve_model

__all__ = [
    "BatchItem",
    "BatchResult",
    "BatchSummary",
    "abrief_many",
    "brief_many",
    "read_inputs",
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
        if self.text is not None:
            return self.text
        if self.url is not None:
            return self.load()[0]
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


def read_inputs(source: str | Path) -> list[BatchItem]:
    """Items from a folder of .txt/.md/.html files, a JSONL file of ``{"id", "text"}`` or
    ``{"id", "url"}`` lines, or a .urls/.txt file of URLs, one a line (the id is the URL)."""
    path = Path(source)
    if path.is_dir():
        files = sorted(
            p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in INPUT_SUFFIXES
        )
        if not files:
            raise InputError(f"{path}: no {'/'.join(INPUT_SUFFIXES)} files in this folder")
        return [BatchItem(id=p.relative_to(path).as_posix(), path=p) for p in files]
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.suffix.lower() in URL_LIST_SUFFIXES:
        return _read_url_list(path)
    items: list[BatchItem] = []
    seen: set[str] = set()
    problems: list[str] = []
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(f"line {number}: not JSON ({exc.msg})")
                continue
            url = record.get("url") if isinstance(record, dict) else None
            if isinstance(url, str) and "text" not in record:
                record = {"id": url, **record}  # a URL is its own id unless one is given
            elif not isinstance(record, dict) or not isinstance(record.get("text"), str):
                problems.append(f'line {number}: needs {{"id": ..., "text": "..."}} or "url"')
                continue
            item_id = str(record.get("id", number))
            if item_id in seen:
                problems.append(f"line {number}: duplicate id {item_id!r}")
                continue
            seen.add(item_id)
            items.append(BatchItem(id=item_id, text=record.get("text"), url=record.get("url")))
    return _checked(path, items, problems)


def _read_url_list(path: Path) -> list[BatchItem]:
    """One URL a line; blank lines and ``#`` comments skipped; each URL its item's id."""
    from summarize.fetch import is_url

    items: list[BatchItem] = []
    problems: list[str] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            url = line.strip()
            if not url or url.startswith("#"):
                continue
            if not is_url(url):
                problems.append(f"line {number}: not an http(s) URL")
            elif url in seen:
                problems.append(f"line {number}: duplicate URL")
            else:
                seen.add(url)
                items.append(BatchItem(id=url, url=url))
    return _checked(path, items, problems)


def _checked(path: Path, items: list[BatchItem], problems: list[str]) -> list[BatchItem]:
    if problems:
        shown = "; ".join(problems[:5]) + (
            f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
        )
        raise InputError(f"{path}: {shown}")
    if not items:
        raise InputError(f"{path}: no items")
    return items


def _load_done(out: Path, retry_failed: bool) -> set[str]:
    """Ids already in ``out``; a torn last line (a kill mid-write) is cut off."""
    if not out.exists():
        return set()
    done: set[str] = set()
    kept: list[str] = []
    dropped = False
    with out.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            try:
                record = json.loads(line)
                item_id = str(record["id"])
            except (ValueError, KeyError, TypeError):
                dropped = True
                continue
            if retry_failed and not record.get("ok"):
                dropped = True
                continue
            done.add(item_id)
            if not line.endswith("\n"):
                dropped = True  # complete but unterminated: rewrite, or the next line joins it
                line += "\n"
            kept.append(line)
    if dropped:
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text("".join(kept), encoding="utf-8")
        os.replace(tmp, out)
    return done


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
    """Brief every item, at most ``concurrency`` at once, appending each result to ``out``."""
    settings = config if config is not None else load_settings()
    chat_model = resolve_model(model, settings)  # one client for the whole batch
    todo = [i if isinstance(i, BatchItem) else BatchItem(id=i[0], text=i[1]) for i in items]
    out_path = Path(out) if out is not None else None
    summary = BatchSummary()
    done_ids = _load_done(out_path, retry_failed) if out_path else set()
    pending = [i for i in todo if i.id not in done_ids]
    summary.skipped = len(todo) - len(pending)
    if on_start:
        on_start(len(pending), summary.skipped)
    limit = asyncio.Semaphore(concurrency or settings.concurrency)
    started = time.monotonic()
    handle = None
    if out_path:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        handle = out_path.open("a", encoding="utf-8")

    def record(result: BatchResult) -> None:
        if handle:
            handle.write(result.to_json() + "\n")
            handle.flush()
        if result.ok:
            summary.done += 1
        else:
            summary.failed += 1
            kind = (result.error or {}).get("type", "Error")
            summary.errors[kind] = summary.errors.get(kind, 0) + 1
        if on_result:
            on_result(result, summary)

    async def one(item: BatchItem) -> None:
        async with limit:
            t0 = time.monotonic()
            try:
                pipeline = Pipeline(chat_model, settings=settings)
                # In a thread: fetching a URL must not stall the other items.
                text, url = await asyncio.to_thread(item.load) if item.url else item.load()
                briefing = await pipeline.arun(text, url=url)
            except SummarizeError as exc:
                record(BatchResult(item.id, False, time.monotonic() - t0, error=_error(exc)))
                return
            except Exception as exc:  # a bug must not cost the rest of the batch
                record(BatchResult(item.id, False, time.monotonic() - t0, error=_error(exc)))
                return
            summary.prompt_tokens += briefing.usage.prompt_tokens
            summary.completion_tokens += briefing.usage.completion_tokens
            data = briefing.model_dump(mode="json")
            record(BatchResult(item.id, True, time.monotonic() - t0, briefing=data))

    tasks = [asyncio.create_task(one(item)) for item in pending]
    try:
        await asyncio.gather(*tasks)
    except asyncio.CancelledError:
        summary.interrupted = True
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    finally:
        summary.seconds = time.monotonic() - started
        if handle:
            handle.close()
        if chat_model is not model:  # made here, so closed here
            await aclose_model(chat_model)
    return summary


def _error(exc: BaseException) -> dict[str, str]:
    return {
        "type": type(exc).__name__,
        "message": str(exc).splitlines()[0][:500] if str(exc) else "",
    }


def brief_many(
    items: Sequence[BatchItem | tuple[str, str | bytes]],
    **kwargs: Any,
) -> BatchSummary:
    """The sync twin of ``abrief_many``."""
    return asyncio.run(abrief_many(items, **kwargs))
