"""Eval reports: a terminal table, ``report.md``, and a self-contained ``report.html``.

The HTML has no external assets (inline CSS, no scripts): per-field scores as bars, then one
collapsible section per case with the briefing beside the reference, the matched, missed and
spurious items of each field, and unverified quotes struck through in red. Each case links to
two pages beside the report (``cases/<id>.predicted.html`` and ``cases/<id>.reference.html``,
``summarize.html``): the predicted briefing and the reference, each beside the article with its
quotes highlighted.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from summarize.errors import InputError
from summarize.evaluation.dataset import Dataset, Reference
from summarize.evaluation.epochs import EpochSpread
from summarize.evaluation.runner import CaseResult, Comparison, EvalResults
from summarize.grounding import ArticleIndex, ground_evidence
from summarize.html import briefing_to_html
from summarize.schema import Actor, Briefing, OpenQuestion, Position
from summarize.text import clean_article

__all__ = ["print_summary", "render_html", "render_markdown", "write_reports"]

FIELDS_ORDER = ["actors", "positions", "questions", "summary", "grounding"]


def _fields(results: EvalResults) -> list[str]:
    names = [f for f in FIELDS_ORDER if f in results.weights]
    names += [f for f in results.weights if f not in names]
    # Judge mode's grade: shown beside the fields, never part of the weighted overall.
    if any("judge" in c.scores for c in results.cases):
        names.append("judge")
    return names


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _delta(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:+.2f}" if abs(value) >= 0.005 else "±0"


def _ci(interval: tuple[float, float] | None, signed: bool = False) -> str:
    if interval is None:
        return "-"
    low, high = interval
    return f"[{low:+.2f}, {high:+.2f}]" if signed else f"[{low:.2f}, {high:.2f}]"


def _verdict(comparison: Comparison, name: str) -> str:
    change = comparison.paired.get(name)
    if change is None:
        return ""
    if change.significant_drop:
        return "significant drop"
    if change.ci[0] > 0:
        return "significant gain"
    return "within noise"


def print_summary(
    results: EvalResults, console: Console, comparison: Comparison | None = None
) -> None:
    """One row per case and the aggregate; with a baseline, the change beside each score."""
    fields = _fields(results)
    table = Table(title=f"eval {results.dataset} · {results.profile.get('name')} · {results.mode}")
    table.add_column("case")
    for name in fields:
        table.add_column(name, justify="right")
    table.add_column("overall", justify="right")
    if comparison:
        table.add_column("Δ", justify="right")
    table.add_column("s", justify="right")
    for case in results.cases:
        cells = [case.id]
        if case.ok:
            cells += [_fmt(case.scores[f].value) if f in case.scores else "-" for f in fields]
        else:
            cells += ["[red]error[/red]"] + [""] * (len(fields) - 1)
        cells.append(f"[bold]{case.overall:.2f}[/bold]")
        if comparison:
            cells.append(_delta(comparison.cases.get(case.id)))
        cells.append(f"{case.seconds:.0f}")
        table.add_row(*cells)
    agg = results.aggregate
    row = ["[bold]mean[/bold]"] + [_fmt(agg.get(f)) for f in fields]
    row.append(f"[bold]{agg.get('overall', 0):.2f}[/bold]")
    if comparison:
        row.append(_delta(comparison.fields.get("overall")))
    row.append(f"{results.seconds:.0f}")
    table.add_row(*row)
    intervals = results.aggregate_ci
    extra = ["", ""] if comparison else [""]
    ci_row = [_ci(intervals.get(f)) for f in [*fields, "overall"]]
    table.add_row("95% CI", *ci_row, *extra, end_section=True)
    if comparison:
        means, cis = [], []
        for name in [*fields, "overall"]:
            change = comparison.paired.get(name)
            mean = "" if change is None else _delta(change.mean)
            ci = "" if change is None else _ci(change.ci, signed=True)
            if change is not None and change.significant_drop:
                mean, ci = f"[red]{mean}[/red]", f"[red]{ci}[/red]"
            means.append(mean)
            cis.append(ci)
        table.add_row("Δ vs baseline", *means, "", "")
        table.add_row("Δ 95% CI", *cis, "", "")
    console.print(table)
    _print_epochs(results, console)
    _print_calibration(results, console)
    if comparison:
        console.print(_comparison_note(comparison))
    for case in results.cases:
        if not case.ok:
            console.print(Text.assemble((case.id, "red"), ": ", case.error or ""))


def _comparison_note(comparison: Comparison) -> str:
    counts = {change.cases for change in comparison.paired.values()}
    over = f"{max(counts)} paired cases" if counts else "no case in common"
    notes = [f"Δ vs baseline: new - baseline over {over}, 95% paired-bootstrap interval"]
    if comparison.missing:
        notes.append(f"missing from this run: {', '.join(comparison.missing)}")
    if comparison.added:
        notes.append(f"not in the baseline: {', '.join(comparison.added)}")
    notes += [f"NOT COMPARABLE: {why}" for why in comparison.mismatches]
    if comparison.unknown:
        notes.append("the baseline does not record: " + ", ".join(comparison.unknown))
    return "; ".join(notes)


# --- epochs and judge calibration (kept apart: each reads one part of the results) -----------


def _epochs_note(spread: EpochSpread) -> str:
    temperature = "" if spread.temperature is None else f" at temperature {spread.temperature:g}"
    seeds = ", ".join("none" if s is None else str(s) for s in spread.seeds)
    return (
        f"{spread.epochs} epochs{temperature} (seeds {seeds}): scores are means over epochs; "
        "± is the std over epochs of each epoch's mean; a case is unstable when a field's "
        f"range over its epochs exceeds {spread.threshold:g}"
    )


def _epoch_fields(results: EvalResults, spread: EpochSpread) -> list[str]:
    return [f for f in [*_fields(results), "overall"] if f in spread.std]


def _unstable_line(spread: EpochSpread, case_id: str) -> str:
    case = spread.cases[case_id]
    return ", ".join(f"{name} range {case.ranges[name]:.2f}" for name in case.unstable)


def _print_epochs(results: EvalResults, console: Console) -> None:
    spread = results.epochs
    if spread is None:
        return
    fields = _epoch_fields(results, spread)
    table = Table(title=f"spread over {spread.epochs} epochs")
    table.add_column("")
    for name in fields:
        table.add_column(name, justify="right")
    for number in range(spread.epochs):
        table.add_row(f"epoch {number + 1}", *[_fmt(spread.means[f][number]) for f in fields])
    table.add_row("std", *[f"±{spread.std[f]:.3f}" for f in fields], end_section=True)
    for case_id, case in spread.cases.items():
        cells = [
            f"[red]{_fmt(case.ranges.get(f))}[/red]"
            if f in case.unstable
            else _fmt(case.ranges.get(f))
            for f in fields
        ]
        table.add_row(f"{case_id} range", *cells)
    console.print(table)
    console.print(_epochs_note(spread))
    for case_id in spread.unstable:
        console.print(
            Text.assemble(
                ("unstable", "bold red"), f" {case_id}: {_unstable_line(spread, case_id)}"
            )
        )


def _epochs_markdown(results: EvalResults) -> list[str]:
    spread = results.epochs
    if spread is None:
        return []
    fields = _epoch_fields(results, spread)
    lines = [
        "",
        "## Spread over epochs",
        "",
        _epochs_note(spread) + ".",
        "",
        "| | " + " | ".join(fields) + " |",
        "|---|" + "---:|" * len(fields),
    ]
    lines += [
        f"| epoch {n + 1} | " + " | ".join(_fmt(spread.means[f][n]) for f in fields) + " |"
        for n in range(spread.epochs)
    ]
    lines.append("| **std** | " + " | ".join(f"±{spread.std[f]:.3f}" for f in fields) + " |")
    lines += [
        f"| {case_id} range{' (unstable)' if case.unstable else ''} | "
        + " | ".join(_fmt(case.ranges.get(f)) for f in fields)
        + " |"
        for case_id, case in spread.cases.items()
    ]
    unstable = spread.unstable
    lines += ["", f"Unstable cases: {', '.join(unstable) if unstable else 'none'}."]
    lines += [f"- {case_id}: {_unstable_line(spread, case_id)}" for case_id in unstable]
    return lines


def _epochs_html(results: EvalResults) -> str:
    spread = results.epochs
    if spread is None:
        return ""
    fields = _epoch_fields(results, spread)
    head = "".join(f"<th>{_e(f)}</th>" for f in fields)
    rows = [
        f"<tr><td>epoch {n + 1}</td>"
        + "".join(f"<td>{_fmt(spread.means[f][n])}</td>" for f in fields)
        + "</tr>"
        for n in range(spread.epochs)
    ]
    rows.append(
        "<tr><th>std</th>" + "".join(f"<th>±{spread.std[f]:.3f}</th>" for f in fields) + "</tr>"
    )
    for case_id, case in spread.cases.items():
        cells = "".join(
            f"<td class='{'bad' if f in case.unstable else ''}'>{_fmt(case.ranges.get(f))}</td>"
            for f in fields
        )
        tag = " <span class='tag red'>unstable</span>" if case.unstable else ""
        rows.append(f"<tr><td>{_e(case_id)} range{tag}</td>{cells}</tr>")
    return (
        f"<h2>Spread over epochs</h2><p class='meta'>{_e(_epochs_note(spread))}</p>"
        f"<table><tr><th></th>{head}</tr>{''.join(rows)}</table>"
    )


def _calibration_rows(results: EvalResults) -> list[tuple[str, str, str, str, str]]:
    """(criterion, field, rho, interval, cases) per judge criterion."""
    return [
        (
            criterion,
            agreement.field,
            "-" if agreement.rho is None else f"{agreement.rho:+.2f}",
            _ci(agreement.ci, signed=True),
            str(agreement.cases),
        )
        for criterion, agreement in results.calibration.items()
    ]


_CALIBRATION_NOTE = (
    "Judge calibration: Spearman's rank correlation of each judge criterion with the "
    "reference-based field it matches, over the cases the judge graded, 95% bootstrap interval "
    "over cases; '-' where undefined (a side constant, or under 3 cases)"
)


def _print_calibration(results: EvalResults, console: Console) -> None:
    if not results.calibration:
        return
    table = Table("judge criterion", "field", "Spearman ρ", "95% CI", "cases")
    for row in _calibration_rows(results):
        table.add_row(*row)
    console.print(table)
    console.print(_CALIBRATION_NOTE)


def _calibration_markdown(results: EvalResults) -> list[str]:
    if not results.calibration:
        return []
    lines = ["", "## Judge calibration", "", _CALIBRATION_NOTE + ".", ""]
    lines += [
        "| judge criterion | field | Spearman ρ | 95% CI | cases |",
        "|---|---|---:|---:|---:|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in _calibration_rows(results)]
    return lines


def _calibration_html(results: EvalResults) -> str:
    if not results.calibration:
        return ""
    rows = "".join(
        "<tr>" + "".join(f"<td>{_e(cell)}</td>" for cell in row) + "</tr>"
        for row in _calibration_rows(results)
    )
    return (
        f"<h2>Judge calibration</h2><p class='meta'>{_e(_CALIBRATION_NOTE)}</p><table><tr>"
        "<th>judge criterion</th><th>field</th><th>Spearman ρ</th><th>95% CI</th><th>cases</th>"
        f"</tr>{rows}</table>"
    )


# --- markdown -----------------------------------------------------------------------------


def render_markdown(results: EvalResults, comparison: Comparison | None = None) -> str:
    fields = _fields(results)
    lines = [
        f"# Eval report: {results.dataset}",
        "",
        f"- model profile: `{results.profile.get('name')}` ({results.profile.get('model')})",
        f"- mode: {results.mode}; similarity: {results.similarity}; created {results.created}",
        "- prompt templates: "
        + ", ".join(f"`{k}` {v}" for k, v in sorted(results.prompt_hashes.items())),
        "- overall = weighted mean of fields: "
        + ", ".join(f"{k} {v:g}" for k, v in results.weights.items()),
        f"- wall time: {results.seconds:.0f}s for {len(results.cases)} cases",
        "",
        "| case | " + " | ".join(fields) + " | overall |" + (" Δ |" if comparison else ""),
        "|---|" + "---:|" * (len(fields) + 1) + ("---:|" if comparison else ""),
    ]
    for case in results.cases:
        scores = [_fmt(case.scores[f].value) if f in case.scores else "-" for f in fields]
        extra = f" {_delta(comparison.cases.get(case.id))} |" if comparison else ""
        status = "" if case.ok else " (error)"
        lines.append(
            f"| {case.id}{status} | " + " | ".join(scores) + f" | **{case.overall:.2f}** |{extra}"
        )
    agg = results.aggregate
    extra = f" {_delta(comparison.fields.get('overall'))} |" if comparison else ""
    lines.append(
        "| **mean** | "
        + " | ".join(_fmt(agg.get(f)) for f in fields)
        + f" | **{agg.get('overall', 0):.2f}** |{extra}"
    )
    intervals = results.aggregate_ci
    lines.append(
        "| 95% CI | "
        + " | ".join(_ci(intervals.get(f)) for f in [*fields, "overall"])
        + " |"
        + (" |" if comparison else "")
    )
    boot = results.bootstrap
    lines += [
        "",
        f"95% CI: percentile bootstrap of the mean over cases ({boot.resamples:,} resamples, "
        f"seed {boot.seed}).",
    ]
    if comparison:
        lines += [
            "",
            "Change against the baseline, per field: "
            + ", ".join(f"{k} {_delta(v)}" for k, v in comparison.fields.items()),
            "",
            _comparison_note(comparison) + ".",
            "",
            "| field | Δ vs baseline | 95% CI | cases | verdict |",
            "|---|---:|---:|---:|---|",
        ]
        lines += [
            f"| {name} | {_delta(change.mean)} | {_ci(change.ci, signed=True)} | "
            f"{change.cases} | {_verdict(comparison, name)} |"
            for name, change in comparison.paired.items()
        ]
    lines += _epochs_markdown(results) + _calibration_markdown(results)
    lines += ["", "## Cases", ""]
    for case in results.cases:
        lines.append(f"### {case.id}: {case.overall:.2f}")
        lines.append("")
        if not case.ok:
            lines += [f"Error: `{case.error}`", ""]
            continue
        for name in fields:
            if name in case.scores:
                lines.append(
                    f"- **{name}** {case.scores[name].value:.2f}: {case.scores[name].explanation}"
                )
        lines.append("")
    return "\n".join(lines) + "\n"


# --- HTML ---------------------------------------------------------------------------------

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:1200px;padding:0 1rem;color:#1d232a;background:#fff}
h1{font-size:1.6rem;margin-bottom:.2rem} h2{margin-top:2rem;font-size:1.25rem}
.meta{color:#5b6570;font-size:.9rem} code{background:#f2f4f6;padding:0 .25rem;border-radius:3px}
table{border-collapse:collapse;margin:1rem 0;width:100%} th,td{padding:.35rem .6rem;
border-bottom:1px solid #e3e7eb;text-align:right} th:first-child,td:first-child{text-align:left}
th{background:#f6f8fa;font-weight:600}
.bar{display:inline-block;height:.7rem;background:#3b82f6;border-radius:2px;vertical-align:middle}
.barbox{display:inline-block;width:90px;background:#e8edf3;border-radius:2px;margin-right:.4rem;
text-align:left;vertical-align:middle;line-height:0}
.good{color:#137333}.bad{color:#b3261e}.mid{color:#8a5a00}
details{border:1px solid #e3e7eb;border-radius:6px;margin:.8rem 0;padding:.4rem .8rem}
summary{cursor:pointer;font-weight:600}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:1.2rem}
.col h3{font-size:1rem;margin:.6rem 0 .3rem;border-bottom:2px solid #e3e7eb}
.quote{border-left:3px solid #9aa5b1;padding-left:.5rem;margin:.2rem 0 .2rem .8rem;
font-style:italic;color:#37414b}
.unverified{border-left-color:#b3261e;color:#b3261e;text-decoration:line-through}
.tag{font-size:.75rem;padding:0 .3rem;border-radius:3px;background:#eef1f4;color:#46505a;
font-style:normal;text-decoration:none;display:inline-block}
.tag.red{background:#fde8e7;color:#b3261e}
ul.match li{list-style:none;margin-left:-1rem} .ok::before{content:"✓ ";color:#137333}
.miss::before{content:"✗ ";color:#b3261e}.extra::before{content:"+ ";color:#8a5a00}
tr.ci td{color:#5b6570;font-size:.85rem}
.err{background:#fde8e7;color:#b3261e;padding:.5rem;border-radius:4px}
"""


