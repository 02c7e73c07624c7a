"""Articles from URLs, against a page server on 127.0.0.1: every failure one clear error.

The server answers each path with one behaviour (a page, a status, a redirect, a hang, an
endless body); nothing here leaves the machine.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from test_cli import run  # the CLI driver: exit code, stdout, stderr

import summarize.pipeline
from summarize import Settings, brief
from summarize.batch import read_inputs
from summarize.errors import FetchError, InputError
from summarize.fetch import fetch, is_url
from summarize.models import CompletionRequest
from summarize.schema import Briefing, DraftActor, DraftBriefing, DraftPosition
from summarize.testing import FakeModel
from summarize.text import clean_article

QUOTE = "the tower would overshadow the park and the school beside it"
PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Council rejects tower | The Daily</title>
<meta property="og:title" content="Council rejects tower">
<meta name="author" content="Jane Roe">
<meta property="article:published_time" content="2025-03-04T10:00:00+01:00"></head>
<body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>Council rejects tower</h1>
<p>The city council voted 5&ndash;4 on Tuesday to reject the tower, a decision the developer
called &ldquo;short-sighted&rdquo;.</p>
<p>Residents had argued that the tower would overshadow the park and the school beside it.</p>
<p>The developer said it would appeal within 30 days, and the mayor declined to comment.</p>
</article><footer>Copyright 2026 The Daily | Privacy | Terms</footer></body></html>"""


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "text/html; charset=utf-8"),)
    hang: bool = False  # send the headers, then nothing until the server stops
    endless: bool = False  # send body bytes until the client goes away


ROUTES: dict[str, Answer] = {
    "/article": Answer(body=PAGE.encode()),
    "/plain": Answer(
        body=b"Residents said the tower was too tall.\n\nThe council agreed.",
        headers=(("Content-Type", "text/plain"),),
    ),
    "/latin": Answer(
        body="<p>Caf\u00e9 owners said \u201cno\u201d to the tower plan.</p>".encode("cp1252") * 3,
        headers=(("Content-Type", "text/html; charset=ISO-8859-1"),),
    ),
    "/missing": Answer(status=404, body=b"<p>not here</p>"),
    "/down": Answer(status=503, body=b"busy"),
    "/report.pdf": Answer(body=b"%PDF-1.7 ...", headers=(("Content-Type", "application/pdf"),)),
    "/big": Answer(body=b"<p>x</p>" * 20_000),
    "/endless": Answer(endless=True),
    "/moved": Answer(status=302, headers=(("Location", "/article"),)),
    "/loop": Answer(status=302, headers=(("Location", "/loop"),)),
    "/slow": Answer(hang=True),
}


class PageServer:
    """``ROUTES`` on a free port of 127.0.0.1, in a thread; hung answers end when it stops."""

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self.requests: list[tuple[str, str]] = []  # (path, user agent)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server.requests.append((self.path, self.headers.get("User-Agent", "")))
                answer = ROUTES.get(self.path, Answer(status=404))
                self.send_response(answer.status)
                for name, value in answer.headers:
                    self.send_header(name, value)
                if answer.hang:  # a body is promised, and never comes
                    self.send_header("Content-Length", "1000")
                elif not answer.endless:
                    self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                if answer.hang:
                    self.wfile.flush()
                    server.stopping.wait(30)
                    return
                try:
                    if answer.endless:  # bounded: 64 MB at most, if nobody hangs up
                        for _ in range(1024):
                            self.wfile.write(b"<p>more</p>" * 6000)
                    else:
                        self.wfile.write(answer.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading: what a size cap does

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def __enter__(self) -> PageServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[PageServer]:
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)  # 127.0.0.1 directly, never through a proxy
    with PageServer() as pages:
        yield pages


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens there any more


# --- fetch ---------------------------------------------------------------------------------


def test_a_page_is_fetched_as_text_with_its_url(server: PageServer) -> None:
    page = fetch(server.url("/article"))
    assert page.text == PAGE
    assert page.url == server.url("/article") and page.content_type == "text/html"
    assert server.requests[0][1].startswith("summarize")


