"""Article cleaning: every kind of bad input gets clean text or one clear ``InputError``."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from summarize.errors import InputError
from summarize.text import clean_article, decode_bytes, looks_like_html, read_article

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


NEWS_PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Council rejects tower | The Daily</title>
<meta property="og:title" content="Council rejects tower">
<meta name="author" content="Jane Roe">
<meta property="article:published_time" content="2025-03-04T10:00:00+01:00"></head>
<body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>Council rejects tower</h1><p class="byline">By Jane Roe</p>
<p>The city council voted 5&ndash;4 on Tuesday to reject the tower, a decision the developer
called &ldquo;short-sighted&rdquo;.</p>
<p>Residents had argued that the tower would overshadow the park and the school beside it.</p>
<p>The developer said it would appeal within 30 days, and the mayor declined to comment.</p>
</article>
<aside><h2>Related stories</h2><ul><li><a href="/a">Mayor opens a bridge</a></li>
<li><a href="/b">Park gets new trees</a></li></ul></aside>
<footer>Copyright 2026 The Daily | Privacy | Terms</footer></body></html>"""


def test_a_news_page_gives_its_main_text_and_its_title_date_and_author() -> None:
    article = read_article(NEWS_PAGE)
    assert article.text == (
        "Council rejects tower\n\n"
        "The city council voted 5–4 on Tuesday to reject the tower, a decision the developer "
        "called “short-sighted”.\n\n"
        "Residents had argued that the tower would overshadow the park and the school beside it."
        "\n\nThe developer said it would appeal within 30 days, and the mayor declined to comment."
    )
    assert article.source is not None
    assert article.source.title == "Council rejects tower"  # not the <title>'s " | The Daily"
    assert article.source.date == dt.date(2025, 3, 4)
    assert article.source.author == "Jane Roe"
    assert article.source.url is None


def test_a_copyright_year_is_not_taken_for_the_publication_date() -> None:
    article = read_article(PAGE)  # no date in its markup, "Copyright 2026" in its footer
    assert article.source is not None and article.source.title == "Council rejects tower"
    assert article.source.date is None


def test_the_url_given_is_kept_for_plain_text_and_html_alike() -> None:
    url = "https://news.example/2025/council"
    assert read_article("Plain words.", url=url).source.url == url  # type: ignore[union-attr]
    assert read_article(NEWS_PAGE, url=url).source.url == url  # type: ignore[union-attr]
    assert read_article("Plain words.").source is None


def test_a_line_break_stays_a_line_break_and_list_items_and_rows_are_paragraphs() -> None:
    page = (
        "<html><body><article><h1>Budget vote</h1><p>The council meets on Tuesday to vote on "
        "the budget, which cuts library hours.</p><p>Council offices<br>12 Main Street</p>"
        "<ul><li>Libraries lose two hours a day.</li><li>Parks keep their funding.</li></ul>"
        "<table><tr><td>Libraries</td><td>-12%</td></tr></table>"
        "<p>Opposition members promised to block the plan when it comes to a vote.</p>"
        "</article></body></html>"
    )
    text = clean_article(page)
    assert "\n\nCouncil offices\n12 Main Street\n\n" in text
    assert "\n\nLibraries lose two hours a day.\n\nParks keep their funding.\n\n" in text
    assert "\n\nLibraries -12%\n\n" in text


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


def test_a_charset_the_page_declares_decodes_its_bytes(caplog: pytest.LogCaptureFixture) -> None:
    body = "<p>Москва заявила, что переговоры продолжатся.</p>" * 3
    page = f'<html><head><meta charset="koi8-r"></head><body>{body}</body></html>'
    with caplog.at_level(logging.WARNING):
        text = clean_article(page.encode("koi8-r"))
    assert text.startswith("Москва заявила, что переговоры продолжатся.")
    assert caplog.text == ""  # declared, so not a guess


def test_latin1_declared_is_read_as_windows_1252_as_browsers_do() -> None:
    page = '<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">\n'
    data = (page + "<p>Caf\u00e9 owners said \u201cno\u201d.</p>" * 3).encode("cp1252")
    assert "Café owners said “no”." in clean_article(data)


def test_valid_utf8_wins_over_a_wrong_declaration() -> None:
    data = "<meta charset=iso-8859-1><p>Grüße aus Köln</p>".encode()
    assert decode_bytes(data) == "<meta charset=iso-8859-1><p>Grüße aus Köln</p>"
    assert decode_bytes("Grüße".encode("cp1252"), charset="latin-1") == "Grüße"
