"""The listening matcher: words and phrases, accents folded, hashtags, exclusions; and what it refuses."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tending.errors import UsageError
from tending.lib.listening import (
    TOKEN_RE,
    Matcher,
    Query,
    fold,
    keyword_text,
    parse_keywords,
    words,
)


def query(qid: int, *keywords: str) -> Query:
    return Query(qid, tuple(parse_keywords(list(keywords))))


def test_words_and_phrases_match_whole_words_with_accents_folded() -> None:
    matcher = Matcher([query(1, "Réseau", '"mon produit"'), query(2, "café")])
    assert matcher.match("Le RESEAU est lent") == {1: ("Réseau",)}
    assert matcher.match("J'adore mon produit, et le Café !") == {1: ("mon produit",), 2: ("café",)}
    assert matcher.match("#MonProduit en panne") == {1: ("mon produit",)}
    assert matcher.match("les réseaux sociaux") == {}  # whole words: "réseaux" is not "réseau"
    assert matcher.match("produit mon") == {}  # a phrase keeps its order


def test_an_exclusion_drops_its_query_only() -> None:
    matcher = Matcher([query(1, "tending", "-emploi"), query(2, "tending")])
    assert matcher.match("Tending recrute : offre d'emploi") == {2: ("tending",)}
    assert matcher.match("tending est super") == {1: ("tending",), 2: ("tending",)}


def test_ligatures_and_quotes_fold() -> None:
    assert fold("Œuvre Ærø straße") == "oeuvre aero strasse"
    assert fold("Ǽ") == "ae" and words("Æ\u0301") == ["ae"]  # a ligature with an accent
    assert words("cafe\u0301 cre\u0300me") == ["cafe", "creme"]  # accents written apart (NFD)
    assert words("l'Oréal") == ["l", "oreal"]
    assert Matcher([query(1, "oeuvre")]).match("Une œuvre") == {1: ("oeuvre",)}


@pytest.mark.parametrize(
    ("keywords", "says"),
    [
        ([], "at least one word or phrase"),
        (["", "  "], "at least one word or phrase"),
        (["-emploi"], "exclusions (-word) alone match nothing"),
        (["!!!"], "'!!!': a keyword needs at least one letter or digit"),
    ],
)
def test_an_empty_keyword_list_is_one_clear_sentence(keywords: list[str], says: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_keywords(keywords)
    assert says in str(caught.value) and str(caught.value).count(".") <= 3


def test_keywords_round_trip_through_their_stored_text() -> None:
    terms = parse_keywords(["tending", "mon  produit", '-"offre d\'emploi"', "tending"])
    stored = [keyword_text(t) for t in terms]
    assert stored == ["tending", '"mon produit"', '-"offre d\'emploi"']
    assert parse_keywords(stored) == terms


WORD = st.sampled_from(["tending", "réseau", "mon", "produit", "emploi", "chat", "le", "Café"])


@given(
    st.lists(WORD, max_size=12),
    st.lists(st.lists(WORD, min_size=1, max_size=2), min_size=1, max_size=4),
)
def test_the_matcher_agrees_with_a_plain_regex_on_folded_text(
    post: list[str], keys: list[list[str]]
) -> None:
    text = " ".join(post)
    keywords = [" ".join(k) for k in keys]
    matcher = Matcher([query(1, *keywords)])
    folded = " ".join(words(text))
    expected = {
        t.text
        for t in parse_keywords(keywords)
        if re.search(r"\b" + re.escape(" ".join(t.words)) + r"\b", folded)
        or (len(t.words) > 1 and re.search(r"\b" + "".join(t.words) + r"\b", folded))
    }
    got = matcher.match(text)
    assert set(got.get(1, ())) == expected


@given(
    st.text(
        alphabet="aàâäeéèêëiîïoôöœuùûüçÿæñAÉÈÇŒ' -_.,!?#’«»0123456789ßøłÆ①²ª\u0301xyzπдж",
        max_size=40,
    )
)
def test_words_are_the_folded_letters_and_digits_between_separators(text: str) -> None:
    """Each character folded alone, what folds to nothing a separator ("0«0" is two words, not "00")."""
    spaced = "".join(fold(ch) or " " for ch in unicodedata.normalize("NFC", text))
    assert words(text) == TOKEN_RE.findall(spaced)
