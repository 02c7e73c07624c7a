"""The eval harness end to end: run, record/replay, failures, reports, comparison and the CLI.

Every test uses a small dataset written to ``tmp_path`` (two short articles, every evidence span
verbatim) and test doubles (``FakeModel``, ``FaultServer`` on 127.0.0.1); no real model is
called. Scores use the lexical similarity backend so the file stays fast.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from test_cli import run  # the CLI driver: exit code, stdout, stderr

import summarize.evaluation.runner as runner_module
from summarize.config import ModelProfile, Settings
from summarize.errors import PermanentModelError, TransientModelError
from summarize.evaluation.dataset import Case, Dataset, Reference, load_dataset
from summarize.evaluation.report import print_summary, render_html, write_reports
from summarize.evaluation.runner import EvalResults, compare, load_results, run_eval
from summarize.evaluation.scorers import FIELD_WEIGHTS
from summarize.evaluation.similarity import LexicalSimilarity
from summarize.models import CompletionRequest
from summarize.schema import (
    MAX_ACTORS,
    MAX_ALIASES,
    MAX_EVIDENCE,
    MAX_POSITIONS,
    MAX_QUESTIONS,
    DraftActor,
    DraftBriefing,
    DraftOpenQuestion,
    DraftPosition,
)
from summarize.testing import FakeModel
from summarize.testing_server import FaultServer, Reply, Respond, echo_briefing

# --- a small dataset ------------------------------------------------------------------------

PORT_ARTICLE = (
    "Dock workers at the port of Halden walked off the job on Monday after pay talks with the "
    "Harbour Employers Association collapsed. Union leader Maria Lopez said the workers want a "
    'six percent raise and a ban on fully automated cranes. "We will not accept machines taking '
    "our jobs,\" Lopez told reporters outside the main gate. The association's chairman, Tom "
    'Becker, said the demands would make the port too expensive for shipping lines. "A raise of '
    'that size is simply not possible this year," Becker said. It is unclear how long the strike '
    "will last or whether the national mediator will step in.\n"
)

PORT_YAML = """\
id: port-strike
article: port-strike.txt
language: en
summary: >-
  Dock workers at the port of Halden went on strike after pay talks with their employers
  collapsed. The union wants a six percent raise and a ban on automated cranes, while the
  employers say the demands would make the port too expensive.
actors:
  - name: Maria Lopez
    aliases: [Lopez, union leader]
    kind: person
    role: union leader
    salience: core
  - name: Tom Becker
    aliases: [Becker]
    kind: person
    role: chairman of the Harbour Employers Association
    salience: core
  - name: Harbour Employers Association
    aliases: [the association]
    kind: organization
    role: the employers
    salience: minor
positions:
  - actor: Maria Lopez
    stance: The workers want a six percent raise and a ban on fully automated cranes.
    evidence:
      - "We will not accept machines taking our jobs"
    salience: core
  - actor: Tom Becker
    stance: The union's demands would make the port too expensive for shipping lines.
    evidence:
      - "A raise of that size is simply not possible this year"
    salience: core
open_questions:
  - question: How long will the strike last?
    salience: core
  - question: Will the national mediator step in?
    salience: minor
"""

BRIDGE_ARTICLE = (
    "The city council of Norrvik voted on Tuesday to close the old river bridge to cars from "
    "next spring. Mayor Anna Berg said the bridge is no longer safe for heavy traffic and must "
    'be rebuilt. "Every week we wait, the repair bill grows," Berg told the council. Shop owners '
    'on Market Street fear that the closure will cut off their customers. "Half of our trade '
    'comes across that bridge," said Erik Lund, who runs a bakery near the river. The council '
    "has not yet decided how the rebuilding will be paid for.\n"
)

BRIDGE_YAML = """\
id: river-bridge
article: river-bridge.txt
language: en
summary: >-
  Norrvik's city council voted to close the old river bridge to cars from next spring because
  it is unsafe. Shop owners fear losing customers, and the council has not decided how to pay
  for the rebuilding.
actors:
  - name: Anna Berg
    aliases: [Berg, Mayor Anna Berg, the mayor]
    kind: person
    role: Mayor of Norrvik
    salience: core
  - name: Erik Lund
    aliases: [Lund]
    kind: person
    role: bakery owner near the river
    salience: core
  - name: Norrvik city council
    aliases: [the council, city council]
    kind: organization
    role: the city's governing body
    salience: minor
