"""The batch feature hashing and batch language identification give exactly what scikit-learn's
HashingVectorizer and py3langid give one text at a time (the shipped models were trained on those)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer

from tending.moderation import hashing, langid
from tending.moderation.classifier import CHAR_FEATURES, WORD_FEATURES
from tending.moderation.text import clean_markup, normalise, word_text

TEXTS = [
    "Bonjour à tous, je cherche un vétérinaire pour mon chat diabétique, des adresses ?",
    "CHECK OUT MY CHANNEL!!! subscribe http://bit.ly/xyz @bruno thanks",
    "a",
    "",
    "ab",
    "abc de f",
    "x@y",
    "@",
    "mail me: ada@example.org ok",
    "Ferme ta gueule espèce de gros connard",
    "supercalifragilisticexpialidocious " * 3,
    "日本語のテキスト",
    "Ã©tÃ© â€™ mojibake",
    "12 34 567 8901",
]


def _sklearn_rows(normalised: list[str]) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
    char = HashingVectorizer(
        analyzer="char_wb",
        ngram_range=(3, 5),
        n_features=CHAR_FEATURES,
        alternate_sign=False,
        lowercase=False,
        dtype=np.float32,
    )
    word = HashingVectorizer(
        analyzer="word",
        ngram_range=(1, 2),
        n_features=WORD_FEATURES,
        token_pattern=r"(?u)\b\w+\b",
        alternate_sign=False,
        lowercase=False,
        dtype=np.float32,
    )
    return char.transform(normalised), word.transform(normalised)


def _ours(normalised: list[str]) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
    n = len(normalised)
    chars = hashing.char_wb_ngrams(hashing.split_words(normalised), 3, 5)
    words = hashing.word_ngrams(hashing.split_words([word_text(t) for t in normalised]))
    return (
        hashing.count_matrix(*chars, n, CHAR_FEATURES, l2=True),
        hashing.count_matrix(*words, n, WORD_FEATURES, l2=True),
    )


def _assert_same_rows(normalised: list[str]) -> None:
    for expected, got in zip(_sklearn_rows(normalised), _ours(normalised), strict=True):
        assert expected.shape == got.shape
        assert expected.nnz == got.nnz
        assert abs(expected - got).max() < 1e-6 if expected.nnz else got.nnz == 0


def test_hashed_ngrams_are_scikit_learns() -> None:
    _assert_same_rows([normalise(clean_markup(t)) for t in TEXTS])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="abcz019@ éÀ-.!", max_size=40), min_size=1, max_size=8))
def test_hashed_ngrams_are_scikit_learns_on_any_text(texts: list[str]) -> None:
    _assert_same_rows([normalise(t) for t in texts])


def test_murmur3_matches_scikit_learns_murmurhash3_32() -> None:
    from sklearn.utils import murmurhash3_32

    keys = [b"", b"a", b"ab", b"abc", b"abcd", b"abcde", b"hello world, this is tending"]
    buffer = np.frombuffer(b"".join(keys) + b"\0\0\0\0", dtype=np.uint8)
    lengths = np.array([len(k) for k in keys], dtype=np.int64)
    starts = np.cumsum(lengths) - lengths
    assert hashing.murmur3_32(buffer, starts, lengths).tolist() == [
        murmurhash3_32(k, seed=0) for k in keys
    ]


def test_batch_language_identification_is_py3langids() -> None:
    # more texts than langid.FINISH_IN_PYTHON, so both the numpy steps and the tail loop run
    texts = [f"{t} {i}" for i in range(3) for t in TEXTS] + [
        "THE CAT IS ON THE TABLE",
        "Le chat est sur la table, il dort au soleil.",
        "le " * 2000,
        "   ",
        "😀😀",
    ]
    identifier = langid._identifier()
    expected = [identifier.classify(t)[0] if t.strip() else "en" for t in texts]
    assert langid.identify(texts) == expected
    assert langid.detect_languages(texts, ["fr-CA"] + [None] * (len(texts) - 1))[0] == "fr"


def test_drift_word_counts_are_scikit_learns() -> None:
    from tending.moderation.drift import N_FEATURES, Profile

    normalised = [normalise(clean_markup(t)) for t in TEXTS] + ["abc1 1abc abc @user ab abcd@efg"]
    expected = HashingVectorizer(
        n_features=N_FEATURES,
        alternate_sign=False,
        norm=None,
        lowercase=False,
        token_pattern=r"(?u)\b[a-z][a-z]{2,}\b",
    ).transform(normalised)
    got = Profile(TEXTS * 2)._counts(normalised, normalised=True)
    assert expected.nnz == got.nnz
    assert abs(expected - got).max() == 0


def _reference_other_script_share(text: str) -> float:
    letters = other = 0
    for char in text:
        if char.isalpha():
            letters += 1
            if ord(char) > 0x24F and not 0x1E00 <= ord(char) <= 0x1EFF:
                other += 1
    return other / letters if letters else 0.0


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=60))
def test_script_counts_and_insult_counts_are_the_plain_loops(text: str) -> None:
    from tending.moderation.text import char_counts, insult_lexicon, other_script_share

    assert other_script_share(text) == _reference_other_script_share(text)
    assert char_counts(text)[0] == sum(map(str.isalpha, text))
    assert char_counts(text)[2] == sum(map(str.isdigit, text))
    lexicon = insult_lexicon()
    for sample in (
        text,
        "t'es un gros connard et un idiot, idiotie conne",
        "sale con abruti123 debile",
    ):
        norm = normalise(sample)
        tokens = norm.split()
        expected = sum(1 for t in tokens if t in lexicon.words or t.startswith(lexicon.prefixes))
        expected += len(lexicon.phrases.findall(norm)) if lexicon.phrases is not None else 0
        assert lexicon.count(tokens, norm) == expected


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="abw.:/hWtpsCOMfr -é", max_size=40))
def test_the_link_hint_never_hides_a_link(text: str) -> None:
    from tending.moderation.text import URL_RE, find_links

    assert find_links(text) == URL_RE.findall(text)
    for sample in (
        "see www.example.org now",
        "HTTP://X",
        "bit.ly/abc",
        "WWW.SITE",
        "a.COM",
        "end.",
    ):
        assert find_links(sample) == URL_RE.findall(sample)


def test_matched_phrases_name_insults_by_word_and_prefix() -> None:
    from tending.moderation.text import matched_phrases

    found = matched_phrases("T'es un gros connard et une idiote, va sur www.example.com 😀𝔸")
    assert found == ["connard", "idiote", "www.example.com"]  # "idiote" by the prefix "idiot"


def test_the_spam_models_second_view_is_scikit_learns_hashing_with_sublinear_counts() -> None:
    """classifier.text_view: HashingVectorizer character 2-5-grams within words and word 1-2-grams of
    the text with its links kept, each count c as 1 + log(c), l2-normalised."""
    from sklearn.preprocessing import normalize

    from tending.moderation.classifier import TEXT_CHAR_FEATURES, TEXT_WORD_FEATURES, text_view
    from tending.moderation.text import normalise_keeping_links

    texts = [clean_markup(t) for t in TEXTS] + ["see see see http://bit.ly/abc bit bit"]
    kept = [normalise_keeping_links(t) for t in texts]
    expected = []
    for analyzer, low, high, size in (
        ("char_wb", 2, 5, TEXT_CHAR_FEATURES),
        ("word", 1, 2, TEXT_WORD_FEATURES),
    ):
        counts = HashingVectorizer(
            analyzer=analyzer,
            ngram_range=(low, high),
            n_features=size,
            token_pattern=r"(?u)\b\w+\b",
            alternate_sign=False,
            lowercase=False,
            norm=None,
        ).transform(kept)
        counts.data = 1 + np.log(counts.data)
        expected.append(normalize(counts))
    for want, got in zip(expected, text_view(texts), strict=True):
        assert want.shape == got.shape and want.nnz == got.nnz
        assert abs(want - got).max() < 1e-6
