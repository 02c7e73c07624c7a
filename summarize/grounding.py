"""Grounding: is each evidence quote really in the article, and where?

A quote is *verified* when, after normalising both sides (whitespace, typographic quotes and
dashes, case), it occurs in the article; its offsets then point at the article's own span and its
``text`` becomes that span, so what a reader sees is the article's words. A quote with an
ellipsis is verified when its pieces occur in order within one passage.

A quote that is a *near-paraphrase* of one article sentence (a model's small slips: a changed
word, a dropped article) is replaced by that sentence and marked ``replaced``, the model's words
kept in ``original``. Guards keep the replacement honest: the numbers and the negations of the
quote must be those of the sentence, so "did not agree" never becomes "agreed" and "30 days"
never becomes "13 days". Everything else is unverified, and is never shown as a quote.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import cached_property

from rapidfuzz import fuzz

from summarize.chunking import split_sentences
from summarize.schema import Quote

__all__ = [
    "ArticleIndex",
    "OffsetMap",
    "ground_evidence",
    "ground_quote",
    "normalise",
    "normalise_with_offsets",
]

# Similarity (0-100) above which a quote counts as a near-paraphrase of a sentence.
PARAPHRASE_RATIO = 88.0
# The same, when the quote paraphrases part of a longer sentence.
PARTIAL_RATIO = 92.0
_MIN_PARAPHRASE_WORDS = 5
_MAX_ELLIPSIS_GAP = 400

# One character for one, so offsets survive; whitespace runs are collapsed separately.
_TRANSLATE = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u00b4`", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
    }
)
# Whitespace that needs work: runs, a lone non-space character, or any at either end.
_WHITESPACE = re.compile(r"^\s+|\s+$|\s{2,}|[^\S ]")
_STRIP = "\"'“”‘’«» \t\n.,;:"
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NEGATIONS = frozenset(
    {
        "not",
        "no",
        "never",
        "none",
        "nor",
        "neither",
        "nobody",
        "nothing",
        "without",
        "cannot",
        "isn't",
        "aren't",
        "wasn't",
        "weren't",
        "don't",
        "doesn't",
        "didn't",
        "won't",
        "wouldn't",
        "can't",
        "couldn't",
        "shouldn't",
        "hasn't",
        "haven't",
        "hadn't",
    }
)
_ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…|\[\.\.\.\]|\[…\])\s*")


@dataclass(frozen=True)
class OffsetMap:
    """Maps an index of a normalised text back to its source: only whitespace runs move it."""

    starts: list[int]  # normalised index where a shift begins
    shifts: list[int]  # source index minus normalised index from there on

    def __call__(self, index: int) -> int:
        i = bisect.bisect_right(self.starts, index) - 1
        return index + (self.shifts[i] if i >= 0 else 0)


def _lower(text: str) -> str:
    low = text.lower()
    if len(low) == len(text):
        return low
    # A few characters lower to two ("İ"): keep those as they are, so offsets hold.
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def normalise_with_offsets(text: str) -> tuple[str, OffsetMap]:
    """``text`` normalised for matching, and the map from its indices to ``text``'s."""
    flat = _lower(text.translate(_TRANSLATE))
    pieces: list[str] = []
    starts: list[int] = []
    shifts: list[int] = []
    source = out = 0
    for match in _WHITESPACE.finditer(flat):
        a, b = match.span()
        pieces.append(flat[source:a])
        out += a - source
        if out > 0 and b < len(flat):  # inner run: one space
            pieces.append(" ")
            out += 1
        source = b
        if b - a != 1 or out == 0 or b == len(flat):
            starts.append(out)
            shifts.append(source - out)
    pieces.append(flat[source:])
    return "".join(pieces), OffsetMap(starts, shifts)


def normalise(text: str) -> str:
    """``text`` for matching: typographic quotes and dashes plain, whitespace single, lower."""
    return normalise_with_offsets(text)[0]


def _words(text: str) -> list[str]:
    return re.findall(r"[\w']+", normalise(text))


def _guards_pass(quote: str, sentence: str) -> bool:
    """The quote says nothing the sentence does not: same numbers, same negations."""
    if sorted(_NUMBER.findall(quote)) != sorted(_NUMBER.findall(sentence)):
        return False
    negations_q = [w for w in _words(quote) if w in _NEGATIONS or w.endswith("n't")]
    negations_s = [w for w in _words(sentence) if w in _NEGATIONS or w.endswith("n't")]
    return len(negations_q) == len(negations_s)


