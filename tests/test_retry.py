"""The retry policy and the re-ask loop, with a FakeModel and waits recorded, not slept."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from pydantic import BaseModel

from summarize.chunking import count_tokens, get_encoding
from summarize.errors import (
    InvalidOutputError,
    ModelUnavailableError,
    PermanentModelError,
    TransientModelError,
)
from summarize.models import Completion, CompletionRequest
from summarize.retry import (
    Reasker,
    arun_reasker,
    call_with_retries,
    parse_json_object,
    run_reasker,
)
from summarize.testing import FakeModel

REQUEST = CompletionRequest(messages=[{"role": "user", "content": "brief this"}], schema={})


class Answer(BaseModel):
    value: int


def parse(text: str) -> Answer:
    return Answer.model_validate(parse_json_object(text))


def transient(retry_after: float | None = None) -> TransientModelError:
    return TransientModelError("HTTP 503: busy", status_code=503, retry_after=retry_after)


def test_transient_faults_are_retried_then_succeed(waits: list[float]) -> None:
    model = FakeModel(transient(), transient(), '{"value": 1}')
    assert call_with_retries(model, REQUEST).text == '{"value": 1}'
    assert len(model.history) == 3
    assert len(waits) == 2
    assert all(0 <= w <= 60 for w in waits)


def test_retry_after_is_honoured(waits: list[float]) -> None:
    model = FakeModel(transient(retry_after=12.5), '{"value": 1}')
    call_with_retries(model, REQUEST)
    assert waits == [12.5]


def test_retry_after_is_capped(waits: list[float]) -> None:
    model = FakeModel(transient(retry_after=3600), '{"value": 1}')
    call_with_retries(model, REQUEST)
    assert waits == [60.0]


def test_transient_faults_give_up_after_max_retries(waits: list[float]) -> None:
    model = FakeModel(default=transient())
    with pytest.raises(ModelUnavailableError) as info:
        call_with_retries(model, REQUEST)
    assert info.value.attempts == model.profile.max_retries + 1 == len(model.history)
    assert info.value.status_code == 503
    assert "gave up after 4 attempts" in str(info.value)


def test_permanent_faults_are_not_retried(waits: list[float]) -> None:
    model = FakeModel(PermanentModelError("HTTP 401", status_code=401), '{"value": 1}')
    with pytest.raises(PermanentModelError):
        call_with_retries(model, REQUEST)
    assert len(model.history) == 1
    assert waits == []


def test_time_budget_bounds_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    model = FakeModel(default=transient())
    model.profile = model.profile.model_copy(update={"max_retries": 100, "retry_budget_seconds": 5})
    clock = iter(range(0, 1000, 2))  # each attempt takes 2 "seconds"
    monkeypatch.setattr("tenacity.time.monotonic", lambda: float(next(clock)))
    with pytest.raises(ModelUnavailableError):
        call_with_retries(model, REQUEST)
    assert len(model.history) < 10


def test_invalid_output_is_fed_back_and_reasked() -> None:
    model = FakeModel("not json at all", '{"value": "seven"}', '```json\n{"value": 7}\n```')
    reasker = Reasker(model.profile, REQUEST, parse)
    assert run_reasker(model, reasker) == Answer(value=7)
    assert reasker.attempts == 3
    assert reasker.usage.calls == 3
    second, third = model.history[1], model.history[2]
    assert second.messages[0] == REQUEST.messages[0]
    assert second.messages[1] == {"role": "assistant", "content": "not json at all"}
    assert "not valid" in second.messages[2]["content"]
    assert "value" in third.messages[2]["content"]  # the validation error names the field
    assert len(third.messages) == 3  # the conversation does not grow with every attempt


def test_cut_off_output_is_reasked_with_a_larger_budget() -> None:
    model = FakeModel(Completion(text='{"val', finish_reason="length"), '{"value": 2}')
    reasker = Reasker(model.profile, REQUEST, parse)
    assert run_reasker(model, reasker) == Answer(value=2)
    first, second = model.history
    assert first.max_tokens == model.profile.max_output_tokens
    assert second.max_tokens is not None and second.max_tokens > first.max_tokens
    assert "cut off" in second.messages[-1]["content"]


def tokens_asked(request: CompletionRequest) -> int:
    """Prompt plus output budget, counted as the re-ask budget counts them (8 tokens of chat
    formatting per message)."""
    encoding = get_encoding()
    prompt = sum(count_tokens(m["content"], encoding) + 8 for m in request.messages)
    return prompt + (request.max_tokens or 0)


def request_of(tokens: int) -> CompletionRequest:
    return CompletionRequest(messages=[{"role": "user", "content": "word " * tokens}])


# A cut-off answer of about 1,500 tokens, more than a small window can take back.
CUT_OFF = Completion(text='{"summary": "' + "the council voted " * 500, finish_reason="length")
WINDOW = 2048
WITHIN_MARGIN = int(WINDOW * 0.9)  # cl100k counts only estimate the model's tokenizer


def small_window_model() -> FakeModel:
    return FakeModel(CUT_OFF, '{"value": 2}', context_window=WINDOW, max_output_tokens=512)


def test_a_reask_after_a_cut_off_answer_fits_the_context_window() -> None:
    model = small_window_model()
    request = request_of(700)
    assert run_reasker(model, Reasker(model.profile, request, parse)) == Answer(value=2)
    first, second = model.history
    assert tokens_asked(second) <= WITHIN_MARGIN
    assert first.max_tokens == 512
    assert second.max_tokens is not None and second.max_tokens >= 512
    answer = second.messages[1]
    assert answer["role"] == "assistant"
    assert 0 < len(answer["content"]) < 4000 and CUT_OFF.text.endswith(answer["content"])
    assert second.messages[0] == request.messages[0] and "cut off" in second.messages[2]["content"]


def test_a_reask_asks_for_less_output_only_when_the_window_forces_it() -> None:
    model = small_window_model()
    request = request_of(1400)  # the first attempt's 512 tokens no longer fit beside it
    assert run_reasker(model, Reasker(model.profile, request, parse)) == Answer(value=2)
    first, second = model.history
    assert tokens_asked(first) > WITHIN_MARGIN
    assert tokens_asked(second) <= WITHIN_MARGIN
    assert second.max_tokens is not None and 256 <= second.max_tokens < 512
    assert second.messages[0] == request.messages[0]
    assert [m["role"] for m in second.messages] == ["user", "user"]  # feedback, no answer


def test_a_reask_with_no_room_for_a_minimal_answer_sends_only_the_feedback() -> None:
    model = small_window_model()
    request = request_of(1700)  # no room left even for a minimal answer
    assert run_reasker(model, Reasker(model.profile, request, parse)) == Answer(value=2)
    second = model.history[1]
    assert second.messages[0] == request.messages[0]
    assert [m["role"] for m in second.messages] == ["user", "user"]
    assert "cut off" in second.messages[1]["content"]
    assert second.max_tokens == 256


def test_a_reask_in_a_large_window_keeps_the_answer_and_the_doubled_budget() -> None:
    model = FakeModel(CUT_OFF, '{"value": 2}', context_window=8192, max_output_tokens=1024)
    assert run_reasker(model, Reasker(model.profile, REQUEST, parse)) == Answer(value=2)
    second = model.history[1]
    assert second.max_tokens == 2048
    assert second.messages[1]["content"] == CUT_OFF.text[-4000:]


@dataclass(frozen=True)
class TaggedRequest(CompletionRequest):
    tag: str = ""


def test_a_reask_carries_over_every_field_of_the_original_request() -> None:
    model = FakeModel("not json", '{"value": 2}')
    request = TaggedRequest(
        messages=REQUEST.messages, schema={"type": "object"}, schema_name="verdict", tag="kept"
    )
    run_reasker(model, Reasker(model.profile, request, parse))
    second = model.history[1]
    assert isinstance(second, TaggedRequest) and second.tag == "kept"
    assert (second.schema, second.schema_name) == ({"type": "object"}, "verdict")


def test_refusals_are_reasked() -> None:
    model = FakeModel(Completion(text="", refusal="I cannot do that"), '{"value": 3}')
    assert run_reasker(model, Reasker(model.profile, REQUEST, parse)) == Answer(value=3)
    assert "not instructions" in model.history[1].messages[-1]["content"]


def test_attempts_run_out_with_data_on_the_error() -> None:
    model = FakeModel(default='{"value": "nope"}')
    with pytest.raises(InvalidOutputError) as info:
        run_reasker(model, Reasker(model.profile, REQUEST, parse))
    error = info.value
    assert error.attempts == model.profile.max_attempts == len(model.history)
    assert error.last_output == '{"value": "nope"}'
    assert error.usage is not None and error.usage.calls == error.attempts
    assert error.usage.completion_tokens > 0


async def test_async_reasker_shares_the_logic() -> None:
    model = FakeModel("[]", '{"value": 4}')
    assert await arun_reasker(model, Reasker(model.profile, REQUEST, parse)) == Answer(value=4)
    assert "expected a JSON object" in model.history[1].messages[-1]["content"]


@pytest.mark.parametrize(
    "text",
    ['{"value": 1}', '```json\n{"value": 1}\n```', 'Sure! Here it is: {"value": 1} Hope it helps.'],
)
def test_parse_json_object_tolerates_fences_and_chatter(text: str) -> None:
    assert parse_json_object(text) == {"value": 1}


@pytest.mark.parametrize("text", ["", "no json", "[1, 2]", '{"value": '])
def test_parse_json_object_rejects_non_objects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_json_object(text)
