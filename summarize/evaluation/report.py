"""Eval reports: a terminal table, ``report.md``, and a self-contained ``report.html``.

The HTML has no external assets (inline CSS, no scripts): per-field scores as bars, then one
collapsible section per case with the briefing beside the reference, the matched, missed and
spurious items of each field, and unverified quotes struck through in red. Each case links to
two pages beside the report (``cases/<id>.predicted.html`` and ``cases/<id>.reference.html``,
``summarize.html``): the predicted briefing and the reference, each beside the article with its
quotes highlighted.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from summarize.errors import InputError
from summarize.evaluation.dataset import Dataset, Reference
from summarize.evaluation.epochs import EpochSpread
from summarize.evaluation.runner import Comparison, EvalResults
from summarize.evaluation.scorers import FIELDS
from summarize.grounding import ArticleIndex, ground_evidence
from summarize.html import _environment, briefing_to_html
from summarize.schema import Actor, Briefing, OpenQuestion, Position
from summarize.text import clean_article

__all__ = ["print_summary", "render_html", "render_markdown", "write_reports"]


def _fields(results: EvalResults) -> list[str]:
    """The columns: the fields these results hold, in the registry's order (a field they were
    not scored on is left out; one the registry does not know, from another version, is last)."""
    held = dict.fromkeys([*results.weights, *(n for c in results.cases for n in c.scores)])
    return [f for f in FIELDS if f in held] + [f for f in held if f not in FIELDS]


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
    if comparison.skipped:
        notes.append(f"not compared, the baseline has no {', '.join(comparison.skipped)}")
    if comparison.overall_weights:
        weights = ", ".join(f"{k} {v:g}" for k, v in comparison.overall_weights.items())
        notes.append(f"overall compared under the baseline's weights ({weights})")
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


REPORT_TEMPLATE = "report.html.j2"


def _graded(details: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Judge mode: the rubric criteria among a field's details, each with its grade."""
    return [(k, v) for k, v in details.items() if isinstance(v, dict) and "grade" in v]


def render_html(
    results: EvalResults, dataset: Dataset | None = None, comparison: Comparison | None = None
) -> str:
    """The report as one self-contained page (``summarize/templates/report.html.j2``, rendered
    with autoescaping: nothing in a briefing, a reference or an error becomes markup)."""
    pages = _case_pages(results, dataset)
    template = _environment().get_template(REPORT_TEMPLATE)
    return template.render(
        results=results,
        fields=_fields(results),
        references={c.reference.id: c.reference for c in dataset.cases} if dataset else {},
        comparison=comparison,
        comparison_note=_comparison_note(comparison) if comparison else "",
        pages={case_id: {k: v[0] for k, v in found.items()} for case_id, found in pages.items()},
        weights=", ".join(f"{k} {v:g}" for k, v in results.weights.items()),
        resamples=f"{results.bootstrap.resamples:,}",
        delta=_delta,
        ci=_ci,
        verdict=lambda name: _verdict(comparison, name) if comparison else "",
        graded=_graded,
        spread=results.epochs,
        epoch_fields=_epoch_fields(results, results.epochs) if results.epochs else [],
        epochs_note=_epochs_note(results.epochs) if results.epochs else "",
        fmt=_fmt,
        calibration_rows=_calibration_rows(results),
        calibration_note=_CALIBRATION_NOTE,
    )


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
