"""A persistent cache of model replies, so a rerun with unchanged prompts costs no model calls.

``CachedModel`` wraps any ``ChatModel``: before a call it looks the request up in a
``ResponseCache`` (SQLite, ``responses.sqlite3`` in the cache folder); on a hit it returns the
stored reply marked ``from_cache`` and never reaches the model; on a miss it calls the model and
keeps the reply. A reply is found by the profile's name, its endpoint (without credentials or
query) and ``summarize.recording.call_key``: the key of the eval recordings (model, parameters,
messages, schema). A changed template changes the messages of exactly the calls it renders, so
only those miss. The API key is in neither the key nor the row.

What is kept: a complete reply (``finish_reason`` "stop", no refusal, some text), as the model
gave it, even one the re-ask loop then rejects, so a rerun replays the same conversation. Not
kept: errors, cut-off replies, refusals, and every call of a profile that samples
(``temperature`` > 0) without a ``seed``, since the user asked for a fresh sample each time.

Concurrency: WAL mode (readers never wait for a writer) and a busy timeout; every operation
opens its own short-lived connection, so threads, event loops, forked workers and separate
processes share one file safely. The async path does its SQLite work in a worker thread. A cache
that cannot be read or written (a locked or damaged file) costs a warning, never a briefing.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from summarize.config import ModelProfile, Settings
from summarize.errors import ConfigError
from summarize.models import ChatModel, Completion, CompletionRequest
from summarize.recording import call_key

__all__ = [
    "CacheCounts",
    "CacheStats",
    "CachedModel",
    "ResponseCache",
    "default_cache_path",
    "is_cacheable",
]

log = logging.getLogger(__name__)

CACHE_FILE = "responses.sqlite3"
SCHEMA_VERSION = 1
BUSY_TIMEOUT_SECONDS = 30.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS replies (
    profile     TEXT NOT NULL,
    endpoint    TEXT NOT NULL,
    key         TEXT NOT NULL,
    model       TEXT NOT NULL,
    schema_name TEXT NOT NULL,
    completion  TEXT NOT NULL,
    created     REAL NOT NULL,
    used        REAL NOT NULL,
    hits        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (profile, endpoint, key)
);
CREATE INDEX IF NOT EXISTS replies_used ON replies (used);
"""
_COMPLETION_FIELDS = {f.name for f in dataclasses.fields(Completion)}


def default_cache_path(settings: Settings | None = None) -> Path:
    """``responses.sqlite3`` in ``$SUMMARIZE_CACHE_DIR``, else the configuration's
    ``cache_dir``, else the user cache folder (``~/.cache/summarize`` on Linux): the folder
    the embedded model's weights are assembled in."""
    from summarize.local import cache_dir

    if settings is not None and settings.cache_dir and not os.environ.get("SUMMARIZE_CACHE_DIR"):
        return settings.cache_dir.expanduser() / CACHE_FILE
    return cache_dir() / CACHE_FILE


def is_cacheable(profile: ModelProfile) -> bool:
    """Whether a profile's replies may be cached: greedy, or sampled with a seed."""
    return profile.temperature == 0 or profile.seed is not None


def _endpoint(profile: ModelProfile) -> str:
    """The endpoint without user, password, query or fragment: part of a row, so no secret."""
    parts = urlsplit(profile.endpoint)
    if not parts.scheme or not parts.netloc:
        return profile.endpoint
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return urlunsplit((parts.scheme, f"{parts.hostname or ''}{port}", parts.path, "", ""))


