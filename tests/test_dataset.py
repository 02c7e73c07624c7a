"""The reference-dataset loader: the real dev dataset loads, and every kind of problem is
reported with its file and field, all at once."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from summarize.errors import SummarizeError
from summarize.evaluation.dataset import (
    Dataset,
    DatasetError,
    Problem,
    check_dataset,
    load_dataset,
    load_reference,
)

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / "evals" / "datasets" / "dev"

ARTICLE = (
    "Macron is actively consolidating European countries to support Ukraine.\n\n"
    "French government spokeswoman Sophie Primas called such a demand “unrealistic.”\n"
    "Putin, in turn, demands a complete cessation of military aid to Kyiv.\n"
)

VALID: dict[str, Any] = {
    "id": "case-a",
    "article": "articles/case-a.txt",
    "language": "en",
    "summary": "Macron rallies Europe behind Ukraine; Putin wants aid to stop.",
    "actors": [
        {"name": "Emmanuel Macron", "aliases": ["Macron"], "kind": "person"},
        {"name": "Vladimir Putin", "aliases": ["Putin"], "kind": "person"},
    ],
    "positions": [
        {
            "actor": "Emmanuel Macron",
            "stance": "Supports Ukraine.",
            "evidence": ["Macron is actively consolidating European countries to support Ukraine"],
        },
        {
            "actor": "Vladimir Putin",
            "stance": "Wants military aid to stop.",
            "evidence": ["demands a complete cessation of military aid to Kyiv"],
        },
    ],
    "open_questions": [{"question": "Will a ceasefire be agreed?", "salience": "core"}],
}


def write_case(
    folder: Path, data: dict[str, Any] | str, *, name: str = "case-a", article: bytes | None = None
) -> Path:
    """A reference YAML and its article under ``folder``; returns the YAML's path."""
    (folder / "articles").mkdir(parents=True, exist_ok=True)
    (folder / "articles" / f"{name}.txt").write_bytes(
        ARTICLE.encode() if article is None else article
    )
    text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True)
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def variant(change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    data = copy.deepcopy(VALID)
    change(data)
    return data


# --- the real dataset --------------------------------------------------------------------------


def test_dev_dataset_loads() -> None:
    problems = check_dataset(DEV)
    assert problems == [], "\n".join(map(str, problems))
    dataset = load_dataset(DEV)
    assert dataset.name == "dev"
    ids = [case.reference.id for case in dataset.cases]
    assert "macron-trump-ukraine-talks" in ids
    assert ids == sorted(ids)
    for case in dataset.cases:
        assert case.reference.actors and case.reference.summary.strip()
        for position in case.reference.positions:
            for span in position.evidence:
                assert span in case.article_text


def test_dev_reference_loads_alone() -> None:
    case = load_reference(DEV / "macron-trump-ukraine-talks.yaml")
    assert case.id == "macron-trump-ukraine-talks"
    assert case.article_text.startswith(
        (ROOT / "seeds" / "macron-trump-ukraine-talks.txt").read_text(encoding="utf-8")[:200]
    )
    assert {a.name for a in case.reference.actors} >= {"Emmanuel Macron", "Donald Trump"}


# --- a valid dataset built here ----------------------------------------------------------------


def test_valid_folder(tmp_path: Path) -> None:
    write_case(tmp_path, variant(lambda d: d.update(id="zeta", article="articles/b.txt")), name="b")
    write_case(tmp_path, VALID, name="case-a")
    (tmp_path / "README.md").write_text("not a reference")
    (tmp_path / "c.yml").write_text(yaml.safe_dump({**VALID, "id": "alpha"}))
    dataset = load_dataset(str(tmp_path))
    assert isinstance(dataset, Dataset)
    assert dataset.name == tmp_path.name
    assert [case.id for case in dataset.cases] == ["alpha", "case-a", "zeta"]
    assert dataset.cases[1].article_text == ARTICLE
    assert check_dataset(tmp_path) == []


def test_single_file_and_unknown_keys(tmp_path: Path) -> None:
    path = write_case(tmp_path, variant(lambda d: d.update(genre="news", future={"x": 1})))
    dataset = load_dataset(path)
    assert dataset.name == "case-a"
    assert [case.id for case in dataset.cases] == ["case-a"]


def test_subfolders_are_not_read(tmp_path: Path) -> None:
    write_case(tmp_path, VALID)
    write_case(tmp_path / "nested", "id: [broken")
    assert [case.id for case in load_dataset(tmp_path).cases] == ["case-a"]


# --- every kind of problem ---------------------------------------------------------------------

PROBLEMS: list[tuple[str, dict[str, Any] | str, str, str]] = [
    # (test id, the YAML, expected field, a fragment of the expected message)
    ("yaml-syntax", "id: a\nsummary: [unclosed\nactors: []\n", "", "invalid YAML"),
    ("empty-file", "", "", "the file is empty"),
    ("not-a-mapping", "- id: a\n", "", "expected a mapping"),
    ("missing-summary", variant(lambda d: d.pop("summary")), "summary", "required field"),
    ("blank-summary", variant(lambda d: d.update(summary="  ")), "summary", "summary is empty"),
    ("null-summary", variant(lambda d: d.update(summary=None)), "summary", "is empty"),
    ("missing-id", variant(lambda d: d.pop("id")), "id", "required field"),
    (
        "bad-salience",
        variant(lambda d: d["positions"][1].update(salience="major")),
        "positions[1].salience",
        "'core' or 'minor'",
    ),
    (
        "bad-evidence-type",
        variant(lambda d: d["positions"][0].update(evidence=["ok", {"q": 1}])),
        "positions[0].evidence[1]",
        "valid string",
    ),
    (
        "bad-actor-kind",
        variant(lambda d: d["actors"][0].update(kind="human")),
        "actors[0].kind",
        "human",
    ),
    ("no-actors", variant(lambda d: d.update(actors=[], positions=[])), "actors", "no actors"),
    (
        "duplicate-actor",
        variant(lambda d: d["actors"].append({"name": "Vladimir Putin"})),
        "actors[2].name",
        "duplicate actor name 'Vladimir Putin' (also actors[1])",
    ),
    (
        "unknown-position-actor",
        variant(lambda d: d["positions"][0].update(actor="Angela Merkel")),
        "positions[0].actor",
        "'Angela Merkel' is not the name of an actor",
    ),
    (
        "position-actor-is-an-alias",
        variant(lambda d: d["positions"][1].update(actor="putin")),
        "positions[1].actor",
        "did you mean 'Vladimir Putin'?",
    ),
    (
        "evidence-not-in-article",
        variant(lambda d: d["positions"][1]["evidence"].append("Putin wants peace")),
        "positions[1].evidence[1]",
        "not found verbatim",
    ),
    (
        "evidence-straight-quotes",
        variant(
            lambda d: d["positions"][0]["evidence"].append(
                'Sophie Primas called such a demand "unrealistic."'
            )
        ),
        "positions[0].evidence[1]",
        "would match after normalising whitespace and typographic quotes, so copy the "
        "article's exact text: 'Sophie Primas called such a demand “unrealistic.”'",
    ),
    (
        "evidence-line-break",
        variant(lambda d: d["positions"][0]["evidence"].append("to support Ukraine. French")),
        "positions[0].evidence[1]",
        "exact text: 'to support Ukraine.\\n\\nFrench'",
    ),
    (
        "evidence-case",
        variant(lambda d: d["positions"][1]["evidence"].append("PUTIN, in turn")),
        "positions[1].evidence[1]",
        "would match ignoring case",
    ),
    (
        "evidence-empty",
        variant(lambda d: d["positions"][1]["evidence"].append(" ")),
        "positions[1].evidence[1]",
        "evidence span is empty",
    ),
    (
        "missing-article",
        variant(lambda d: d.update(article="articles/nope.txt")),
        "article",
        "article file not found",
    ),
    (
        "article-is-a-folder",
        variant(lambda d: d.update(article="articles")),
        "article",
        "is a folder",
    ),
    (
        "duplicate-yaml-key",
        "id: a\nid: b\n" + yaml.safe_dump({k: v for k, v in VALID.items() if k != "id"}),
        "id",
        "appears more than once",
    ),
]


@pytest.mark.parametrize(
    ("data", "field", "fragment"),
    [case[1:] for case in PROBLEMS],
    ids=[case[0] for case in PROBLEMS],
)
def test_each_problem(
    tmp_path: Path, data: dict[str, Any] | str, field: str, fragment: str
) -> None:
    path = write_case(tmp_path, data)
    problems = check_dataset(tmp_path)
    assert len(problems) == 1, "\n".join(map(str, problems))
    (problem,) = problems
    assert problem.file == str(path)
    assert problem.field == field
    assert fragment in problem.message
    with pytest.raises(DatasetError) as raised:
        load_dataset(tmp_path)
    assert raised.value.problems == problems
    with pytest.raises(DatasetError):
        load_reference(path)


def test_yaml_syntax_error_has_line(tmp_path: Path) -> None:
    write_case(tmp_path, "id: a\nsummary: ok\nactors: [unclosed\n")
    (problem,) = check_dataset(tmp_path)
    assert problem.line is not None and problem.line >= 3
    assert "column" in problem.message


def test_article_not_utf8(tmp_path: Path) -> None:
    write_case(tmp_path, VALID, article="Caf\xe9 society".encode("latin-1"))
    (problem,) = check_dataset(tmp_path)
    assert problem.field == "article"
    assert "not valid UTF-8 (byte 0xe9 at offset 3)" in problem.message


def test_article_path_is_relative_to_the_yaml(tmp_path: Path, in_tmp_cwd: Path) -> None:
    folder = tmp_path / "deep" / "dataset"
    write_case(folder, variant(lambda d: d.update(article="../../shared.txt")))
    (tmp_path / "shared.txt").write_text(ARTICLE, encoding="utf-8")
    assert load_dataset("deep/dataset").cases[0].article_text == ARTICLE


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    write_case(tmp_path, variant(lambda d: d.update(article="articles/a.txt")), name="a")
    write_case(tmp_path, variant(lambda d: d.update(article="articles/b.txt")), name="b")
    (problem,) = check_dataset(tmp_path)
    assert problem.file == str(tmp_path / "b.yaml")
    assert problem.field == "id"
    assert f"duplicate id 'case-a' (also in {tmp_path / 'a.yaml'})" == problem.message


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda p: p / "missing", "no such file or folder"),
        (lambda p: p, "no reference files"),
        (lambda p: (p / "notes.txt", (p / "notes.txt").write_text("x"))[0], "not a YAML file"),
    ],
    ids=["nonexistent", "empty-folder", "not-yaml"],
)
def test_nothing_to_load(tmp_path: Path, make: Callable[[Path], Path], fragment: str) -> None:
    target = make(tmp_path)
    with pytest.raises(DatasetError) as raised:
        load_dataset(target)
    (problem,) = raised.value.problems
    assert problem.file == str(target)
    assert fragment in problem.message