def _e(text: Any) -> str:
    return html.escape(str(text))


def _cls(value: float) -> str:
    return "good" if value >= 0.7 else "mid" if value >= 0.4 else "bad"


def _bar(value: float) -> str:
    width = max(0, min(100, round(value * 100)))
    return (
        f'<span class="barbox"><span class="bar" style="width:{width}%"></span></span>'
        f'<span class="{_cls(value)}">{value:.2f}</span>'
    )


def _briefing_html(briefing: Briefing) -> str:
    out = [f"<h3>Summary</h3><p>{_e(briefing.summary)}</p><h3>Actors</h3><ul>"]
    for actor in briefing.actors:
        aliases = (
            f" <span class='tag'>{_e(', '.join(actor.aliases))}</span>" if actor.aliases else ""
        )
        out.append(f"<li><b>{_e(actor.name)}</b> ({_e(actor.kind)}) {_e(actor.role)}{aliases}</li>")
    out.append("</ul><h3>Positions</h3><ul>")
    for position in briefing.positions:
        out.append(f"<li><b>{_e(position.actor)}</b>: {_e(position.stance)}")
        for quote in position.evidence:
            if quote.verified:
                tag = " <span class='tag'>sentence replaced</span>" if quote.replaced else ""
                out.append(f"<div class='quote'>“{_e(quote.text)}”{tag}</div>")
            else:
                out.append(
                    f"<div class='quote unverified'>{_e(quote.text)}</div>"
                    "<span class='tag red'>unverified: not in the article</span>"
                )
        out.append("</li>")
    out.append("</ul><h3>Open questions</h3><ul>")
    out += [f"<li>{_e(q.question)}</li>" for q in briefing.open_questions]
    out.append("</ul>")
    return "".join(out)


