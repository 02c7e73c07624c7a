"""Test doubles, shipped so that users can test their own code without a model or a network.

* ``FakeModel``: a ``ChatModel`` that answers from a queue of replies and records every request
  in ``history``::

      model = FakeModel(DraftBriefing(summary="...", actors=[], positions=[], open_questions=[]))
      briefing = brief(article, model=model)
      assert "<article>" in model.history[0].messages[1]["content"]

  A reply may be a string (sent as the model's text), a pydantic model or a dict (sent as JSON),
  a ``Completion`` (full control: finish_reason, token counts, refusal), an exception (raised,
  e.g. ``TransientModelError``), or a callable taking the ``CompletionRequest`` and returning
  any of those.
* ``mock_openai_http_client(handler)`` and ``chat_completion_body(...)``: the real ``openai``
  client over an in-process HTTP transport, to test request and response shapes end to end::

      model = OpenAIChatModel(profile, http_client=mock_openai_http_client(handler))

* ``echo_model(latency=...)``: a ``FakeModel`` that answers every call with a valid, grounded
  briefing of whatever article it is given (``testing_server.echo_briefing``), optionally after
  a delay: for batches, benchmarks and engines that build their model from a factory
  (``summarize batch --engine ray`` builds one per worker).

For faults over a real socket, see ``summarize.testing_server``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import httpx2
from pydantic import BaseModel

from summarize.config import ModelProfile, StructuredOutput
from summarize.models import Completion, CompletionRequest

__all__ = [
    "FakeModel",
    "Reply",
    "chat_completion_body",
    "echo_model",
    "echo_reply",
    "mock_openai_async_http_client",
    "mock_openai_http_client",
]

Reply = (
    str | dict[str, Any] | BaseModel | Completion | Exception | Callable[[CompletionRequest], Any]
)


def _estimate_tokens(text: str) -> int:
    return max(1, len(text) // 4)


class FakeModel:
    """A ``ChatModel`` that returns queued replies and records what it was asked."""

    def __init__(
        self,
        *replies: Reply,
        profile: ModelProfile | None = None,
        context_window: int = 8192,
        max_output_tokens: int = 1024,
        structured_output: StructuredOutput = "json_schema",
        default: Reply | None = None,
        latency: float = 0.0,
        keep_history: bool = True,
    ) -> None:
        self.profile = profile or ModelProfile(
            name="fake",
            model="fake-model",
            base_url="http://fake.invalid/v1",
            context_window=context_window,
            max_output_tokens=max_output_tokens,
            structured_output=structured_output,
            max_retries=3,
        )
        self.replies: deque[Reply] = deque(replies)
        self.default = default
        self.history: list[CompletionRequest] = []
        self.latency = latency  # seconds before each answer, like a real endpoint's
        self.keep_history = keep_history  # off for long batches: history grows with every call

    def enqueue(self, *replies: Reply) -> FakeModel:
        self.replies.extend(replies)
        return self

    def _next(self, request: CompletionRequest) -> Completion:
        if self.keep_history:
            self.history.append(request)
        if self.replies:
            reply: Any = self.replies.popleft()
        elif self.default is not None:
            reply = self.default
        else:
            raise AssertionError(f"FakeModel: no reply queued for call {len(self.history)}")
        if callable(reply) and not isinstance(reply, BaseModel | Exception):
            reply = reply(request)
        if isinstance(reply, Exception):
            raise reply
        if isinstance(reply, Completion):
            return reply
        if isinstance(reply, BaseModel):
            text = reply.model_dump_json()
        elif isinstance(reply, dict):
            text = json.dumps(reply)
        else:
            text = str(reply)
        prompt = "".join(m["content"] for m in request.messages)
        return Completion(
            text=text,
            prompt_tokens=_estimate_tokens(prompt),
            completion_tokens=_estimate_tokens(text),
            model=self.profile.model,
        )

    def complete(self, request: CompletionRequest) -> Completion:
        if self.latency:
            time.sleep(self.latency)
        return self._next(request)

    async def acomplete(self, request: CompletionRequest) -> Completion:
        if self.latency:
            await asyncio.sleep(self.latency)
        return self._next(request)


def echo_reply(request: CompletionRequest) -> Any:
    """A valid answer to any call about any article: ``testing_server.echo_briefing``'s."""
    from summarize.testing_server import Reply as ServerReply
    from summarize.testing_server import echo_briefing

    body = {"messages": request.messages, "response_format": {"schema": request.schema}}
    reply = echo_briefing(body)
    assert isinstance(reply, ServerReply)
    return reply.content


def echo_model(latency: float = 0.0, keep_history: bool = False) -> FakeModel:
    """A ``FakeModel`` that briefs any article (its first sentence quoted), after ``latency``;
    by default it keeps no history, so that it can serve a batch of any size."""
    return FakeModel(default=echo_reply, latency=latency, keep_history=keep_history)


def chat_completion_body(
    content: str | None,
    *,
    finish_reason: str = "stop",
    model: str = "test-model",
    prompt_tokens: int = 100,
    completion_tokens: int = 50,
    refusal: str | None = None,
) -> dict[str, Any]:
    """The JSON body of an OpenAI chat.completion response."""
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": refusal},
                "finish_reason": finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


Handler = Callable[[httpx2.Request], httpx2.Response]


def mock_openai_http_client(handler: Handler) -> httpx2.Client:
    """An ``httpx2.Client`` whose requests are answered in-process by ``handler``."""
    return httpx2.Client(transport=httpx2.MockTransport(handler))


def mock_openai_async_http_client(handler: Handler) -> httpx2.AsyncClient:
    """The async twin of ``mock_openai_http_client``."""
    return httpx2.AsyncClient(transport=httpx2.MockTransport(handler))
