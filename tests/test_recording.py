"""Record and replay: a recorded briefing replays identically, offline, without any secret."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from summarize import brief
from summarize.config import ModelProfile, Settings
from summarize.recording import RecordingMissingError, RecordingModel, ReplayModel, call_key
from summarize.schema import DraftActor, DraftBriefing, DraftPosition
from summarize.testing import FakeModel

KEY = "sk-test-RECORDING-SECRET-42"
QUOTE = "Putin, in turn, demands a complete cessation of military aid to Kyiv"


def draft() -> DraftBriefing:
    return DraftBriefing(
        summary="Putin sets conditions.",
        actors=[DraftActor(name="Vladimir Putin", aliases=[], kind="person", role="President")],
        positions=[DraftPosition(actor="Vladimir Putin", evidence=[QUOTE], stance="No aid.")],
        open_questions=[],
    )


def profile() -> ModelProfile:
    return ModelProfile(
        name="hosted", model="gpt-4o-mini", base_url="http://127.0.0.1:9/v1", api_key=KEY
    )


def test_a_recording_replays_the_same_briefing_offline(seed_text: str, tmp_path: Path) -> None:
    live = FakeModel(draft(), profile=profile())
    recorded = brief(
        seed_text, model=RecordingModel(live, tmp_path), config=Settings(strategy="single")
    )
    replay = ReplayModel(profile(), tmp_path)
    replayed = brief(seed_text, model=replay, config=Settings(strategy="single"))
    assert replay.calls == len(live.history) == 1
    assert replayed.model_dump(exclude={"usage"}) == recorded.model_dump(exclude={"usage"})
    assert replayed.usage.prompt_tokens == recorded.usage.prompt_tokens


def test_recordings_hold_no_key_and_no_endpoint(seed_text: str, tmp_path: Path) -> None:
    brief(
        seed_text,
        model=RecordingModel(FakeModel(draft(), profile=profile()), tmp_path),
        strategy="single",
    )
    files = list(tmp_path.glob("*.json"))
    assert len(files) == 1
    text = files[0].read_text()
    assert KEY not in text and "127.0.0.1" not in text
    assert json.loads(text)["request"]["model"] == "gpt-4o-mini"


def test_a_changed_prompt_is_a_clear_miss(seed_text: str, tmp_path: Path) -> None:
    brief(
        seed_text,
        model=RecordingModel(FakeModel(draft(), profile=profile()), tmp_path),
        strategy="single",
    )
    with pytest.raises(RecordingMissingError, match="record again with --record"):
        brief(
            seed_text + " One more sentence.",
            model=ReplayModel(profile(), tmp_path),
            strategy="single",
        )


def test_the_key_ignores_name_endpoint_and_secret_but_not_parameters() -> None:
    from summarize.models import CompletionRequest

    request = CompletionRequest(messages=[{"role": "user", "content": "hi"}])
    other = profile().model_copy(update={"name": "x", "base_url": "http://h/v1", "api_key": None})
    assert call_key(profile(), request) == call_key(other, request)
    warmer = profile().model_copy(update={"temperature": 0.7})
    assert call_key(profile(), request) != call_key(warmer, request)