@dataclass
class ArticleIndex:
    """The article, normalised once, with its sentences, for grounding many quotes."""

    article: str
    normalised: str = field(init=False)
    offsets: OffsetMap = field(init=False)
    sentences: list[tuple[int, int]] = field(init=False)

    def __post_init__(self) -> None:
        self.normalised, self.offsets = normalise_with_offsets(self.article)
        self.sentences = split_sentences(self.article)

    @cached_property
    def _sentence_norms(self) -> list[str]:
        # Only paraphrase checks need these; most quotes are found verbatim first.
        return [normalise(self.article[a:b]) for a, b in self.sentences]

    def span(self, norm_start: int, norm_end: int) -> tuple[int, int]:
        """Article offsets of the normalised slice ``[norm_start, norm_end)``."""
        return self.offsets(norm_start), self.offsets(norm_end - 1) + 1

    def find(self, normalised_quote: str, start: int = 0) -> int:
        """Index in ``normalised`` of the quote at a word boundary, or -1."""
        if not normalised_quote:
            return -1
        pos = self.normalised.find(normalised_quote, start)
        while pos != -1:
            end = pos + len(normalised_quote)
            left_ok = pos == 0 or not (
                self.normalised[pos - 1].isalnum() and normalised_quote[0].isalnum()
            )
            right_ok = end == len(self.normalised) or not (
                self.normalised[end].isalnum() and normalised_quote[-1].isalnum()
            )
            if left_ok and right_ok:
                return pos
            pos = self.normalised.find(normalised_quote, pos + 1)
        return -1


def _verified(index: ArticleIndex, start: int, end: int, original: str) -> Quote:
    text = index.article[start:end]
    return Quote(
        text=text,
        start=start,
        end=end,
        verified=True,
        original=None if normalise(text) == normalise(original) else original,
    )


def _exact(quote: str, index: ArticleIndex) -> Quote | None:
    for candidate in (quote.strip(), quote.strip(_STRIP)):
        norm = normalise(candidate)
        if len(norm) < 2:
            continue
        pos = index.find(norm)
        if pos != -1:
            start, end = index.span(pos, pos + len(norm))
            return _verified(index, start, end, quote)
    return None


def _with_ellipsis(quote: str, index: ArticleIndex) -> Quote | None:
    pieces = [p.strip(_STRIP) for p in _ELLIPSIS.split(quote)]
    pieces = [p for p in pieces if p]
    if len(pieces) < 2 or any(len(p.split()) < 2 for p in pieces):
        return None
    norms = [normalise(p) for p in pieces]
    first = index.find(norms[0])
    while first != -1:
        cursor = first + len(norms[0])
        for norm in norms[1:]:
            pos = index.find(norm, cursor)
            if pos == -1 or pos - cursor > _MAX_ELLIPSIS_GAP:
                break
            cursor = pos + len(norm)
        else:
            start, end = index.span(first, cursor)
            return _verified(index, start, end, quote)
        first = index.find(norms[0], first + 1)
    return None


def _paraphrase(quote: str, index: ArticleIndex) -> Quote | None:
    core = quote.strip(_STRIP)
    if len(core.split()) < _MIN_PARAPHRASE_WORDS or not index.sentences:
        return None
    norm = normalise(core)
    best: tuple[float, int] = (0.0, -1)
    for i, sentence in enumerate(index._sentence_norms):
        if len(sentence) >= len(norm):
            score = fuzz.partial_ratio(norm, sentence)
            if score < PARTIAL_RATIO:
                continue
        else:
            score = fuzz.ratio(norm, sentence)
            if score < PARAPHRASE_RATIO:
                continue
        # A short quote of a long sentence must still be most of it to count as a paraphrase
        # of the whole sentence; otherwise it is a paraphrase of a part, handled the same way.
        if score > best[0]:
            best = (score, i)
    if best[1] < 0:
        return None
    start, end = index.sentences[best[1]]
    sentence_text = index.article[start:end]
    sentence_norm = index._sentence_norms[best[1]]
    if len(sentence_norm) > len(norm):
        aligned = fuzz.partial_ratio_alignment(norm, sentence_norm)
        compared = sentence_norm[aligned.dest_start : aligned.dest_end] if aligned else ""
    else:
        compared = sentence_norm
    if not _guards_pass(core, compared):
        return None
    return Quote(
        text=sentence_text, start=start, end=end, verified=True, replaced=True, original=quote
    )


def ground_quote(quote: str, index: ArticleIndex) -> Quote:
    """One evidence quote checked against the article."""
    return (
        _exact(quote, index)
        or _with_ellipsis(quote, index)
        or _paraphrase(quote, index)
        or Quote(text=quote.strip(), verified=False)
    )


def ground_evidence(quotes: list[str], index: ArticleIndex) -> list[Quote]:
    """Each quote grounded; empty quotes dropped and duplicates (same span or text) merged."""
    grounded: list[Quote] = []
    seen: set[object] = set()
    for raw in quotes:
        if not raw or not raw.strip(_STRIP):
            continue
        quote = ground_quote(raw, index)
        key: object = (quote.start, quote.end) if quote.verified else normalise(quote.text)
        if key in seen:
            continue
        seen.add(key)
        grounded.append(quote)
    return grounded
