"""The hand-written features a comment-section moderator reads (text.moderator_features)."""

from __future__ import annotations

import pytest

from tending.moderation.text import DENSE_NAMES, dense_features


def features(text: str) -> dict[str, float]:
    return dict(zip(DENSE_NAMES, dense_features(text).tolist(), strict=True))


def test_bruno_asking_for_subscribers_in_a_misspelt_plea_is_read_as_such() -> None:
    bruno = features("I am so awesome and smart!!! Suscribe to me please, check out my channel")
    assert bruno["subscribe"] == 1.0
    assert bruno["please"] == 1.0
    assert bruno["check_out"] == 1.0
    assert bruno["punct_runs"] == 1.0
    assert bruno["channel_words"] == pytest.approx(1 / 3)
    assert bruno["first_person"] == pytest.approx(3 / 14)  # i, me, my among 14 words


def test_a_disguised_link_and_a_wallet_address_are_noticed() -> None:
    chloe = features("earn real money from game marketglory . com/strategygame or donate 1FHeNqx1twqM153v2PTAyieJ")
    assert chloe["hidden_link"] == 1.0
    assert chloe["code_token"] == 1.0


def test_ada_praising_the_song_shows_none_of_the_signs() -> None:
    ada = features("Love this song, the chorus is so catchy. Seen it live in Lyon last year.")
    signs = ("subscribe", "please", "check_out", "channel_words", "hidden_link", "code_token", "punct_runs")
    assert [ada[name] for name in signs] == [0.0] * len(signs)
    assert ada["caps_words"] == 0.0
    assert ada["words"] == pytest.approx(15 / 100)


def test_c_mon_is_not_french_first_person_and_capitals_count_by_word() -> None:
    shout = features("C'mon 3 BILLION VIEWS")
    assert shout["first_person"] == 0.0
    assert shout["caps_words"] == pytest.approx(2 / 4)
