"""Name normalisation and the rule-based checklist of names mentioned in an article."""

from __future__ import annotations

import pytest

from summarize.names import mentioned_names, name_key, names_match


def test_titles_possessives_and_case_are_normalised_away() -> None:
    assert name_key("President Macron's") == name_key("macron")
    assert names_match("Emmanuel Macron", [], "French President Macron", [])
    assert not names_match("Emmanuel Macron", [], "Brigitte Bardot", [])


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("General Mark Milley", "mark milley"),
        ("Gen. Mark Milley", "mark milley"),
        ("Gen. Milley", "milley"),
        ("Major General John Smith", "john smith"),
        ("Attorney General Merrick Garland", "merrick garland"),
        ("Secretary-General António Guterres", "antonio guterres"),
        ("UN Secretary-General António Guterres", "antonio guterres"),
        ("US President Donald Trump", "donald trump"),
        ("U.S. President Donald Trump", "donald trump"),
        ("French President Emmanuel Macron", "emmanuel macron"),
        ("Former US President Barack Obama", "barack obama"),
        ("Danish Prime Minister Mette Frederiksen", "mette frederiksen"),
    ],
)
def test_titles_before_a_persons_name_are_dropped(name: str, key: str) -> None:
    assert name_key(name) == key


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("General Electric", "general electric"),
        ("General Motors", "general motors"),
        ("General Motors Company", "general motors company"),
        ("UN General Assembly", "un general assembly"),
        ("US government", "us government"),
        ("US Steel", "us steel"),
        ("American Airlines", "american airlines"),
        ("French Open", "french open"),
    ],
)
def test_words_that_can_be_titles_stay_in_an_organisations_name(name: str, key: str) -> None:
    assert name_key(name) == key


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("the President", "president"),
        ("US President", "us president"),
        ("Attorney General", "attorney general"),
        ("French Finance Minister", "french finance minister"),
    ],
)
def test_a_bare_title_is_kept_whole_so_it_stays_comparable(name: str, key: str) -> None:
    assert name_key(name) == key


def test_every_form_of_one_persons_name_still_matches() -> None:
    forms = [
        ["Emmanuel Macron", "President Macron", "Macron", "French President Emmanuel Macron"],
        ["Merrick Garland", "Attorney General Merrick Garland", "Garland"],
        ["Mark Milley", "General Mark Milley", "Gen. Milley", "General Milley", "Milley"],
        ["António Guterres", "Secretary-General António Guterres", "Guterres"],
    ]
    for person in forms:
        for a in person:
            for b in person:
                assert names_match(a, [], b, []), (a, b)


def test_organisations_named_after_different_countries_do_not_match() -> None:
    assert not names_match("US government", [], "French government", [], person=False)
    assert not names_match(
        "Russia", ["Russian government"], "Ukraine", ["Ukrainian government"], person=False
    )
    assert not names_match("General Electric", [], "Electric Boat", [], person=False)


@pytest.mark.parametrize(
    ("sentence", "names"),
    [
        ("General Electric and General Motors both rose.", ["General Electric", "General Motors"]),
        ("Later US Steel and American Airlines fell.", ["US Steel", "American Airlines"]),
        ("She won the French Open twice.", ["French Open"]),
        ("General Mark Milley testified.", ["Mark Milley"]),
        ("Attorney General Merrick Garland spoke.", ["Merrick Garland"]),
        ("Secretary-General António Guterres warned.", ["António Guterres"]),
        ("US President Donald Trump called.", ["Donald Trump"]),
    ],
)
def test_mentioned_names_drop_titles_only_before_a_person(sentence: str, names: list[str]) -> None:
    assert mentioned_names(sentence) == names


@pytest.mark.parametrize(
    ("sentence", "name"),
    [
        ("French President Emmanuel Macron spoke on Monday.", "Emmanuel Macron"),
        ("Danish Prime Minister Mette Frederiksen said she was open.", "Mette Frederiksen"),
        ("President of Ukraine Volodymyr Zelenskyy emphasized the point.", "Volodymyr Zelenskyy"),
        ("Political scientist Melody Mock-Gruet of Sciences Po noted:", "Melody Mock-Gruet"),
        ("It was a win for Charles de Gaulle in the end.", "Charles de Gaulle"),
        ("According to Dana Okafor's union, the strike goes on.", "Dana Okafor"),
    ],
)
def test_a_person_is_found_without_titles(sentence: str, name: str) -> None:
    assert name in mentioned_names(sentence)


def test_names_come_in_order_of_first_mention_once_each() -> None:
    text = (
        "Mayor Ana Ruiz met Governor Tom Baker. Later, Tom Baker said no.\n"
        "Ana Ruiz's office and the Harbour Workers Union replied."
    )
    assert mentioned_names(text) == ["Ana Ruiz", "Tom Baker", "Harbour Workers Union"]


@pytest.mark.parametrize(
    ("sentence", "names"),
    [
        ("Hor Namhong told reporters Wednesday Cambodia was waiting.", ["Hor Namhong"]),
        ("Parties who won seats in the National Assembly Sunday protested.", ["National Assembly"]),
        ("He spoke to VOA Khmer Wednesday in Phnom Penh.", ["VOA Khmer", "Phnom Penh"]),
        ("Prime Minister Theresa May spoke.", ["Theresa May"]),  # a month that is a name stays
    ],
)
def test_days_and_months_beside_a_name_are_not_part_of_it(sentence: str, names: list[str]) -> None:
    assert mentioned_names(sentence) == names


@pytest.mark.parametrize(
    ("sentence", "names"),
    [
        (
            "The National Bureau of Statistics said growth slowed.",
            ["National Bureau of Statistics"],
        ),
        ("Children in the Democratic Republic of Congo's east.", ["Democratic Republic of Congo"]),
        ("The Bank of England met Monday.", ["Bank of England"]),  # one word before "of"
        ("He met the Ministry of Defense Monday.", ["Ministry of Defense"]),
        ("She joined the Union of Concerned Scientists.", ["Union of Concerned Scientists"]),
        # Not an organisation before "of", or no telling where the name after it ends:
        ("Secretary of State Colin Powell spoke.", ["Colin Powell"]),
        (
            "The National Bureau of Statistics Sheng Laiyun said.",
            ["National Bureau", "Sheng Laiyun"],
        ),
    ],
)
def test_an_organisation_named_x_of_y_is_one_name(sentence: str, names: list[str]) -> None:
    assert mentioned_names(sentence) == names


def test_first_and_acting_are_titles_only_before_a_title() -> None:
    assert name_key("First Vice President Sindomwo") == "sindomwo"
    assert name_key("Acting President Ana Ruiz") == "ana ruiz"
    assert name_key("First Solar") == "first solar"  # a company, no title follows


def test_single_words_sentence_openers_and_headlines_are_left_out() -> None:
    text = (
        "Council Approves New Tax On Sugary Drinks\n"
        "The Council met. According to Ruiz, the tax passes. In Paris nobody spoke.\n"
    )
    assert mentioned_names(text) == []


def test_the_list_is_capped() -> None:
    text = " ".join(f"Person Number{i} spoke." for i in range(50))
    names = mentioned_names(text, limit=7)
    assert names == [f"Person Number{i}" for i in range(7)]