def _reference_html(reference: Reference) -> str:
    out = [f"<h3>Summary</h3><p>{_e(reference.summary)}</p><h3>Actors</h3><ul>"]
    for actor in reference.actors:
        out.append(
            f"<li><b>{_e(actor.name)}</b> ({_e(actor.kind)}) {_e(actor.role)} "
            f"<span class='tag'>{_e(actor.salience)}</span></li>"
        )
    out.append("</ul><h3>Positions</h3><ul>")
    for position in reference.positions:
        out.append(
            f"<li><b>{_e(position.actor)}</b>: {_e(position.stance)} "
            f"<span class='tag'>{_e(position.salience)}</span>"
        )
        out += [f"<div class='quote'>“{_e(span)}”</div>" for span in position.evidence]
        out.append("</li>")
    out.append("</ul><h3>Open questions</h3><ul>")
    out += [
        f"<li>{_e(q.question)} <span class='tag'>{_e(q.salience)}</span></li>"
        for q in reference.open_questions
    ]
    out.append("</ul>")
    return "".join(out)


def _matches_html(case: CaseResult, fields: list[str]) -> str:
    out = []
    for name in fields:
        score = case.scores.get(name)
        if score is None:
            continue
        out.append(f"<p><b>{_e(name)}</b> {_bar(score.value)} {_e(score.explanation)}</p>")
        details = score.details
        items = []
        for pair in details.get("matched", []):
            predicted, reference = pair[0], pair[1]
            similarity = f" <span class='tag'>{pair[2]:.2f}</span>" if len(pair) > 2 else ""
            items.append(f"<li class='ok'>{_e(predicted)} ↔ {_e(reference)}{similarity}</li>")
        items += [f"<li class='miss'>missed: {_e(m)}</li>" for m in details.get("missed", [])]
        items += [
            f"<li class='extra'>not in the reference: {_e(s)}</li>"
            for s in details.get("spurious", [])
        ]
        # Judge mode: each criterion's grade and the judge's reason.
        items += [
            f"<li>{_e(k)} {v['grade']}/5: {_e(v.get('reason', ''))}</li>"
            for k, v in details.items()
            if isinstance(v, dict) and "grade" in v
        ]
        if items:
            out.append("<ul class='match'>" + "".join(items) + "</ul>")
    return "".join(out)