def test_a_redirect_is_followed_and_the_final_url_kept(server: PageServer) -> None:
    page = fetch(server.url("/moved"))
    assert page.url == server.url("/article") and page.text == PAGE


def test_plain_text_is_accepted_and_the_header_charset_decodes_the_body(
    server: PageServer,
) -> None:
    assert fetch(server.url("/plain")).text.startswith("Residents said the tower")
    assert "Café owners said “no” to the tower plan." in fetch(server.url("/latin")).text


FAILURES: list[tuple[str, Callable[[PageServer], str], dict[str, Any], str, int | None]] = [
    ("HTTP 404", lambda s: s.url("/missing"), {}, r": HTTP 404 Not Found$", 404),
    ("HTTP 503", lambda s: s.url("/down"), {}, r": HTTP 503 Service Unavailable$", 503),
    ("not a page", lambda s: s.url("/report.pdf"), {}, "content type is application/pdf", None),
    ("announced too large", lambda s: s.url("/big"), {"max_bytes": 10_000}, "over the", None),
    ("streamed too large", lambda s: s.url("/endless"), {"max_bytes": 100_000}, "larger", None),
    ("redirect loop", lambda s: s.url("/loop"), {}, "more than 5 redirects", None),
    ("no answer", lambda s: s.url("/slow"), {"timeout": 0.2}, "within 0.2 s", None),
    (
        "connection refused",
        lambda s: f"http://127.0.0.1:{closed_port()}/a",
        {},
        "cannot connect",
        None,
    ),
    ("not http", lambda s: "ftp://example.org/a", {}, "not an http:// or https:// URL", None),
    ("no host", lambda s: "http:///nowhere", {}, "cannot connect", None),
]


@pytest.mark.parametrize(
    ("name", "make_url", "options", "message", "status"), FAILURES, ids=[f[0] for f in FAILURES]
)
def test_every_failure_is_one_fetch_error_naming_the_url(
    server: PageServer,
    name: str,
    make_url: Callable[[PageServer], str],
    options: dict[str, Any],
    message: str,
    status: int | None,
) -> None:
    url = make_url(server)
    with pytest.raises(FetchError, match=message) as info:
        fetch(url, **options)
    assert isinstance(info.value, InputError)  # a batch records it as that item's error
    assert str(info.value).startswith(f"{url}: ") and "\n" not in str(info.value)
    assert info.value.url == url and info.value.status_code == status


def test_only_http_and_https_addresses_are_urls() -> None:
    assert is_url("https://news.example/a") and is_url("HTTP://news.example/a")
    assert not is_url("news.example/a") and not is_url("file:///etc/passwd")
    assert not is_url("article.html")


# --- brief URL -----------------------------------------------------------------------------


def draft(request: CompletionRequest) -> DraftBriefing:
    return DraftBriefing(
        summary="The council rejected the tower.",
        actors=[DraftActor(name="Residents", aliases=[], kind="group", role="neighbours")],
        positions=[DraftPosition(actor="Residents", evidence=[QUOTE], stance="Oppose the tower.")],
        open_questions=[],
    )


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeModel:
    monkeypatch.setenv("SUMMARIZE_STRATEGY", "single")
    model = FakeModel(default=draft)
    monkeypatch.setattr(summarize.pipeline, "resolve_model", lambda name, settings: model)
    return model


def test_brief_url_briefs_the_page_with_its_title_date_author_and_url(
    server: PageServer, fake: FakeModel, capsys: pytest.CaptureFixture[str]
) -> None:
    url = server.url("/moved")
    code, out, err = run(["brief", url, "--format", "json", "-q"], capsys)
    assert code == 0, err
    briefing = Briefing.model_validate_json(out)
    assert briefing.title == "Council rejects tower"
    assert briefing.source is not None
    assert briefing.source.url == server.url("/article")  # where the redirect ended
    assert briefing.source.date == dt.date(2025, 3, 4) and briefing.source.author == "Jane Roe"
    assert briefing.positions[0].evidence[0].verified
    shown = fake.history[0].messages[-1]["content"]
    assert "Title: Council rejects tower" in shown and "Home" not in shown


