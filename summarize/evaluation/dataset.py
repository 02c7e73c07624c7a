"""Reference datasets: one YAML file per article, in the format of ``evals/FORMAT.md``.

``load_dataset`` validates a whole folder and reports every problem (file and field) at once,
before any model is called.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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
