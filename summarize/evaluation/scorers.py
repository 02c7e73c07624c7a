"""Scoring a briefing against a hand-labelled reference.

Each field has a small pure scorer returning a ``Score``: a value in [0, 1], a one-line
explanation, and the matched, missed and spurious items a report shows.

- **actors**: alias-aware names (case, punctuation, titles, possessives, a person's surname,
  transliterations through a fuzzy ratio), one-to-one assignment; recall on core reference
  actors, precision against all reference actors; the value is their F1.
- **positions**: a predicted position matches a reference one when both are held by the same
  reference actor and the stances say the same thing (the similarity backend's threshold), or
  the predicted evidence overlaps the reference evidence. A position without one verified
  quote never matches: an unsupported claim is worse than none. F1 as for actors.
- **attribution**: who said what, on its own: recall of the core reference evidence spans
  cited by a verified quote of a predicted position of the same actor, precision of the
  predicted verified quotes that overlap a reference span of their own actor; F1.
- **questions**: semantic similarity and one-to-one assignment; F1 as for actors.
- **summary**: ROUGE-L F1 against the reference summary; the share of summary sentences that
  resemble some article sentence is reported as a faithfulness signal, not scored.
- **grounding**: the share of evidence quotes that really occur in the article, checked
  again here rather than trusting the ``verified`` flag.

``FIELDS`` is the one registry of the fields: each one's name, scorer and weight, in the order
reports show them. The runner scores a case with it, the report draws its columns from it and
the gate compares the fields it lists; nothing else names a field. ``FIELD_WEIGHTS`` (a live
view of it) makes one overall score: a weighted mean, heaviest on positions, attribution and
grounding because they carry the library's promise (who wants what, with a real quote). A
field of weight 0 (the judge) is shown beside the others, never weighted, and averaged over the
cases it could score.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from summarize.chunking import split_sentences
from summarize.evaluation.dataset import Reference, ReferenceActor
from summarize.evaluation.similarity import Similarity
from summarize.grounding import ArticleIndex, normalise
from summarize.names import name_key, name_keys
from summarize.schema import Actor, Briefing, OpenQuestion, Position, Quote

__all__ = [
    "FIELDS",
    "FIELD_WEIGHTS",
    "CaseScore",
    "Score",
    "ScoreField",
    "assign",
    "overall",
    "reference_to_briefing",
    "rouge_l",
    "score_actors",
    "score_attribution",
    "score_case",
    "score_grounding",
    "score_positions",
    "score_questions",
    "score_summary",
]

# Two name keys this close (rapidfuzz ratio, 0-100) name one actor: Zelenskyy / Zelenskiy.
NAME_FUZZ_THRESHOLD = 85


@dataclass(frozen=True)
class Score:
    value: float
    explanation: str
    matched: list[tuple[str, str, float]] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    spurious: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def details(self) -> dict[str, Any]:
        return {
            "matched": [[p, r, round(s, 3)] for p, r, s in self.matched],
            "missed": list(self.missed),
            "spurious": list(self.spurious),
            **self.extra,
        }


@dataclass(frozen=True)
class CaseScore:
    fields: dict[str, Score]

    @property
    def overall(self) -> float:
        return overall({k: s.value for k, s in self.fields.items()}, FIELD_WEIGHTS)


def overall(values: Mapping[str, float], weights: Mapping[str, float]) -> float:
    """The weighted mean of ``values`` under ``weights`` (a field without a value counts 0)."""
    total = sum(weights.values())
    if not total:
        return 0.0
    return round(sum(w * values.get(k, 0.0) for k, w in weights.items()) / total, 4)


# --- one-to-one assignment ------------------------------------------------------------------


def assign(
    sim: Sequence[Sequence[float]], threshold: float, *, priority: Sequence[float] = ()
) -> list[tuple[int, int, float]]:
    """Pairs ``(row, column, similarity)`` of a one-to-one matching of rows to columns.

    Only pairs at or above ``threshold`` may match. The matching has as many pairs as possible,
    then prefers columns with a higher ``priority`` (core items), then higher similarity; so it
    does not depend on the order of the items.
    """
    rows = len(sim)
    cols = len(sim[0]) if rows else 0
    if not rows or not cols:
        return []
    from scipy.optimize import linear_sum_assignment

    # A pair's weight: a constant larger than any sum of bonuses (so the most pairs win), plus
    # the column's priority, plus the similarity; pairs below the threshold weigh nothing.
    big = 4.0 * (max(rows, cols) + 1)
    weight = [[0.0] * cols for _ in range(rows)]
    for i in range(rows):
        for j in range(cols):
            if sim[i][j] >= threshold:
                bonus = priority[j] if j < len(priority) else 0.0
                weight[i][j] = big + bonus + sim[i][j]
    chosen_rows, chosen_cols = linear_sum_assignment(weight, maximize=True)
    return [
        (int(i), int(j), float(sim[i][j]))
        for i, j in zip(chosen_rows, chosen_cols, strict=True)
        if weight[i][j] > 0
    ]


def _prf(matched_core: int, core: int, matched: int, predicted: int) -> tuple[float, float, float]:
    # Nothing required and nothing predicted is right (an article may raise no question);
    # predicting items where the reference has none is all spurious.
    recall = matched_core / core if core else 1.0
    precision = matched / predicted if predicted else (1.0 if core == 0 else 0.0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return recall, precision, f1


def _explain(name: str, matched_core: int, core: int, matched: int, predicted: int) -> str:
    return (
        f"{matched_core}/{core} core {name} found; "
        f"{matched}/{predicted} predicted {name} match the reference"
    )


def _assignment_score(
    field: str,
    pairs: list[tuple[int, int, float]],
    pred_labels: Sequence[str],
    ref_labels: Sequence[str],
    ref_core: Sequence[bool],
    *,
    unmatchable: Sequence[str] = (),
) -> Score:
    """F1 of core recall and precision for a one-to-one matching of predictions to references.

    ``unmatchable`` are predictions that took no part in the matching (they still count as
    predicted, and as spurious).
    """
    matched_refs = {j for _, j, _ in pairs}
    matched_preds = {i for i, _, _ in pairs}
    core = [j for j, is_core in enumerate(ref_core) if is_core]
    matched_core = sum(1 for j in core if j in matched_refs)
    predicted = len(pred_labels) + len(unmatchable)
    recall, precision, f1 = _prf(matched_core, len(core), len(pairs), predicted)
    return Score(
        value=round(f1, 4),
        explanation=_explain(field, matched_core, len(core), len(pairs), predicted)
        + (f"; {len(unmatchable)} without a verified quote" if unmatchable else ""),
        matched=[(pred_labels[i], ref_labels[j], sim) for i, j, sim in pairs],
        missed=[ref_labels[j] for j in core if j not in matched_refs],
        spurious=[label for i, label in enumerate(pred_labels) if i not in matched_preds]
        + [f"{label} (no verified quote)" for label in unmatchable],
        extra={"recall": round(recall, 4), "precision": round(precision, 4)},
    )


# --- actors ---------------------------------------------------------------------------------


def _is_person(kind: str) -> bool:
    return kind == "person"


def actor_similarity(name: str, aliases: Sequence[str], kind: str, ref: ReferenceActor) -> float:
    """1.0 when a name, alias or surname key is shared; else the best fuzzy ratio of the keys
    when it reaches ``NAME_FUZZ_THRESHOLD`` (transliterations); else 0."""
    person = _is_person(kind) or _is_person(ref.kind)
    mine = name_keys(name, aliases, person=person)
    theirs = name_keys(ref.name, ref.aliases, person=person)
    if mine & theirs:
        return 1.0
    best = max(
        (fuzz.ratio(a, b) for a in mine for b in theirs if min(len(a), len(b)) > 3), default=0
    )
    return best / 100 if best >= NAME_FUZZ_THRESHOLD else 0.0


def _core_priority(items: Sequence[Any]) -> list[float]:
    return [1.0 if getattr(x, "salience", "core") == "core" else 0.0 for x in items]


def score_actors(briefing: Briefing, reference: Reference) -> Score:
    refs, preds = reference.actors, briefing.actors
    sim = [[actor_similarity(a.name, a.aliases, a.kind, r) for r in refs] for a in preds]
    pairs = assign(sim, 0.01, priority=_core_priority(refs))
    return _assignment_score(
        "actors",
        pairs,
        [a.name for a in preds],
        [r.name for r in refs],
        [r.salience == "core" for r in refs],
    )


# --- grounding ------------------------------------------------------------------------------


def _occurs(quote: Quote, index: ArticleIndex) -> bool:
    """The quote is marked verified and its text is really in the article."""
    return quote.verified and index.find(normalise(quote.text)) != -1


def score_grounding(briefing: Briefing, article: str) -> Score:
    index = ArticleIndex(article)
    quotes = [q for p in briefing.positions for q in p.evidence]
    occurs = [_occurs(q, index) for q in quotes]
    good = [q for q, ok in zip(quotes, occurs, strict=True) if ok]
    bad = [q.text for q, ok in zip(quotes, occurs, strict=True) if not ok]
    claimed_but_absent = [
        q.text for q, ok in zip(quotes, occurs, strict=True) if q.verified and not ok
    ]
    value = len(good) / len(quotes) if quotes else 0.0
    return Score(
        value=round(value, 4),
        explanation=(
            f"{len(good)}/{len(quotes)} evidence quotes occur in the article"
            if quotes
            else "no evidence quotes"
        ),
        spurious=bad,
        extra={"claimed_but_absent": claimed_but_absent},
    )


# --- positions ------------------------------------------------------------------------------


def _resolve_actor(name: str, briefing: Briefing, refs: Sequence[ReferenceActor]) -> int | None:
    """The reference actor a predicted position's actor names, using the briefing's aliases."""
    key = name_key(name)
    exact = [j for j, r in enumerate(refs) if name_key(r.name) == key]
    if exact:  # the reference's own name beats any alias another actor shares
        return exact[0]
    known = next((a for a in briefing.actors if name_key(a.name) == key), None)
    aliases, kind = (known.aliases, known.kind) if known else ([], "person")
    scores = [actor_similarity(name, aliases, kind, r) for r in refs]
    best = max(range(len(refs)), key=lambda j: scores[j], default=None)
    return best if best is not None and scores[best] > 0 else None


def _spans(quotes: Sequence[str], index: ArticleIndex) -> list[tuple[int, int]]:
    spans = []
    for text in quotes:
        norm = normalise(text)
        pos = index.find(norm)
        if pos != -1:
            spans.append((pos, pos + len(norm)))
    return spans


def _overlap(a: Sequence[tuple[int, int]], b: Sequence[tuple[int, int]]) -> bool:
    return any(s1 < e2 and s2 < e1 for s1, e1 in a for s2, e2 in b)


def score_positions(
    briefing: Briefing, reference: Reference, article: str, similarity: Similarity
) -> Score:
    refs, index = reference.positions, ArticleIndex(article)
    ref_actor = {name_key(a.name): j for j, a in enumerate(reference.actors)}
    ref_owner = [ref_actor.get(name_key(p.actor)) for p in refs]
    ref_spans = [_spans(p.evidence, index) for p in refs]
    # Only positions with at least one real quote can match.
    has_quote = [any(_occurs(q, index) for q in p.evidence) for p in briefing.positions]
    supported = [p for p, ok in zip(briefing.positions, has_quote, strict=True) if ok]
    unsupported = [p for p, ok in zip(briefing.positions, has_quote, strict=True) if not ok]
    owners = [_resolve_actor(p.actor, briefing, reference.actors) for p in supported]
    stance = (
        similarity.matrix([p.stance for p in supported], [p.stance for p in refs])
        if (supported and refs)
        else []
    )
    threshold = similarity.threshold
    sim: list[list[float]] = []
    for i, p in enumerate(supported):
        spans = _spans([q.text for q in p.evidence if q.verified], index)
        row = []
        for j in range(len(refs)):
            if owners[i] is None or owners[i] != ref_owner[j]:
                row.append(0.0)
                continue
            s = float(stance[i][j])
            if _overlap(spans, ref_spans[j]):
                s = max(s, threshold) + 0.05  # the same evidence: the same position
            row.append(min(s, 1.0))
        sim.append(row)
    pairs = assign(sim, threshold, priority=_core_priority(refs)) if sim else []

    def label(p: Any) -> str:
        return f"{p.actor}: {p.stance}"

    return _assignment_score(
        "positions",
        pairs,
        [label(p) for p in supported],
        [label(p) for p in refs],
        [p.salience == "core" for p in refs],
        unmatchable=[label(p) for p in unsupported],
    )


# --- attribution ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _EvidenceSpan:
    """A reference evidence span located in the article, with its position's actor."""

    owner: int | None  # the index of the reference actor
    span: tuple[int, int]
    actor: str
    text: str
    core: bool

    @property
    def label(self) -> str:
        return f"{self.actor}: “{self.text}”"


