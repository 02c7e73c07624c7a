"""Finishing steps that need no model: places and reporters that hold no view are not actors."""

from __future__ import annotations

import pytest

from summarize.finish import drop_bystanders, finish, is_place
from summarize.schema import Actor, Briefing, Position, Quote

ARTICLE = (
    "Most of the unvaccinated children live in Africa and Southeast Asia. A new vaccine was "
    "tested in Benin and West Africa. Cambodia says it will not send troops. Lawyers met in "
    "Phnom Penh on Monday. The Alder Valley Farmers Cooperative sued. Kloeung Aun told VOA's "
    "Khmer service the men had no family in Cambodia."
)


def briefing(actors: list[Actor], holders: tuple[str, ...] = ()) -> Briefing:
    positions = [
        Position(actor=h, stance="Wants it.", evidence=[Quote(text="Cambodia says")])
        for h in holders
    ]
    return Briefing(summary="S.", actors=actors, positions=positions, open_questions=[])


@pytest.mark.parametrize(
    ("name", "kind", "place"),
    [
        ("Southeast Asia", "country", True),  # "in Africa and Southeast Asia"
        ("West Africa", "other", True),  # "in Benin and West Africa"
        ("Phnom Penh", "country", True),
        ("Cambodia", "country", False),  # "Cambodia says": a subject, not only a place
        ("Alder Valley", "other", False),  # only inside a longer name: not a place mention
        ("Kloeung Aun", "person", False),
        ("Mars", "other", False),  # not in the article at all: nothing says it is a place
    ],
)
def test_a_place_is_what_is_only_ever_where_something_happens(
    name: str, kind: str, place: bool
) -> None:
    assert is_place(Actor(name=name, kind=kind), ARTICLE) is place  # type: ignore[arg-type]


def test_places_and_reporters_without_views_are_dropped_but_holders_stay() -> None:
    actors = [
        Actor(name="Kloeung Aun", kind="person", role="executive director"),
        Actor(name="Southeast Asia", kind="country"),
        Actor(name="VOA's Khmer", kind="organization", role="reporter"),
        Actor(name="Phnom Penh", kind="country"),
        Actor(name="Cambodia", kind="country"),
        Actor(name="observers", kind="group", role="reporters"),  # watch, not report, the vote
    ]
    kept = drop_bystanders(briefing(actors), ARTICLE)
    assert [a.name for a in kept.actors] == ["Kloeung Aun", "Cambodia", "observers"]
    # A place or a "reporter" that holds a position is kept: the position says it speaks.
    held = drop_bystanders(briefing(actors, ("Phnom Penh", "VOA's Khmer")), ARTICLE)
    assert {"Phnom Penh", "VOA's Khmer"} <= {a.name for a in held.actors}


def test_finish_drops_bystanders_after_the_positions_are_checked() -> None:
    actors = [Actor(name="Cambodia", kind="country"), Actor(name="West Africa", kind="other")]
    done = finish(briefing(actors, ("Cambodia",)), ARTICLE)
    assert [a.name for a in done.actors] == ["Cambodia"]
    assert done.positions[0].evidence[0].verified


def test_countries_and_things_that_never_act_nor_speak_are_dropped() -> None:
    article = (
        "We have solid alliances in Asia, with Japan and South Korea. Thailand says the talks "
        "failed. GDP (Gross Domestic Product) grew 7%. Hem Heng said he was pleased."
    )
    actors = [
        Actor(name="Hem Heng", kind="person"),
        Actor(name="South Korea", kind="country"),  # only in a list after "with"
        Actor(name="Thailand", kind="country"),  # "Thailand says": it acts
        Actor(name="Gross Domestic Product", kind="country"),
        Actor(name="Millennium Challenge Account", kind="other"),  # not even in the article
        Actor(name="Japan", kind="country"),
    ]
    kept = drop_bystanders(briefing(actors, ("Japan",)), article)
    # Japan holds a position: a position says it speaks, whatever the sentences around it.
    assert [a.name for a in kept.actors] == ["Hem Heng", "Thailand", "Japan"]
    # An organisation or a group that never acts is not a setting: it stays.
    others = [Actor(name="Harlow Tenants", kind="group"), Actor(name="NBS", kind="organization")]
    assert drop_bystanders(briefing(others), article).actors == others
