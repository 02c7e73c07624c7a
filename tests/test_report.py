"""report.html from its Jinja template: the same content the f-string page had, escaped."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from test_eval import PORT_ARTICLE, write_dataset

from summarize.evaluation.dataset import Dataset, load_dataset
from summarize.evaluation.report import render_html
from summarize.evaluation.runner import (
    CaseResult,
    EvalResults,
    FieldScore,
    _aggregate,
    _aggregate_ci,
    compare,
)
from summarize.evaluation.stats import Bootstrap
from summarize.schema import Actor, Briefing, OpenQuestion, Position, Quote
from summarize.text import clean_article

GOLDEN = Path(__file__).resolve().parent / "data" / "eval_report.html"
# The five fields the golden page was drawn with (by the f-string renderer it replaced).
WEIGHTS = {"actors": 0.2, "positions": 0.35, "questions": 0.15, "summary": 0.1, "grounding": 0.2}
TRICKY = 'Lopez vowed to "shut <b>every</b> port" & more'


def _scores(value: float, judge: bool) -> dict[str, FieldScore]:
    scores = {
        name: FieldScore(
            value=value,
            explanation=f"{name} <explained> & scored",
            details={
                "matched": [["Lopez <pred>", "Maria Lopez", 0.91]],
                "missed": ['Tom Becker\'s "no"'],
                "spurious": [TRICKY],
                "recall": value,
            },
        )
        for name in WEIGHTS
    }
    if judge:
        scores["judge"] = FieldScore(
            value=0.5,
            explanation="faithfulness 3/5",
            details={"faithfulness": {"grade": 3, "reason": "Mostly <faithful>."}},
        )
    return scores


def _quote(text: str, replaced: bool = False) -> Quote:
    start = clean_article(PORT_ARTICLE).index(text)
    return Quote(text=text, start=start, end=start + len(text), verified=True, replaced=replaced)


def _briefing() -> Briefing:
    return Briefing(
        summary="Dock workers <struck> after talks & failed.",
        actors=[
            Actor(name="Maria Lopez", aliases=["Lopez", "union <leader>"], role="union leader"),
            Actor(name="Tom Becker", kind="person", role=""),
        ],
        positions=[
            Position(
                actor="Maria Lopez",
                stance="Wants a 6% raise & no <automation>.",
                evidence=[
                    _quote("We will not accept machines taking our jobs"),
                    _quote("Union leader Maria Lopez said", replaced=True),
                    Quote(text=TRICKY),
                ],
            )
        ],
        open_questions=[OpenQuestion(question="How long will the strike last?")],
    )


def results_for_report(value: float = 0.8) -> EvalResults:
    cases = [
        CaseResult(
            id="port-strike",
            ok=True,
            overall=value,
            scores=_scores(value, judge=True),
            briefing=_briefing(),
            seconds=3.2,
        ),
        CaseResult(id="river-bridge", ok=False, error='HTTP 400: "max" < 4096 & > 0', seconds=1),
        CaseResult(id="not-in-the-dataset", ok=True, overall=0.5, scores=_scores(0.5, False)),
    ]
    bootstrap = Bootstrap(resamples=200, seed=3)
    shown = {*WEIGHTS, "judge", "overall"}  # a run scored on these five fields alone
    return EvalResults(
        created="2026-01-01T00:00:00+00:00",
        dataset="mini <set>",
        dataset_path="nowhere",
        mode="replay",
        profile={"name": "fake", "model": "fake-model"},
        prompt_hashes={"single_system.j2": "abc123"},
        settings={"strategy": "passes"},
        similarity="lexical",
        weights=dict(WEIGHTS),
        dataset_hash="0123456789abcdef",  # comparable: no "does not record" note
        cases=cases,
        aggregate={k: v for k, v in _aggregate(cases).items() if k in shown},
        aggregate_ci={k: v for k, v in _aggregate_ci(cases, bootstrap).items() if k in shown},
        bootstrap=bootstrap,
        seconds=4.2,
    )


def report_page(tmp_path: Path) -> str:
    dataset: Dataset = load_dataset(write_dataset(tmp_path / "mini"))
    current, baseline = results_for_report(0.8), results_for_report(0.9)
    return render_html(current, dataset, compare(current, baseline))


class _Content(HTMLParser):
    """A page as its sequence of tags, attributes and text: what a reader gets, whatever the
    whitespace between tags, the quotes around attributes or the form of an entity."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[tuple[str, ...]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.items.append(("<", tag, *(f"{k}={v}" for k, v in attrs)))

    def handle_endtag(self, tag: str) -> None:
        self.items.append(("/", tag))

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text:
            if self.items and self.items[-1][0] == "text":
                self.items[-1] = ("text", self.items[-1][1] + " " + text)
            else:
                self.items.append(("text", text))

    def handle_decl(self, decl: str) -> None:
        self.items.append(("!", decl))


def content(page: str) -> list[tuple[str, ...]]:
    parser = _Content()
    parser.feed(page)
    parser.close()
    return parser.items


def test_the_report_renders_the_content_of_the_page_it_replaced(tmp_path: Path) -> None:
    # The golden page was drawn by the f-string renderer before the template replaced it.
    page = report_page(tmp_path)
    assert content(page) == content(GOLDEN.read_text(encoding="utf-8"))


def test_the_report_escapes_everything_it_is_given(tmp_path: Path) -> None:
    page = report_page(tmp_path)
    for raw in ("<b>every</b>", "<struck>", "<explained>", "<faithful>", "<set>", "<pred>"):
        assert raw not in page
    assert "&lt;b&gt;every&lt;/b&gt;" in page
    assert "<script" not in page.lower()
