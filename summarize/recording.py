"""Record model calls and replay them, so an eval run once live can be rerun offline, exactly.

A call is keyed by what determines its answer: the model id (and, for a GGUF named by
``model_path``, the file's name and size), the structured-output mode, the sampling parameters,
the output budget, the messages and the schema. The profile's name, its
endpoint and its API key are not part of the key, and the key is the only thing written
besides the answer, so a recording never holds a secret. One JSON file per call, named by the
key's hash, in a folder: recordings diff well and merge without conflicts.

``RecordingModel`` passes calls through to a real model and saves each answer; ``ReplayModel``
answers from the folder and fails with ``RecordingMissingError`` (naming the call) when a
prompt, a template or a parameter changed since the recording.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from summarize.config import ModelProfile
from summarize.errors import ConfigError, PermanentModelError
from summarize.models import ChatModel, Completion, CompletionRequest

__all__ = ["RecordingMissingError", "RecordingModel", "ReplayModel", "call_key"]

FORMAT_VERSION = 1


class RecordingMissingError(PermanentModelError):
    """Replay found no recording for a call: something changed since it was recorded."""


def call_fields(profile: ModelProfile, request: CompletionRequest) -> dict[str, Any]:
    fields = {
        "model": profile.model,
        "structured_output": profile.structured_output,
        "temperature": profile.temperature,
        "seed": profile.seed,
        "max_tokens": request.max_tokens or profile.max_output_tokens,
        "schema_name": request.schema_name,
        "schema": request.schema,
        "messages": request.messages,
    }
    if request.shared_prefix:
        # A restored prefix changes the embedded model's arithmetic, hence a greedy answer.
        # Only added when set, so the keys of calls without one stay as they were.
        fields["shared_prefix"] = request.shared_prefix
    if profile.model_path is not None:
        # Another GGUF in-process: the file's name and size tell two models (or quantisations)
        # apart wherever the file lives. Only added then: the built-in model's keys stay put.
        fields["model_file"] = model_file_identity(profile.model_path)
    return fields


def model_file_identity(path: Path) -> str:
    """``name.gguf:size``, the identity of a model file in keys (never its folder)."""
    try:
        size = path.expanduser().stat().st_size
    except OSError as exc:
        raise ConfigError(
            f"cannot identify the model file {path} for a recording key: {exc.strerror}"
        ) from None
    return f"{path.name}:{size}"


def call_key(profile: ModelProfile, request: CompletionRequest) -> str:
    canonical = json.dumps(call_fields(profile, request), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


class RecordingModel:
    """A ``ChatModel`` that calls ``inner`` and saves every answer under ``folder``."""

    def __init__(self, inner: ChatModel, folder: str | Path) -> None:
        self.inner = inner
        self.folder = Path(folder)

    @property
    def profile(self) -> ModelProfile:
        return self.inner.profile

    def _save(self, request: CompletionRequest, completion: Completion) -> None:
        fields = call_fields(self.profile, request)
        record = {
            "version": FORMAT_VERSION,
            "key": call_key(self.profile, request),
            "request": {k: v for k, v in fields.items() if k != "schema"},
            # A reply the response cache gave is recorded as the model's: replayed, it is one.
            "completion": {k: v for k, v in asdict(completion).items() if k != "from_cache"},
        }
        text = json.dumps(record, indent=1, ensure_ascii=False) + "\n"
        _write_atomic(self.folder / f"{record['key']}.json", text)

    async def release_async(self) -> None:
        release = getattr(self.inner, "release_async", None)
        if callable(release):
            await release()

    def complete(self, request: CompletionRequest) -> Completion:
        completion = self.inner.complete(request)
        self._save(request, completion)
        return completion

    async def acomplete(self, request: CompletionRequest) -> Completion:
        completion = await self.inner.acomplete(request)
        self._save(request, completion)
        return completion


class ReplayModel:
    """A ``ChatModel`` that answers only from recordings; it never reaches a model."""

    def __init__(self, profile: ModelProfile, folder: str | Path) -> None:
        self._profile = profile
        self.folder = Path(folder)
        self.calls = 0

    @property
    def profile(self) -> ModelProfile:
        return self._profile

    def complete(self, request: CompletionRequest) -> Completion:
        key = call_key(self.profile, request)
        path = self.folder / f"{key}.json"
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise RecordingMissingError(
                f"no recording of this call ({key}) in {self.folder}: the prompts, templates, "
                "article or parameters changed since it was recorded; record again with --record",
                profile=self.profile.name,
                base_url="replay",
            ) from None
        except (OSError, ValueError) as exc:
            raise RecordingMissingError(
                f"unreadable recording {path}: {exc}", profile=self.profile.name, base_url="replay"
            ) from None
        self.calls += 1
        return Completion(**record["completion"])

    async def acomplete(self, request: CompletionRequest) -> Completion:
        return self.complete(request)
