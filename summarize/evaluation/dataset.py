"""Reference datasets: one YAML file per article, in the format of ``evals/FORMAT.md``.

``load_dataset`` validates a whole folder and reports every problem (file and field) at once,
before any model is called.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from summarize.errors import SummarizeError
from summarize.schema import ActorKind

Salience = Literal["core", "minor"]


class _Lenient(BaseModel):
    # Unknown keys are ignored so references can grow new fields.
    model_config = ConfigDict(extra="ignore")


class ReferenceActor(_Lenient):
    name: str
    aliases: list[str] = Field(default_factory=list)
    kind: ActorKind = "other"
    role: str = ""
    salience: Salience = "core"


class ReferencePosition(_Lenient):
    actor: str
    stance: str
    evidence: list[str] = Field(default_factory=list)
    salience: Salience = "core"


class ReferenceQuestion(_Lenient):
    question: str
    salience: Salience = "core"


class Reference(_Lenient):
    """A hand-labelled reference briefing of one article."""

    id: str
    article: str  # path relative to the YAML file, as written in the file
    language: str = "en"
    summary: str
    actors: list[ReferenceActor] = Field(default_factory=list)
    positions: list[ReferencePosition] = Field(default_factory=list)
    open_questions: list[ReferenceQuestion] = Field(default_factory=list)
    source: str | None = None
    license: str | None = None


class Case(BaseModel):
    """One eval case: a reference, its article text, and where they came from."""

    reference: Reference
    article_text: str
    path: Path


class Dataset(BaseModel):
    name: str
    path: Path
    cases: list[Case]


# --- loading and validation ---------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a dataset: which file, which field, what."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        return (
            f"{self.file}: {self.field}: {self.message}"
            if self.field
            else f"{self.file}: {self.message}"
        )


class DatasetError(SummarizeError):
    """A dataset has problems; ``problems`` lists every one found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(
            f"{len(problems)} {noun} in the dataset:\n" + "\n".join(map(str, problems))
        )


def _field_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"


def _near_miss(span: str, article: str) -> str:
    """A hint for a labeller: would the span match after normalisation?"""
    from summarize.grounding import ArticleIndex, normalise

    if ArticleIndex(article).find(normalise(span.strip())) != -1:
        return " (it matches after normalising whitespace, quotes or case: copy the exact text)"
    return ""


def _check_reference(reference: Reference, article: str, file: str) -> list[Problem]:
    problems = []
    if not reference.summary.strip():
        problems.append(Problem(file, "summary", "is empty"))
    if not reference.actors:
        problems.append(Problem(file, "actors", "no actors"))
    names: set[str] = set()
    for i, actor in enumerate(reference.actors):
        if actor.name in names:
            problems.append(Problem(file, f"actors[{i}].name", f"duplicate actor {actor.name!r}"))
        names.add(actor.name)
    for i, position in enumerate(reference.positions):
        if position.actor not in names:
            problems.append(
                Problem(file, f"positions[{i}].actor", f"{position.actor!r} is not an actor's name")
            )
        for j, span in enumerate(position.evidence):
            if span not in article:
                problems.append(
                    Problem(
                        file,
                        f"positions[{i}].evidence[{j}]",
                        f"not verbatim in the article: {span[:60]!r}" + _near_miss(span, article),
                    )
                )
    for i, question in enumerate(reference.open_questions):
        if not question.question.strip():
            problems.append(Problem(file, f"open_questions[{i}].question", "is empty"))
    return problems


def _load_one(path: Path, problems: list[Problem]) -> Case | None:
    file = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(file, "", f"unreadable: {exc}"))
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        problems.append(Problem(file, where, f"not valid YAML: {getattr(exc, 'problem', exc)}"))
        return None
    if not isinstance(data, dict):
        problems.append(Problem(file, "", "must be a mapping of fields (see evals/FORMAT.md)"))
        return None
    try:
        reference = Reference.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            problems.append(Problem(file, _field_path(error["loc"]), error["msg"]))
        return None
    article_path = (path.parent / reference.article).resolve()
    try:
        article = article_path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        problems.append(Problem(file, "article", f"no such file: {reference.article}"))
        return None
    except UnicodeDecodeError as exc:
        problems.append(Problem(file, "article", f"{reference.article} is not UTF-8: {exc}"))
        return None
    except OSError as exc:
        problems.append(Problem(file, "article", f"cannot read {reference.article}: {exc}"))
        return None
    found = _check_reference(reference, article, file)
    problems.extend(found)
    return None if found else Case(reference=reference, article_text=article, path=path)


def _reference_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def check_dataset(path: str | Path) -> tuple[list[Case], list[Problem]]:
    """Every case that is valid, and every problem found (nothing is raised)."""
    root = Path(path)
    if not root.exists():
        return [], [Problem(str(root), "", "no such file or folder")]
    files = _reference_files(root)
    if not files:
        return [], [Problem(str(root), "", "no .yaml references in this folder")]
    problems: list[Problem] = []
    cases = [c for c in (_load_one(f, problems) for f in files) if c is not None]
    seen: dict[str, Path] = {}
    for case in cases:
        first = seen.setdefault(case.reference.id, case.path)
        if first != case.path:
            problems.append(
                Problem(str(case.path), "id", f"duplicate id {case.reference.id!r} (also {first})")
            )
    return sorted(cases, key=lambda c: c.reference.id), problems


def load_dataset(path: str | Path) -> Dataset:
    """A validated dataset (a folder of references, or one file); ``DatasetError`` lists all
    problems at once, before any model is called."""
    root = Path(path)
    cases, problems = check_dataset(root)
    if problems:
        raise DatasetError(problems)
    name = root.name if root.is_dir() else root.stem
    return Dataset(name=name, path=root, cases=cases)