def score_attribution(briefing: Briefing, reference: Reference, article: str) -> Score:
    """Who said what, on its own: is each reference evidence span cited by a predicted
    position of the same actor?

    Recall is over the spans of core reference positions: a span is found when a verified
    quote of a predicted position whose actor resolves to the span's actor overlaps it.
    Precision is over the predicted verified quotes: a quote is right when it overlaps a
    reference span of a position of its own actor (of any salience). The stance plays no part.
    """
    index = ArticleIndex(article)
    ref_actor = {name_key(a.name): j for j, a in enumerate(reference.actors)}
    spans = [
        _EvidenceSpan(ref_actor.get(name_key(p.actor)), span, p.actor, text, p.salience == "core")
        for p in reference.positions
        for text in p.evidence
        for span in _spans([text], index)
    ]
    cited = [False] * len(spans)
    quotes = 0
    matched: list[tuple[str, str, float]] = []
    spurious = []
    for p in briefing.positions:
        owner = _resolve_actor(p.actor, briefing, reference.actors)
        for q in (q for q in p.evidence if q.verified):
            quotes += 1
            label, mine = f"{p.actor}: “{q.text}”", _spans([q.text], index)
            overlapping = [j for j, r in enumerate(spans) if _overlap(mine, [r.span])]
            hits = [j for j in overlapping if owner is not None and spans[j].owner == owner]
            for j in hits:
                cited[j] = True
            if hits:
                matched.append((label, spans[hits[0]].label, 1.0))
            elif overlapping:
                others = dict.fromkeys(spans[j].actor for j in overlapping)
                spurious.append(f"{label} (the reference's words of {', '.join(others)})")
            else:
                spurious.append(f"{label} (no reference evidence)")
    core = [j for j, r in enumerate(spans) if r.core]
    found = sum(1 for j in core if cited[j])
    recall, precision, f1 = _prf(found, len(core), len(matched), quotes)
    return Score(
        value=round(f1, 4),
        explanation=(
            f"{found}/{len(core)} core evidence spans cited by their actor; "
            f"{len(matched)}/{quotes} verified quotes cited for the actor who said them"
        ),
        matched=matched,
        missed=[spans[j].label for j in core if not cited[j]],
        spurious=spurious,
        extra={"recall": round(recall, 4), "precision": round(precision, 4)},
    )


