"""Reference datasets: one YAML file per article, in the format of ``evals/FORMAT.md``.

``load_dataset`` validates a whole folder and reports every problem (file and field) at once,
before any model is called. ``check_dataset`` returns the same problems without raising, for
``summarize eval DATASET --check``.

A problem names the file, the field (``positions[2].evidence[0]``) and, where the YAML tells
us, the line, so a labeller can fix a dataset in one pass::

    evals/datasets/dev/x.yaml: positions[2].actor: 'Macron' is not the name of an actor;
      did you mean 'Emmanuel Macron'? (line 143)

This module reads YAML and text files only; it never imports the briefing pipeline.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from summarize.errors import SummarizeError
from summarize.schema import ActorKind

__all__ = [
    "Case",
    "Dataset",
    "DatasetError",
    "Problem",
    "Reference",
    "ReferenceActor",
    "ReferencePosition",
    "ReferenceQuestion",
    "check_dataset",
    "load_dataset",
    "load_reference",
]

Salience = Literal["core", "minor"]

YAML_SUFFIXES = (".yaml", ".yml")


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
    article_text: str  # the article file exactly as written (UTF-8, a leading BOM dropped)
    path: Path  # the YAML file

    @property
    def id(self) -> str:
        return self.reference.id


class Dataset(BaseModel):
    name: str  # the folder's name (a single file: its stem)
    path: Path
    cases: list[Case]  # sorted by id


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a dataset. ``field`` is empty for a whole-file problem."""

    file: str
    field: str
    message: str
    line: int | None = None  # 1-based line in ``file``, when known

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}: " if self.field else f"{self.file}: "
        return where + self.message + (f" (line {self.line})" if self.line else "")


class DatasetError(SummarizeError):
    """A dataset failed to load; ``problems`` lists every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


# --- public entry points ---------------------------------------------------------------------


def load_dataset(path: str | Path) -> Dataset:
    """Load and validate a folder of references (or one reference file).

    Raises ``DatasetError`` listing every problem in every file.
    """
    dataset, problems = _load(Path(path))
    if problems or dataset is None:
        raise DatasetError(problems)
    return dataset


def check_dataset(path: str | Path) -> list[Problem]:
    """Every problem in a dataset (an empty list if it is valid); never raises for bad data."""
    return _load(Path(path))[1]


def load_reference(path: str | Path) -> Case:
    """Load and validate one reference file. Raises ``DatasetError`` listing its problems."""
    path = Path(path)
    case, problems = _load_file(path)
    if problems or case is None:
        raise DatasetError(problems or [Problem(str(path), "", "could not be loaded")])
    return case


# --- the dataset -----------------------------------------------------------------------------


def _load(path: Path) -> tuple[Dataset | None, list[Problem]]:
    if path.is_dir():
        files = sorted(
            child
            for child in path.iterdir()
            if child.suffix.lower() in YAML_SUFFIXES
            and not child.name.startswith(".")  # editor swap and lock files
            and child.is_file()
        )
        if not files:
            return None, [
                Problem(str(path), "", "no reference files (*.yaml, *.yml) in the folder")
            ]
        name = path.resolve().name
    elif path.is_file():
        if path.suffix.lower() not in YAML_SUFFIXES:
            return None, [Problem(str(path), "", "not a YAML file (expected .yaml or .yml)")]
        files = [path]
        name = path.stem
    else:
        return None, [Problem(str(path), "", "no such file or folder")]

    cases: list[Case] = []
    problems: list[Problem] = []
    for file in files:
        case, file_problems = _load_file(file)
        problems += file_problems
        if case is not None:
            cases.append(case)
    problems += _duplicate_ids(cases)
    if problems:
        return None, problems
    cases.sort(key=lambda case: case.reference.id)
    return Dataset(name=name, path=path, cases=cases), []


def _duplicate_ids(cases: Iterable[Case]) -> list[Problem]:
    first_with: dict[str, Path] = {}
    problems = []
    for case in cases:
        id_ = case.reference.id
        if id_ in first_with:
            problems.append(
                Problem(str(case.path), "id", f"duplicate id {id_!r} (also in {first_with[id_]})")
            )
        else:
            first_with[id_] = case.path
    return problems


# --- one file --------------------------------------------------------------------------------


def _load_file(path: Path) -> tuple[Case | None, list[Problem]]:
    """The case in one YAML file, or ``None``; and every problem found in the file.

    A case is returned only when the reference validated and its article was read, so the
    dataset can still check ids across files; the file's other problems are listed alongside.
    """
    file = str(path)
    try:
        source = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        return None, [Problem(file, "", f"cannot read the file: {exc.strerror or exc}")]
    except UnicodeDecodeError as exc:
        return None, [Problem(file, "", f"not valid UTF-8 (byte offset {exc.start})")]

    loader = _Loader(source)
    try:
        root = loader.get_single_node()
        raw = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        return None, [_yaml_problem(file, exc)]
    finally:
        loader.dispose()

    problems = [
        Problem(file, key, f"key {key!r} appears more than once; only the last is kept", line)
        for key, line in loader.duplicate_keys
    ]
    if raw is None:
        return None, [*problems, Problem(file, "", "the file is empty")]
    if not isinstance(raw, dict):
        problems.append(
            Problem(
                file, "", f"expected a mapping of fields (id, article, ...), got a {_kind(raw)}", 1
            )
        )
        return None, problems

    def line_of(*loc: str | int) -> int | None:
        return _line_of(root, loc)

    reference: Reference | None = None
    try:
        reference = Reference.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            problems.append(
                Problem(file, _field_path(loc), _pydantic_message(error), line_of(*loc))
            )

    # The checks below read the raw mapping, so they run even when validation failed above.
    problems += [
        Problem(file, field, message, line_of(*loc)) for loc, field, message in _rules(raw)
    ]

    article_text: str | None = None
    article = raw.get("article")
    if isinstance(article, str) and article.strip():
        article_text, message = _read_article(path.parent / article)
        if message:
            problems.append(Problem(file, "article", message, line_of("article")))
    if article_text is not None:
        problems += [
            Problem(file, field, message, line_of(*loc))
            for loc, field, message in _evidence_problems(raw, article_text)
        ]

    problems.sort(key=lambda problem: problem.line or 0)  # stable: file order, then by kind
    if reference is None or article_text is None:
        return None, problems
    return Case(reference=reference, article_text=article_text, path=path), problems


def _read_article(path: Path) -> tuple[str | None, str]:
    """The article's text, or ``None`` and why not."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, f"article file not found: {path}"
    except IsADirectoryError:
        return None, f"article path is a folder, not a file: {path}"
    except OSError as exc:
        return None, f"cannot read the article file {path}: {exc.strerror or exc}"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, (
            f"article file is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start}): {path}"
        )
    if not text.strip():
        return None, f"article file is empty: {path}"
    return text, ""


