from __future__ import annotations

import pytest

from summarize.merge import canonical_actor, merge_briefings, merge_drafts, tidy_draft
from summarize.names import name_key, names_match
from summarize.schema import DraftActor, DraftBriefing, DraftOpenQuestion, DraftPosition


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("President Macron", "Emmanuel Macron"),
        ("Macron's", "Macron"),
        ("U.S. President Donald Trump", "Donald Trump"),
        ("Volodymyr Zelenskyy", "Zelenskyy"),
        ("Dr. Anthony Fauci", "Fauci"),
    ],
)
def test_names_that_denote_one_person_match(a: str, b: str) -> None:
    assert names_match(a, [], b, [])


@pytest.mark.parametrize(
    ("a", "b"), [("Emmanuel Macron", "Brigitte Macron-Trogneux"), ("Donald Trump", "Joe Biden")]
)
def test_different_people_do_not_match(a: str, b: str) -> None:
    assert not names_match(a, [], b, [])


def test_name_key_keeps_a_bare_title() -> None:
    assert name_key("the President") == "president"
    assert name_key("U.S.") == "us"


def actor(name: str, *aliases: str, kind: str = "person", role: str = "") -> DraftActor:
    return DraftActor(name=name, aliases=list(aliases), kind=kind, role=role)  # type: ignore[arg-type]


def draft(
    actors: list[DraftActor],
    positions: list[DraftPosition],
    questions: list[str],
    summary: str = "S.",
) -> DraftBriefing:
    return DraftBriefing(
        summary=summary,
        actors=actors,
        positions=positions,
        open_questions=[DraftOpenQuestion(question=q, why_open="") for q in questions],
    )


def test_merge_deduplicates_actors_positions_and_questions() -> None:
    first = draft(
        [actor("Macron", role="French president"), actor("United States", "US", kind="country")],
        [DraftPosition(actor="Macron", evidence=["q1"], stance="Wants more support for Ukraine.")],
        ["Will a ceasefire be agreed?"],
        summary="First part happened. It mattered.",
    )
    second = draft(
        [actor("Emmanuel Macron", "French President"), actor("U.S.", kind="country")],
        [
            DraftPosition(
                actor="Emmanuel Macron", evidence=["q2"], stance="Wants more support for Ukraine"
            ),
            DraftPosition(actor="Vladimir Putin", evidence=["q3"], stance="Demands an end to aid."),
        ],
        ["Will a ceasefire be agreed ?", "Who pays?"],
        summary="Second part followed. Details.",
    )
    merged = merge_drafts([first, second])
    names = [a.name for a in merged.actors]
    assert names == ["Emmanuel Macron", "United States", "Vladimir Putin"]
    macron = merged.actors[0]
    assert macron.role == "French president"
    assert {"Macron", "French President"} <= set(macron.aliases)
    assert [p.actor for p in merged.positions] == ["Emmanuel Macron", "Vladimir Putin"]
    assert [q.text for q in merged.positions[0].evidence] == ["q1", "q2"]
    # Each position keeps the part it came from.
    assert [p.chunk for p in merged.positions] == [0, 1]
    assert [q.question for q in merged.open_questions] == [
        "Will a ceasefire be agreed?",
        "Who pays?",
    ]
    assert merged.summary == "First part happened. It mattered. Second part followed."


def test_merge_is_stable_under_repetition() -> None:
    one = draft(
        [actor("Keir Starmer")],
        [DraftPosition(actor="Starmer", evidence=["e"], stance="x y z")],
        ["q?"],
    )
    once = tidy_draft(one)
    assert merge_briefings([merge_briefings([once])]) == once
    assert once.positions[0].actor == "Keir Starmer"


def test_positions_of_unknown_actors_add_the_actor() -> None:
    merged = tidy_draft(
        draft([], [DraftPosition(actor="Poland", evidence=[], stance="No troops.")], [])
    )
    assert [a.name for a in merged.actors] == ["Poland"]
    assert canonical_actor("Poland", merged.actors) is merged.actors[0]


def test_blank_items_are_dropped() -> None:
    merged = tidy_draft(
        draft([actor("  ")], [DraftPosition(actor="X", evidence=[], stance=" ")], ["  "])
    )
    assert merged.actors == [] and merged.positions == [] and merged.open_questions == []


