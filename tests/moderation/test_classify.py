"""The shipped models and the `classify` contract (JSON lines in, JSON lines out)."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NotRequired, TypedDict

import pytest

from tending.moderation import training
from tending.moderation.classifier import (
    DENSE_START,
    LINK_START,
    MODELS_DIR,
    SCORES,
    TARGET_SCORES,
    TEXT_START,
    Classifier,
    Featurizer,
    shipped_classifier,
)
from tending.moderation.text import DENSE_NAMES, MOOD_NAMES, normalise_keeping_links
from tests.conftest import CliResult


class Line(TypedDict):
    """One line of `tending moderate classify`'s input."""

    id: int | str
    text: str
    author: NotRequired[str]
    thread: NotRequired[str]
    lang: NotRequired[str]


LINES: list[Line] = [
    {
        "id": 1,
        "text": "Merci pour ton aide hier, le chat va beaucoup mieux depuis qu'on a changé ses croquettes.",
    },
    {
        "id": "b",
        "text": "CHECK OUT MY CHANNEL!!! subscribe for free iphone giveaway http://bit.ly/xyz",
        "author": "bruno",
    },
    {
        "id": 3,
        "text": "Ferme ta gueule espèce de gros connard, t'es vraiment trop débile",
        "thread": "t1",
    },
    {
        "id": 4,
        "text": "you are a pathetic idiot and a worthless piece of shit, shut up",
        "lang": "en",
    },
    {
        "id": 5,
        "text": "Abonnez-vous à ma chaîne YouTube, je poste une nouvelle vidéo chaque semaine !",
    },
]


