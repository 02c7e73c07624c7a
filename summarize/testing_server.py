"""An OpenAI-compatible HTTP server for tests, on a real socket, that misbehaves on request.

``FaultServer`` listens on 127.0.0.1 (a free port) and answers ``POST /v1/chat/completions``
with the next queued behaviour, or its ``default``::

    with FaultServer(default=Reply({"summary": "..."})) as server:
        server.queue(Status(429, retry_after=2), Drop(), Hang(30))
        profile = ModelProfile(name="test", model="gpt-4o-mini", base_url=server.base_url)
        ...
    server.requests  # what was received (the Authorization header redacted)

Behaviours: ``Reply`` (content, finish_reason, usage, refusal), ``Cutoff`` (finish_reason
"length"), ``Refusal``, ``EmptyChoices``, ``Status`` (any code, optional Retry-After),
``RawBody`` (any bytes, e.g. non-JSON), ``Hang`` (answer nothing for a while, then drop),
``Drop`` (close the connection without an answer), ``Latency`` (wait, then another
behaviour), and ``Respond`` (a function of the request's JSON returning a behaviour).
``echo_briefing`` is such a function: a valid, grounded draft briefing of whatever article the
request carries, for batch and CLI tests that need many good answers.

Only the standard library is used, so the server also runs in a subprocess-free fixture and in
other projects' tests. ``GET /v1/models`` lists the one model; other paths answer 404.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pydantic import BaseModel

__all__ = [
    "Behaviour",
    "Cutoff",
    "Drop",
    "EmptyChoices",
    "FaultServer",
    "Hang",
    "Latency",
    "RawBody",
    "RecordedRequest",
    "Refusal",
    "Reply",
    "Respond",
    "Status",
    "echo_briefing",
]


def _completion(
    content: str | None,
    *,
    finish_reason: str = "stop",
    refusal: str | None = None,
    model: str = "test-model",
    prompt_tokens: int = 100,
    completion_tokens: int = 50,
    choices: bool = True,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "chatcmpl-faultserver",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }
    if choices:
        body["choices"] = [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": refusal},
                "finish_reason": finish_reason,
            }
        ]
    return body


class Behaviour:
    """How the server answers one request."""

    def serve(self, handler: _Handler, request: dict[str, Any]) -> None:  # pragma: no cover
        raise NotImplementedError


def _content_text(content: str | dict[str, Any] | BaseModel | None) -> str | None:
    if isinstance(content, BaseModel):
        return content.model_dump_json()
    if isinstance(content, dict):
        return json.dumps(content)
    return content


@dataclass
class Reply(Behaviour):
    content: str | dict[str, Any] | BaseModel | None
    finish_reason: str = "stop"
    refusal: str | None = None
    prompt_tokens: int = 100
    completion_tokens: int = 50

    def serve(self, handler: _Handler, request: dict[str, Any]) -> None:
        body = _completion(
            _content_text(self.content),
            finish_reason=self.finish_reason,
            refusal=self.refusal,
            model=str(request.get("model", "test-model")),
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
        )
        handler.send_json(200, body)


def Cutoff(content: str = '{"summary": "The talks') -> Reply:
    """A reply cut off by the output limit (``finish_reason: "length"``)."""
    return Reply(content, finish_reason="length")


def Refusal(text: str = "I can't help with that.") -> Reply:
    """A refusal, as OpenAI's structured outputs report one."""
    return Reply(None, refusal=text)


@dataclass
class EmptyChoices(Behaviour):
    def serve(self, handler: _Handler, request: dict[str, Any]) -> None:
        handler.send_json(200, _completion(None, choices=False))


@dataclass
class Status(Behaviour):
    code: int
    message: str = ""
    retry_after: float | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def serve(self, handler: _Handler, request: dict[str, Any]) -> None:
        headers = dict(self.headers)
        if self.retry_after is not None:
            headers["Retry-After"] = f"{self.retry_after:g}"
        message = self.message or f"fault server says {self.code}"
        body = {"error": {"message": message, "type": "fault", "code": self.code}}
        handler.send_json(self.code, body, headers)


@dataclass
class RawBody(Behaviour):
    body: bytes | str
    status: int = 200
    content_type: str = "application/json"

    def serve(self, handler: _Handler, request: dict[str, Any]) -> None:
        data = self.body.encode() if isinstance(self.body, str) else self.body
        handler.send_bytes(self.status, data, self.content_type)


@dataclass
class Hang(Behaviour):
    """Answer nothing for ``seconds`` (or until the server stops), then drop the connection."""

    seconds: float = 3600.0

    def serve(self, handler: _Handler, request: dict[str, Any]) -> None:
        handler.server_ref.stopping.wait(self.seconds)
        handler.drop()


@dataclass
class Drop(Behaviour):
    """Close the connection without sending a byte."""

    def serve(self, handler: _Handler, request: dict[str, Any]) -> None:
        handler.drop()


@dataclass
class Latency(Behaviour):
    seconds: float
    then: Behaviour

    def serve(self, handler: _Handler, request: dict[str, Any]) -> None:
        if not handler.server_ref.stopping.wait(self.seconds):
            self.then.serve(handler, request)
        else:
            handler.drop()


@dataclass
class Respond(Behaviour):
    """A behaviour chosen from the request's JSON body."""

    function: Callable[[dict[str, Any]], Behaviour]

    def serve(self, handler: _Handler, request: dict[str, Any]) -> None:
        self.function(request).serve(handler, request)


