"""Measure rule-based attribution (``summarize.attribution``) against the hand-labelled dev set.

    python benchmarks/attribution.py [DATASET] [--misses]

Every reference position says which actor holds which evidence span. For each span:

* recall: every sentence the span overlaps is given to an actor that matches the reference
  actor (name, aliases and, for people, surname; an organisation also gets what its named
  spokespeople said), i.e. the sentence is among ``Analysis.evidence_for(actor)``, which is
  what the positions pass is shown;
* holder-agnostic recall: every sentence the span overlaps is attributed to someone.

Precision: among the attributions whose sentence overlaps some reference span, the share
given to the right actor (one that holds a span in that sentence). "strict" columns count
the holder only, never the organisation a spokesperson speaks for.

Articles are cleaned with ``clean_article`` first, as the eval runner's pipeline does, so
offsets are the ones the briefing would carry.
"""

from __future__ import annotations

import argparse
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from summarize.attribution import Analysis, Attribution, Sentence, analyse
from summarize.evaluation.dataset import Case, ReferenceActor, load_dataset
from summarize.names import name_keys
from summarize.text import clean_article

DEV = Path(__file__).resolve().parent.parent / "evals" / "datasets" / "dev"


@dataclass
class Span:
    actor: ReferenceActor
    text: str
    start: int
    end: int


@dataclass
class Tally:
    spans: int = 0
    recalled: int = 0
    recalled_strict: int = 0
    recalled_anyone: int = 0
    attributed: int = 0  # attributions that overlap some reference span
    right: int = 0
    right_strict: int = 0
    missing: int = 0  # evidence not found in the cleaned article
    misses: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        for name in (
            "spans",
            "recalled",
            "recalled_strict",
            "recalled_anyone",
            "attributed",
            "right",
            "right_strict",
            "missing",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def locate(article: str, evidence: str) -> tuple[int, int] | None:
    """Where an evidence string is in the cleaned article (whitespace may have been tidied)."""
    at = article.find(evidence)
    if at >= 0:
        return at, at + len(evidence)
    pattern = r"\s+".join(re.escape(word) for word in evidence.split())
    match = re.search(pattern, article)
    return (match.start(), match.end()) if match else None


def overlapping(sentences: list[Sentence], start: int, end: int) -> list[Sentence]:
    return [s for s in sentences if s.start < end and start < s.end]


def is_person(actor: ReferenceActor) -> bool:
    return actor.kind == "person"


def gives_to(analysis: Analysis, attribution: Attribution, actor: ReferenceActor) -> bool:
    """Whether the positions pass would show this attribution's sentence for ``actor``."""
    found = analysis.attributions_for(actor.name, actor.aliases, person=is_person(actor))
    return attribution in found


def holder_is(attribution: Attribution, actor: ReferenceActor) -> bool:
    wanted = name_keys(actor.name, actor.aliases, person=is_person(actor))
    return bool(name_keys(attribution.holder, person=False) & wanted)


def score(case: Case) -> Tally:
    article = clean_article(case.article_text)
    analysis = analyse(article)
    actors = {actor.name: actor for actor in case.reference.actors}
    tally = Tally()
    spans: list[Span] = []
    for position in case.reference.positions:
        for evidence in position.evidence:
            where = locate(article, evidence)
            if where is None:
                tally.missing += 1
                continue
            spans.append(Span(actors[position.actor], evidence, *where))

    by_sentence: dict[int, list[Attribution]] = {}
    for attribution in analysis.attributions:
        by_sentence.setdefault(attribution.sentence.index, []).append(attribution)

    for span in spans:
        tally.spans += 1
        covered = overlapping(analysis.sentences, span.start, span.end)
        given = {
            s.index
            for s in analysis.evidence_for(
                span.actor.name, span.actor.aliases, person=is_person(span.actor)
            )
        }
        strict = {a.sentence.index for a in analysis.attributions if holder_is(a, span.actor)}
        hit = all(s.index in given for s in covered)
        tally.recalled += hit
        tally.recalled_strict += all(s.index in strict for s in covered)
        tally.recalled_anyone += all(s.index in by_sentence for s in covered)
        if not hit:
            given_to = sorted({a.holder for s in covered for a in by_sentence.get(s.index, [])})
            tally.misses.append(
                f"  miss  {span.actor.name}: {span.text[:90]!r}"
                + (f" -> given to {', '.join(given_to)}" if given_to else " -> not attributed")
            )

    for index, attributions in by_sentence.items():
        sentence = analysis.sentences[index]
        holders = [s.actor for s in spans if s.start < sentence.end and sentence.start < s.end]
        if not holders:
            continue
        for attribution in attributions:
            tally.attributed += 1
            right = any(gives_to(analysis, attribution, actor) for actor in holders)
            tally.right += right
            tally.right_strict += any(holder_is(attribution, actor) for actor in holders)
            if not right:
                names = ", ".join(sorted({actor.name for actor in holders}))
                tally.misses.append(
                    f"  wrong {attribution.holder} ({attribution.cue}): "
                    f"{sentence.text[:90]!r} is {names}'s"
                )
    return tally


def share(part: int, whole: int) -> str:
    return f"{part / whole:6.1%}" if whole else "     -"


def row(name: str, t: Tally) -> str:
    return (
        f"{name:34} {t.spans:5} {share(t.recalled, t.spans)} {share(t.recalled_strict, t.spans)}"
        f" {share(t.recalled_anyone, t.spans)} {t.attributed:6} {share(t.right, t.attributed)}"
        f" {share(t.right_strict, t.attributed)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", nargs="?", default=str(DEV))
    parser.add_argument("--misses", action="store_true", help="list missed and wrong sentences")
    args = parser.parse_args()
    dataset = load_dataset(args.dataset)
    header = (
        f"{'case':34} {'spans':>5} {'recall':>6} {'strict':>6} {'anyone':>6}"
        f" {'attrib':>6} {'prec.':>6} {'strict':>6}"
    )
    print(header)
    print("-" * len(header))
    total = Tally()
    started = time.perf_counter()
    for case in dataset.cases:
        tally = score(case)
        total.add(tally)
        print(row(case.id, tally))
        if args.misses:
            for line in tally.misses:
                print(line)
    elapsed = time.perf_counter() - started
    print("-" * len(header))
    print(row("total", total))
    if total.missing:
        print(f"{total.missing} evidence span(s) not found in the cleaned articles")
    print(f"{len(dataset.cases)} cases analysed in {elapsed:.2f}s")
    linear_time([case.article_text for case in dataset.cases])


def linear_time(articles: list[str], copies: int = 40) -> None:
    """Analysis time of the articles joined, against ``copies`` times that text: about
    ``copies`` when the analysis is linear in the article's length (target: within 4x of it)."""
    text = "\n\n".join(articles)
    started = time.perf_counter()
    analyse(text)
    small = time.perf_counter() - started
    big = "\n\n".join([text] * copies)
    started = time.perf_counter()
    analyse(big)
    large = time.perf_counter() - started
    ratio = large / small
    print(
        f"linear time: {len(text):,} chars {small:.2f}s, x{copies} ({len(big):,} chars) "
        f"{large:.2f}s: ratio {ratio:.1f} (linear: {copies}; target <= {4 * copies})"
    )


if __name__ == "__main__":
    main()