_INSERT = (
    "INSERT OR IGNORE INTO replies "
    "(profile, endpoint, key, model, schema_name, completion, created, used) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def _complete_reply(completion: Completion) -> bool:
    return (
        completion.finish_reason == "stop"
        and completion.refusal is None
        and bool(completion.text.strip())
        and not completion.from_cache
    )


@dataclass(frozen=True)
class CacheStats:
    """What ``summarize cache stats`` shows."""

    path: Path
    rows: int = 0
    bytes: int = 0
    hits: int = 0
    oldest: float | None = None  # creation time of the oldest row (epoch seconds)
    newest: float | None = None
    profiles: dict[str, int] = field(default_factory=dict)  # rows per profile


class ResponseCache:
    """The SQLite file of cached replies."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path).expanduser() if path is not None else default_cache_path()
        self._ready = False

    def __repr__(self) -> str:
        return f"ResponseCache({str(self.path)!r})"

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit (isolation_level=None): each statement is its own short transaction, so a
        # write holds the lock for microseconds; the timeout is SQLite's busy timeout.
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        try:
            if not self._ready:
                self._initialise(conn)
            yield conn
        finally:
            conn.close()

    def _initialise(self, conn: sqlite3.Connection) -> None:
        # Persistent: a property of the file. SQLite answers "database is locked" at once, not
        # after the busy timeout, when another process switches a new file at the same moment
        # (138 of 300 processes failed in a race of two): retried within the timeout.
        deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
        while True:
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.005)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(
                f"{self.path} was written by a newer summarize (cache format {version})"
            )
        if version < SCHEMA_VERSION:
            conn.executescript(
                f"BEGIN IMMEDIATE; {_SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
            )
        self._ready = True

    # --- calls ------------------------------------------------------------------------------

    def get(self, profile: ModelProfile, request: CompletionRequest) -> Completion | None:
        """The stored reply to this request, marked ``from_cache``; None on a miss."""
        where = (profile.name, _endpoint(profile), call_key(profile, request))
        try:
            with self._connect() as conn:
                row = conn.execute(
                    "SELECT completion FROM replies WHERE profile=? AND endpoint=? AND key=?",
                    where,
                ).fetchone()
                if row is None:
                    return None
                conn.execute(
                    "UPDATE replies SET hits = hits + 1, used = ? "
                    "WHERE profile=? AND endpoint=? AND key=?",
                    (time.time(), *where),
                )
            data = json.loads(row[0])
            stored = Completion(**{k: v for k, v in data.items() if k in _COMPLETION_FIELDS})
        except (sqlite3.Error, ValueError, TypeError) as exc:
            log.warning("response cache %s unreadable, calling the model: %s", self.path, exc)
            return None
        return dataclasses.replace(stored, from_cache=True, seconds=0.0)

    def put(
        self, profile: ModelProfile, request: CompletionRequest, completion: Completion
    ) -> bool:
        """Keep a complete reply. False when it was not kept: not a complete reply, already
        there (another worker missed on the same call and stored it first), or unwritable."""
        if not _complete_reply(completion):
            return False
        data = {k: v for k, v in dataclasses.asdict(completion).items() if k != "from_cache"}
        now = time.time()
        try:
            with self._connect() as conn:
                # Two workers that missed on the same call both store it: the first one stays.
                inserted = conn.execute(
                    _INSERT,
                    (
                        profile.name,
                        _endpoint(profile),
                        call_key(profile, request),
                        profile.model,
                        request.schema_name,
                        json.dumps(data, ensure_ascii=False),
                        now,
                        now,
                    ),
                ).rowcount
        except sqlite3.Error as exc:
            log.warning("response cache %s unwritable, reply not kept: %s", self.path, exc)
            return False
        return inserted == 1

    def import_recordings(self, profile: ModelProfile, folder: str | Path) -> int:
        """Keep the complete replies of eval recordings (``--record``) made with ``profile``'s
        model: a ``--record --cache`` run after a change then calls the model only for the
        requests the change touched. Recordings share the cache's keys; a recording of another
        model (its key says so) is never answered, so importing it is harmless. The number of
        replies added (already there: not counted)."""
        paths = sorted(Path(folder).glob("*.json"))
        if not paths:
            raise ConfigError(f"no recordings (*.json) in {folder}")
        rows = []
        now = time.time()
        for path in paths:
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
                key, completion = record["key"], record["completion"]
                schema_name = record["request"].get("schema_name")
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
                raise ConfigError(f"not a recording: {path}: {exc}") from None
            data = {k: v for k, v in completion.items() if k in _COMPLETION_FIELDS}
            if not _complete_reply(Completion(**data)):
                continue  # kept on the terms put() keeps a reply on
            rows.append(
                (profile.name, _endpoint(profile), key, profile.model, schema_name,
                 json.dumps(data, ensure_ascii=False), now, now)
            )  # fmt: skip
        try:
            with self._connect() as conn:
                before = conn.total_changes
                conn.executemany(
                    _INSERT,
                    rows,
                )
                added = conn.total_changes - before
        except sqlite3.Error as exc:
            raise ConfigError(f"cannot write the response cache {self.path}: {exc}") from None
        return int(added)

    # --- maintenance ------------------------------------------------------------------------

    def _size(self) -> int:
        return sum(
            p.stat().st_size
            for p in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm"))
            if p.exists()
        )

    def stats(self) -> CacheStats:
        if not self.path.exists():
            return CacheStats(path=self.path)
        try:
            with self._connect() as conn:
                rows, hits, oldest, newest = conn.execute(
                    "SELECT COUNT(*), COALESCE(SUM(hits), 0), MIN(created), MAX(created) "
                    "FROM replies"
                ).fetchone()
                profiles = dict(
                    conn.execute(
                        "SELECT profile, COUNT(*) FROM replies GROUP BY profile ORDER BY profile"
                    ).fetchall()
                )
        except sqlite3.Error as exc:
            raise ConfigError(f"cannot read the response cache {self.path}: {exc}") from None
        return CacheStats(self.path, rows, self._size(), hits, oldest, newest, profiles)

    def clear(self, older_than_days: float | None = None) -> int:
        """Remove every reply, or those unused for ``older_than_days``; the number removed."""
        if not self.path.exists():
            return 0
        try:
            with self._connect() as conn:
                if older_than_days is None:
                    removed = conn.execute("DELETE FROM replies").rowcount
                else:
                    cutoff = time.time() - older_than_days * 86_400
                    removed = conn.execute("DELETE FROM replies WHERE used < ?", (cutoff,)).rowcount
                if removed:
                    conn.execute("VACUUM")  # give the space back to the file system
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:
            raise ConfigError(f"cannot clear the response cache {self.path}: {exc}") from None
        return int(removed)


@dataclass
class CacheCounts:
    """What one ``CachedModel`` did: answers from the cache, model calls, replies kept, and
    calls that bypassed the cache (a sampling profile without a seed)."""

    hits: int = 0
    misses: int = 0
    stored: int = 0
    bypassed: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, name: str) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + 1)

    def line(self) -> str:
        return (
            f"cache: {self.hits} hit{'s' * (self.hits != 1)}, {self.misses} model "
            f"call{'s' * (self.misses != 1)}, {self.stored} kept"
            + (f", {self.bypassed} uncached (temperature > 0, no seed)" if self.bypassed else "")
        )


class CachedModel:
    """A ``ChatModel`` that answers from a ``ResponseCache`` when it can, else asks ``inner``."""

    def __init__(self, inner: ChatModel, cache: ResponseCache | None = None) -> None:
        self.inner = inner
        self.cache = cache if cache is not None else ResponseCache()
        self.counts = CacheCounts()

    @property
    def profile(self) -> ModelProfile:
        return self.inner.profile

    def complete(self, request: CompletionRequest) -> Completion:
        if not is_cacheable(self.profile):
            self.counts.add("bypassed")
            return self.inner.complete(request)
        hit = self.cache.get(self.profile, request)
        if hit is not None:
            self.counts.add("hits")
            return hit
        self.counts.add("misses")
        completion = self.inner.complete(request)
        if self.cache.put(self.profile, request, completion):
            self.counts.add("stored")
        return completion

    async def acomplete(self, request: CompletionRequest) -> Completion:
        if not is_cacheable(self.profile):
            self.counts.add("bypassed")
            return await self.inner.acomplete(request)
        # SQLite may wait on a busy file: never in the event loop's thread.
        hit = await asyncio.to_thread(self.cache.get, self.profile, request)
        if hit is not None:
            self.counts.add("hits")
            return hit
        self.counts.add("misses")
        completion = await self.inner.acomplete(request)
        if await asyncio.to_thread(self.cache.put, self.profile, request, completion):
            self.counts.add("stored")
        return completion

    # The inner model's connections are its own; pass the lifecycle calls through.
    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if callable(close):
            close()

    async def aclose(self) -> None:
        aclose = getattr(self.inner, "aclose", None)
        if callable(aclose):
            await aclose()
        else:
            self.close()

    async def release_async(self) -> None:
        release = getattr(self.inner, "release_async", None)
        if callable(release):
            await release()
