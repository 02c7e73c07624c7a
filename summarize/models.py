"""The model seam: messages and a JSON schema in, text and usage out.

``ChatModel`` is the whole contract between the pipeline and a model. ``OpenAIChatModel`` is
the only implementation that talks to a real model, and this is the only module that imports
``openai``: OpenAI, Azure OpenAI, vLLM, Ollama and llama.cpp servers are reached through the
``openai`` client with a ``base_url``; the embedded local model through the same client with an
``http_client`` whose transport serves it in-process (``summarize.local``). So there is one code
path, and the request shapes that reach a server are the ones our tests see.

Endpoint faults are translated here into the library's error tree (``TransientModelError`` for
what is worth retrying, ``PermanentModelError`` for what is not); the retry policy itself lives in
``summarize.retry``. The SDK's own retries are switched off so the two never stack.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any, Protocol, TypedDict, runtime_checkable
from urllib.parse import urlparse

import httpx2
import openai

from summarize.config import ModelProfile
from summarize.errors import LocalModelError, ModelError, PermanentModelError, TransientModelError

__all__ = [
    "ALLOW_MODEL_REQUESTS",
    "ChatModel",
    "Completion",
    "CompletionRequest",
    "OpenAIChatModel",
    "redact",
]

log = logging.getLogger(__name__)

ALLOW_MODEL_REQUESTS = True
"""Set to False (the test suite does) to make any request to a non-loopback endpoint fail.

