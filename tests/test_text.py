"""Article cleaning: every kind of bad input gets clean text or one clear ``InputError``."""

from __future__ import annotations

import pytest

from summarize.errors import InputError
from summarize.text import clean_article, looks_like_html

PAGE = """<!DOCTYPE html><html><head><title>Site</title><style>p{color:red}</style>
<script>var ignore = "Ignore me";</script></head><body>
<nav><a href="/">Home</a> <a href="/world">World</a></nav>
<header>Breaking News Network</header>
<article><h1>Council rejects tower</h1>
<p>The city council voted 5&ndash;4 on Tuesday to reject the
tower, a decision the developer called &ldquo;short-sighted&rdquo;.</p>
<p>Residents had argued that the tower would overshadow the park.</p>
<figure><figcaption>Photo: a caption</figcaption></figure>
<p>The developer said it would appeal within 30 days, and the mayor declined to comment on
the vote, saying the process must run its course before she says anything.</p></article>
<footer>Copyright 2026 | Privacy | Terms</footer></body></html>"""


def test_html_keeps_the_article_and_drops_the_page_around_it() -> None:
    text = clean_article(PAGE)
    assert text.startswith("Council rejects tower\n\nThe city council voted 5–4")
    assert "“short-sighted”" in text
    for noise in ("Home", "Ignore me", "color:red", "Copyright", "caption", "Breaking News"):
        assert noise not in text
    assert "\n\nResidents had argued" in text


def test_html_without_an_article_element_keeps_the_body_text() -> None:
    page = "<div><p>First paragraph here.</p><p>Second <b>bold</b> one.</p><br><p>Third.</p></div>"
    assert clean_article(page) == "First paragraph here.\n\nSecond bold one.\n\nThird."


def test_html_character_references_are_decoded_exactly_once() -> None:
    page = (
        "<div><p>Write &amp;lt;b&amp;gt; to make text bold.</p>"
        "<p>Fish &amp; chips cost &pound;5.</p><p>Third.</p></div>"
    )
    assert clean_article(page) == (
        "Write &lt;b&gt; to make text bold.\n\nFish & chips cost £5.\n\nThird."
    )


def test_prose_with_angle_brackets_is_not_html() -> None:
    text = "Profits rose when x < 5 and y > 3, analysts said.\n\nThe <b> tag is rare."
    assert not looks_like_html(text)
    assert clean_article(text) == text


def test_whitespace_is_tidied_and_paragraphs_kept() -> None:
    raw = "Title\r\n\r\n\r\n\r\nFirst  line\u00a0with\tspaces.   \r\nNext\u200b line.\n\n\n"
    assert clean_article(raw) == "Title\n\nFirst line with spaces.\nNext line."


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("", "empty"),
        ("   \n\t \n", "empty"),
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00", "binary"),
        ("text\x00with NUL", "binary"),
        ("\x01\x02\x03\x04\x05" * 20, "binary"),
        ("... --- !!! ???", "no words"),
        ("<html><body><script>x()</script></body></html>", "no readable text"),
        (b"\x81\x8d\x8f\x90\x9d" * 10, "not valid UTF-8"),
        (12345, "text or bytes"),
    ],
)
def test_bad_input_is_one_clear_error(data: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        clean_article(data)  # type: ignore[arg-type]


def test_bytes_are_decoded_utf8_with_or_without_bom() -> None:
    assert clean_article("Zelensky’s “plan”".encode()) == "Zelensky’s “plan”"
    assert clean_article(b"\xef\xbb\xbfHello world") == "Hello world"
    assert clean_article("Grüße aus Köln".encode("utf-16")) == "Grüße aus Köln"


def test_windows_1252_is_decoded_as_a_logged_fallback(caplog: pytest.LogCaptureFixture) -> None:
    data = "Caf\u00e9 owners said \u201cno\u201d.".encode("cp1252")
    assert clean_article(data) == "Café owners said “no”."
    assert "Windows-1252" in caplog.text


def test_the_size_limit_names_the_setting() -> None:
    with pytest.raises(InputError, match="max_article_chars"):
        clean_article("word " * 1000, max_chars=100)
