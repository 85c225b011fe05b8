"""RE2 reads the lexicon patterns with Python's answers (tending.moderation.matching)."""

from __future__ import annotations

import re

import pytest

from tending.moderation import matching, sentiment, text
from tending.moderation.matching import Matcher, MatcherSet, plain
from tests.conftest import shared_data

ODD = [
    "",
    "putain\x0bde merde",  # a vertical tab: Python's \s is a space there, RE2's is not
    "je vais te\x1ctuer",
    "tu vas le regretter, je sais ou tu habites",
    "gagnez 5000 $ par mois depuis chez vous, whatsapp +33 6 12 34 56 78",
    "Abonnez-vous à ma chaîne ! check out my channel",
    "les arabes sont tous des voleurs",
    "dire que les juifs sont des rats est raciste",
    "café 06 12 34 56 78 é",  # non-ASCII: RE2's \b and \w are ASCII-only, so re reads it
    "share this everywhere!!! sub 4 sub",
    "service client nul, trois semaines sans reponse, je suis furieux",
]


def patterns() -> dict[str, re.Pattern[str]]:
    found = {f"targets.{k}": p for k, p in text.target_patterns().items()}
    found |= {f"spam.{k}": p for k, p in text.spam_patterns().items()}
    found |= {f"complaints.{k}": p for k, p in sentiment.complaint_patterns().items()}
    for name in ("SUBSCRIBE_RE", "CHECK_RE", "CHANNEL_RE", "MESSAGING_RE", "SCHEME_RE", "SHARE_RE"):
        found[name] = getattr(text, name)
    found["PHONE_RE"] = text.PHONE_RE
    found["insult_phrases"] = text.insult_lexicon().phrases  # type: ignore[assignment]
    return found


def corpus() -> list[str]:
    rows = [
        line.split("\t", 1)[-1]
        for line in (shared_data("spam/sms") / "SMSSpamCollection")
        .read_text(encoding="utf-8", errors="replace")
        .splitlines()[:1500]
    ]
    texts = ODD + rows
    return texts + [text.strip_accents(t) for t in texts]


def test_the_lexicon_patterns_are_read_by_re2() -> None:
    """Otherwise the speed of classify falls back to re's (the answers would be the same)."""
    assert matching.re2 is not None
    missing = [name for name, p in patterns().items() if matching._fast(p) is None]
    assert missing == []


@pytest.mark.parametrize("name", sorted(patterns()))
def test_re2_finds_what_re_finds(name: str) -> None:
    pattern = patterns()[name]
    matcher = Matcher(pattern)
    for sample in corpus():
        is_plain = plain(sample)
        assert matcher.found(sample, is_plain) == (pattern.search(sample) is not None), sample
        assert matcher.count(sample, is_plain) == len(pattern.findall(sample)), sample


def test_a_set_of_patterns_answers_as_each_pattern_does() -> None:
    named = patterns()
    together = MatcherSet(named)
    for sample in corpus():
        expected = {name for name, p in named.items() if p.search(sample) is not None}
        assert together.found(sample, plain(sample)) == expected, sample


def test_patterns_re2_cannot_read_are_left_to_re() -> None:
    for source in (r"(?<![a-z])ab", r"(.)\1{3}", r"[\w-]++x", r"^ab", r"(?i)ab"):
        assert matching._fast(re.compile(source)) is None
    assert matching._fast(re.compile(r"\b(?:[^ ]+|\$\d)")) is not None
    assert MatcherSet({"behind": re.compile(r"(?<![a-z])ab")}).found("xab ab", True) == {"behind"}


def test_only_ascii_text_without_odd_spaces_is_plain() -> None:
    assert plain("tu es nul")
    assert not plain("tu es nulle\x0b")
    assert not plain("café")


def test_insult_prefixes_are_counted_as_the_prefix_pattern_finds_them() -> None:
    lexicon = text.insult_lexicon()
    for sample in corpus():
        norm = text.normalise(sample)
        tokens = norm.split()
        by_pattern = sum(t in lexicon.words for t in tokens)
        if lexicon.prefixed is not None:
            by_pattern += sum(t not in lexicon.words for t in lexicon.prefixed.findall(norm))
        if lexicon.phrases is not None:
            by_pattern += len(lexicon.phrases.findall(norm))
        assert lexicon.count(tokens, norm) == by_pattern, sample
