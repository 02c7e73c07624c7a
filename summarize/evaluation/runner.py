"""Running an eval: brief every case of a dataset, score it, and keep a versioned log.

Three modes share one code path: ``live`` calls the model; ``record`` calls it and saves every
call (``summarize.recording``); ``replay`` answers every call from the recordings, so a
recorded eval reruns offline and gives the same scores. A case that fails (bad article, model
that keeps failing, a missing recording) scores 0 with the error kept; it never stops the run.

``EvalResults`` is what ``results.json`` holds: the model profile (never its key), the prompt
templates' hashes, the settings that shape a briefing, per-case scores with explanations,
usage and timings, the aggregate, and each aggregate's 95% bootstrap interval over cases
(``summarize.evaluation.stats``). ``compare`` sets two results side by side: per field, the
paired change over the cases both ran, with its interval; ``Comparison.gate`` says whether the
change is a regression.

Runs that cannot be compared are caught before they are: ``comparability`` names what differs
between a run and a baseline (similarity backend, prompt templates, dataset, live against
recorded, strategy) and what the baseline does not record (older results: unknown, warned
about, never a crash).

``epochs`` > 1 runs every case that many times (live only; each epoch samples with the
profile's seed plus the epoch's number, so a temperature above zero really draws anew) and
keeps the mean per case with the spread (``summarize.evaluation.epochs``). ``concurrency``
briefs that many cases at once on a remote endpoint (the embedded model: one at a time); the
results keep the dataset's order. With a judge, ``calibration`` holds its agreement with the
reference-based fields (``summarize.evaluation.calibration``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from summarize.config import Settings
from summarize.errors import SummarizeError
from summarize.evaluation.calibration import JudgeAgreement, judge_agreement
from summarize.evaluation.dataset import Case, Dataset
from summarize.evaluation.epochs import UNSTABLE_RANGE, EpochSpread, epoch_spread
from summarize.evaluation.judge import CRITERIA, ajudge_briefing
from summarize.evaluation.scorers import FIELD_WEIGHTS, FIELDS, overall, score_case
from summarize.evaluation.similarity import Similarity, get_similarity
from summarize.evaluation.stats import Bootstrap, bootstrap_interval
from summarize.models import ChatModel, close_model
from summarize.pipeline import Pipeline, resolve_model, run_sync
from summarize.prompts import Prompts
from summarize.recording import RecordingModel, ReplayModel
from summarize.schema import Briefing, Usage

__all__ = [
    "RESULTS_VERSION",
    "CaseResult",
    "Comparison",
    "EvalResults",
    "FieldScore",
    "PairedChange",
    "case_values",
    "comparability",
    "compare",
    "dataset_hash",
    "default_recordings_dir",
    "load_results",
    "run_eval",
    "templates_hash",
]

RESULTS_VERSION = 1
Mode = Literal["live", "record", "replay"]


class FieldScore(BaseModel):
    value: float
    explanation: str
    details: dict[str, Any] = Field(default_factory=dict)


class CaseResult(BaseModel):
    id: str
    ok: bool
    error: str | None = None
    overall: float = 0.0
    scores: dict[str, FieldScore] = Field(default_factory=dict)
    briefing: Briefing | None = None
    usage: Usage | None = None
    seconds: float = 0.0


class EvalResults(BaseModel):
    version: int = RESULTS_VERSION
    created: str
    dataset: str
    dataset_path: str
    mode: Mode
    profile: dict[str, Any]
    prompt_hashes: dict[str, str]
    settings: dict[str, Any]
    similarity: str
    weights: dict[str, float]
    cases: list[CaseResult]
    aggregate: dict[str, float]
    # Added later, hence the defaults: an older results.json still loads (as a baseline too).
    aggregate_ci: dict[str, tuple[float, float]] = Field(default_factory=dict)
    bootstrap: Bootstrap = Field(default_factory=Bootstrap)
    seconds: float
    # Written with --baseline: the comparison the report shows.
    comparison: Comparison | None = None
    # What makes two runs comparable (None in results written before they were recorded).
    dataset_hash: str | None = None
    templates_hash: str | None = None
    # --epochs N (N > 1): the spread over epochs; the scores above are the means over them.
    epochs: EpochSpread | None = None
    # --judge: per judge criterion, its rank agreement with the matching reference field.
    calibration: dict[str, JudgeAgreement] = Field(default_factory=dict)

    def case(self, case_id: str) -> CaseResult | None:
        return next((c for c in self.cases if c.id == case_id), None)


def default_recordings_dir(dataset: Dataset, profile_name: str) -> Path:
    """``evals/recordings/<dataset>/<profile>`` beside ``evals/datasets/<dataset>``."""
    root = dataset.path if dataset.path.is_dir() else dataset.path.parent
    if root.parent.name == "datasets":
        return root.parent.parent / "recordings" / dataset.name / profile_name
    return root / ".recordings" / profile_name


def dataset_hash(dataset: Dataset) -> str:
    """sha256 (16 hex digits) of every case's reference and article, in id order: two runs
    with the same hash scored the same references of the same articles."""
    digest = hashlib.sha256()
    for case in sorted(dataset.cases, key=lambda c: c.id):
        digest.update(case.reference.model_dump_json().encode("utf-8") + b"\0")
        digest.update(case.article_text.encode("utf-8") + b"\0")
    return digest.hexdigest()[:16]


def templates_hash(prompt_hashes: dict[str, str]) -> str:
    """One hash (16 hex digits) of the templates' hashes."""
    canonical = json.dumps(prompt_hashes, sort_keys=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def _mode_kind(mode: str | None) -> str | None:
    # A replay gives exactly what its recording run got: both are one "recorded" kind.
    return None if mode is None else "live" if mode == "live" else "recorded"


def comparability(
    baseline: EvalResults,
    *,
    similarity: str,
    prompt_hashes: dict[str, str],
    dataset: str | None,
    mode: str,
    strategy: str | None,
) -> tuple[list[str], list[str]]:
    """(why a run with these properties cannot be compared with ``baseline``, what the
    baseline does not record and so cannot be checked). ``dataset``: ``dataset_hash``."""
    mismatches: list[str] = []
    unknown: list[str] = []
    if baseline.similarity != similarity:
        mismatches.append(
            f"similarity backend: {similarity} now, {baseline.similarity} in the baseline"
        )
    if baseline.prompt_hashes:
        changed = sorted(
            name
            for name in {*prompt_hashes, *baseline.prompt_hashes}
            if prompt_hashes.get(name) != baseline.prompt_hashes.get(name)
        )
        if changed:
            mismatches.append("prompt templates changed: " + ", ".join(changed))
    else:
        unknown.append("prompt templates")
    if baseline.dataset_hash is None:
        unknown.append("dataset hash")
    elif dataset is not None and baseline.dataset_hash != dataset:
        mismatches.append(
            f"dataset (references or articles): {dataset} now, {baseline.dataset_hash} in the "
            "baseline"
        )
    if _mode_kind(baseline.mode) != _mode_kind(mode):
        mismatches.append(f"mode: {mode} now, {baseline.mode} in the baseline")
    before = baseline.settings.get("strategy")
    if before is None:
        unknown.append("strategy")
    elif strategy is not None and before != strategy:
        mismatches.append(f"strategy: {strategy} now, {before} in the baseline")
    return mismatches, unknown


def case_values(
    cases: list[CaseResult], weights: Mapping[str, float] | None = None
) -> dict[str, dict[str, float]]:
    """Per aggregate field, the value each case contributes to its mean, by case id: the
    weighted fields (``weights``, default the registry's) and ``overall`` over every case (a
    failed case counts 0); any other field (the judge, or a field of the registry these results
    were not scored on) over the cases it scored without error, absent when it scored none."""
    if not cases:
        return {}
    weights = FIELD_WEIGHTS if weights is None else weights
    out = {
        name: {c.id: c.scores[name].value if name in c.scores else 0.0 for c in cases}
        for name in weights
    }
    out["overall"] = {c.id: c.overall for c in cases}
    for name in dict.fromkeys([*FIELDS, *(n for c in cases for n in c.scores)]):
        scored = {
            c.id: c.scores[name].value
            for c in cases
            if name in c.scores and not c.scores[name].details.get("error")
        }
        if scored and name not in out:
            out[name] = scored
    return out


def _aggregate(cases: list[CaseResult]) -> dict[str, float]:
    return {
        name: round(sum(values.values()) / len(values), 4)
        for name, values in case_values(cases).items()
    }


def _aggregate_ci(cases: list[CaseResult], bootstrap: Bootstrap) -> dict[str, tuple[float, float]]:
    intervals = {
        name: bootstrap_interval(list(values.values()), bootstrap)
        for name, values in case_values(cases).items()
    }
    return {name: ci for name, ci in intervals.items() if ci is not None}


def _score(
    briefing: Briefing, case: Case, similarity: Similarity
) -> tuple[float, dict[str, FieldScore]]:
    scored = score_case(briefing, case.reference, case.article_text, similarity)
    fields = {
        name: FieldScore(value=s.value, explanation=s.explanation, details=s.details())
        for name, s in scored.fields.items()
    }
    return scored.overall, fields


def _judge_model(
    judge: str | ChatModel | None, settings: Settings, mode: Mode, folder: Path
) -> tuple[ChatModel | None, ChatModel | None]:
    """(the model this run opened, the model to call) for judge mode; (None, None) without."""
    if judge is None:
        return None, None
    if mode == "replay":
        profile = judge.profile if isinstance(judge, ChatModel) else settings.profile(judge)
        return None, ReplayModel(profile, folder / f"judge-{profile.name}")
    base = resolve_model(judge, settings)
    if mode == "record":
        return base, RecordingModel(base, folder / f"judge-{base.profile.name}")
    return base, base


async def _ajudge(model: ChatModel, case: Case, briefing: Briefing, prompts: Prompts) -> FieldScore:
    """The judge's grade as a field score; a judge that fails costs the field, not the case."""
    try:
        verdict = await ajudge_briefing(model, case.article_text, briefing, prompts)
    except SummarizeError as exc:
        return FieldScore(value=0.0, explanation=f"no verdict: {exc}", details={"error": True})
    return FieldScore(
        value=verdict.value,
        explanation=verdict.explanation(),
        details=verdict.model_dump(),
    )


async def _abrief_case(
    chat_model: ChatModel,
    case: Case,
    settings: Settings,
    prompts: Prompts,
    similarity: Similarity,
    judge_model: ChatModel | None,
) -> CaseResult:
    t0 = time.monotonic()
    try:
        pipeline = Pipeline(chat_model, settings=settings, prompts=prompts)
        briefing = await pipeline.arun(case.article_text)
    except Exception as exc:  # a bug in one case must not cost the run
        if not isinstance(exc, SummarizeError):
            exc = SummarizeError(f"internal error: {type(exc).__name__}: {exc}")
        return CaseResult(
            id=case.reference.id,
            ok=False,
            error=f"{type(exc).__name__}: {exc}",
            seconds=round(time.monotonic() - t0, 3),
        )
    overall, fields = _score(briefing, case, similarity)
    if judge_model is not None:
        fields["judge"] = await _ajudge(judge_model, case, briefing, prompts)
    return CaseResult(
        id=case.reference.id,
        ok=True,
        overall=overall,
        scores=fields,
        briefing=briefing,
        usage=briefing.usage,
        seconds=round(time.monotonic() - t0, 3),
    )


async def _release(*models: ChatModel | None) -> None:
    """Close the async clients this event loop made (a model is reused by the next one)."""
    for model in models:
        release = getattr(model, "release_async", None)
        if callable(release):
            await release()


async def _arun_cases(
    cases: list[Case],
    brief: Callable[[Case], Any],
    limit: int,
    on_done: Callable[[CaseResult], None],
    models: tuple[ChatModel | None, ...],
) -> list[CaseResult]:
    """``brief`` every case, ``limit`` at a time, the results in the order of ``cases``
    whatever order they finish in."""
    gate = asyncio.Semaphore(limit)
    results: list[CaseResult | None] = [None] * len(cases)

    async def one(index: int, case: Case) -> None:
        async with gate:
            results[index] = await brief(case)
        on_done(results[index])  # type: ignore[arg-type]

    try:
        async with asyncio.TaskGroup() as group:
            for index, case in enumerate(cases):
                group.create_task(one(index, case))
    finally:
        await _release(*models)
    return [r for r in results if r is not None]


def _sampling_settings(
    settings: Settings, model: str | None, temperature: float | None, seed_offset: int
) -> Settings:
    """``settings`` with the profile of ``model`` sampling at ``temperature`` (when given) and,
    when ``seed_offset``, with its seed moved by that much: each epoch draws its own sample,
    yet every epoch stays reproducible."""
    key = model or settings.model
    profile = settings.profile(key)
    update: dict[str, Any] = {}
    if temperature is not None:
        update["temperature"] = temperature
    if seed_offset and profile.seed is not None:
        update["seed"] = profile.seed + seed_offset
    if not update:
        return settings
    models = {**settings.models, key: profile.model_copy(update=update)}
    return settings.model_copy(update={"models": models})


def _mean_case(runs: list[CaseResult]) -> CaseResult:
    """One case over its epochs: each score the mean over the epochs (an epoch that failed
    counts 0), explanations and details from the first epoch that scored."""
    if len(runs) == 1:
        return runs[0]
    n = len(runs)
    scored = [r for r in runs if r.ok]
    first = scored[0] if scored else runs[0]
    fields: dict[str, FieldScore] = {}
    for name, score in first.scores.items():
        values = [r.scores[name].value for r in runs if name in r.scores]
        if name != "judge":  # a failed epoch is a 0, as a failed case is
            values += [0.0] * (n - len(values))
        fields[name] = FieldScore(
            value=round(sum(values) / len(values), 4) + 0.0,
            explanation=f"mean of {len(values)} epochs ("
            + ", ".join(f"{v:.2f}" for v in values)
            + f"); first: {score.explanation}",
            details=score.details,
        )
    failed = [f"epoch {i}: {r.error}" for i, r in enumerate(runs, 1) if not r.ok]
    usage = None
    for run in runs:
        if run.usage is not None:
            usage = run.usage if usage is None else usage.add(run.usage)
    return CaseResult(
        id=first.id,
        ok=not failed,
        error="; ".join(failed) or None,
        overall=round(sum(r.overall for r in runs) / n, 4) + 0.0,
        scores=fields,
        briefing=first.briefing,
        usage=usage,
        seconds=round(sum(r.seconds for r in runs), 3),
    )


def _judge_grades(runs_per_case: dict[str, list[CaseResult]]) -> dict[str, dict[str, float]]:
    """Per judge criterion, each case's grade (mean over epochs) where the judge graded it."""
    grades: dict[str, dict[str, float]] = {}
    for case_id, runs in runs_per_case.items():
        for criterion in CRITERIA:
            found = [
                float(r.scores["judge"].details[criterion]["grade"])
                for r in runs
                if r.ok
                and "judge" in r.scores
                and isinstance(r.scores["judge"].details.get(criterion), dict)
            ]
            if found:
                grades.setdefault(criterion, {})[case_id] = sum(found) / len(found)
    return grades


def run_eval(
    dataset: Dataset,
    *,
    model: str | ChatModel | None = None,
    settings: Settings | None = None,
    mode: Mode = "live",
    recordings: Path | None = None,
    similarity: Similarity | None = None,
    on_case: Callable[[CaseResult, int, int], None] | None = None,
    judge: str | ChatModel | None = None,
    bootstrap: Bootstrap | None = None,
    epochs: int = 1,
    temperature: float | None = None,
    concurrency: int = 1,
    unstable_range: float = UNSTABLE_RANGE,
) -> EvalResults:
    """Brief and score every case of ``dataset``.

    ``judge``: a profile (or model) that also grades every briefing with a rubric
    (``summarize.evaluation.judge``), reported as the unweighted ``judge`` field. Its calls are
    recorded and replayed beside the briefings', under ``<recordings>/judge-<profile>``.
    ``bootstrap``: how the intervals are drawn (default: 10,000 resamples, 95%, seed 0).
    ``epochs``: run every case that many times (live only) and report the means and the spread.
    ``temperature``: sample the profile at this temperature (a profile name, not a model).
    ``concurrency``: cases briefed at once (remote endpoints; the embedded model runs one).
    ``on_case(result, done, total)`` is called as each case (of each epoch) finishes.
    """
    if epochs < 1 or concurrency < 1:
        raise ValueError("epochs and concurrency must be at least 1")
    if epochs > 1 and mode != "live":
        raise ValueError(
            f"{epochs} epochs need a live run: a {mode} run answers every call from "
            "recordings, so each epoch would repeat the first"
        )
    if temperature is not None and not (model is None or isinstance(model, str)):
        raise ValueError("temperature applies to a profile name, not to a model instance")
    bootstrap = bootstrap or Bootstrap()
    settings = settings if settings is not None else Settings()
    name = model if isinstance(model, str) else None
    run_settings = _sampling_settings(settings, name, temperature, 0)
    if mode == "replay" and (model is None or isinstance(model, str)):
        profile = run_settings.profile(model)  # replay needs the profile's name, not a client
    else:
        profile = model.profile if isinstance(model, ChatModel) else run_settings.profile(model)
    folder = recordings or default_recordings_dir(dataset, profile.name)
    judge_base, judge_model = _judge_model(judge, settings, mode, folder)
    similarity = similarity or get_similarity("auto")
    prompts = Prompts(settings.prompts_dir)
    # The embedded model answers one call at a time: parallel cases would only queue.
    limit = 1 if profile.is_local else concurrency
    total = len(dataset.cases) * epochs
    done = 0

    def finished(result: CaseResult) -> None:
        nonlocal done
        done += 1
        if on_case:
            on_case(result, done, total)

    started = time.monotonic()
    per_epoch: list[list[CaseResult]] = []
    seeds: list[int | None] = []
    strategy = ""
    for epoch in range(epochs):
        epoch_settings = _sampling_settings(settings, name, temperature, epoch)
        base: ChatModel | None = None
        chat_model: ChatModel
        if mode == "replay":  # a model instance lends its profile only
            chat_model = ReplayModel(profile, folder)
        else:
            base = resolve_model(model, epoch_settings)
            chat_model = RecordingModel(base, folder) if mode == "record" else base
        seeds.append(chat_model.profile.seed)
        strategy = Pipeline(chat_model, settings=settings, prompts=prompts).strategy.name

        def brief(case: Case, chat_model: ChatModel = chat_model) -> Any:
            return _abrief_case(chat_model, case, settings, prompts, similarity, judge_model)

        try:
            per_epoch.append(
                run_sync(
                    _arun_cases(
                        list(dataset.cases), brief, limit, finished, (chat_model, judge_model)
                    )
                )
            )
        finally:
            if base is not None and base is not model:
                close_model(base)
    if judge_base is not None and judge_base is not judge:
        close_model(judge_base)
    runs_per_case = {c.id: [runs[i] for runs in per_epoch] for i, c in enumerate(dataset.cases)}
    results = [_mean_case(runs) for runs in runs_per_case.values()]
    spread = None
    if epochs > 1:
        spread = epoch_spread(
            [case_values(runs) for runs in per_epoch],
            list(runs_per_case),
            threshold=unstable_range,
            temperature=profile.temperature,
            seeds=seeds,
        )
    calibration = {}
    grades = _judge_grades(runs_per_case)
    if grades:
        scored = {r.id for r in results if r.ok}
        fields = {
            field: {cid: v for cid, v in values.items() if cid in scored}
            for field, values in case_values(results).items()
        }
        calibration = judge_agreement(grades, fields, bootstrap)
    return EvalResults(
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        dataset=dataset.name,
        dataset_path=str(dataset.path),
        mode=mode,
        profile=profile.model_dump(mode="json", exclude={"api_key"}),
        prompt_hashes=prompts.hashes,
        settings={
            **settings.model_dump(
                mode="json", include={"merge", "evidence", "max_article_chars", "concurrency"}
            ),
            # The strategy the briefings were made with (a profile may override the settings').
            "strategy": strategy,
            "case_concurrency": limit,
        },
        similarity=similarity.name,
        weights=dict(FIELD_WEIGHTS),
        cases=results,
        aggregate=_aggregate(results),
        aggregate_ci=_aggregate_ci(results, bootstrap),
        bootstrap=bootstrap,
        seconds=round(time.monotonic() - started, 3),
        dataset_hash=dataset_hash(dataset),
        templates_hash=templates_hash(prompts.hashes),
        epochs=spread,
        calibration=calibration,
    )


class PairedChange(BaseModel):
    """One field's change (current minus baseline) over the cases both runs scored."""

    mean: float
    ci: tuple[float, float]
    cases: int

    @property
    def significant_drop(self) -> bool:
        """The whole interval below zero: a drop that case-to-case noise does not explain."""
        return self.ci[1] < 0


class Comparison(BaseModel):
    """Differences (current minus baseline) per field and per case."""

    fields: dict[str, float]  # difference of the aggregates
    cases: dict[str, float]  # overall per case
    missing: list[str]  # baseline cases absent now
    added: list[str]  # cases absent from the baseline
    # Per field, the paired change over the cases in both runs with its bootstrap interval.
    paired: dict[str, PairedChange] = Field(default_factory=dict)
    # Why the two runs are not comparable (``comparability``), and what the baseline lacks.
    mismatches: list[str] = Field(default_factory=list)
    unknown: list[str] = Field(default_factory=list)
    # Fields of this run the baseline was not scored on: not compared, never a failure.
    skipped: list[str] = Field(default_factory=list)
    # When the runs' weights differ, this run's overall is compared as the baseline's weights
    # make it (those weights, else empty): like with like.
    overall_weights: dict[str, float] = Field(default_factory=dict)

    def worst_drop(self) -> float:
        return min([0.0, *self.fields.values(), *self.cases.values()])

    def gate(
        self, max_drop: float | None = None, *, per_case: bool = False, force: bool = False
    ) -> list[str]:
        """Why this change is a regression, one line per reason (empty: it passes). A field
        fails when its paired interval lies below zero, or (with ``max_drop``) when it drops
        by more than that; a baseline case missing from the new run fails. ``per_case`` (for
        replays, where every difference is real, not noise): a case whose overall drops by
        more than ``max_drop`` fails too. Runs that are not comparable fail unless ``force``."""
        failures = []
        if not force:
            failures += [
                f"not comparable with the baseline: {why} (--force to compare anyway)"
                for why in self.mismatches
            ]
        if per_case and max_drop is not None:
            failures += [
                f"case {case} dropped by {-change:.3f} against the baseline "
                f"(more than --max-drop {max_drop:g}; a replay has no noise)"
                for case, change in self.cases.items()
                if change < -max_drop
            ]
        if self.missing:
            failures.append(
                f"{len(self.missing)} baseline case(s) missing from this run: "
                + ", ".join(self.missing)
            )
        for name, change in self.paired.items():
            interval = f"{change.mean:+.3f} [{change.ci[0]:+.3f}, {change.ci[1]:+.3f}]"
            if change.significant_drop:
                failures.append(
                    f"{name} dropped significantly against the baseline: {interval} over "
                    f"{change.cases} case(s), the whole 95% interval below zero"
                )
            elif max_drop is not None and change.mean < -max_drop:
                failures.append(
                    f"{name} dropped by {-change.mean:.3f} against the baseline "
                    f"(more than --max-drop {max_drop:g}): {interval}"
                )
        return failures


EvalResults.model_rebuild()


def compare(
    current: EvalResults, baseline: EvalResults, bootstrap: Bootstrap | None = None
) -> Comparison:
    """``current`` against ``baseline``; intervals drawn as ``current``'s unless given."""
    bootstrap = bootstrap or current.bootstrap
    mismatches, unknown = comparability(
        baseline,
        similarity=current.similarity,
        prompt_hashes=current.prompt_hashes,
        dataset=current.dataset_hash,
        mode=current.mode,
        strategy=current.settings.get("strategy"),
    )
    base_values = case_values(baseline.cases, baseline.weights)
    cur_values = case_values(current.cases, current.weights)
    reweighted = dict(current.weights) != dict(baseline.weights)
    if reweighted:  # e.g. a field added since: the overall as the baseline would weigh it
        cur_values["overall"] = {
            c.id: overall({k: v.value for k, v in c.scores.items()}, baseline.weights)
            for c in current.cases
        }
    current_aggregate = dict(current.aggregate)
    if reweighted and cur_values:
        current_aggregate["overall"] = round(
            sum(cur_values["overall"].values()) / len(current.cases), 4
        )
    fields = {
        name: round(value - baseline.aggregate[name], 4)
        for name, value in current_aggregate.items()
        if name in baseline.aggregate
    }
    base_cases = {c.id: c for c in baseline.cases}
    cur_cases = {c.id: c for c in current.cases}
    cur_overall = cur_values.get("overall", {})
    paired: dict[str, PairedChange] = {}
    for name, values in cur_values.items():
        before = base_values.get(name, {})
        diffs = [value - before[cid] for cid, value in values.items() if cid in before]
        interval = bootstrap_interval(diffs, bootstrap)
        if interval is not None:
            paired[name] = PairedChange(
                mean=round(sum(diffs) / len(diffs), 4) + 0.0, ci=interval, cases=len(diffs)
            )
    return Comparison(
        fields=fields,
        cases={
            cid: round(value - base_cases[cid].overall, 4)
            for cid, value in cur_overall.items()
            if cid in base_cases
        },
        missing=sorted(set(base_cases) - set(cur_cases)),
        added=sorted(set(cur_cases) - set(base_cases)),
        paired=paired,
        mismatches=mismatches,
        unknown=unknown,
        skipped=[name for name in current.aggregate if name not in base_values],
        overall_weights=dict(baseline.weights) if reweighted else {},
    )


def load_results(path: str | Path) -> EvalResults:
    """An earlier ``results.json`` (``ValueError`` if it is not one)."""
    text = Path(path).read_text(encoding="utf-8")
    return EvalResults.model_validate_json(text)