# --- questions ------------------------------------------------------------------------------


def score_questions(briefing: Briefing, reference: Reference, similarity: Similarity) -> Score:
    refs, preds = reference.open_questions, briefing.open_questions
    sim = (
        similarity.matrix([q.question for q in preds], [q.question for q in refs])
        if preds and refs
        else []
    )
    pairs = assign(sim, similarity.threshold, priority=_core_priority(refs)) if sim else []
    return _assignment_score(
        "questions",
        pairs,
        [q.question for q in preds],
        [q.question for q in refs],
        [q.salience == "core" for q in refs],
    )


# --- summary --------------------------------------------------------------------------------

_TOKEN = re.compile(r"\w+")


def rouge_l(candidate: str, reference: str) -> float:
    """ROUGE-L F1 over lower-cased word tokens."""
    a = _TOKEN.findall(candidate.casefold())
    b = _TOKEN.findall(reference.casefold())
    if not a or not b:
        return 0.0
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b):
            current.append(previous[j] + 1 if x == y else max(previous[j + 1], current[j]))
        previous = current
    lcs = previous[-1]
    if not lcs:
        return 0.0
    precision, recall = lcs / len(a), lcs / len(b)
    return 2 * precision * recall / (precision + recall)


def _sentences(text: str) -> list[str]:
    return [text[a:b].strip() for a, b in split_sentences(text) if text[a:b].strip()]


