"""Countries that act in a story become actors; places, possessors, objects and modifiers do not."""

from __future__ import annotations

import pytest

from summarize.acting import (
    acting_countries,
    acting_organisations,
    add_acting_actors,
    country_names,
)
from summarize.schema import Actor, Briefing


def names(article: str, known: list[Actor] | None = None) -> list[str]:
    return [a.name for a in acting_countries(article, known or [])]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # A verb after the name, maybe after a time or an aside (VOA stories of the dev set).
        ("The US on Tuesday deported five men to Cambodia.", ["United States"]),
        ("China earlier this year unveiled stimulus measures.", ["China"]),
        ("Poland, on the other hand, immediately announced it would not.", ["Poland"]),
        ("Talks broke down because Thailand continues to adhere to a map.", ["Thailand"]),
        ("He told students that the US remains neutral in the dispute.", ["United States"]),
        ("“Cambodia has until now not received an answer,” he said.", ["Cambodia"]),
        ("Since 2001, when Cambodia signed an agreement, 200 were sent.", ["Cambodia"]),
        ("Romania offered to become a transit point.", ["Romania"]),
        # A list that is the subject acts whole; one after a preposition does not.
        (
            "Earlier, Italy, the United Kingdom and Australia have all expressed readiness.",
            ["Italy", "United Kingdom", "Australia"],
        ),
        ("Thailand and Cambodia have agreed to talks.", ["Thailand", "Cambodia"]),
        ("Buhari says the war between Russia and Ukraine is allowing arms to flow.", []),
        # Not the subject of a verb.
        ("The quarterly report by China's chief environmental regulator is out.", []),
        ("The UN-backed tribunal in Cambodia has warned defense lawyers.", []),
        ("Trump wants to put pressure on Russia.", []),
        ("US troops remain in the area.", []),
        ("China Daily reported the figures.", []),
        ("New Mexico has passed a law.", []),
        ("Civil servants earn a maximum US$200 a month.", []),
        ("Evariste Ndayishimiye has won Burundi's presidential election.", []),
    ],
)
def test_a_country_is_an_actor_when_it_is_the_subject_of_a_verb(
    sentence: str, expected: list[str]
) -> None:
    assert names(sentence) == expected


def test_countries_come_in_the_order_of_their_first_mention_with_the_names_used() -> None:
    article = (
        "A U.S. official spoke in Phnom Penh. Cambodia has asked for talks. "
        "The United States has said it stays neutral."
    )
    found = acting_countries(article)
    assert [(a.name, a.kind) for a in found] == [
        ("United States", "country"),
        ("Cambodia", "country"),
    ]
    assert found[0].aliases == ["U.S."]  # the names the article uses, not every known one


def test_a_country_an_actor_already_stands_for_or_a_person_is_named_like_is_not_added() -> None:
    article = "The US has expelled 200 people. Jordan has said he will stay. Jordan has agreed."
    known = [
        Actor(name="Washington", kind="country", aliases=["US"]),
        Actor(name="Michael Jordan", kind="person"),
    ]
    assert names(article, known) == []
    assert names(article) == ["United States", "Jordan"]


def test_the_finish_step_appends_the_countries_after_the_models_actors() -> None:
    briefing = Briefing(
        title="t",
        summary="s",
        actors=[Actor(name="Hor Namhong", kind="person")],
    )
    out = add_acting_actors(briefing, "Cambodia has until now not received an answer.")
    assert [a.name for a in out.actors] == ["Hor Namhong", "Cambodia"]
    unchanged = add_acting_actors(briefing, "He spoke in Cambodia on Tuesday.")
    assert unchanged is briefing


def test_country_names_are_the_ones_news_uses() -> None:
    countries = country_names()
    assert countries["RU"][0] == "Russia" and countries["VN"][0] == "Vietnam"
    assert countries["US"][:2] == ("United States", "US")
    assert "EU" not in countries and "UN" not in countries
    assert countries["MM"] == ("Myanmar", "Burma")


@pytest.mark.parametrize(
    ("article", "expected"),
    [
        # An acronym the article gives a body, acting (the Burundi story of the dev set).
        (
            "Agathon Rwasa of the opposition CNL party won 24%. CNL immediately cried foul.",
            ["CNL"],
        ),
        (
            "The Public Utilities Commission will hold hearings next month.",
            ["Public Utilities Commission"],
        ),
        # Not a body's acronym, or never the subject of a verb.
        ("GDP grew 7% in the second quarter. GDP has slowed since.", []),
        ("Residents wrote to the Public Utilities Commission on Monday.", []),
        ("Rwasa of the opposition CNL party took 27 seats.", []),
    ],
)
def test_an_organisation_is_an_actor_when_it_is_the_subject_of_a_verb(
    article: str, expected: list[str]
) -> None:
    assert [a.name for a in acting_organisations(article)] == expected
    assert {a.kind for a in acting_organisations(article)} <= {"organization"}


def test_an_organisation_known_by_its_name_or_initials_is_not_added_again() -> None:
    article = (
        "The National Election Committee (NEC) rejected the complaint. NEC has said the "
        "vote was fair. The Public Utilities Commission will hold hearings."
    )
    known = [Actor(name="National Election Committee", kind="organization")]
    assert [a.name for a in acting_organisations(article, known)] == ["Public Utilities Commission"]
    # Without it, both bodies act, and the acronym is the committee's alias.
    found = acting_organisations(article)
    assert [(a.name, a.aliases) for a in found] == [
        ("National Election Committee", ["NEC"]),
        ("Public Utilities Commission", []),
    ]


def test_the_finish_step_adds_countries_before_organisations() -> None:
    briefing = Briefing(title="t", summary="s", actors=[Actor(name="Linda Park", kind="person")])
    article = "The Public Utilities Commission will hold hearings. Cambodia has objected."
    out = add_acting_actors(briefing, article)
    assert [(a.name, a.kind) for a in out.actors] == [
        ("Linda Park", "person"),
        ("Cambodia", "country"),
        ("Public Utilities Commission", "organization"),
    ]


def test_a_country_whose_government_body_is_an_actor_is_not_added_again() -> None:
    article = "He told students that the US remains neutral. Cambodia has objected."
    department = Actor(name="US State Department", kind="organization")
    assert names(article, [department]) == ["Cambodia"]
    ministry = Actor(name="Cambodia's Foreign Ministry", kind="organization")
    assert names(article, [ministry]) == ["United States"]
    # Not an army ("a map drawn up with the US Army"), nor a body named only in an alias (a
    # small model gave "Senior diplomat" the alias "US government").
    army = Actor(name="US Army", kind="organization")
    diplomat = Actor(name="Senior diplomat", kind="organization", aliases=["US government"])
    assert names(article, [army, diplomat]) == ["United States", "Cambodia"]


def test_a_title_case_line_is_read_in_linear_time() -> None:
    # A list split at any space backtracked exponentially: 22 capitalised words took seconds.
    line = " ".join(["Word"] * 200) + " 5 and Thailand has said so."
    assert names(line) == ["Thailand"]
    assert names(" ".join(["Word"] * 200) + " between Russia and Thailand is a border.") == []
