"""The model seam, driven through the real openai client over an in-process transport."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest

import summarize.models
from summarize.config import ModelProfile, StructuredOutput
from summarize.errors import PermanentModelError, TransientModelError
from summarize.models import CompletionRequest, OpenAIChatModel
from summarize.testing import (
    chat_completion_body,
    mock_openai_async_http_client,
    mock_openai_http_client,
)

SECRET = "sk-test-RECOGNISABLE-SECRET-42"
SCHEMA = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
REQUEST = CompletionRequest(messages=[{"role": "user", "content": "hi"}], schema=SCHEMA)


def profile(mode: StructuredOutput = "json_schema", **kw: Any) -> ModelProfile:
    return ModelProfile(
        name="test",
        model="gpt-4o-mini",
        base_url="https://api.example.invalid/v1",
        api_key=SECRET,
        structured_output=mode,
        **kw,
    )


class Recorder:
    def __init__(self, *responses: httpx2.Response) -> None:
        self.responses = list(responses)
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        return self.responses.pop(0)

    def body(self, i: int = 0) -> dict[str, Any]:
        return json.loads(self.requests[i].content)


def ok(content: str = '{"a": "x"}', **kw: Any) -> httpx2.Response:
    return httpx2.Response(200, json=chat_completion_body(content, **kw))


def model_with(rec: Recorder, mode: StructuredOutput = "json_schema", **kw: Any) -> OpenAIChatModel:
    return OpenAIChatModel(profile(mode, **kw), http_client=mock_openai_http_client(rec))


def test_json_schema_mode_sends_openai_strict_schema() -> None:
    rec = Recorder(ok())
    completion = model_with(rec).complete(REQUEST)
    body = rec.body()
    assert rec.requests[0].url.path.endswith("/chat/completions")
    assert body["model"] == "gpt-4o-mini"
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "briefing", "schema": SCHEMA, "strict": True},
    }
    assert body["temperature"] == 0.0
    assert body["max_tokens"] == 2048
    assert rec.requests[0].headers["authorization"] == f"Bearer {SECRET}"
    assert completion.text == '{"a": "x"}'
    assert (completion.prompt_tokens, completion.completion_tokens) == (100, 50)
    assert completion.finish_reason == "stop"


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("json_object_schema", {"type": "json_object", "schema": SCHEMA}),
        ("json_object", {"type": "json_object"}),
        ("none", None),
    ],
)
def test_other_structured_output_modes(mode: StructuredOutput, expected: Any) -> None:
    rec = Recorder(ok())
    model_with(rec, mode).complete(REQUEST)
    assert rec.body().get("response_format") == expected


def test_request_max_tokens_overrides_the_profile() -> None:
    rec = Recorder(ok())
    model_with(rec).complete(
        CompletionRequest(messages=REQUEST.messages, schema=SCHEMA, max_tokens=77)
    )
    assert rec.body()["max_tokens"] == 77


def test_cut_off_and_refusal_are_reported_not_hidden() -> None:
    rec = Recorder(ok('{"a": ', finish_reason="length"), ok(None, refusal="I can't help"))
    model = model_with(rec)
    assert model.complete(REQUEST).finish_reason == "length"
    refused = model.complete(REQUEST)
    assert refused.refusal == "I can't help"
    assert refused.text == ""


@pytest.mark.parametrize(
    ("status", "headers", "error", "retry_after"),
    [
        (429, {"retry-after": "7"}, TransientModelError, 7.0),
        (429, {}, TransientModelError, None),
        (500, {}, TransientModelError, None),
        (502, {}, TransientModelError, None),
        (503, {"retry-after-ms": "1500"}, TransientModelError, 1.5),
        (400, {}, PermanentModelError, None),
        (401, {}, PermanentModelError, None),
        (404, {}, PermanentModelError, None),
    ],
)
def test_status_errors_map_onto_the_error_tree(
    status: int, headers: dict[str, str], error: type[Exception], retry_after: float | None
) -> None:
    # The server echoes the key back, as a badly written proxy might: it must not reach us.
    body = {"error": {"message": f"nope, key {SECRET} rejected", "type": "x"}}
    rec = Recorder(httpx2.Response(status, json=body, headers=headers))
    with pytest.raises(error) as info:
        model_with(rec).complete(REQUEST)
    exc = info.value
    assert type(exc) is error
    assert exc.status_code == status  # type: ignore[attr-defined]
    assert exc.retry_after == retry_after  # type: ignore[attr-defined]
    assert SECRET not in str(exc)
    assert "profile 'test'" in str(exc)
    assert "api.example.invalid" in str(exc)


def test_connection_errors_are_transient() -> None:
    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("connection refused")

    with pytest.raises(TransientModelError, match="could not connect"):
        OpenAIChatModel(profile(), http_client=mock_openai_http_client(refuse)).complete(REQUEST)


def test_timeouts_are_transient() -> None:
    def hang(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ReadTimeout("timed out")

    with pytest.raises(TransientModelError, match="timed out"):
        OpenAIChatModel(profile(), http_client=mock_openai_http_client(hang)).complete(REQUEST)


def test_empty_choices_are_transient() -> None:
    body = chat_completion_body("x")
    body["choices"] = []
    rec = Recorder(httpx2.Response(200, json=body))
    with pytest.raises(TransientModelError, match="no choices"):
        model_with(rec).complete(REQUEST)


def test_requests_to_the_internet_are_refused_in_tests() -> None:
    assert summarize.models.ALLOW_MODEL_REQUESTS is False
    with pytest.raises(PermanentModelError, match="disabled"):
        OpenAIChatModel(profile()).complete(REQUEST)


def test_azure_profiles_use_deployments_and_api_version() -> None:
    rec = Recorder(ok())
    azure = ModelProfile(
        name="az",
        model="my-deployment",
        provider="azure",
        base_url="https://example.openai.azure.com",
        api_version="2024-10-21",
        api_key=SECRET,
    )
    OpenAIChatModel(azure, http_client=mock_openai_http_client(rec)).complete(REQUEST)
    url = rec.requests[0].url
    assert "/openai/deployments/my-deployment/chat/completions" in url.path
    assert url.params["api-version"] == "2024-10-21"
    assert rec.requests[0].headers["api-key"] == SECRET


async def test_async_twin_sends_the_same_request() -> None:
    rec = Recorder(ok())
    model = OpenAIChatModel(profile(), async_http_client=mock_openai_async_http_client(rec))
    completion = await model.acomplete(REQUEST)
    assert completion.text == '{"a": "x"}'
    assert rec.body()["response_format"]["type"] == "json_schema"


async def test_async_errors_are_translated_too() -> None:
    rec = Recorder(httpx2.Response(503, json={"error": {"message": "busy"}}))
    model = OpenAIChatModel(profile(), async_http_client=mock_openai_async_http_client(rec))
    with pytest.raises(TransientModelError, match="HTTP 503"):
        await model.acomplete(REQUEST)
