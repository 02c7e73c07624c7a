"""Name normalisation and the rule-based checklist of names mentioned in an article."""

from __future__ import annotations

import pytest

from summarize.names import mentioned_names, name_key, names_match


def test_titles_possessives_and_case_are_normalised_away() -> None:
    assert name_key("President Macron's") == name_key("macron")
    assert names_match("Emmanuel Macron", [], "French President Macron", [])
    assert not names_match("Emmanuel Macron", [], "Brigitte Bardot", [])


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