# --- the briefing beside the article, per case -------------------------------------------------


def _reference_briefing(reference: Reference, article: str) -> Briefing:
    """The reference as a briefing, its evidence spans located in the article (offsets)."""
    index = ArticleIndex(article)
    return Briefing(
        title=reference.id,
        summary=reference.summary,
        actors=[
            Actor(name=a.name, aliases=a.aliases, kind=a.kind, role=a.role)
            for a in reference.actors
        ],
        positions=[
            Position(actor=p.actor, stance=p.stance, evidence=ground_evidence(p.evidence, index))
            for p in reference.positions
        ],
        open_questions=[OpenQuestion(question=q.question) for q in reference.open_questions],
    )


def _case_pages(
    results: EvalResults, dataset: Dataset | None
) -> dict[str, dict[str, tuple[str, str]]]:
    """Per case id: {"predicted" | "reference": (path relative to the report, page)}."""
    if dataset is None:  # without the articles there is nothing to show the quotes in
        return {}
    cases = {c.id: c for c in dataset.cases}
    limit = results.settings.get("max_article_chars")
    pages: dict[str, dict[str, tuple[str, str]]] = {}
    for result in results.cases:
        case = cases.get(result.id)
        if case is None:
            continue
        try:  # the text the briefing's offsets refer to, cleaned as the pipeline cleaned it
            article = (
                clean_article(case.article_text, max_chars=limit)
                if limit
                else clean_article(case.article_text)
            )
        except InputError:
            continue
        stem = "cases/" + re.sub(r"[^\w.-]", "_", result.id)
        back = (f"../report.html#{result.id}", f"eval report: {results.dataset}")
        found: dict[str, tuple[str, str]] = {}
        if result.briefing is not None:
            profile = results.profile
            predicted = result.briefing.model_copy(update={"title": result.id})
            subtitle = (
                f"Predicted by {profile.get('name')} ({profile.get('model')}), "
                f"overall {result.overall:.2f}"
            )
            found["predicted"] = (
                f"{stem}.predicted.html",
                briefing_to_html(predicted, article, subtitle=subtitle, back_link=back),
            )
        reference = _reference_briefing(case.reference, article)
        found["reference"] = (
            f"{stem}.reference.html",
            briefing_to_html(
                reference, article, subtitle="Reference (hand-labelled)", back_link=back
            ),
        )
        pages[result.id] = found
    return pages