# --- rules over the raw mapping --------------------------------------------------------------

_Rule = tuple[tuple[str | int, ...], str, str]  # (loc, field path, message)


def _rules(raw: dict[Any, Any]) -> list[_Rule]:
    found: list[_Rule] = []
    for key in ("id", "summary", "article"):
        value = raw.get(key)
        if isinstance(value, str) and not value.strip():
            found.append(((key,), key, f"{key} is empty"))

    actors = raw.get("actors")
    if actors is None or actors == []:
        found.append((("actors",), "actors", "no actors: a reference must name at least one"))
    names: dict[str, int] = {}  # actor name -> index of its first appearance
    aliases: dict[str, str] = {}  # folded name or alias -> actor name
    for i, actor in _items(actors):
        name = actor.get("name")
        if not isinstance(name, str):
            continue
        if not name.strip():
            found.append((("actors", i, "name"), f"actors[{i}].name", "actor name is empty"))
        elif name in names:
            found.append(
                (
                    ("actors", i, "name"),
                    f"actors[{i}].name",
                    f"duplicate actor name {name!r} (also actors[{names[name]}])",
                )
            )
        else:
            names[name] = i
        alias_list = actor.get("aliases")
        for alias in [name, *(alias_list if isinstance(alias_list, list) else [])]:
            if isinstance(alias, str):
                aliases.setdefault(alias.casefold().strip(), name)

    for i, position in _items(raw.get("positions")):
        actor_name = position.get("actor")
        if not isinstance(actor_name, str) or actor_name in names:
            continue
        message = f"{actor_name!r} is not the name of an actor"
        guess = aliases.get(actor_name.casefold().strip())
        if guess is not None:
            message += f"; did you mean {guess!r}?"
        found.append((("positions", i, "actor"), f"positions[{i}].actor", message))
    return found


