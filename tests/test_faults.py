"""Model faults over a real socket: what brief() does for each way an endpoint can fail.

The server is ``summarize.testing_server.FaultServer`` on 127.0.0.1, reached by the real
``openai`` client. Retry waits are recorded, not slept (conftest), so the suite stays fast;
the waits themselves are asserted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from summarize import abrief, brief
from summarize.config import ModelProfile, Settings
from summarize.errors import (
    InvalidOutputError,
    ModelUnavailableError,
    PermanentModelError,
    SummarizeError,
)
from summarize.models import OpenAIChatModel
from summarize.schema import Briefing
from summarize.testing_server import (
    Behaviour,
    Cutoff,
    Drop,
    EmptyChoices,
    FaultServer,
    Hang,
    Latency,
    RawBody,
    Refusal,
    Reply,
    Respond,
    Status,
    echo_briefing,
)

KEY = "sk-test-FAULTS-0123456789abcdefSECRET"
ARTICLE = (
    "The city council voted on Tuesday to approve the new harbour plan. "
    "Mayor Ana Ruiz said the plan would create 2,000 jobs. "
    "Residents of the old port district oppose it and promise to appeal."
)


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as running:
        yield running


def model_for(server: FaultServer, **overrides: object) -> OpenAIChatModel:
    fields: dict[str, object] = {
        "name": "faulty",
        "model": "gpt-4o-mini",
        "base_url": server.base_url,
        "api_key": SecretStr(KEY),
        "timeout": 1.0,
        "max_retries": 3,
        "max_attempts": 3,
        "retry_budget_seconds": 60.0,
    }
    fields.update(overrides)
    return OpenAIChatModel(ModelProfile.model_validate(fields))


def run(server: FaultServer, **overrides: object) -> Briefing:
    model = model_for(server, **overrides)
    try:
        return brief(ARTICLE, model=model, config=Settings(strategy="single"))
    finally:
        model.close()


GOOD = Respond(echo_briefing)


# --- transient faults: retried with backoff, Retry-After honoured ---------------------------

TRANSIENT: list[tuple[str, Behaviour]] = [
    ("429 without Retry-After", Status(429)),
    ("500", Status(500)),
    ("502", Status(502)),
    ("503", Status(503)),
    ("dropped connection", Drop()),
    ("non-JSON body", RawBody("<html>Bad Gateway</html>", content_type="text/html")),
    ("empty choices", EmptyChoices()),
]


@pytest.mark.parametrize(("name", "fault"), TRANSIENT, ids=[n for n, _ in TRANSIENT])
def test_transient_fault_is_retried_then_succeeds(
    server: FaultServer, waits: list[float], name: str, fault: Behaviour
) -> None:
    server.queue(fault, fault, GOOD)
    briefing = run(server)
    assert briefing.positions[0].evidence[0].verified
    assert len(server.completions) == 3
    assert len(waits) == 2 and all(0 <= w <= 60 for w in waits)


def test_retry_after_is_honoured(server: FaultServer, waits: list[float]) -> None:
    server.queue(Status(429, retry_after=7), GOOD)
    run(server)
    assert waits == [7.0]


def test_backoff_has_jitter(server: FaultServer, waits: list[float]) -> None:
    for _ in range(4):
        server.queue(Status(503), Status(503), Status(503), GOOD)
        run(server)
    assert len(waits) == 12
    assert len(set(waits)) > 6, waits  # random, not a fixed schedule


def test_sdk_retries_do_not_stack_with_ours(server: FaultServer) -> None:
    server.default = Status(503)
    with pytest.raises(ModelUnavailableError) as info:
        run(server, max_retries=2)
    assert len(server.completions) == 3  # 1 + our 2 retries, none from the SDK
    assert info.value.attempts == 3


def test_hang_past_the_timeout_is_retried(server: FaultServer, waits: list[float]) -> None:
    server.queue(Hang(30), GOOD)
    briefing = run(server, timeout=0.5)
    assert briefing.summary
    assert len(server.completions) == 2


def test_retries_are_bounded_by_the_time_budget(
    server: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import summarize.retry

    monkeypatch.setattr(summarize.retry, "sleep", lambda s: None)
    server.default = Latency(0.3, Status(503))
    with pytest.raises(ModelUnavailableError, match="gave up after"):
        run(server, max_retries=100, retry_budget_seconds=1.0)
    assert 2 <= len(server.completions) <= 6


def test_transient_fault_that_never_ends_gives_a_summarize_error(server: FaultServer) -> None:
    server.default = Status(502)
    with pytest.raises(ModelUnavailableError) as info:
        run(server)
    message = str(info.value)
    assert "502" in message and "faulty" in message and server.base_url in message
    assert KEY not in message


# --- invalid output: re-asked ---------------------------------------------------------------

INVALID: list[tuple[str, Behaviour]] = [
    ("valid JSON breaking the schema", Reply({"summary": 3, "actors": "nobody"})),
    ("not JSON at all", Reply("Sure! Here is your briefing: the council voted.")),
    ("cut off by the length limit", Cutoff()),
    ("refusal", Refusal()),
]


@pytest.mark.parametrize(("name", "fault"), INVALID, ids=[n for n, _ in INVALID])
def test_invalid_output_is_reasked(server: FaultServer, name: str, fault: Behaviour) -> None:
    server.queue(fault, GOOD)
    briefing = run(server)
    assert briefing.summary.startswith("The article begins")
    assert len(server.completions) == 2
    second = server.completions[1].body or {}
    if name.startswith("cut off"):
        first = server.completions[0].body or {}
        assert second["max_tokens"] > first["max_tokens"]
    elif name != "refusal":
        # the validation error is fed back to the model
        assert any("not valid" in str(m.get("content", "")) for m in second["messages"][2:])


def test_invalid_output_runs_out_of_attempts_with_the_evidence(server: FaultServer) -> None:
    server.default = Reply({"summary": "x"})
    with pytest.raises(InvalidOutputError) as info:
        run(server, max_attempts=2)
    assert info.value.attempts == 2
    assert '"summary"' in (info.value.last_output or "")
    assert info.value.usage.calls == 2


# --- permanent faults: fail at once, one line, profile and endpoint, never the key ----------

PERMANENT = [
    (401, "the API key was rejected"),
    (400, "request rejected"),
    (404, "not found"),
    (403, "access denied"),
]


@pytest.mark.parametrize(("status", "hint"), PERMANENT)
def test_permanent_fault_fails_at_once(
    server: FaultServer, waits: list[float], status: int, hint: str
) -> None:
    server.default = Status(status, message=f"Incorrect API key provided: {KEY[:12]}...{KEY[-4:]}")
    with pytest.raises(PermanentModelError) as info:
        run(server)
    message = str(info.value)
    assert len(server.completions) == 1 and waits == []
    assert "\n" not in message
    assert hint in message and "faulty" in message and server.base_url in message
    assert KEY not in message and KEY[-4:] not in message


def test_unknown_model_names_the_model(server: FaultServer) -> None:
    server.default = Status(404, message="The model `gpt-9` does not exist")
    with pytest.raises(PermanentModelError, match="gpt-9"):
        run(server, model="gpt-9")


# --- nothing but a Briefing or a SummarizeError ---------------------------------------------

EVERYTHING: list[Behaviour] = [
    *(f for _, f in TRANSIENT),
    *(f for _, f in INVALID),
    Status(401),
    Status(400),
    Status(404),
    Status(418),
    Status(200),
    RawBody(b"\xff\xfe\x00garbage", content_type="application/octet-stream"),
    RawBody('{"choices": [{"message": null}]}'),
    RawBody('{"choices": "many"}'),
    RawBody("", status=200),
    Reply(None),
    Reply({"summary": "ok", "actors": [], "positions": [], "open_questions": []}),
    Hang(30),
]


@pytest.mark.parametrize("fault", EVERYTHING, ids=[repr(f)[:40] for f in EVERYTHING])
def test_brief_returns_a_briefing_or_raises_a_summarize_error(
    server: FaultServer, fault: Behaviour
) -> None:
    server.default = fault
    try:
        result = run(server, timeout=0.3, max_retries=1, max_attempts=2)
    except SummarizeError as exc:
        assert KEY not in str(exc)
    else:
        assert isinstance(result, Briefing)


def test_async_brief_sees_the_same_faults(server: FaultServer, waits: list[float]) -> None:
    server.queue(Status(429, retry_after=3), Drop(), Refusal(), GOOD)
    model = model_for(server)

    async def go() -> Briefing:
        try:
            return await abrief(ARTICLE, model=model, config=Settings(strategy="single"))
        finally:
            await model.aclose()

    briefing = asyncio.run(go())
    assert briefing.summary and waits[0] == 3.0
    assert len(server.completions) == 4


def test_the_key_is_sent_but_never_logged(
    server: FaultServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server.queue(Status(500), Reply("nope"), GOOD)
    run(server)
    assert server.requests[0].headers.get("authorization") == "***"  # redacted by the server
    assert KEY not in caplog.text
    assert "faulty" in caplog.text  # logging was on: the profile is named