Requests through an injected ``http_client`` (in-process transports) and to 127.0.0.1 are still
allowed, so tests exercise the real client without any chance of reaching the internet.
"""


@dataclass(frozen=True)
class CompletionRequest:
    """One chat completion asked for a JSON answer that follows ``schema``."""

    messages: list[dict[str, str]]
    schema: dict[str, Any] | None = None
    schema_name: str = "briefing"
    max_tokens: int | None = None
    # How many leading messages this request shares with the other requests about the same
    # article (the passes' system text and article block). The embedded model evaluates that
    # prefix once and restores it for each request; hosted endpoints cache prefixes themselves.
    shared_prefix: int = 0


@dataclass(frozen=True)
class Completion:
    """What came back: text, why it stopped, and what it cost."""

    text: str
    finish_reason: str = "stop"
    prompt_tokens: int = 0
    completion_tokens: int = 0
    model: str = ""
    refusal: str | None = None
    seconds: float = 0.0
    cached_tokens: int = 0  # prompt tokens the endpoint reused from a cached prefix
    from_cache: bool = False  # answered by summarize.cache, no model reached


@runtime_checkable
class ChatModel(Protocol):
    """The narrow seam every model sits behind: a profile, and one call in two flavours."""

    @property
    def profile(self) -> ModelProfile: ...

    def complete(self, request: CompletionRequest) -> Completion: ...

    async def acomplete(self, request: CompletionRequest) -> Completion: ...


def redact(text: str, *secrets: str) -> str:
    """``text`` with every secret replaced, for messages built from server replies.

    Servers often echo a masked key ("Incorrect API key provided: sk-abc...wxyz"); the masked
    form goes too, since its ends still identify the key.
    """
    for secret in secrets:
        if secret and len(secret) >= 6:
            text = text.replace(secret, "***")
            if len(secret) >= 12:
                masked = re.compile(
                    re.escape(secret[:3]) + r"[\w-]*(?:\.{3}|…|\*{2,})[\w-]*" + r"|"
                    r"[\w-]*(?:\.{3}|…|\*{2,})" + re.escape(secret[-4:]) + r"\b"
                )
                text = masked.sub("***", text)
    return text


def _retry_after(response: httpx2.Response | None) -> float | None:
    if response is None:
        return None
    value = response.headers.get("retry-after-ms")
    if value:
        try:
            return float(value) / 1000
        except ValueError:
            pass
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


@dataclass
class OpenAIChatModel:
    """A ``ChatModel`` backed by the ``openai`` client, for any OpenAI-compatible endpoint."""

    profile: ModelProfile
    http_client: httpx2.Client | None = None
    async_http_client: httpx2.AsyncClient | None = None
    _client: openai.OpenAI | None = field(default=None, init=False, repr=False)
    _async_client: openai.AsyncOpenAI | None = field(default=None, init=False, repr=False)
    _async_loop: asyncio.AbstractEventLoop | None = field(default=None, init=False, repr=False)

    # --- clients ---------------------------------------------------------------------------

    def _base_url(self) -> str | None:
        if self.profile.is_local:
            from summarize.local import LOCAL_BASE_URL

            return str(LOCAL_BASE_URL)
        return self.profile.base_url

    def _check_allowed(self, injected: bool) -> None:
        if ALLOW_MODEL_REQUESTS or injected or self.profile.is_local:
            return
        host = urlparse(self._base_url() or "https://api.openai.com").hostname or ""
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise PermanentModelError(
                "model requests are disabled (summarize.models.ALLOW_MODEL_REQUESTS is False)",
                profile=self.profile.name,
                base_url=self.profile.endpoint,
            )

    def _client_kwargs(self) -> dict[str, Any]:
        return {
            "api_key": self.profile.resolved_api_key(),
            "max_retries": 0,  # summarize.retry owns retries; never stack with the SDK's
            "timeout": self.profile.timeout,
        }

    def _local_transport_client(self, is_async: bool) -> Any:
        try:
            from summarize.local import local_async_http_client, local_http_client
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise LocalModelError(f"the embedded model is unavailable: {exc}") from exc
        make = local_async_http_client if is_async else local_http_client
        return make(
            n_ctx=self.profile.context_window,
            n_threads=self.profile.n_threads,
            model_path=self.profile.model_path,
            chat_format=self.profile.chat_format,
        )

    def client(self) -> openai.OpenAI:
        self._client_kwargs()  # a missing API key is a clearer error than anything after it
        self._check_allowed(self.http_client is not None)
        if self._client is None:
            http_client = self.http_client
            if http_client is None and self.profile.is_local:
                http_client = self._local_transport_client(is_async=False)
            if self.profile.provider == "azure":
                self._client = openai.AzureOpenAI(
                    azure_endpoint=self.profile.base_url or "",
                    api_version=self.profile.api_version,
                    http_client=http_client,
                    **self._client_kwargs(),
                )
            else:
                self._client = openai.OpenAI(
                    base_url=self._base_url(), http_client=http_client, **self._client_kwargs()
                )
        return self._client

    def async_client(self) -> openai.AsyncOpenAI:
        self._client_kwargs()
        self._check_allowed(self.async_http_client is not None)
        loop = asyncio.get_running_loop()
        if self._async_client is not None and self._async_loop is not loop:
            # Made in an event loop that has ended (a previous synchronous brief()): its
            # connections died with that loop.
            self._async_client = None
        self._async_loop = loop
        if self._async_client is None:
            http_client = self.async_http_client
            if http_client is None and self.profile.is_local:
                http_client = self._local_transport_client(is_async=True)
            if self.profile.provider == "azure":
                self._async_client = openai.AsyncAzureOpenAI(
                    azure_endpoint=self.profile.base_url or "",
                    api_version=self.profile.api_version,
                    http_client=http_client,
                    **self._client_kwargs(),
                )
            else:
                self._async_client = openai.AsyncOpenAI(
                    base_url=self._base_url(), http_client=http_client, **self._client_kwargs()
                )
        return self._async_client

    def close(self) -> None:
        """Close the connections of the sync client (the async one needs ``aclose``)."""
        if self._client is not None:
            self._client.close()
            self._client = None

    async def aclose(self) -> None:
        """Close both clients' connections."""
        self.close()
        await self.release_async()

    async def release_async(self) -> None:
        """Close the async client, which belongs to the running event loop; the next async
        call makes a new one (the sync API runs each briefing in an event loop of its own)."""
        if self._async_client is not None:
            await self._async_client.close()
            self._async_client = None

    # --- requests --------------------------------------------------------------------------

    def request_kwargs(self, request: CompletionRequest) -> dict[str, Any]:
        """The keyword arguments of ``chat.completions.create`` for this endpoint."""
        kwargs: dict[str, Any] = {
            "model": self.profile.model,
            "messages": request.messages,
            "temperature": self.profile.temperature,
            "max_tokens": request.max_tokens or self.profile.max_output_tokens,
        }
        if self.profile.seed is not None:
            kwargs["seed"] = self.profile.seed
        if self.profile.is_local and request.shared_prefix:
            # Our own transport's extension; hosted endpoints would reject an unknown field.
            kwargs["extra_body"] = {"summarize_shared_prefix": request.shared_prefix}
        mode = self.profile.structured_output
        if request.schema is not None and mode == "json_schema":
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": request.schema_name,
                    "schema": request.schema,
                    "strict": True,
                },
            }
        elif request.schema is not None and mode == "json_object_schema":
            kwargs["response_format"] = {"type": "json_object", "schema": request.schema}
        elif request.schema is not None and mode == "json_object":
            kwargs["response_format"] = {"type": "json_object"}
        return kwargs

    def _to_completion(self, response: Any, started: float) -> Completion:
        choices = getattr(response, "choices", None)
        if not choices:
            raise TransientModelError(
                "the endpoint answered with no choices",
                profile=self.profile.name,
                base_url=self.profile.endpoint,
            )
        try:
            choice = choices[0]
            message = choice.message
            usage = getattr(response, "usage", None)
            details = getattr(usage, "prompt_tokens_details", None)
            return Completion(
                text=message.content or "",
                finish_reason=choice.finish_reason or "stop",
                prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
                completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
                model=getattr(response, "model", "") or self.profile.model,
                refusal=getattr(message, "refusal", None),
                seconds=time.monotonic() - started,
                cached_tokens=getattr(details, "cached_tokens", 0) or 0,
            )
        except (AttributeError, TypeError, IndexError, KeyError, ValueError) as exc:
            # A body that parsed as JSON but is no chat.completion (the SDK does not check).
            raise TransientModelError(
                f"malformed chat.completion response ({type(exc).__name__})",
                profile=self.profile.name,
                base_url=self.profile.endpoint,
            ) from None

    def _translate(self, exc: Exception) -> ModelError:
        """Map an ``openai`` exception onto our error tree, naming profile and endpoint only."""
        where = _Where(profile=self.profile.name, base_url=self.profile.endpoint)
        key = self.profile.resolved_api_key()
        if isinstance(exc, openai.APITimeoutError):
            return TransientModelError(
                f"request timed out after {self.profile.timeout:g}s", **where
            )
        if isinstance(exc, openai.APIConnectionError):
            return TransientModelError(f"could not connect: {redact(str(exc), key)}", **where)
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            detail = redact(_status_detail(exc), key)[:300]  # redact first: a cut key survives
            if status == 429 or status == 408 or status == 409 or status >= 500:
                return TransientModelError(
                    f"HTTP {status}: {detail}",
                    status_code=status,
                    retry_after=_retry_after(exc.response),
                    **where,
                )
            hint = {
                401: "the API key was rejected",
                403: "access denied",
                404: f"model {self.profile.model!r} or endpoint not found",
            }.get(status, "request rejected")
            return PermanentModelError(
                f"HTTP {status}, {hint}: {detail}", status_code=status, **where
            )
        if isinstance(exc, openai.APIResponseValidationError | ValueError):
            return TransientModelError(f"unreadable response: {redact(str(exc), key)}", **where)
        return ModelError(f"{type(exc).__name__}: {redact(str(exc), key)}", **where)

    def complete(self, request: CompletionRequest) -> Completion:
        client = self.client()
        started = time.monotonic()
        try:
            response = client.chat.completions.create(**self.request_kwargs(request))
        except (openai.OpenAIError, ValueError) as exc:
            raise self._translate(exc) from None
        return self._logged(self._to_completion(response, started))

    def _logged(self, completion: Completion) -> Completion:
        log.debug(
            "profile=%s model=%s prompt_tokens=%d cached_tokens=%d completion_tokens=%d "
            "seconds=%.1f finish=%s",
            self.profile.name,
            completion.model,
            completion.prompt_tokens,
            completion.cached_tokens,
            completion.completion_tokens,
            completion.seconds,
            completion.finish_reason,
        )
        return completion

    async def acomplete(self, request: CompletionRequest) -> Completion:
        client = self.async_client()
        started = time.monotonic()
        try:
            response = await client.chat.completions.create(**self.request_kwargs(request))
        except (openai.OpenAIError, ValueError) as exc:
            raise self._translate(exc) from None
        return self._logged(self._to_completion(response, started))


class _Where(TypedDict):
    profile: str
    base_url: str


def _status_detail(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
    return str(exc.message)


def close_model(model: object) -> None:
    """Close a model's connections if it holds any."""
    close = getattr(model, "close", None)
    if callable(close):
        close()


async def aclose_model(model: object) -> None:
    """Close a model's connections (sync and async) if it holds any."""
    aclose = getattr(model, "aclose", None)
    if callable(aclose):
        await aclose()
    else:
        close_model(model)
