"""Reference datasets: the dev set is valid, and every kind of problem is reported at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from summarize.evaluation.dataset import DatasetError, check_dataset, load_dataset

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / "evals" / "datasets" / "dev"
ARTICLE = "The mayor said “we will build it.” The council refused.\nResidents cheered."

GOOD = """\
id: {id}
article: a.txt
summary: The mayor wants to build; the council refused.
actors:
  - name: The mayor
    aliases: [Mayor]
    kind: person
  - name: City council
    kind: organization
positions:
  - actor: The mayor
    stance: Wants to build it.
    evidence: ["“we will build it.”"]
open_questions:
  - question: Will it be built?
"""


def write(folder: Path, name: str, text: str, article: str | None = ARTICLE) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if article is not None:
        (folder / "a.txt").write_text(article, encoding="utf-8")
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_dev_set_is_valid_and_every_span_is_verbatim() -> None:
    dataset = load_dataset(DEV)
    assert dataset.name == "dev" and len(dataset.cases) >= 1
    for case in dataset.cases:
        spans = [e for p in case.reference.positions for e in p.evidence]
        assert spans and all(span in case.article_text for span in spans)
        names = {a.name for a in case.reference.actors}
        assert all(p.actor in names for p in case.reference.positions)


def test_the_dev_set_records_source_and_licence() -> None:
    for case in load_dataset(DEV).cases:
        if case.reference.id != "macron-trump-ukraine-talks":  # the product's own seed
            assert case.reference.source and case.reference.license, case.reference.id


def test_a_good_folder_loads_sorted_and_ignores_other_files(tmp_path: Path) -> None:
    write(tmp_path, "b.yaml", GOOD.format(id="b"))
    write(tmp_path, "a.yml", GOOD.format(id="a"))
    (tmp_path / "README.md").write_text("notes")
    dataset = load_dataset(tmp_path)
    assert [c.reference.id for c in dataset.cases] == ["a", "b"]
    assert dataset.cases[0].article_text == ARTICLE
    assert load_dataset(tmp_path / "b.yaml").cases[0].reference.id == "b"


@pytest.mark.parametrize(
    ("text", "article", "field", "message"),
    [
        (
            GOOD.format(id="x").replace("“we will build it.”", "we will build it now"),
            ARTICLE,
            "positions[0].evidence[0]",
            "not verbatim",
        ),
        (
            GOOD.format(id="x").replace("“we will build it.”", '\\"We will build it.\\"'),
            ARTICLE,
            "positions[0].evidence[0]",
            "matches after normalising",
        ),
        (
            GOOD.format(id="x").replace("  - actor: The mayor", "  - actor: Mayor"),
            ARTICLE,
            "positions[0].actor",
            "'Mayor' is not an actor's name",
        ),
        (GOOD.format(id="x"), None, "article", "no such file"),
        (
            GOOD.format(id="x").replace("summary: The mayor", "summary_: The mayor"),
            ARTICLE,
            "summary",
            "Field required",
        ),
        (
            GOOD.format(id="x").replace("kind: person", "kind: alien"),
            ARTICLE,
            "actors[0].kind",
            "Input should be",
        ),
        (GOOD.format(id="x").replace("id: x", "id: [x"), ARTICLE, "line 2", "not valid YAML"),
        ("- just\n- a list\n", ARTICLE, "", "must be a mapping"),
        (
            GOOD.format(id="x").replace("  - name: City council", "  - name: The mayor"),
            ARTICLE,
            "actors[1].name",
            "duplicate actor",
        ),
    ],
)
def test_each_problem_names_file_and_field(
    tmp_path: Path, text: str, article: str | None, field: str, message: str
) -> None:
    write(tmp_path, "x.yaml", text, article)
    with pytest.raises(DatasetError) as info:
        load_dataset(tmp_path)
    (problem,) = info.value.problems
    assert problem.file.endswith("x.yaml") and problem.field == field
    assert message in problem.message
    assert f"x.yaml: {field}" in str(info.value) if field else "x.yaml" in str(info.value)


def test_an_article_that_is_not_utf8_is_a_problem(tmp_path: Path) -> None:
    write(tmp_path, "x.yaml", GOOD.format(id="x"), article=None)
    (tmp_path / "a.txt").write_bytes(b"caf\xe9")
    _, problems = check_dataset(tmp_path)
    assert [p.field for p in problems] == ["article"] and "not UTF-8" in problems[0].message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    bad = GOOD.format(id="dup").replace("  - actor: The mayor", "  - actor: Nobody")
    bad = bad.replace("“we will build it.”", "invented")
    write(tmp_path, "one.yaml", bad)
    write(tmp_path, "two.yaml", GOOD.format(id="dup"))
    write(tmp_path, "three.yaml", "id: [broken")
    _, problems = check_dataset(tmp_path)
    found = {(Path(p.file).name, p.field) for p in problems}
    assert found == {
        ("one.yaml", "positions[0].actor"),
        ("one.yaml", "positions[0].evidence[0]"),
        ("three.yaml", "line 1"),  # the end of the file is where the YAML breaks
    }
    write(tmp_path, "one.yaml", GOOD.format(id="dup"))
    _, problems = check_dataset(tmp_path)
    assert ("two.yaml", "id") in {(Path(p.file).name, p.field) for p in problems}


@pytest.mark.parametrize("kind", ["missing", "empty"])
def test_a_missing_or_empty_folder_is_an_error(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "nothing" if kind == "missing" else tmp_path
    with pytest.raises(DatasetError, match="no such file" if kind == "missing" else "no .yaml"):
        load_dataset(target)