def score_summary(
    briefing: Briefing, reference: Reference, article: str, similarity: Similarity
) -> Score:
    value = rouge_l(briefing.summary, reference.summary)
    sentences, article_sentences = _sentences(briefing.summary), _sentences(article)
    supported = 0
    if sentences and article_sentences:
        matrix = similarity.matrix(sentences, article_sentences)
        supported = sum(1 for row in matrix if max(row) >= similarity.threshold)
    faithfulness = supported / len(sentences) if sentences else 0.0
    return Score(
        value=round(value, 4),
        explanation=(
            f"ROUGE-L F1 {value:.2f}; {supported}/{len(sentences)} summary sentences "
            "resemble an article sentence"
        ),
        extra={"faithfulness": round(faithfulness, 4)},
    )


# --- a whole case ---------------------------------------------------------------------------


# --- the registry -----------------------------------------------------------------------------

Scorer = Callable[[Briefing, Reference, str, Similarity], Score]


@dataclass(frozen=True)
class ScoreField:
    """One field of the scores: how it is scored and what it weighs in the overall."""

    name: str
    weight: float  # its share of the overall; 0: shown beside the others, never weighted
    # (briefing, reference, article, similarity) -> Score; None: scored by the runner with a
    # model of its own (the judge), on the cases it can grade.
    scorer: Scorer | None
    about: str  # what it measures, in a few words