def test_several_problems_reported_at_once(tmp_path: Path) -> None:
    def break_a(d: dict[str, Any]) -> None:
        d["article"] = "articles/a.txt"
        d["summary"] = ""
        d["positions"][0]["actor"] = "Nobody"
        d["positions"][1]["evidence"] = ["demands a complete halt", "military aid to Kyiv"]
        d["positions"][1]["salience"] = "huge"

    a = write_case(tmp_path, variant(break_a), name="a")
    b = write_case(tmp_path, "id: b\nsummary: [", name="b")
    c = write_case(
        tmp_path, variant(lambda d: d.update(id="c", article="articles/gone.txt")), name="c"
    )
    write_case(tmp_path, variant(lambda d: d.update(id="d", article="articles/d.txt")), name="d")

    with pytest.raises(DatasetError) as raised:
        load_dataset(tmp_path)
    error = raised.value
    assert isinstance(error, SummarizeError)
    found = {(p.file, p.field) for p in error.problems}
    assert found == {
        (str(a), "summary"),
        (str(a), "positions[0].actor"),
        (str(a), "positions[1].evidence[0]"),
        (str(a), "positions[1].salience"),
        (str(b), ""),
        (str(c), "article"),
    }
    lines = str(error).splitlines()
    assert len(lines) == len(error.problems)
    assert (
        f"{a}: positions[0].actor: 'Nobody' is not the name of an actor"
        in lines[[p.field for p in error.problems].index("positions[0].actor")]
    )
    for problem, line in zip(error.problems, lines, strict=True):
        assert line.startswith(f"{problem.file}: ")
        assert line == str(problem)
        if problem.field:
            assert line.startswith(f"{problem.file}: {problem.field}: ")
        # Every problem in a YAML file knows its line.
        assert problem.line is not None
    assert check_dataset(tmp_path) == error.problems


def test_problem_lines_point_at_the_field(tmp_path: Path) -> None:
    path = write_case(tmp_path, variant(lambda d: d["positions"][1].update(actor="Nobody")))
    (problem,) = check_dataset(tmp_path)
    source_line = path.read_text().splitlines()[problem.line - 1 if problem.line else 0]
    assert "Nobody" in source_line


def test_problem_str() -> None:
    assert str(Problem("x.yaml", "positions[0].actor", "bad")) == "x.yaml: positions[0].actor: bad"
    assert str(Problem("x.yaml", "", "bad", 3)) == "x.yaml: bad (line 3)"
