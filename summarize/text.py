"""Article text in: decode bytes, refuse binary, turn HTML into text, tidy whitespace.

``clean_article`` is the one gate every article goes through. It either returns clean text (the
text every offset in a ``Briefing`` refers to) or raises ``InputError`` with a message a user can
act on. It never guesses silently: a fallback decoding is logged.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from html.parser import HTMLParser

from summarize.errors import InputError

__all__ = ["clean_article", "decode_bytes", "html_to_text", "looks_like_html"]

log = logging.getLogger(__name__)

# Control characters other than tab, newline, carriage return and form feed.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff]")
_HTML_SNIFF = re.compile(
    r"<!doctype\s+html|<html[\s>]|<body[\s>]|<(p|div|article|br|span|h[1-6]|li|a)\b[^>]*>",
    re.IGNORECASE,
)
_BLANK_RUNS = re.compile(r"\n{3,}")
_SPACE_RUNS = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    sample = text[:65536]
    return bool(sample) and len(_CONTROL.findall(sample)) / len(sample) > 0.01


def decode_bytes(data: bytes) -> str:
    """UTF-8 (with or without BOM, or UTF-16 with BOM); Windows-1252 as a logged fallback."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"the article starts with a UTF-16 mark but is not UTF-16: {exc}"
            ) from None
    if b"\x00" in data[:65536]:
        raise InputError("the article looks like binary data (it contains NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = ""
    if text and not _looks_binary(text):
        log.warning(
            "the article is not valid UTF-8 (%s); decoded it as Windows-1252", utf8_error.reason
        )
        return text
    raise InputError(
        f"the article is not valid UTF-8 (byte 0x{data[utf8_error.start]:02x} at offset "
        f"{utf8_error.start}) nor Windows-1252 text; convert it to UTF-8 first, "
        "e.g. `iconv -f LATIN1 -t UTF-8`"
    )


def looks_like_html(text: str) -> bool:
    """True for an HTML page or fragment (a few stray ``<`` in prose are not HTML)."""
    head = text[:4096].lstrip().lower()
    if head.startswith(("<!doctype html", "<html")):
        return True
    return len(_HTML_SNIFF.findall(text[:200_000])) >= 3


class _TextExtractor(HTMLParser):
    """Visible text of a page, paragraphs kept, navigation and scripts dropped."""

    SKIP = frozenset(
        {
            "script", "style", "noscript", "template", "svg", "nav", "header", "footer",
            "aside", "form", "button", "select", "iframe", "figure", "head", "menu",
        }
    )  # fmt: skip
    BLOCK = frozenset(
        {
            "p", "div", "section", "article", "main", "br", "li", "ul", "ol", "h1", "h2",
            "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "tr", "dl", "dt", "dd", "hr",
        }
    )  # fmt: skip
    VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "source", "wbr", "area"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.article_parts: list[str] = []
        self.skip_depth = 0
        self.article_depth = 0
        self.title = ""
        self._in_title = False

    def _emit(self, text: str) -> None:
        self.parts.append(text)
        if self.article_depth:
            self.article_parts.append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        if tag in self.VOID:
            if tag in self.BLOCK and not self.skip_depth:
                self._emit("\n")
            return
        if tag in self.SKIP:
            self.skip_depth += 1
        elif tag == "article":
            self.article_depth += 1
        if tag in self.BLOCK and not self.skip_depth:
            self._emit("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in self.SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        if tag in self.BLOCK and not self.skip_depth:
            self._emit("\n\n")
        if tag == "article":
            self.article_depth = max(0, self.article_depth - 1)

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
            return
        if not self.skip_depth:
            self._emit(data)


def html_to_text(page: str) -> str:
    """The readable text of an HTML page: the ``<article>`` if there is one, else the body."""
    parser = _TextExtractor()
    parser.feed(page)
    parser.close()
    article = "".join(parser.article_parts)
    text = article if len(article.split()) >= 50 else "".join(parser.parts)
    # Inside a paragraph, source line breaks are just spaces.
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    # The parser has already decoded character references (convert_charrefs=True): decoding
    # again would turn "&amp;lt;b&amp;gt;", which a reader sees as "&lt;b&gt;", into "<b>".
    return "\n\n".join(p for p in paragraphs if p)


def _tidy(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ZERO_WIDTH.sub("", text)
    text = _CONTROL.sub("", text)
    lines = [_SPACE_RUNS.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


def clean_article(data: str | bytes, *, max_chars: int = 2_000_000) -> str:
    """The article as clean text, or ``InputError`` saying what is wrong with it."""
    if isinstance(data, bytes | bytearray):
        text = decode_bytes(bytes(data))
    elif isinstance(data, str):
        text = data
    else:
        raise InputError(f"the article must be text or bytes, not {type(data).__name__}")
    if _looks_binary(text):
        raise InputError("the article looks like binary data (control characters), not text")
    if len(text) > max_chars * 4:
        # Refuse before parsing: HTML of this size is not an article.
        raise InputError(
            f"the article is {len(text):,} characters; the limit is {max_chars:,} "
            "(setting max_article_chars)"
        )
    if looks_like_html(text):
        text = html_to_text(text)
        if not text.strip():
            raise InputError("the HTML page has no readable text")
    text = _tidy(text)
    if not text:
        raise InputError("the article is empty (nothing but whitespace)")
    if not any(ch.isalnum() for ch in text):
        raise InputError("the article has no words in it")
    if len(text) > max_chars:
        raise InputError(
            f"the article is {len(text):,} characters; the limit is {max_chars:,} "
            "(setting max_article_chars)"
        )
    return text
