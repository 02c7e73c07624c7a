"""The Ray Data engine of ``summarize batch --engine ray``: the same batch, over many processes
or many machines.

Ray Data reads the input (a JSONL file of ``{"id", "text"}``, a folder of .txt/.md/.html files,
or Parquet with ``id`` and ``text`` columns) and streams it through ``map_batches`` over a pool
of actors. Each actor builds one model and one pipeline (the embedded model loads once per
actor) and briefs its items concurrently with ``batch.brief_item``, the local engine's own code:
the same record, the same error capture.

The driver writes the results, as they arrive, exactly like the local engine: one JSONL line
per item, flushed at once (or Parquet part files written atomically, for ``--out x.parquet``).
Ids already in the output are skipped on a rerun (``retry_failed`` runs the failures again). A
worker that dies mid-batch has its items retried by Ray on a new actor; an id that arrives twice
(a retried task) is written once.

``RAY_ADDRESS`` or ``ray_address`` connects to an existing cluster; otherwise a local Ray is
started for the batch (no dashboard, quiet logs) and stopped after it. A Ray already
initialised in the process is used as it is.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from summarize.batch import (
    INPUT_SUFFIXES,
    URL_LIST_SUFFIXES,
    BatchInputs,
    BatchItem,
    BatchResult,
    BatchSummary,
    OnResult,
    _load_done,
    brief_item,
    parse_jsonl_line,
    shared_pipeline,
)
from summarize.config import Settings, load_settings
from summarize.errors import ConfigError, InputError
from summarize.models import ChatModel
from summarize.pipeline import resolve_model

__all__ = ["ModelFactory", "ray_brief_many"]

ModelFactory = Callable[[], ChatModel]
"""A zero-argument function that makes the model, called once in each actor. It is pickled to
the workers, so it must be importable there (or defined in the driver's script)."""

# Parquet results are written in parts of this many rows (or older than this many seconds).
PARQUET_ROWS_PER_PART = 500
PARQUET_SECONDS_PER_PART = 60.0


class _Briefer:
    """A Ray Data actor: one model and one pipeline, briefing a batch's rows concurrently."""

    def __init__(
        self, model: str | ModelFactory | None, settings: Settings, in_flight: int
    ) -> None:
        import asyncio

        self.model: ChatModel = model() if callable(model) else resolve_model(model, settings)
        self.pipeline = shared_pipeline(self.model, settings)
        self.limit = asyncio.Semaphore(in_flight)  # items this actor briefs at once

    async def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        import asyncio

        async def one(item: BatchItem) -> BatchResult:
            async with self.limit:
                return await brief_item(self.pipeline, item)

        items = [_to_item(row) for row in _rows(batch)]
        results = await asyncio.gather(*(one(item) for item in items))
        return _columns(results)


def _rows(batch: dict[str, Any]) -> Iterator[dict[str, Any]]:
    keys = list(batch)
    for values in zip(*(batch[k] for k in keys), strict=True):
        yield dict(zip(keys, values, strict=True))


def _to_item(row: dict[str, Any]) -> BatchItem:
    text, url = row["text"], row.get("url")
    return BatchItem(
        id=str(row["id"]),
        text=text if isinstance(text, str | bytes) else None,
        url=url if isinstance(url, str) else None,
    )


def _columns(results: list[BatchResult]) -> dict[str, list[Any]]:
    """Results as columns; briefing and error as JSON text, one type whatever their shape."""
    return {
        "id": [r.id for r in results],
        "ok": [r.ok for r in results],
        "seconds": [round(r.seconds, 3) for r in results],
        "briefing": [json.dumps(r.briefing, ensure_ascii=False) if r.ok else None for r in results],
        "error": [None if r.ok else json.dumps(r.error, ensure_ascii=False) for r in results],
    }


def _result(row: dict[str, Any]) -> BatchResult:
    return BatchResult(
        id=str(row["id"]),
        ok=bool(row["ok"]),
        seconds=float(row["seconds"]),
        briefing=json.loads(row["briefing"]) if row.get("briefing") else None,
        error=json.loads(row["error"]) if row.get("error") else None,
    )


# --- input ----------------------------------------------------------------------------------


def _is_parquet(path: str) -> bool:
    return path.rstrip("/").endswith(".parquet")


def _input_ids(source: str) -> set[str] | None:
    """The ids of a local input, checked as the local engine checks them (a bad line reported
    with its number before anything runs); None for an input only the workers can read."""
    local = Path(source)
    if _is_parquet(source):
        if not local.exists():
            return None
        import pyarrow.parquet as pq

        return {str(i) for i in pq.read_table(local, columns=["id"]).column("id").to_pylist()}
    if not local.exists():
        return None
    if local.is_file() and local.suffix.lower() in URL_LIST_SUFFIXES:
        raise InputError(
            f"{local}: the Ray engine reads JSONL, a folder or Parquet; give URLs as JSONL "
            'lines {"id": ..., "url": "..."}'
        )
    inputs = BatchInputs(local)
    if not local.is_dir():
        # The workers read lines without their numbers, so no line may rely on its number.
        with local.open(encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, 1):
                if line.strip() and "id" not in json.loads(line):
                    raise InputError(f"{local}: line {number}: the Ray engine needs an id")
    return inputs.ids


def _read(source: str, done: set[str], blocks: int | None) -> Any:
    """The dataset of the ``{"id", "text"}`` rows not yet done, in about ``blocks`` blocks."""
    import ray.data

    if _is_parquet(source):
        dataset = ray.data.read_parquet(source, override_num_blocks=blocks).select_columns(
            ["id", "text"]
        )
    elif Path(source).is_dir():
        root = str(Path(source).resolve())
        dataset = ray.data.read_binary_files(
            root,
            include_paths=True,
            file_extensions=[s.lstrip(".") for s in INPUT_SUFFIXES],
            override_num_blocks=blocks,
        ).map_batches(functools.partial(_files_to_rows, root=root), batch_format="numpy")
    else:
        dataset = ray.data.read_text(source, override_num_blocks=blocks).map_batches(
            _lines_to_rows, batch_format="numpy"
        )
    if done:
        dataset = dataset.map_batches(
            functools.partial(_drop_done, done=done), batch_format="numpy"
        )
    return dataset


def _files_to_rows(batch: dict[str, Any], root: str) -> dict[str, list[Any]]:
    return {
        "id": [Path(os.path.relpath(p, root)).as_posix() for p in batch["path"]],
        "text": [bytes(b) for b in batch["bytes"]],
    }


def _lines_to_rows(batch: dict[str, Any]) -> dict[str, list[Any]]:
    ids, texts, urls = [], [], []
    for line in batch["text"]:
        item = parse_jsonl_line(str(line), 0)
        if isinstance(item, BatchItem):
            ids.append(item.id)
            texts.append(item.text)
            urls.append(item.url)
    return {"id": ids, "text": texts, "url": urls}


def _drop_done(batch: dict[str, Any], done: set[str]) -> dict[str, Any]:
    keep = [str(item_id) not in done for item_id in batch["id"]]
    return {name: column[keep] for name, column in batch.items()}


# --- output ---------------------------------------------------------------------------------


class _JsonlOutput:
    """Append-only JSONL, one flushed line per result (the local engine's format)."""

    def __init__(self, path: Path, retry_failed: bool) -> None:
        self.done = _load_done(path, retry_failed)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = path.open("a", encoding="utf-8")

    def write(self, result: BatchResult) -> None:
        self.handle.write(result.to_json() + "\n")
        self.handle.flush()

    def close(self) -> None:
        self.handle.close()


class _ParquetOutput:
    """A folder of Parquet parts, each written whole under a temporary name and then renamed,
    so a part on disk is always complete: the rows of a part are either all kept or not yet
    written (at most ``PARQUET_ROWS_PER_PART`` results are redone after a kill)."""

    def __init__(self, path: Path, retry_failed: bool) -> None:
        import pyarrow.parquet as pq

        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.done: set[str] = set()
        for part in sorted(path.glob("part-*.parquet")):
            table = pq.read_table(part)
            if retry_failed and not all(table.column("ok").to_pylist()):
                table = table.filter(table.column("ok"))
                tmp = part.with_name(part.name + ".tmp")
                pq.write_table(table, tmp)
                os.replace(tmp, part)
            self.done.update(str(i) for i in table.column("id").to_pylist())
        self.number = len(list(path.glob("part-*.parquet")))
        self.rows: list[BatchResult] = []
        self.since = time.monotonic()

    def write(self, result: BatchResult) -> None:
        self.rows.append(result)
        if (
            len(self.rows) >= PARQUET_ROWS_PER_PART
            or time.monotonic() - self.since > PARQUET_SECONDS_PER_PART
        ):
            self.flush()

    def flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not self.rows:
            return
        table = pa.table(
            _columns(self.rows),
            schema=pa.schema(
                [
                    ("id", pa.string()),
                    ("ok", pa.bool_()),
                    ("seconds", pa.float64()),
                    ("briefing", pa.string()),
                    ("error", pa.string()),
                ]
            ),
        )
        while (part := self.path / f"part-{self.number:05d}.parquet").exists():
            self.number += 1
        tmp = part.with_name(part.name + ".tmp")
        pq.write_table(table, tmp)
        os.replace(tmp, part)
        self.rows = []
        self.since = time.monotonic()

    def close(self) -> None:
        self.flush()


# --- the run --------------------------------------------------------------------------------


def _connect(address: str | None, workers: int) -> bool:
    """Connect to Ray; True when this call started it (and so must stop it)."""
    import ray

    if ray.is_initialized():
        return False
    address = address or os.environ.get("RAY_ADDRESS") or None
    common: dict[str, Any] = {
        "logging_level": logging.WARNING,
        "log_to_driver": False,
        "configure_logging": True,
    }
    if address:
        ray.init(address=address, **common)
    else:
        cpus = max(1, min(os.cpu_count() or 1, workers + 1))
        ray.init(num_cpus=cpus, include_dashboard=False, **common)
    return True


def ray_brief_many(
    source: str | Path,
    *,
    out: str | Path,
    model: str | ModelFactory | None = None,
    config: Settings | None = None,
    concurrency: int | None = None,
    workers: int = 2,
    retry_failed: bool = False,
    ray_address: str | None = None,
    on_result: OnResult | None = None,
    on_start: Callable[[int, int], None] | None = None,
    progress: bool = False,
) -> BatchSummary:
    """Brief every item of ``source`` on Ray, ``workers`` actors, ``concurrency`` items in
    flight in all, appending each result to ``out`` (a ``.parquet`` name: Parquet parts)."""
    try:
        import ray
        import ray.data
        from ray.data import ActorPoolStrategy
    except ImportError:
        raise ConfigError(
            "the Ray engine needs the ray extra: pip install 'summarize[ray]'"
        ) from None
    if workers < 1:
        raise ConfigError("workers must be at least 1")
    settings = config if config is not None else load_settings()
    out_path = Path(out)
    output: _JsonlOutput | _ParquetOutput = (
        _ParquetOutput(out_path, retry_failed)
        if _is_parquet(str(out_path))
        else _JsonlOutput(out_path, retry_failed)
    )
    summary = BatchSummary()
    started = time.monotonic()
    stop_ray = False
    try:
        source_text = str(source)
        if not _is_parquet(source_text) and "://" not in source_text and not Path(source).exists():
            raise InputError(f"{source}: no such file or folder")
        ids = _input_ids(source_text)
        width = concurrency or settings.concurrency
        per_actor = max(1, -(-width // workers))
        blocks, actors = None, workers
        if ids is not None:
            summary.skipped = sum(1 for i in ids if i in output.done)
            todo = len(ids) - summary.skipped
            if on_start:
                on_start(todo, summary.skipped)
            # Blocks of a few batches each, so that every actor has work from the start (a
            # small file would otherwise be one block, hence one busy actor and idle others).
            blocks = max(1, min(len(ids), max(2 * workers, -(-len(ids) // (4 * per_actor)))))
            actors = max(1, min(workers, todo))
            if not todo:
                return summary
        stop_ray = _connect(ray_address, workers)
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = progress
        context.print_on_execution_start = progress
        dataset = _read(source_text, output.done, blocks)
        briefed = dataset.map_batches(
            _Briefer,
            fn_constructor_kwargs={"model": model, "settings": settings, "in_flight": per_actor},
            batch_size=per_actor,
            compute=ActorPoolStrategy(min_size=actors, max_size=workers),
            num_cpus=0.5,  # actors mostly wait on a model; the reads need CPU too
        )
        seen: set[str] = set()
        for row in briefed.iter_rows():
            result = _result(row)
            if result.id in seen or result.id in output.done:
                continue  # a retried task's second answer
            seen.add(result.id)
            output.write(result)
            summary.add(result)
            if on_result:
                on_result(result, summary)
    except KeyboardInterrupt:
        summary.interrupted = True
        raise
    finally:
        summary.seconds = time.monotonic() - started
        output.close()
        if stop_ray:
            ray.shutdown()
    return summary
