"""Article text in: decode bytes, refuse binary, turn HTML into text, tidy whitespace.

``read_article`` is the one gate every article goes through (``clean_article`` is its text). It
either returns clean text (the text every offset in a ``Briefing`` refers to), with the title,
date and author an HTML page gives, or raises ``InputError`` with a message a user can act on.
It never guesses silently: a fallback decoding is logged.

HTML goes through ``trafilatura``, which finds a page's main text and metadata and leaves its
menus, captions, "related stories" and comments behind; it runs offline, on the page alone.
"""

from __future__ import annotations

import codecs
import datetime as dt
import logging
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from summarize.errors import InputError
from summarize.schema import Source

__all__ = [
    "Article",
    "clean_article",
    "decode_bytes",
    "extract_html",
    "html_to_text",
    "looks_like_html",
    "read_article",
]

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
_META_CHARSET = re.compile(rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]+)", re.I)


@dataclass(frozen=True)
class Article:
    """An article as it will be briefed: ``text`` is the clean text every offset refers to;
    ``source`` what the page says about it (None when nothing is known)."""

    text: str
    source: Source | None = None


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    sample = text[:65536]
    return bool(sample) and len(_CONTROL.findall(sample)) / len(sample) > 0.01


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """UTF-8 (with or without BOM, or UTF-16 with BOM); else the ``charset`` declared (a
    Content-Type header's) or the one a page declares in a ``<meta>``; else Windows-1252, as a
    logged fallback.

    Bytes that are valid UTF-8 are read as UTF-8 whatever is declared: servers and pages that
    declare Latin-1 for UTF-8 text are common, and valid UTF-8 by accident is not.
    """
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
    declared = charset or _charset_of_page(data)
    codec = _codec(declared) if declared else None
    if codec is not None and codec != "utf-8":
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            log.warning("the article is not valid %s as declared", declared)
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


def _charset_of_page(data: bytes) -> str | None:
    """The charset a page declares in a ``<meta>`` near its top, if any."""
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii") if match else None


def _codec(label: str) -> str | None:
    """Python's codec for a charset label; None for a label it does not know."""
    label = label.strip().strip("\"'").lower()
    try:
        codec = codecs.lookup(label).name
    except LookupError:
        return None
    # Browsers read Latin-1 and ASCII as Windows-1252 (the WHATWG Encoding Standard), and so do
    # pages that declare them: their curly quotes are cp1252 bytes.
    return "cp1252" if codec in ("iso8859-1", "ascii") else codec


def looks_like_html(text: str) -> bool:
    """True for an HTML page or fragment (a few stray ``<`` in prose are not HTML)."""
    head = text[:4096].lstrip().lower()
    if head.startswith(("<!doctype html", "<html")):
        return True
    return len(_HTML_SNIFF.findall(text[:200_000])) >= 3


def extract_html(page: str, *, url: str | None = None) -> Article:
    """The main text of an HTML page and what the page says about it, by ``trafilatura``.

    Menus, headers, footers, captions, "related stories" and comments are dropped. The text is
    built from trafilatura's tree, one paragraph per block (headings, paragraphs, list items,
    table rows), a ``<br>`` kept as a line break; character references are decoded once, by the
    HTML parser (trafilatura's own text output unescapes a second time: "&amp;lt;" would
    become "<"). The date is the publication date the page declares (its markup, metadata or
    URL), never one guessed from a copyright line.
    """
    # Imported on first use: it pulls in lxml and dateparser.
    import trafilatura
    from trafilatura.settings import Document

    document = trafilatura.bare_extraction(
        page,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    if not isinstance(document, Document) or document.body is None:
        return Article(text="", source=Source(url=url) if url else None)
    source = Source(
        url=url or _plain(document.url),
        title=_plain(document.title),
        date=_parse_date(document.date),
        author=_plain(document.author),
    )
    return Article(text=_tree_text(document.body), source=source if source.known else None)


_BLOCKS = frozenset({"head", "p", "list", "item", "quote", "table", "row", "code", "graphic"})
_LINE_BREAK, _PARAGRAPH_BREAK = "\u2028", "\u2029"


def _tree_text(body: Any) -> str:
    """Paragraphs of trafilatura's XML tree: blocks apart, ``lb`` a line break, cells spaced."""
    pieces: list[str] = []

    def walk(element: Any) -> None:
        block = element.tag in _BLOCKS
        if block:
            pieces.append(_PARAGRAPH_BREAK)
        elif element.tag == "lb":
            pieces.append(_LINE_BREAK)
        elif element.tag == "cell":
            pieces.append(" ")
        pieces.append(element.text or "")
        for child in element:
            walk(child)
        if block:
            pieces.append(_PARAGRAPH_BREAK)
        pieces.append(element.tail or "")

    walk(body)
    paragraphs = []
    for paragraph in "".join(pieces).split(_PARAGRAPH_BREAK):
        # Inside a paragraph, source line breaks are just spaces; a <br> is a line break.
        lines = [" ".join(line.split()) for line in paragraph.split(_LINE_BREAK)]
        if any(lines):
            paragraphs.append("\n".join(line for line in lines if line))
    return "\n\n".join(paragraphs)


def _plain(value: object) -> str | None:
    text = " ".join(str(value).split()) if isinstance(value, str) else ""
    return text or None


def _parse_date(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def html_to_text(page: str) -> str:
    """The main text of an HTML page (``extract_html`` without the metadata)."""
    return extract_html(page).text


def _tidy(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ZERO_WIDTH.sub("", text)
    text = _CONTROL.sub("", text)
    lines = [_SPACE_RUNS.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


def read_article(
    data: str | bytes, *, max_chars: int = 2_000_000, url: str | None = None
) -> Article:
    """The article as clean text with what its page says about it (title, date, author), or
    ``InputError`` saying what is wrong with it. ``url`` is where it came from, if anywhere."""
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
    source = Source(url=url) if url else None
    if looks_like_html(text):
        page = extract_html(text, url=url)
        text, source = page.text, page.source
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
    return Article(text=text, source=source)


def clean_article(data: str | bytes, *, max_chars: int = 2_000_000) -> str:
    """The article as clean text, or ``InputError`` saying what is wrong with it."""
    return read_article(data, max_chars=max_chars).text