positions:
  - actor: Anna Berg
    stance: The old bridge is unsafe for heavy traffic and must be closed and rebuilt soon.
    evidence:
      - "Every week we wait, the repair bill grows"
    salience: core
  - actor: Erik Lund
    stance: Closing the bridge will cut shops near the river off from their customers.
    evidence:
      - "Half of our trade comes across that bridge"
    salience: core
open_questions:
  - question: How will the rebuilding of the bridge be paid for?
    salience: core
  - question: When will the new bridge open to cars again?
    salience: minor
"""

CASE_IDS = ["port-strike", "river-bridge"]  # load_dataset sorts cases by id
INVENTED_QUOTE = 'Lopez vowed to "shut every port in the country <b>forever</b>" & more'
API_KEY = "sk-test-EVAL-SECRET-1234567890"
LEXICAL = LexicalSimilarity()


def write_dataset(folder: Path, *, port_yaml: str = PORT_YAML) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "port-strike.txt").write_text(PORT_ARTICLE, encoding="utf-8")
    (folder / "port-strike.yaml").write_text(port_yaml, encoding="utf-8")
    (folder / "river-bridge.txt").write_text(BRIDGE_ARTICLE, encoding="utf-8")
    (folder / "river-bridge.yaml").write_text(BRIDGE_YAML, encoding="utf-8")
    return folder


@pytest.fixture
def dataset_dir(tmp_path: Path) -> Path:
    return write_dataset(tmp_path / "mini")


@pytest.fixture
def dataset(dataset_dir: Path) -> Dataset:
    loaded = load_dataset(dataset_dir)
    assert [c.id for c in loaded.cases] == CASE_IDS
    return loaded


# --- model doubles --------------------------------------------------------------------------


def draft_from(reference: Reference) -> DraftBriefing:
    """The reference written as a model would answer: the best possible draft."""
    return DraftBriefing(
        summary=reference.summary,
        actors=[
            DraftActor(name=a.name, aliases=a.aliases[:MAX_ALIASES], kind=a.kind, role=a.role)
            for a in reference.actors[:MAX_ACTORS]
        ],
        positions=[
            DraftPosition(actor=p.actor, evidence=p.evidence[:MAX_EVIDENCE], stance=p.stance)
            for p in reference.positions[:MAX_POSITIONS]
        ],
        open_questions=[
            DraftOpenQuestion(question=q.question, why_open="The article does not say.")
            for q in reference.open_questions[:MAX_QUESTIONS]
        ],
    )


def article_in(request: CompletionRequest) -> str:
    content = request.messages[1]["content"]
    match = re.search(r"<article>\n?(.*?)\n?</article>", content, re.DOTALL)
    assert match, "the request carries no <article>"
    return match.group(1)


def case_of(request: CompletionRequest, dataset: Dataset) -> Case:
    """The case whose article the request carries."""
    article = article_in(request)
    found = [c for c in dataset.cases if c.article_text.split(".")[0] in article]
    assert len(found) == 1, f"cannot tell which case this request is for: {article[:80]!r}"
    return found[0]


def answering(
    dataset: Dataset, build: Callable[[Case], Any] | None = None, **kwargs: Any
) -> FakeModel:
    """A FakeModel answering each request with ``build(case of the request)``."""
    build = build or (lambda case: draft_from(case.reference))
    return FakeModel(default=lambda request: build(case_of(request, dataset)), **kwargs)


def other_case(dataset: Dataset, case: Case) -> Case:
    return next(c for c in dataset.cases if c.id != case.id)


def with_invented_quote(case: Case) -> DraftBriefing:
    """The reference draft plus a position whose only quote is not in the article."""
    draft = draft_from(case.reference)
    actor = draft.actors[0].name
    extra = DraftPosition(actor=actor, evidence=[INVENTED_QUOTE], stance="Threatens a long fight.")
    return draft.model_copy(update={"positions": [*draft.positions, extra]})


def evaluate(dataset: Dataset, model: Any, **kwargs: Any) -> EvalResults:
    return run_eval(
        dataset, model=model, settings=Settings(strategy="single"), similarity=LEXICAL, **kwargs
    )


# --- 1. scores ------------------------------------------------------------------------------


def test_the_reference_as_the_answer_scores_near_one(dataset: Dataset) -> None:
    model = answering(dataset)
    seen: list[tuple[str, int, int]] = []
    results = evaluate(dataset, model, on_case=lambda r, n, total: seen.append((r.id, n, total)))
    assert seen == [(CASE_IDS[0], 1, 2), (CASE_IDS[1], 2, 2)]
    assert len(model.history) == 2  # one call per short article
    assert [c.id for c in results.cases] == CASE_IDS
    for case in results.cases:
        assert case.ok and case.error is None
        assert case.overall > 0.9, (case.id, {k: v.value for k, v in case.scores.items()})
        assert set(case.scores) == set(FIELD_WEIGHTS)
        assert case.scores["grounding"].value == 1.0
        assert case.briefing is not None and case.briefing.verified_share == 1.0
    assert results.aggregate["overall"] > 0.9
    assert set(results.aggregate) == {*FIELD_WEIGHTS, "overall"}
    assert results.mode == "live" and results.similarity == "lexical"
    assert results.dataset == "mini"
    assert results.weights == FIELD_WEIGHTS


def test_the_briefing_of_the_wrong_article_scores_low(dataset: Dataset) -> None:
    model = answering(dataset, lambda case: draft_from(other_case(dataset, case).reference))
    results = evaluate(dataset, model)
    for case in results.cases:
        assert case.ok
        assert case.overall < 0.3, (case.id, {k: v.value for k, v in case.scores.items()})
        assert case.scores["actors"].value == 0.0
        assert case.scores["positions"].value == 0.0
        assert case.scores["grounding"].value == 0.0  # the other article's quotes are not here
    assert results.aggregate["overall"] < 0.3


# --- 2. record and replay -------------------------------------------------------------------


def recorded_profile() -> ModelProfile:
    return ModelProfile(
        name="recorded", model="gpt-4o-mini", base_url="http://127.0.0.1:9/v1", api_key=API_KEY
    )


def test_record_then_replay_gives_the_same_scores_and_briefings(
    dataset: Dataset, tmp_path: Path
) -> None:
    settings = Settings(
        strategy="single", model="recorded", models={"recorded": recorded_profile()}
    )
    recordings = tmp_path / "recordings"
    model = answering(dataset, with_invented_quote, profile=recorded_profile())
    recorded = run_eval(
        dataset,
        model=model,
        settings=settings,
        mode="record",
        recordings=recordings,
        similarity=LEXICAL,
    )
    assert recorded.mode == "record"
    assert all(c.ok for c in recorded.cases)
    files = sorted(recordings.glob("*.json"))
    assert len(files) == len(model.history) == 2
    assert not any(API_KEY in f.read_text() for f in files)

    for name in (None, "recorded"):  # the default profile, or the profile named
        replayed = run_eval(
            dataset,
            model=name,
            settings=settings,
            mode="replay",
            recordings=recordings,
            similarity=LEXICAL,
        )
        assert len(model.history) == 2  # replay never reaches the model
        assert replayed.mode == "replay"
        assert replayed.profile["name"] == "recorded"
        assert replayed.aggregate == recorded.aggregate
        for live, again in zip(recorded.cases, replayed.cases, strict=True):
            assert again.id == live.id and again.ok
            assert again.overall == live.overall
            assert again.scores == live.scores
            assert live.briefing is not None and again.briefing is not None
            assert again.briefing.model_dump(exclude={"usage"}) == live.briefing.model_dump(
                exclude={"usage"}
            )
            assert again.usage is not None and live.usage is not None
            assert (again.usage.calls, again.usage.prompt_tokens) == (
                live.usage.calls,
                live.usage.prompt_tokens,
            )


def test_record_without_a_folder_writes_beside_the_dataset(
    dataset: Dataset, dataset_dir: Path
) -> None:
    model = answering(dataset, profile=recorded_profile())
    run_eval(
        dataset,
        model=model,
        settings=Settings(strategy="single"),
        mode="record",
        similarity=LEXICAL,
    )
    assert len(list((dataset_dir / ".recordings" / "recorded").glob("*.json"))) == 2
    assert [c.id for c in load_dataset(dataset_dir).cases] == CASE_IDS  # still loads


def test_replay_without_recordings_fails_each_case_without_raising(
    dataset: Dataset, tmp_path: Path
) -> None:
    settings = Settings(
        strategy="single", model="recorded", models={"recorded": recorded_profile()}
    )
    empty = tmp_path / "no-recordings"
    empty.mkdir()
    results = run_eval(
        dataset, settings=settings, mode="replay", recordings=empty, similarity=LEXICAL
    )
    assert [c.id for c in results.cases] == CASE_IDS
    for case in results.cases:
        assert not case.ok
        assert case.overall == 0.0 and case.briefing is None and case.scores == {}
        assert case.error is not None
        assert "RecordingMissingError" in case.error
        assert "no recording" in case.error and str(empty) in case.error
    assert results.aggregate["overall"] == 0.0


# --- 3. a case whose model keeps failing -----------------------------------------------------


@pytest.mark.parametrize(
    ("error", "calls", "error_type"),
    [
        (PermanentModelError("HTTP 400, bad request", profile="fake"), 1, "PermanentModelError"),
        # Transient faults are retried (max_retries=3), then the case gives up.
        (TransientModelError("HTTP 503", profile="fake"), 4, "ModelUnavailableError"),
    ],
    ids=["permanent", "transient"],
)
def test_a_failing_case_scores_zero_and_the_others_still_score(
    dataset: Dataset, error: Exception, calls: int, error_type: str
) -> None:
    failing = dataset.cases[0]

    def build(case: Case) -> Any:
        return error if case.id == failing.id else draft_from(case.reference)

    model = answering(dataset, build)
    results = evaluate(dataset, model)
    bad, good = results.case(failing.id), results.case(CASE_IDS[1])
    assert bad is not None and good is not None
    assert not bad.ok
    assert bad.overall == 0.0 and bad.scores == {} and bad.briefing is None
    assert bad.error is not None and bad.error.startswith(error_type)
    assert good.ok and good.overall > 0.9
    assert len(model.history) == calls + 1
    assert results.aggregate["overall"] == pytest.approx(good.overall / 2, abs=1e-4)


# --- 4. reports -----------------------------------------------------------------------------


@pytest.fixture
def report_results(dataset: Dataset) -> EvalResults:
    """Both cases answered well, the first with one extra, invented (unverified) quote."""

    def build(case: Case) -> DraftBriefing:
        return with_invented_quote(case) if case.id == CASE_IDS[0] else draft_from(case.reference)

    return evaluate(dataset, answering(dataset, build))


def test_write_reports_writes_three_files_that_round_trip(
    report_results: EvalResults, dataset: Dataset, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    paths = write_reports(report_results, out, dataset, None)
    assert [p.name for p in paths] == ["results.json", "report.md", "report.html"]
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths)

    loaded = load_results(out / "results.json")
    assert loaded == report_results
    assert loaded.model_dump() == report_results.model_dump()

    markdown = (out / "report.md").read_text(encoding="utf-8")
    for case_id in CASE_IDS:
        assert case_id in markdown
        assert f"### {case_id}:" in markdown
    for name in FIELD_WEIGHTS:
        assert name in markdown
        assert f"- **{name}**" in markdown
    assert "model profile: `fake` (fake-model)" in markdown


def test_report_html_is_self_contained_and_strikes_unverified_quotes(
    report_results: EvalResults, dataset: Dataset, tmp_path: Path
) -> None:
    bad = report_results.case(CASE_IDS[0])
    assert bad is not None and bad.briefing is not None
    unverified = [q for p in bad.briefing.positions for q in p.evidence if not q.verified]
    assert [q.text for q in unverified] == [INVENTED_QUOTE]
    assert bad.scores["grounding"].value == pytest.approx(2 / 3, abs=1e-3)

    write_reports(report_results, tmp_path / "out", dataset, None)
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page.lower()
    assert "<link" not in page.lower() and "@import" not in page
    for attribute in re.findall(r"""\b(?:src|href)\s*=\s*["']?([^"'\s>]*)""", page, re.I):
        assert not attribute.lower().startswith(("http:", "https:", "//")), attribute
    for case_id in CASE_IDS:
        assert f"id='{case_id}'" in page and f"href='#{case_id}'" in page
    # The unverified quote: its own element, struck through in red, and labelled.
    escaped = "Lopez vowed to &#34;shut every port in the country &lt;b&gt;forever&lt;/b&gt;&#34;"
    assert f"<div class='quote unverified'>{escaped} &amp; more</div>" in page
    assert "unverified: not in the article" in page
    css = re.search(r"\.unverified\{([^}]*)\}", page)
    assert css and "line-through" in css.group(1)
    assert "<b>forever</b>" not in page  # article-derived text is escaped
    # Verified quotes are shown as quotes, not struck through.
    assert "<div class='quote'>“We will not accept machines taking our jobs”</div>" in page
    assert render_html(report_results, dataset) == page


def test_print_summary_shows_a_failed_case_error_verbatim(dataset: Dataset) -> None:
    message = 'HTTP 400: "max_tokens" must be < 4096 & > 0'
    model = FakeModel(default=PermanentModelError(message, profile="fake"))
    results = evaluate(dataset, model)
    buffer = io.StringIO()
    print_summary(results, Console(file=buffer, width=200))
    text = buffer.getvalue()
    for case_id in CASE_IDS:
        assert f"{case_id}: PermanentModelError: {message}" in text
    assert "&lt;" not in text and "&amp;" not in text
    assert "[red]" not in text


def test_a_reference_without_open_questions_scores_its_own_answer_one(tmp_path: Path) -> None:
    no_questions = PORT_YAML.split("open_questions:")[0]
    dataset = load_dataset(write_dataset(tmp_path / "noq", port_yaml=no_questions))
    assert dataset.cases[0].reference.open_questions == []  # the loader accepts it
    results = evaluate(dataset, answering(dataset))
    case = results.case(CASE_IDS[0])
    assert case is not None and case.ok
    assert case.briefing is not None and case.briefing.open_questions == []
    assert case.scores["questions"].value == 1.0, case.scores["questions"].explanation
    assert case.overall == 1.0


# --- 5. compare -----------------------------------------------------------------------------


def test_compare_reports_drops_gains_and_no_change(dataset: Dataset) -> None:
    good = evaluate(dataset, answering(dataset))
    poor = evaluate(
        dataset, answering(dataset, lambda c: draft_from(other_case(dataset, c).reference))
    )

    drop = compare(poor, good)
    assert set(drop.fields) == {*FIELD_WEIGHTS, "overall"}
    assert all(delta <= 0 for delta in drop.fields.values()), drop.fields
    for name in ("actors", "positions", "grounding", "overall"):
        assert drop.fields[name] < -0.5, (name, drop.fields)
    assert set(drop.cases) == set(CASE_IDS) and all(d < -0.5 for d in drop.cases.values())
    assert drop.worst_drop() < 0
    assert drop.worst_drop() == min([*drop.fields.values(), *drop.cases.values()])
    assert drop.missing == [] and drop.added == []

    gain = compare(good, poor)
    assert all(delta >= 0 for delta in gain.fields.values())
    assert gain.fields["overall"] == pytest.approx(-drop.fields["overall"], abs=1e-4)
    assert gain.worst_drop() == 0.0

    same = compare(good, good)
    assert all(delta == 0 for delta in same.fields.values())
    assert all(delta == 0 for delta in same.cases.values())
    assert same.worst_drop() == 0.0

    fewer = good.model_copy(update={"cases": good.cases[1:]})
    partial = compare(fewer, good)
    assert partial.missing == [CASE_IDS[0]] and partial.added == []
    assert list(partial.cases) == [CASE_IDS[1]]
    assert compare(good, fewer).added == [CASE_IDS[0]]


# --- 6. the CLI -----------------------------------------------------------------------------


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A FaultServer echoing a poor (but valid and grounded) briefing; the CLI points at it."""
    with FaultServer(default=Respond(echo_briefing)) as fault_server:
        monkeypatch.setenv("SUMMARIZE_BASE_URL", fault_server.base_url)
        monkeypatch.setenv("SUMMARIZE_STRATEGY", "single")
        monkeypatch.setenv("SUMMARIZE_API_KEY", API_KEY)
        yield fault_server


def test_cli_check_validates_and_calls_no_model(
    dataset_dir: Path,
    server: FaultServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_run(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("--check ran the eval")

    monkeypatch.setattr(runner_module, "run_eval", no_run)
    code, out, err = run(["eval", str(dataset_dir), "--check", "--model", "gpt-4o-mini"], capsys)
    assert code == 0, err
    assert "mini: 2 cases, no problems" in err
    assert out == ""
    assert server.requests == []


@pytest.mark.parametrize("extra", [["--check"], ["--model", "gpt-4o-mini", "-q"]])
def test_cli_rejects_a_broken_reference_naming_file_and_field(
    tmp_path: Path, server: FaultServer, capsys: pytest.CaptureFixture[str], extra: list[str]
) -> None:
    broken = PORT_YAML.replace(
        "A raise of that size is simply not possible this year",
        "A raise of that size is out of the question",
    )
    assert broken != PORT_YAML
    folder = write_dataset(tmp_path / "broken", port_yaml=broken)
    code, out, err = run(["eval", str(folder), *extra], capsys)
    assert code != 0
    assert "port-strike.yaml" in err
    assert "positions[1].evidence[0]" in err
    assert "evidence not found verbatim" in err
    assert "Traceback" not in err
    assert "river-bridge" not in err  # only the broken file is reported
    assert server.requests == []  # nothing is asked of a model before the dataset is valid
    assert out == ""


def test_cli_min_score_fails_but_still_writes_the_reports(
    dataset_dir: Path, tmp_path: Path, server: FaultServer, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "out"
    code, out, err = run(
        [
            "eval",
            str(dataset_dir),
            "--model",
            "gpt-4o-mini",
            "--out",
            str(out_dir),
            "--min-score",
            "0.99",
            "--similarity",
            "lexical",
            "-q",
        ],
        capsys,
    )
    assert code == 1, err
    assert len(server.completions) == 2  # one call per case, to the local server
    assert "below --min-score 0.99" in err
    assert "Traceback" not in err
    for name in ("results.json", "report.md", "report.html"):
        assert (out_dir / name).is_file(), name
        assert f"wrote {out_dir / name}" in err.replace("\n", "")
    results = load_results(out_dir / "results.json")
    assert results.profile["name"] == "gpt-4o-mini"
    assert results.profile["base_url"] == server.base_url
    assert all(c.ok for c in results.cases)
    assert results.aggregate["overall"] < 0.99
    assert f"{results.aggregate['overall']:.3f}" in err
    assert API_KEY not in (out_dir / "results.json").read_text()
    for case_id in CASE_IDS:
        assert case_id in out  # the summary table on stdout


def _worse(request: dict[str, Any]) -> Reply:
    """The echo briefing with its quote invented: grounding drops to 0."""
    reply = echo_briefing(request)
    assert isinstance(reply, Reply) and isinstance(reply.content, dict)
    draft = dict(reply.content)
    draft["positions"] = [
        {"actor": "The Author", "evidence": ["A sentence nobody wrote."], "stance": "Reports."}
    ]
    return Reply(draft)


def test_cli_baseline_max_drop_fails_on_a_worse_run_and_prints_the_delta(
    dataset_dir: Path, tmp_path: Path, server: FaultServer, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["--model", "gpt-4o-mini", "--similarity", "lexical", "-q"]
    first, second = tmp_path / "first", tmp_path / "second"
    code, _, err = run(["eval", str(dataset_dir), *common, "--out", str(first)], capsys)
    assert code == 0, err

    # The same run again is no drop.
    code, out, err = run(
        [
            "eval",
            str(dataset_dir),
            *common,
            "--baseline",
            str(first / "results.json"),
            "--max-drop",
            "0.0",
        ],
        capsys,
    )
    assert code == 0, err
    assert "Δ vs baseline" in out

    server.default = Respond(_worse)
    code, out, err = run(
        [
            "eval",
            str(dataset_dir),
            *common,
            "--out",
            str(second),
            "--baseline",
            str(first / "results.json"),
            "--max-drop",
            "0.0",
        ],
        capsys,
    )
    assert code == 1, err
    expected = compare(load_results(second / "results.json"), load_results(first / "results.json"))
    assert expected.fields["grounding"] == -1.0
    assert expected.worst_drop() == -1.0
    # Every case lost its grounding: the whole interval is below zero.
    assert (
        "grounding dropped significantly against the baseline: -1.000 [-1.000, -1.000] "
        "over 2 case(s)" in " ".join(err.split())
    )
    assert "Δ vs baseline" in out
    delta_row = next(line for line in out.splitlines() if "Δ vs baseline" in line)
    assert "-1.00" in delta_row  # grounding, on the terminal
    assert "Δ" in (second / "report.md").read_text()
    assert "grounding -1.00" in (second / "report.md").read_text()


def test_cli_baseline_case_missing_from_the_run_fails_the_gate_by_name(
    dataset_dir: Path, tmp_path: Path, server: FaultServer, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["--model", "gpt-4o-mini", "--similarity", "lexical", "-q", "--seed", "5"]
    first = tmp_path / "first"
    code, _, err = run(["eval", str(dataset_dir), *common, "--out", str(first)], capsys)
    assert code == 0, err
    results = load_results(first / "results.json")
    assert results.bootstrap.seed == 5 and set(results.aggregate_ci) == set(results.aggregate)
    vanished = results.cases[0].model_copy(update={"id": "vanished-case"})
    baseline = results.model_copy(update={"cases": [*results.cases, vanished]})
    (tmp_path / "baseline.json").write_text(baseline.model_dump_json())

    code, out, err = run(
        ["eval", str(dataset_dir), *common, "--baseline", str(tmp_path / "baseline.json")], capsys
    )
    assert code == 1
    assert "1 baseline case(s) missing from this run: vanished-case" in " ".join(err.split())
    assert "missing from this run: vanished-case" in " ".join(out.split())
    assert "dropped" not in err  # the cases both ran did not change


def test_cli_baseline_that_is_not_results_is_a_clean_error(
    dataset_dir: Path, tmp_path: Path, server: FaultServer, capsys: pytest.CaptureFixture[str]
) -> None:
    bogus = tmp_path / "bogus.json"
    bogus.write_text('{"not": "results"}')
    code, _, err = run(
        ["eval", str(dataset_dir), "--model", "gpt-4o-mini", "--baseline", str(bogus), "-q"],
        capsys,
    )
    assert code == 1
    assert "cannot read the baseline" in err and "Traceback" not in err
    assert server.requests == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--record", "--replay"], "--record and --replay exclude each other"),
        (["--similarity", "bogus"], "--similarity bogus: unknown similarity backend"),
    ],
    ids=["record-and-replay", "unknown-similarity"],
)
def test_cli_usage_errors_exit_2(
    dataset_dir: Path,
    server: FaultServer,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    code, out, err = run(["eval", str(dataset_dir), "--model", "gpt-4o-mini", *args], capsys)
    assert code == 2
    assert message in err and "Traceback" not in err
    assert out == ""
    assert server.requests == []


def test_cli_record_then_replay_offline(
    dataset_dir: Path, tmp_path: Path, server: FaultServer, capsys: pytest.CaptureFixture[str]
) -> None:
    recordings = tmp_path / "rec"
    common = ["--model", "gpt-4o-mini", "--similarity", "lexical", "--recordings", str(recordings)]
    code, _, err = run(
        ["eval", str(dataset_dir), *common, "--record", "--out", str(tmp_path / "a"), "-q"], capsys
    )
    assert code == 0, err
    assert len(server.completions) == 2
    code, _, err = run(
        ["eval", str(dataset_dir), *common, "--replay", "--out", str(tmp_path / "b"), "-q"], capsys
    )
    assert code == 0, err
    assert len(server.completions) == 2  # replay asked the server nothing
    live, replayed = (load_results(tmp_path / d / "results.json") for d in ("a", "b"))
    assert replayed.mode == "replay"
    assert [c.overall for c in replayed.cases] == [c.overall for c in live.cases]
    assert [c.scores for c in replayed.cases] == [c.scores for c in live.cases]


# --- 7. the HTML report in a real browser ---------------------------------------------------


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_report_html_renders_in_headless_chromium(
    report_results: EvalResults, dataset: Dataset, tmp_path: Path
) -> None:
    write_reports(
        report_results, tmp_path / "out", dataset, compare(report_results, report_results)
    )
    page = (tmp_path / "out" / "report.html").resolve()
    png = tmp_path / "report.png"
    chromium = shutil.which("chromium")
    assert chromium is not None
    completed = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            f"--screenshot={png}",
            "--window-size=1280,2000",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert png.is_file(), completed.stderr.decode(errors="replace")[-2000:]
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 20_000, len(data)
    shutil.copyfile(png, "/tmp/eval-report.png")
