"""Judge calibration: does the judge order the cases as the reference-based scores do?

With ``summarize eval --judge PROFILE`` every briefing gets a judge's grade (1-5) on four
criteria. Each criterion is set against the reference-based field that measures the same thing:

=============  ==============================================================
criterion      field
=============  ==============================================================
faithfulness   grounding (quotes found in the article)
coverage       positions (the reference's positions the briefing has)
attribution    attribution when the scorers have that field, else positions
questions      questions
=============  ==============================================================

Agreement is Spearman's rank correlation over the cases the judge graded, with a 95%
percentile-bootstrap interval over those cases (``stats.bootstrap_spearman``, seeded). A rho
near 1 means the judge ranks the cases as the references do; an interval that reaches 0 means
the eval cannot tell it from chance at this many cases. Failed cases are left out: their 0 is
no measurement of either.
"""

from __future__ import annotations

from collections.abc import Collection

from pydantic import BaseModel

from summarize.evaluation.stats import Bootstrap, bootstrap_spearman, spearman

__all__ = ["JUDGE_FIELDS", "JudgeAgreement", "judge_agreement", "judge_field"]

# criterion -> the reference-based fields it is compared with, first present wins
JUDGE_FIELDS: dict[str, tuple[str, ...]] = {
    "faithfulness": ("grounding",),
    "coverage": ("positions",),
    "attribution": ("attribution", "positions"),
    "questions": ("questions",),
}


class JudgeAgreement(BaseModel):
    """One judge criterion against one reference-based field."""

    field: str
    rho: float | None  # None: undefined (fewer than 3 cases, or one side constant)
    ci: tuple[float, float] | None
    cases: int


def judge_field(criterion: str, fields: Collection[str]) -> str | None:
    """The reference-based field ``criterion`` is compared with, among ``fields``."""
    return next((f for f in JUDGE_FIELDS.get(criterion, ()) if f in fields), None)


def judge_agreement(
    grades: dict[str, dict[str, float]],
    fields: dict[str, dict[str, float]],
    bootstrap: Bootstrap | None = None,
) -> dict[str, JudgeAgreement]:
    """Per criterion, Spearman's rho of the judge's grades (``criterion -> case id -> grade``)
    against the matching field's scores (``field -> case id -> value``) over the cases both
    have, with its bootstrap interval."""
    out: dict[str, JudgeAgreement] = {}
    for criterion, by_case in grades.items():
        name = judge_field(criterion, fields)
        if name is None:
            continue
        ids = [case_id for case_id in by_case if case_id in fields[name]]
        x = [by_case[case_id] for case_id in ids]
        y = [fields[name][case_id] for case_id in ids]
        out[criterion] = JudgeAgreement(
            field=name,
            rho=spearman(x, y) if ids else None,
            ci=bootstrap_spearman(x, y, bootstrap) if ids else None,
            cases=len(ids),
        )
    return out