@pytest.fixture
def classify(
    run_cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> Callable[[str], CliResult]:
    """`tending moderate classify` in process, reading `stdin` as the command's standard input."""

    def run(stdin: str) -> CliResult:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        return run_cli("moderate", "classify")

    return run


def test_models_ship_inside_the_package_and_load_offline() -> None:
    paths = sorted(p.name for p in MODELS_DIR.glob("*.npz"))
    assert {
        "self_promotion.npz",
        "spam.npz",
        "toxic_en.npz",
        "toxic_fr.npz",
        "insult.npz",
        "hate.npz",
        "threat.npz",
    } <= set(paths)
    assert sum(p.stat().st_size for p in MODELS_DIR.iterdir()) < 20 * 1024 * 1024
    classifier = Classifier.load(MODELS_DIR)
    assert all(0.05 <= t < 1 for t in classifier.thresholds.values())


def test_labels_are_the_scores_at_or_above_their_thresholds() -> None:
    classifier = shipped_classifier()
    results = classifier.classify(
        [r["id"] for r in LINES], [r["text"] for r in LINES], [r.get("lang") for r in LINES]
    )
    by_id = {r.id: r for r in results}
    for result in results:
        expected = [n for n in SCORES if result.scores[n] >= classifier.threshold(n, result.lang)]
        assert [n for n in result.labels if n in SCORES] == expected
    assert by_id[1].labels == [] and by_id[1].lang == "fr"
    assert "spam" in by_id["b"].labels and by_id["b"].lang == "en"
    assert by_id[3].labels[0] == "toxic" and "insult" in by_id[3].labels and by_id[3].lang == "fr"
    assert "toxic" in by_id[4].labels
    assert "self_promotion" in by_id[5].labels and by_id[5].lang == "fr"


def test_classify_writes_one_json_line_per_input(classify: Callable[[str], CliResult]) -> None:
    done = classify("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in LINES))
    assert done.exit_code == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o["id"] for o in out] == [1, "b", 3, 4, 5]
    for line in out:
        assert set(line) == {"id", "scores", "labels", "lang", "sentiment"}
        assert set(line["scores"]) >= {
            "spam",
            "toxic",
            "self_promotion",
            "insult",
            "hate",
            "threat",
            "profanity",
            "negative",
            "complaint",
        }
        assert line["sentiment"] in ("negative", "neutral", "positive")
        assert all(0 <= v <= 1 for v in line["scores"].values())
    assert out[2]["labels"][0] == "toxic" and "insult" in out[2]["labels"]


def test_a_bad_line_is_named_and_exits_1(classify: Callable[[str], CliResult]) -> None:
    done = classify(
        '{"id": 1, "text": "bonjour à tous"}\n{"id": 2, "text": oops}\n{"id": 3, "text": "x"}\n'
    )
    assert done.exit_code == 1
    assert done.stderr.strip().startswith("Error: stdin, line 2: not valid JSON")
    assert len(done.stdout.splitlines()) == 1  # the good line before it was still answered
    missing = classify('{"id": 1}\n')
    assert missing.exit_code == 1
    assert "stdin, line 1: field 'text': missing or not a string" in missing.stderr


def test_model_card_names_every_shipped_model() -> None:
    card = (Path(__file__).resolve().parents[2] / "docs" / "model-card.md").read_text(
        encoding="utf-8"
    )
    for name in (
        "spam",
        "self_promotion",
        "toxic_fr",
        "toxic_en",
        "insult",
        "hate",
        "threat",
        "profanity",
    ):
        assert f"`{name}`" in card


def test_toxicity_names_its_target_and_profanity_stays_apart() -> None:
    classifier = shipped_classifier()
    texts = {
        "insult": "Ferme ta gueule espèce de gros connard, t'es vraiment trop débile",
        "threat": "Je sais où tu habites, je vais te retrouver et te tuer",
        "hate": "Les immigrés sont tous des parasites, qu'ils rentrent chez eux",
        "swearing": "putain c'est dur",
    }
    results = dict(
        zip(texts, classifier.classify(list(texts), list(texts.values()), ["fr"] * 4), strict=True)
    )
    for result in results.values():
        assert set(TARGET_SCORES) <= set(result.scores)
    assert {"toxic", "insult"} <= set(results["insult"].labels)
    assert {"toxic", "threat"} <= set(results["threat"].labels)
    assert {"toxic", "hate"} <= set(results["hate"].labels)
    assert results["swearing"].labels == ["profanity"]


def test_the_issue_examples_come_out_right() -> None:
    classifier = shipped_classifier()
    offer, complaint = classifier.classify(
        [1, 2],
        [
            "Gagnez 5000€ par mois depuis chez vous, contactez moi sur WhatsApp +33 6 ...",
            "Service client nul, trois semaines sans réponse, je suis furieux",
        ],
    )
    assert "spam" in offer.labels
    assert "toxic" not in complaint.labels and complaint.lang == "fr"


def test_like_farming_is_spam_whatever_the_model_says() -> None:
    """Two training videos' labels cannot teach like-farming (docs/model-card.md): a rule does."""
    farming, fond = shipped_classifier().classify(
        [1, 2], ["Like this comment if you are watching in 2015", "I like this song so much"]
    )
    assert farming.scores["spam"] == 0.99 and "spam" in farming.labels
    assert "spam" not in fond.labels


def test_a_message_the_models_cannot_read_gets_neutral_scores_and_a_lang() -> None:
    classifier = shipped_classifier()
    texts = [
        "",
        "😀🎉👍",
        "https://example.org/some/page",
        "@ada @bruno",
        "Привет всем, как дела?",
        "Hallo zusammen, wie geht es euch heute? Alles gut bei mir.",
        "merci beaucoup",
    ]
    results = classifier.classify(list(range(len(texts))), texts)
    assert [r.lang for r in results[:6]] == ["und", "und", "und", "und", "ru", "de"]
    for result in results[:6]:
        assert result.labels == [] and set(result.scores.values()) == {0.0}
    assert results[6].lang == "fr"  # short French stays French, read by the models
    given = classifier.classify([1], ["Guten Morgen"], ["de"])[0]
    assert given.lang == "de" and given.labels == []


def test_broken_encoding_is_spam_even_when_unreadable() -> None:
    mojibake = "Ð¡ÐºÐ¸Ð´ÐºÐ¸ Ð½Ð° Ð¾Ð±ÑƒÐ²ÑŒ Ð² Ð½Ð°ÑˆÐµÐ¼ Ð¼Ð°Ð³Ð°Ð·Ð¸Ð½Ðµ http://shop.example.ru"
    result = shipped_classifier().classify([1], [mojibake])[0]
    assert result.labels == ["spam"] and result.lang == "und"


def test_only_the_spam_model_reads_the_words_inside_links() -> None:
    """Features version 5 appended the link words; every other model is trained with them masked, so
    their rows, and hence the toxicity models, are what they were before."""
    rows = Featurizer().transform(
        ["Espèce d'idiot, va voir https://www.insultes.fr/liste-complete"]
    )
    assert rows[:, LINK_START:TEXT_START].nnz == 4  # insultes, fr, liste, complete
    readers = {
        name
        for name in training.MODEL_NAMES
        if (rows @ training.feature_mask(name))[:, LINK_START:].nnz
    }
    assert readers == {"spam"}


def test_only_the_spam_model_reads_the_text_with_its_links_kept() -> None:
    """Features version 6 appended the second view (the text with its links kept as words); the spam
    model's second half reads it alone, every model's first view never does."""
    rows = Featurizer().transform(["Nice song. See my new track www.example.com/track"])
    view = rows[:, TEXT_START:]
    assert view.nnz > 0
    assert all(
        (rows @ training.feature_mask(name))[:, TEXT_START:].nnz == 0
        for name in training.MODEL_NAMES
    )
    assert (rows @ training.text_view_mask())[:, :TEXT_START].nnz == 0
    # the site's name is read in the second view: "example" is a word there, "lienurl" is not
    assert normalise_keeping_links("See www.example.com/track") == "see www example com track"


def test_the_mood_of_the_words_is_read_for_french_messages_only() -> None:
    """Only toxic_fr reads the mood features, and only on French messages: the classifier skips them
    for the others, which changes none of their scores."""
    texts = ["J'aime les femmes", "I love this song"]
    everything = Featurizer().transform(texts)
    french_only = Featurizer().transform(texts, mood=[True, False])
    mood = {DENSE_START + DENSE_NAMES.index(name) for name in MOOD_NAMES}
    assert (everything[0] != french_only[0]).nnz == 0
    assert (
        set((everything[1] != french_only[1]).indices.tolist()) <= mood
    )  # "love": no negative word
    assert french_only[1, sorted(mood)].nnz == 0 and everything[1, sorted(mood)].nnz == 2