FIELDS: dict[str, ScoreField] = {
    f.name: f
    for f in (
        ScoreField("actors", 0.20, lambda b, r, a, s: score_actors(b, r), "who is in the story"),
        ScoreField("positions", 0.20, score_positions, "what each actor wants or holds"),
        ScoreField(
            "attribution",
            0.15,
            lambda b, r, a, s: score_attribution(b, r, a),
            "each evidence span cited under its own actor",
        ),
        ScoreField(
            "questions", 0.15, lambda b, r, a, s: score_questions(b, r, s), "open questions"
        ),
        ScoreField("summary", 0.10, score_summary, "ROUGE-L against the reference summary"),
        ScoreField(
            "grounding", 0.20, lambda b, r, a, s: score_grounding(b, a), "quotes in the article"
        ),
        ScoreField("judge", 0.0, None, "an LLM's rubric grade (--judge), never weighted"),
    )
}


class _Weights(Mapping[str, float]):
    """The weighted fields of ``FIELDS`` and their weights, read from it at every use."""

    def __getitem__(self, name: str) -> float:
        f = FIELDS[name]
        if not f.weight:
            raise KeyError(name)
        return f.weight

    def __iter__(self) -> Iterator[str]:
        return (name for name, f in FIELDS.items() if f.weight)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return repr(dict(self))


FIELD_WEIGHTS: Mapping[str, float] = _Weights()


def score_case(
    briefing: Briefing, reference: Reference, article: str, similarity: Similarity
) -> CaseScore:
    """Every registered field's score for one briefing of ``article`` against ``reference``."""
    return CaseScore(
        fields={
            name: f.scorer(briefing, reference, article, similarity)
            for name, f in FIELDS.items()
            if f.scorer is not None
        }
    )


def reference_to_briefing(reference: Reference, article: str) -> Briefing:
    """The reference as a ``Briefing`` (its evidence located in the article): the best answer."""
    index = ArticleIndex(article)

    def quote(text: str) -> Quote:
        norm = normalise(text)
        pos = index.find(norm)
        if pos == -1:
            return Quote(text=text)
        start, end = index.span(pos, pos + len(norm))
        return Quote(text=article[start:end], start=start, end=end, verified=True)

    return Briefing(
        summary=reference.summary,
        actors=[
            Actor(name=a.name, aliases=list(a.aliases), kind=a.kind, role=a.role)
            for a in reference.actors
        ],
        positions=[
            Position(actor=p.actor, stance=p.stance, evidence=[quote(e) for e in p.evidence])
            for p in reference.positions
        ],
        open_questions=[OpenQuestion(question=q.question) for q in reference.open_questions],
    )