def _evidence_problems(raw: dict[Any, Any], article: str) -> list[_Rule]:
    found: list[_Rule] = []
    norm_article: _Normalised | None = None
    for i, position in _items(raw.get("positions")):
        evidence = position.get("evidence")
        if not isinstance(evidence, list):
            continue
        for j, span in enumerate(evidence):
            if not isinstance(span, str):
                continue
            loc: tuple[str | int, ...] = ("positions", i, "evidence", j)
            field = f"positions[{i}].evidence[{j}]"
            if not span.strip():
                found.append((loc, field, "evidence span is empty"))
                continue
            if span in article:
                continue
            norm_article = norm_article or _Normalised(article)
            found.append((loc, field, _not_verbatim_message(span, norm_article)))
    return found


def _not_verbatim_message(span: str, article: _Normalised) -> str:
    message = f"evidence not found verbatim in the article: {_clip(span)!r}"
    needle = _Normalised(span).text.strip()
    start = article.text.find(needle)
    if start >= 0:
        actual = article.original_span(start, start + len(needle))
        return (
            message + "; it would match after normalising whitespace and typographic quotes, "
            f"so copy the article's exact text: {_clip(actual)!r}"
        )
    if needle.lower() in article.text.lower():
        return message + "; it would match ignoring case (and whitespace and quotes)"
    return message


# Typographic quotes, dashes and the ellipsis, as a labeller might type them in plain ASCII.
_TYPOGRAPHY = str.maketrans(
    {
        "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "`": "'", "´": "'",
        "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"',
        "–": "-", "—": "-", "‐": "-", "‑": "-", "−": "-",
    }
)  # fmt: skip
_WHITESPACE = re.compile(r"\s+")


class _Normalised:
    """Text with whitespace runs collapsed and typographic quotes made plain, with offsets
    back into the original so a near miss can quote the article's exact span."""

    def __init__(self, original: str) -> None:
        self.original = original
        chars: list[str] = []
        self.starts: list[int] = []  # starts[k]: offset in ``original`` of normalised char k
        self.ends: list[int] = []
        for match in re.finditer(r"\s+|…|.", original, re.DOTALL):
            piece = match.group()
            out = " " if _WHITESPACE.fullmatch(piece) else "..." if piece == "…" else piece
            for char in out.translate(_TYPOGRAPHY):
                chars.append(char)
                self.starts.append(match.start())
                self.ends.append(match.end())
        self.text = "".join(chars)

    def original_span(self, start: int, end: int) -> str:
        return self.original[self.starts[start] : self.ends[end - 1]]


# --- helpers ---------------------------------------------------------------------------------


def _items(value: Any) -> list[tuple[int, dict[Any, Any]]]:
    """The mappings of a YAML list with their indices; anything else is left to pydantic."""
    if not isinstance(value, list):
        return []
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)]


def _field_path(loc: Iterable[str | int]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
    return path


def _pydantic_message(error: Any) -> str:
    if error["type"] == "missing":
        return "required field is missing"
    message = str(error["msg"])
    value = error.get("input")
    if error["type"] == "string_type" and value is None:
        return "is empty (expected text)"
    return f"{message}, got {_clip(repr(value), 60)}"


def _yaml_problem(file: str, exc: yaml.YAMLError) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None)
    context = getattr(exc, "context", None)
    detail = " ".join(part for part in (context, problem) if part) or str(exc)
    line = mark.line + 1 if mark is not None else None
    column = f", column {mark.column + 1}" if mark is not None else ""
    return Problem(file, "", f"invalid YAML: {detail}{column}", line)


def _line_of(node: yaml.Node | None, loc: Iterable[str | int]) -> int | None:
    """The 1-based line of the deepest node of ``loc`` that exists in the YAML tree."""
    if node is None:
        return None
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if 0 <= part < len(node.value) else None
        if child is None:
            break
        node = child
    return int(node.start_mark.line) + 1


def _kind(value: object) -> str:
    names: dict[type, str] = {list: "list", str: "string"}
    return names.get(type(value), type(value).__name__)


def _clip(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Loader(yaml.SafeLoader):
    """A safe loader that records duplicate keys (PyYAML silently keeps the last one)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicate_keys: list[tuple[str, int]] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = getattr(key_node, "value", None)
            if isinstance(key_node, yaml.ScalarNode) and key != "<<":
                if key in seen:
                    self.duplicate_keys.append((str(key), key_node.start_mark.line + 1))
                seen.add(key)
        return super().construct_mapping(node, deep=deep)