def test_merging_more_parts_than_a_draft_may_hold_never_fails_validation() -> None:
    # Ten parts of five positions and ten actors each: more than DraftBriefing's bounds.
    parts = [
        draft(
            [actor(f"Ann Lee{i}x{j}") for j in range(10)],
            [
                DraftPosition(actor=f"Ann Lee{i}x{j}", evidence=[f"q{i}{j}"], stance=f"s{i}{j}")
                for j in range(5)
            ]
            + [DraftPosition(actor="Unlisted Actor", evidence=["u"], stance="Wants a vote.")],
            [f"Who pays for bridge number {i}?" if i < 5 else f"When will {i * 1000} troops go?"],
        )
        for i in range(10)
    ]
    merged = merge_drafts(parts)
    # The unlisted actor's ten identical positions collapse into one, with its actor added.
    assert len(merged.actors) == 101 and len(merged.positions) == 51
    assert len(merged.open_questions) == 2  # near-duplicate questions collapse too


def test_people_sharing_only_a_title_alias_stay_apart_but_a_name_given_as_alias_merges() -> None:
    from summarize.merge import merge_actors
    from summarize.schema import Actor

    spokesman = "French government spokesman"
    actors = [
        Actor(name="senior official", aliases=["European official", spokesman], kind="person"),
        Actor(name="Sophie Primas", aliases=[spokesman], kind="person"),
        Actor(name="French lawmaker", aliases=[spokesman], kind="person"),
        Actor(name="European official", aliases=[], kind="person"),
        Actor(name="Primas", aliases=[], kind="person"),
    ]
    merged = {a.name: a for a in merge_actors(actors)}
    assert set(merged) == {"European official", "Sophie Primas", "French lawmaker"}
    assert "senior official" in merged["European official"].aliases  # the fuller name kept
    assert "Primas" in merged["Sophie Primas"].aliases


@pytest.mark.parametrize(
    ("people", "other", "into"),
    [
        # A name that begins with the family name, or a first name used alone.
        (
            ["Tedros Adhanom Ghebreyesus", "Soumya Swaminathan"],
            "Tedros",
            "Tedros Adhanom Ghebreyesus",
        ),
        (["Wen Bo"], "Wen", "Wen Bo"),
        # A surname the story misspells once (one edit, six letters or more), after a title.
        (["Gaston Sindimwo", "Agathon Rwasa"], "First Vice President Sindomwo", "Gaston Sindimwo"),
    ],
)
def test_a_one_word_name_that_stands_for_one_person_merges_into_them(
    people: list[str], other: str, into: str
) -> None:
    from summarize.merge import merge_actors
    from summarize.schema import Actor

    actors = [Actor(name=n, kind="person") for n in people] + [Actor(name=other, kind="other")]
    merged = {a.name: a for a in merge_actors(actors)}
    assert set(merged) == set(people)
    assert other in merged[into].aliases and merged[into].kind == "person"


@pytest.mark.parametrize(
    ("people", "other"),
    [
        (["Kim Jong Un", "Kim Yo Jong"], "Kim"),  # two people begin so: neither is meant
        (["Hun Sen"], "Hun Sin"),  # three letters: a different name, not a typo
        (["Gaston Sindimwo"], "Sindimwa Group"),  # two words: not a one-word name
        (["Ana Ruiz"], "Ruis"),  # one edit, but too short to call it a typo
    ],
)
def test_a_name_shared_by_several_or_merely_close_stays_apart(
    people: list[str], other: str
) -> None:
    from summarize.merge import merge_actors
    from summarize.schema import Actor

    actors = [Actor(name=n, kind="person") for n in people] + [Actor(name=other, kind="person")]
    assert {a.name for a in merge_actors(actors)} == {*people, other}


def test_a_description_merges_into_the_one_person_whose_role_it_begins() -> None:
    from summarize.merge import merge_actors
    from summarize.schema import Actor

    role = "senior researcher for the Asian Human Rights Commission"
    actors = [
        Actor(name="Lao Monghay", kind="person", role=role),
        Actor(name="Nhim Vanda", kind="person", role="CPP lawmaker"),
        Actor(name="senior researcher", kind="person", aliases=[role]),
        Actor(name="European official", kind="person"),  # describes nobody's role: stays
    ]
    merged = {a.name: a for a in merge_actors(actors)}
    assert set(merged) == {"Lao Monghay", "Nhim Vanda", "European official"}
    assert "senior researcher" in merged["Lao Monghay"].aliases
    # Two people with that role: the description could be either, so it stays apart.
    twins = [*actors[:3], Actor(name="Sok Chea", kind="person", role=role)]
    assert "senior researcher" in {a.name for a in merge_actors(twins)}