def test_brief_url_as_a_page_highlights_the_fetched_article_and_links_its_source(
    server: PageServer, fake: FakeModel, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "page.html"
    code, _, err = run(["brief", server.url("/article"), "-f", "html", "-o", str(out)], capsys)
    assert code == 0, err
    page = out.read_text(encoding="utf-8")
    article = clean_article(PAGE)
    start = article.index(QUOTE)
    assert f'data-start="{start}" data-end="{start + len(QUOTE)}"' in page
    assert f'<a href="{server.url("/article")}" rel="noopener noreferrer">' in page
    assert "Jane Roe · 2025-03-04" in page


def test_brief_of_a_url_that_fails_is_one_line_and_no_model_call(
    server: PageServer, fake: FakeModel, capsys: pytest.CaptureFixture[str]
) -> None:
    url = server.url("/missing")
    code, out, err = run(["brief", url], capsys)
    assert code == 1 and out == ""
    assert err.strip() == f"error: {url}: HTTP 404 Not Found"
    assert fake.history == []


def test_brief_of_another_scheme_is_refused_as_a_url_not_looked_for_as_a_file(
    fake: FakeModel, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["brief", "ftp://news.example/a"], capsys)
    assert code == 1
    assert err.strip() == "error: ftp://news.example/a: not an http:// or https:// URL"


def test_the_library_records_the_url_it_is_given() -> None:
    briefing = brief(
        PAGE,
        url="https://news.example/council",
        model=FakeModel(default=draft),
        config=Settings(strategy="single"),
    )
    assert briefing.source is not None and briefing.source.url == "https://news.example/council"
    assert briefing.source.title == "Council rejects tower"


# --- batches of URLs -----------------------------------------------------------------------


def batch_lines(path: Path) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in map(json.loads, path.read_text().splitlines())}


def test_a_batch_of_urls_records_each_failure_on_its_own_line_and_goes_on(
    server: PageServer, fake: FakeModel, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    urls = tmp_path / "feed.urls"
    good, missing, pdf = server.url("/article"), server.url("/missing"), server.url("/report.pdf")
    urls.write_text(f"# today's feed\n{good}\n\n{missing}\n{pdf}\n{server.url('/plain')}\n")
    out = tmp_path / "results.jsonl"
    code, _, err = run(["batch", str(urls), "--out", str(out), "-q"], capsys)
    assert code == 1  # some items failed
    records = batch_lines(out)
    assert sorted(records) == sorted([good, missing, pdf, server.url("/plain")])
    assert records[good]["ok"] and records[good]["briefing"]["source"]["author"] == "Jane Roe"
    assert records[good]["briefing"]["title"] == "Council rejects tower"
    assert records[missing]["error"] == {
        "type": "FetchError",
        "message": f"{missing}: HTTP 404 Not Found",
    }
    assert records[pdf]["error"]["type"] == "FetchError"
    assert "application/pdf" in records[pdf]["error"]["message"]
    assert records[server.url("/plain")]["briefing"]["source"] == {
        "url": server.url("/plain"),
        "title": None,
        "date": None,
        "author": None,
    }
    assert "2 done, 2 failed" in err


def test_jsonl_lines_may_give_a_url_instead_of_text(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        '{"id": "a", "url": "https://news.example/a"}\n'
        '{"url": "https://news.example/b"}\n'
        '{"id": "c", "text": "Some words."}\n'
    )
    items = read_inputs(source)
    assert [(i.id, i.url) for i in items] == [
        ("a", "https://news.example/a"),
        ("https://news.example/b", "https://news.example/b"),
        ("c", None),
    ]


def test_a_url_list_with_a_line_that_is_not_a_url_is_refused_with_its_number(
    tmp_path: Path,
) -> None:
    source = tmp_path / "feed.txt"
    source.write_text("https://news.example/a\nnews.example/b\nhttps://news.example/a\n")
    with pytest.raises(InputError, match="line 2: not an http") as info:
        read_inputs(source)
    assert "line 3: duplicate" in str(info.value)
