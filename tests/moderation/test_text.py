"""The hand-written features a comment-section moderator reads (text.moderator_features)."""

from __future__ import annotations

import pytest

from tending.moderation.text import (
    DENSE_NAMES,
    SCHEME_NAMES,
    TARGET_NAMES,
    dense_features,
    fold_unicode,
    is_disguised,
    link_words,
    normalise,
)


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
    chloe = features(
        "earn real money from game marketglory . com/strategygame or donate 1FHeNqx1twqM153v2PTAyieJ"
    )
    assert chloe["hidden_link"] == 1.0
    assert chloe["code_token"] == 1.0


def test_ada_praising_the_song_shows_none_of_the_signs() -> None:
    ada = features("Love this song, the chorus is so catchy. Seen it live in Lyon last year.")
    signs = (
        "subscribe",
        "please",
        "check_out",
        "channel_words",
        "hidden_link",
        "code_token",
        "punct_runs",
    )
    assert [ada[name] for name in signs] == [0.0] * len(signs)
    assert ada["caps_words"] == 0.0
    assert ada["words"] == pytest.approx(15 / 100)


def test_c_mon_is_not_french_first_person_and_capitals_count_by_word() -> None:
    shout = features("C'mon 3 BILLION VIEWS")
    assert shout["first_person"] == 0.0
    assert shout["caps_words"] == pytest.approx(2 / 4)


def test_full_width_and_look_alike_letters_fold_to_latin() -> None:
    assert fold_unicode("ｆｒｅｅ ｍｏｎｅｙ") == "free money"
    assert fold_unicode("ϲliсk hеre") == "click here"  # a Greek c, a Cyrillic s and e
    assert fold_unicode("Ѕрin nоw") == "Spin now"  # look-alike words in a Latin text
    assert normalise("𝐅𝐑𝐄𝐄 𝐂𝐑𝐘𝐏𝐓𝐎") == "free crypto"  # mathematical bold, through NFKC
    assert fold_unicode("plain ascii stays") == "plain ascii stays"


def test_russian_and_greek_text_keep_their_letters() -> None:
    assert fold_unicode("Скидки на обувь") == "Скидки на обувь"  # "на" is a word there, not "ha"
    assert fold_unicode("Καλημέρα σε όλους") == "Καλημέρα σε όλους"
    assert not is_disguised("Скидки на обувь") and not is_disguised(
        "Bonjour à tous, ça va très bien"
    )
    assert is_disguised("ｆｒｅｅ ｍｏｎｅｙ") and is_disguised("buy ѕріn")


def test_the_spam_families_of_the_issue_are_noticed() -> None:
    offer = features(
        "Gagnez 5000€ par mois depuis chez vous, contactez moi sur WhatsApp +33 6 12 34 56 78"
    )
    assert offer["phone"] == offer["messaging_app"] == offer["money_scheme"] == 1.0
    assert features("Invest in bitcoin now and get 30% profit every week")["money_scheme"] == 1.0
    assert features("please share this video everywhere")["share_appeal"] == 1.0
    assert (
        features("Ð¡ÐºÐ¸Ð´ÐºÐ¸ Ð½Ð° Ð¾Ð±ÑƒÐ²ÑŒ Ð² Ð½Ð°ÑˆÐµÐ¼ Ð¼Ð°Ð³Ð°Ð·Ð¸Ð½Ðµ")["mojibake_runs"]
        == 1.0
    )
    calm = features("Mon chat a 12 ans et pèse 5 kilos, le vétérinaire dit que tout va bien")
    assert [calm[n] for n in SCHEME_NAMES] == [0.0] * len(SCHEME_NAMES)


def test_chloe_farming_likes_is_noticed_and_ada_liking_the_song_is_not() -> None:
    farming = (
        "Like this comment if you're watching in 2015",
        "okay... Thumbs up if you're watching while youtube still exists.",
        "give it a like",
        "Pouce bleu si tu écoutes encore en 2024",
    )
    assert [features(t)["like_appeal"] for t in farming] == [1.0] * len(farming)
    fond = (
        "I like this song, and I like if the chorus comes back",
        "I'd hate to see what meta would look like if everyone posted a question",
        "Sucscribe to me!",
    )
    assert [features(t)["like_appeal"] for t in fond] == [0.0] * len(fond)
    assert features("Sucscribe to me!")["subscribe"] == 1.0  # misspelt with a c


def test_bruno_pointing_at_his_own_track_is_noticed_and_ada_naming_her_favourite_is_not() -> None:
    own = (
        "Nice song .See my new track.",
        "I did a cover if u want to check it out THANK U",
        "please look up DHG SONGS this is my playlist",
        "Come and watch my video it is called the zombie movie",
        'Search "Chubbz Dinero - Ready Or Not" Thanks',
    )
    assert [features(t)["own_work"] for t in own] == [1.0] * len(own)
    fond = (
        "This is my favorite song ever",
        "I uploaded mine to Facebook",
        "Je regarde ma chaîne préférée",
    )
    assert [features(t)["own_work"] for t in fond] == [0.0] * len(fond)


def test_what_a_toxic_message_aims_at_is_noticed() -> None:
    assert features("putain c'est dur")["profanity"] == pytest.approx(1 / 3)
    assert features("putain c'est dur")["insult_at_person"] == 0.0
    assert features("je vais te retrouver et te tuer")["threat"] == 1.0
    assert features("I will find you and hurt you")["threat"] == 1.0
    group = features("Les immigrés sont tous des parasites")
    assert group["group_generalisation"] == group["dehumanising"] == 1.0
    assert features("t'es qu'un c*nnard")["censored_insult"] == 1.0
    assert features("espèce de s4l0pe")["censored_insult"] == 1.0
    assert features("c o n n a r d va")["censored_insult"] == 1.0
    assert (
        features("Dire que les musulmans sont des terroristes, c'est raciste")["group_defended"]
        == 1.0
    )
    calm = features("Merci pour les conseils, mon chat va mieux depuis hier")
    assert [calm[n] for n in TARGET_NAMES] == [0.0] * len(TARGET_NAMES)


def test_praise_of_a_group_reads_positive_and_its_negation_is_no_attack() -> None:
    """The mood features (MOOD_NAMES) tell "j'aime les femmes" from "je déteste les femmes"; the
    negated hatred ("je ne déteste pas") loses its negative words."""
    praise = features("J'aime les femmes")
    hatred = features("Je déteste les femmes")
    negated = features("Je ne déteste pas les femmes")
    assert praise["valence"] > 0.5 and praise["negative_words"] == 0.0
    assert hatred["valence"] < 0 and hatred["negative_words"] > 0
    assert negated["negative_words"] == 0.0 and negated["valence"] > 0
    assert features("")["valence"] == 0.0


def test_the_words_inside_bruno_s_links_are_read() -> None:
    """normalise() makes every link one token ("lienurl"); link_words keeps what the link says."""
    bruno = "Check my channel https://www.youtube.com/user/BrunoBeats?feature=mhee and www.shop-deals.ru/promo"
    assert link_words(bruno) == "youtube com user brunobeats feature mhee shop deals ru promo"
    assert link_words("Love this song, seen it live in Lyon") == ""