# --- a valid answer for any article ---------------------------------------------------------

# The article sits on lines of its own between the tags (prompts/brief_user.j2); the system
# prompt mentions the tags inline, which must not match.
_ARTICLE = re.compile(r"^<article>\n(.*?)\n</article>$", re.DOTALL | re.MULTILINE)
_SENTENCE = re.compile(r"[^.!?\n]{20,}?[.!?]")


def echo_briefing(request: dict[str, Any]) -> Behaviour:
    """A schema-valid answer whose one quote is the article's first sentence: a whole draft
    briefing, or the answer of whichever pass asked (told by the schema's fields)."""
    text = "\n".join(str(m.get("content", "")) for m in request.get("messages", []))
    match = _ARTICLE.search(text)
    article = match.group(1) if match else text
    sentence = _SENTENCE.search(article)
    quote = sentence.group(0).strip() if sentence else article.strip()[:80]
    author = {"name": "The Author", "aliases": [], "kind": "person", "role": "writer"}
    word = re.search(r"\b[A-Z][a-z]+", quote[1:])
    question = {"question": f"What will {word.group(0) if word else 'it'} do?", "why_open": "-"}
    answers: dict[str, dict[str, Any]] = {
        "summary": {"summary": f"The article begins: {quote}"},
        "actors": {"actors": [author]},
        "positions": {"positions": [{"evidence": [1], "stance": "Reports the news."}]},
        "open_questions": {"open_questions": [question] * 3},
    }
    fields = set(_schema(request).get("properties", {}))
    if len(fields) == 1 and fields <= set(answers):
        return Reply(answers[fields.pop()])
    draft = {
        "summary": f"The article begins: {quote}",
        "actors": [author],
        "positions": [{"actor": "The Author", "evidence": [quote], "stance": "Reports the news."}],
        "open_questions": [{"question": "What happens next?", "why_open": "Not said."}],
    }
    return Reply(draft)


def _schema(request: dict[str, Any]) -> dict[str, Any]:
    response_format = request.get("response_format") or {}
    schema = response_format.get("schema") or (response_format.get("json_schema") or {}).get(
        "schema"
    )
    return schema if isinstance(schema, dict) else {}


# --- the server -----------------------------------------------------------------------------


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names; authorization and api-key values are "***"
    body: dict[str, Any] | None


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up (a cancelled call) is no server fault worth a traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server_ref: FaultServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: tests read server.requests instead

    # -- sending --
    def send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.send_bytes(status, json.dumps(body).encode(), "application/json", headers)

    def send_bytes(
        self, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    # -- receiving --
    def _record(self) -> dict[str, Any] | None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        headers = {
            k.lower(): ("***" if k.lower() in ("authorization", "api-key") else v)
            for k, v in self.headers.items()
        }
        self.server_ref.record(RecordedRequest(self.command, self.path, headers, body))
        return body if isinstance(body, dict) else None

    def do_GET(self) -> None:
        self._record()
        if self.path.rstrip("/").endswith("/models"):
            self.send_json(
                200, {"object": "list", "data": [{"id": "test-model", "object": "model"}]}
            )
        else:
            self.send_json(404, {"error": {"message": "not found"}})

    def do_POST(self) -> None:
        body = self._record()
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self.send_json(404, {"error": {"message": f"no route {self.path}"}})
            return
        self.server_ref.next_behaviour().serve(self, body or {})


class FaultServer:
    """An OpenAI-compatible server on 127.0.0.1 that answers with queued behaviours."""

    def __init__(
        self, default: Behaviour | None = None, *behaviours: Behaviour, port: int = 0
    ) -> None:
        """``port``: where to listen on 127.0.0.1; 0 (the default) takes a free one."""
        self.default = default if default is not None else Respond(echo_briefing)
        self._queue: deque[Behaviour] = deque(behaviours)
        self.requests: list[RecordedRequest] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"server_ref": self})
        self._httpd = _QuietServer(("127.0.0.1", port), handler)
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def queue(self, *behaviours: Behaviour) -> FaultServer:
        with self._lock:
            self._queue.extend(behaviours)
        return self

    def next_behaviour(self) -> Behaviour:
        with self._lock:
            return self._queue.popleft() if self._queue else self.default

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    @property
    def completions(self) -> list[RecordedRequest]:
        """The chat-completion requests received so far."""
        with self._lock:
            return [r for r in self.requests if r.path.rstrip("/").endswith("/chat/completions")]

    def start(self) -> FaultServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Serve in the foreground (``python -m summarize.testing_server``) until interrupted."""
        try:
            self._httpd.serve_forever()
        finally:
            self.stopping.set()
            self._httpd.server_close()


def main(argv: list[str] | None = None) -> None:
    """Run an echoing server, optionally slow:
    ``python -m summarize.testing_server [--latency S] [--port P]``.

    Prints its base URL on the first line of stdout, for tests that drive a CLI in a subprocess.
    """
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--port", type=int, default=0, help="default: a free one")
    args = parser.parse_args(argv)
    behaviour: Behaviour = Respond(echo_briefing)
    if args.latency:
        behaviour = Latency(args.latency, behaviour)
    server = FaultServer(default=behaviour, port=args.port)
    print(server.base_url, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