def render_html(
    results: EvalResults, dataset: Dataset | None = None, comparison: Comparison | None = None
) -> str:
    fields = _fields(results)
    references = {c.reference.id: c.reference for c in dataset.cases} if dataset else {}
    agg = results.aggregate
    head = "".join(f"<th>{_e(f)}</th>" for f in fields)
    rows = []
    for case in results.cases:
        cells = "".join(
            f"<td>{_bar(case.scores[f].value)}</td>" if f in case.scores else "<td>-</td>"
            for f in fields
        )
        delta = f"<td>{_delta(comparison.cases.get(case.id))}</td>" if comparison else ""
        name = _e(case.id) + ("" if case.ok else " <span class='tag red'>error</span>")
        rows.append(
            f"<tr><td><a href='#{_e(case.id)}'>{name}</a></td>{cells}"
            f"<td><b>{_bar(case.overall)}</b></td>{delta}<td>{case.seconds:.0f}s</td></tr>"
        )
    mean_delta = f"<td>{_delta(comparison.fields.get('overall'))}</td>" if comparison else ""
    rows.append(
        "<tr><th>mean</th>"
        + "".join(f"<th>{_bar(agg.get(f, 0.0))}</th>" for f in fields)
        + f"<th>{_bar(agg.get('overall', 0.0))}</th>{mean_delta}"
        + f"<th>{results.seconds:.0f}s</th></tr>"
    )
    rows.append(
        "<tr class='ci'><td>95% CI</td>"
        + "".join(f"<td>{_e(_ci(results.aggregate_ci.get(f)))}</td>" for f in [*fields, "overall"])
        + ("<td></td>" if comparison else "")
        + "<td></td></tr>"
    )
    changes = ""
    if comparison:
        changes = (
            f"<h2>Against the baseline</h2><p class='meta'>{_e(_comparison_note(comparison))}"
            "</p><table><tr><th>field</th><th>Δ vs baseline</th><th>95% CI</th><th>cases</th>"
            "<th>verdict</th></tr>"
            + "".join(
                f"<tr><td>{_e(name)}</td><td>{_delta(change.mean)}</td>"
                f"<td>{_e(_ci(change.ci, signed=True))}</td><td>{change.cases}</td>"
                f"<td class='{'bad' if change.significant_drop else ''}'>"
                f"{_e(_verdict(comparison, name))}</td></tr>"
                for name, change in comparison.paired.items()
            )
            + "</table>"
        )
    pages = _case_pages(results, dataset)
    sections = []
    for case in results.cases:
        body = (
            f"<div class='err'>{_e(case.error)}</div>"
            if not case.ok
            else _matches_html(case, fields)
        )
        if pages.get(case.id):
            links = " · ".join(
                f"<a href='{_e(path)}'>{kind}</a>" for kind, (path, _) in pages[case.id].items()
            )
            body = f"<p class='pages'>Beside the article, quotes highlighted: {links}</p>" + body
        columns = ""
        if case.briefing is not None or case.id in references:
            left = _briefing_html(case.briefing) if case.briefing else "<p>(no briefing)</p>"
            right = _reference_html(references[case.id]) if case.id in references else ""
            columns = (
                "<div class='cols'><div class='col'><h2>Briefing</h2>" + left + "</div>"
                "<div class='col'><h2>Reference</h2>" + right + "</div></div>"
            )
        sections.append(
            f"<details id='{_e(case.id)}'{' open' if not case.ok else ''}><summary>{_e(case.id)}: "
            f"{case.overall:.2f}</summary>{body}{columns}</details>"
        )
    profile = results.profile
    weights = ", ".join(f"{_e(k)} {v:g}" for k, v in results.weights.items())
    hashes = ", ".join(
        f"<code>{_e(k)}</code> {_e(v)}" for k, v in sorted(results.prompt_hashes.items())
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Eval: {_e(results.dataset)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_CSS}</style></head>
<body><h1>Eval: {_e(results.dataset)}</h1>
<div class="meta">profile <code>{_e(profile.get("name"))}</code> ({_e(profile.get("model"))}) ·
mode {_e(results.mode)} · similarity {_e(results.similarity)} · {_e(results.created)} ·
{len(results.cases)} cases in {results.seconds:.0f}s<br>overall = weighted mean: {weights}<br>
templates: {hashes}</div>
<table><tr><th>case</th>{head}<th>overall</th>{"<th>Δ</th>" if comparison else ""}<th>time</th></tr>
{"".join(rows)}</table>
<p class="meta">95% CI: percentile bootstrap of the mean over cases
({results.bootstrap.resamples:,} resamples, seed {results.bootstrap.seed}).</p>
{changes}{_epochs_html(results)}{_calibration_html(results)}
<h2>Cases</h2>{"".join(sections)}
</body></html>
"""


def write_reports(
    results: EvalResults,
    out: Path,
    dataset: Dataset | None = None,
    comparison: Comparison | None = None,
) -> list[Path]:
    """``results.json``, ``report.md`` and ``report.html`` in ``out`` (the paths returned),
    and with a dataset each case's pages under ``out/cases/``, which the report links to."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "results.json", out / "report.md", out / "report.html"]
    saved = results.model_copy(update={"comparison": comparison}) if comparison else results
    paths[0].write_text(saved.model_dump_json(indent=1) + "\n", encoding="utf-8")
    paths[1].write_text(render_markdown(results, comparison), encoding="utf-8")
    paths[2].write_text(render_html(results, dataset, comparison), encoding="utf-8")
    for pages in _case_pages(results, dataset).values():
        for path, page in pages.values():
            (out / path).parent.mkdir(exist_ok=True)
            (out / path).write_text(page, encoding="utf-8")
    return paths
