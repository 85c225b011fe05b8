"""The shipped moderation models: hashed n-gram features + hand-written features, linear scores,
Platt-calibrated probabilities and precision-favouring thresholds.

Inference needs numpy and scipy sparse (the n-grams are hashed by tending.moderation.hashing, stateless, so no
vocabulary is stored): the models are small .npz files in `models/` beside this file, loaded offline.
`tending train` (tending.moderation.training) writes them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from tending.errors import TendingError
from tending.moderation import hashing, sentiment
from tending.moderation.langid import (
    LANGUAGES,
    UNREADABLE,
    identify_with_others,
    known_language,
    other_languages,
)
from tending.moderation.text import (
    DENSE_NAMES,
    MENTION_RE,
    MOJIBAKE_RE,
    SECOND_PERSON,
    URL_RE,
    clean_markup,
    dense_features,
    link_words,
    may_have_link,
    normalise,
    normalise_keeping_links,
    script_letters,
    word_text,
)

MODELS_DIR = Path(__file__).parent / "models"
CHAR_FEATURES = 2**18
WORD_FEATURES = 2**17
LINK_FEATURES = 2**12  # the words inside links (text.link_words), since FEATURES_VERSION 5
DENSE_START = CHAR_FEATURES + WORD_FEATURES
LINK_START = DENSE_START + len(DENSE_NAMES)
# the message with its links kept as words (text.normalise_keeping_links), character 2-5-grams within
# words and word 1-2-grams, sublinear counts: the spam model's second view, since FEATURES_VERSION 6
TEXT_CHAR_FEATURES = 2**18
TEXT_WORD_FEATURES = 2**17
TEXT_START = LINK_START + LINK_FEATURES
N_FEATURES = TEXT_START + TEXT_CHAR_FEATURES + TEXT_WORD_FEATURES
# 2: the moderator features of text.moderator_features; 3: target and scheme features; 4: mood features;
# 5: the words inside links, hashed (LINK_FEATURES columns after the dense ones); 6: the text view
FEATURES_VERSION = 6
# features are only ever appended: a model trained on an earlier version reads the same columns, with
# weight 0 on the columns added since (LinearModel.load pads it)
MAX_CHARS = 1500  # longer messages are judged on their beginning (keeps a scan fast)
# the dense features are in [0, 1] while hashed rows are l2-normalised and spread over thousands of
# n-grams; scaling the few hand-written features up lets them carry weight under the same L2 penalty
# (measured on the YouTube rotation: mean F1 0.926 at scale 1, 0.938 at scale 8)
DENSE_SCALE = 8.0
SCORES = ("spam", "toxic", "self_promotion")
# what a toxic message attacks (each its own model, French and English together) and strong language
# aimed at nobody (a lexicon count: a weak signal, never a queue item on its own)
TARGETS = ("insult", "hate", "threat")
TARGET_SCORES = (*TARGETS, "profanity")
PROFANITY_WORDS = 3  # profanity score = strong-language words / 3, at most 1
JUNK_SPAM_SCORE = 0.99  # the spam score of a text in broken encoding (as the scan's junk rule)
RULE_SPAM_SCORE = 0.99  # the spam score of a message the spam rules (spam_rules) catch
# a toxic message must attack someone: the toxicity model alone also reacts to strong language and anger
# ("putain c'est dur", an angry complaint); `toxic` is flagged only when one of the target models gives
# at least this much (docs/model-card.md measures it)
TARGET_FLOOR = 0.35
MIN_MOJIBAKE = 3
OTHER_SCRIPT_SHARE = 0.6


class Featurizer:
    """Text -> sparse feature rows. Stateless: the same text always gives the same row.

    The rows are those of scikit-learn's HashingVectorizer (analyzer "char_wb", n-grams 3-5, 2**18
    columns; analyzer "word", token pattern \\b\\w+\\b, 1-2-grams, 2**17 columns; l2-normalised; no
    alternating sign), computed for the whole batch at once by tending.moderation.hashing."""

    def transform(
        self,
        texts: Sequence[str],
        normalised: Sequence[str] | None = None,
        *,
        mood: Sequence[bool] | None = None,
    ) -> sparse.csr_matrix:
        """normalised: the texts after clean_markup and normalise, when the caller has them already.
        mood: which texts get the mood features (text.MOOD_NAMES, zeros for the others); only the
        French toxicity model reads them, so the classifier computes them for French messages only
        (they were a tenth of classify's time). All texts by default (training)."""
        texts = [clean_markup(t[:MAX_CHARS]) for t in texts]
        if normalised is None:
            normalised = [normalise(t) for t in texts]
        moods = [True] * len(texts) if mood is None else mood
        dense = (
            np.vstack(
                [
                    dense_features(t, n, mood=m)
                    for t, n, m in zip(texts, normalised, moods, strict=True)
                ]
            )
            if texts
            else np.zeros((0, len(DENSE_NAMES)), dtype=np.float32)
        )
        n = len(normalised)
        chars = hashing.char_wb_ngrams(hashing.split_words(normalised), 3, 5)
        words = hashing.word_ngrams(hashing.split_words([word_text(t) for t in normalised]))
        links = hashing.split_words([link_words(t) for t in texts])
        link_hashes = hashing.murmur3_32(links.buffer, links.starts, links.lengths)
        blocks = [
            hashing.count_matrix(*chars, n, CHAR_FEATURES, l2=True),
            hashing.count_matrix(*words, n, WORD_FEATURES, l2=True),
            sparse.csr_matrix(dense * DENSE_SCALE),
            hashing.count_matrix(link_hashes, links.rows, n, LINK_FEATURES, l2=True),
            *text_view(texts),
        ]
        return sparse.hstack(blocks, format="csr", dtype=np.float32)


def text_view(texts: Sequence[str]) -> list[sparse.csr_matrix]:
    """The spam model's second view (FEATURES_VERSION 6): the text with its links kept as words,
    character 2-5-grams within words and word 1-2-grams, each count c as 1 + log(c), l2-normalised
    per block (scikit-learn's HashingVectorizer with sublinear tf). Issue 13: the plain TF-IDF + LR
    baseline read links and counted sublinearly; averaged with the first view, the leave-one-video-out
    mean F1 went from 0.933 to 0.957 (docs/model-card.md)."""
    kept = [normalise_keeping_links(t) for t in texts]
    n = len(kept)
    chars = hashing.char_wb_ngrams(hashing.split_words(kept), 2, 5)
    words = hashing.word_ngrams(hashing.split_words([word_text(t) for t in kept]))
    return [
        hashing.count_matrix(*chars, n, TEXT_CHAR_FEATURES, l2=True, sublinear=True),
        hashing.count_matrix(*words, n, TEXT_WORD_FEATURES, l2=True, sublinear=True),
    ]


@dataclass
class LinearModel:
    """A linear score w·x + b turned into a probability by Platt scaling: p = 1/(1+exp(-(a·s + c)))."""

    name: str
    weights: np.ndarray
    bias: float
    platt_a: float = 1.0
    platt_c: float = 0.0
    threshold: float = 0.5
    meta: dict[str, Any] = field(default_factory=dict)

    def decision(self, rows: sparse.csr_matrix) -> np.ndarray:
        return np.asarray(rows @ self.weights, dtype=np.float64) + self.bias

    def probability(self, rows: sparse.csr_matrix) -> np.ndarray:
        return calibrate(self.decision(rows), self.platt_a, self.platt_c)

    def save(self, path: Path) -> None:
        nonzero = np.flatnonzero(self.weights).astype(np.int32)
        np.savez_compressed(
            path,
            indices=nonzero,
            values=self.weights[nonzero].astype(np.float16),
            size=np.int64(self.weights.shape[0]),
            params=np.array([self.bias, self.platt_a, self.platt_c, self.threshold]),
            meta=np.array(json.dumps(self.meta)),
        )

    @classmethod
    def load(cls, path: Path) -> LinearModel:
        try:
            with np.load(path, allow_pickle=False) as data:
                weights = np.zeros(max(int(data["size"]), N_FEATURES), dtype=np.float32)
                weights[data["indices"]] = data["values"].astype(np.float32)
                bias, platt_a, platt_c, threshold = (float(v) for v in data["params"])
                meta = json.loads(str(data["meta"]))
        except (OSError, KeyError, ValueError) as error:
            raise TendingError(
                f"{path}: not a tending moderation model ({error}); "
                "run tending train to rebuild the models."
            ) from None
        return cls(path.stem, weights, bias, platt_a, platt_c, threshold, meta)


def calibrate(scores: np.ndarray, a: float, c: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(a * scores + c, -35, 35)))


@dataclass
class Classification:
    id: Any
    scores: dict[str, float]
    labels: list[str]
    lang: str
    sentiment: str = "neutral"  # "negative" | "neutral" | "positive" (tending.moderation.sentiment)
    confident_negative: bool = False  # P(negative) reached the sentiment model's confident cut
    mood_score: float = 0.0  # P(positive) - P(negative), in [-1, 1]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "scores": self.scores,
            "labels": self.labels,
            "lang": self.lang,
            "sentiment": self.sentiment,
        }


class Classifier:
    """The spam, toxicity (fr and en) and self-promotion models with their thresholds."""

    def __init__(self, models: dict[str, LinearModel]) -> None:
        missing = {"spam", "toxic_fr", "toxic_en", "self_promotion"} - set(models)
        if missing:
            raise TendingError(f"moderation models missing: {', '.join(sorted(missing))}.")
        self.models = models
        self.featurizer = Featurizer()
        self.thresholds = {
            "spam": models["spam"].threshold,
            "self_promotion": models["self_promotion"].threshold,
            "toxic_fr": models["toxic_fr"].threshold,
            "toxic_en": models["toxic_en"].threshold,
        }

    @classmethod
    def load(cls, directory: Path = MODELS_DIR) -> Classifier:
        paths = sorted(directory.glob("*.npz"))
        if not paths:
            raise TendingError(
                f"{directory}: no moderation model found; run tending train --out {directory}."
            )
        return cls({p.stem: LinearModel.load(p) for p in paths})

    def score(
        self, texts: Sequence[str], langs: Sequence[str], normalised: Sequence[str] | None = None
    ) -> dict[str, np.ndarray]:
        """Calibrated probabilities per score name, one array entry per text; and "addressed" (not an
        output score): 0.0 for a text with strong language aimed at nobody (see `addressed`), else 1.0."""
        french = np.array([lang == "fr" for lang in langs], dtype=bool)
        rows = self.featurizer.transform(texts, normalised, mood=french.tolist())
        toxic = np.where(
            french,
            self.models["toxic_fr"].probability(rows),
            self.models["toxic_en"].probability(rows),
        )
        spam = np.maximum(
            self.models["spam"].probability(rows), np.where(spam_rules(rows), RULE_SPAM_SCORE, 0.0)
        )
        scores = {
            "spam": spam,
            "toxic": toxic,
            "self_promotion": self.models["self_promotion"].probability(rows),
        }
        for name in TARGETS:
            if name in self.models:
                scores[name] = self.models[name].probability(rows)
        # the profanity feature is min(words, 3) / 3, the score itself
        profanity = np.round(_dense_values(rows, "profanity") / DENSE_SCALE, 4)
        scores["profanity"] = profanity
        scores["addressed"] = addressed(rows, texts, profanity > 0, normalised)
        return scores

    def threshold(self, name: str, lang: str) -> float:
        if name == "toxic":
            return self.thresholds[f"toxic_{lang if lang in LANGUAGES else 'en'}"]
        if name == "profanity":
            return 1 / PROFANITY_WORDS - 1e-3  # one word (scores are rounded to 4 decimals)
        return self.thresholds.get(
            name, self.models[name].threshold if name in self.models else 0.5
        )

    @property
    def score_names(self) -> tuple[str, ...]:
        return (*SCORES, *(n for n in TARGETS if n in self.models), "profanity")

    def classify(
        self, ids: Sequence[Any], texts: Sequence[str], langs: Sequence[str | None] | None = None
    ) -> list[Classification]:
        known = list(langs) if langs is not None else [None] * len(texts)
        resolved, readable = reading_languages(texts, known)
        scores = self.score(texts, [lang if lang in LANGUAGES else "en" for lang in resolved])
        moods = sentiment.shipped_reader().read(texts, resolved)
        names = self.score_names
        out = []
        for i, (ident, lang) in enumerate(zip(ids, resolved, strict=True)):
            if not readable[i]:
                values = dict.fromkeys(names, 0.0)
            else:
                values = {name: round(float(scores[name][i]), 4) for name in names}
            if len(MOJIBAKE_RE.findall(texts[i])) >= MIN_MOJIBAKE:
                values["spam"] = max(values["spam"], JUNK_SPAM_SCORE)
            labels = self.labels(
                {**values, "addressed": float(scores["addressed"][i]) if readable[i] else 1.0}, lang
            )
            mood = moods[i]
            values |= {"negative": mood.negative, "complaint": mood.complaint}
            if mood.complaint >= sentiment.COMPLAINT_AT:
                labels.append("complaint")
            out.append(
                Classification(
                    ident, values, labels, lang, mood.sentiment, mood.confident_negative, mood.score
                )
            )
        return out

    def is_toxic(self, values: dict[str, float], lang: str) -> bool:
        """The toxicity model reaches its threshold, a target model (insult, hate, threat) TARGET_FLOOR,
        and the message is not strong language aimed at nobody."""
        if values["toxic"] < self.threshold("toxic", lang) or values.get("addressed", 1.0) == 0.0:
            return False
        targets = [values[name] for name in TARGETS if name in values]
        return not targets or max(targets) >= TARGET_FLOOR

    def labels(self, values: dict[str, float], lang: str) -> list[str]:
        """The scores at or above their thresholds; the targets of toxicity only when `toxic` is flagged
        (then at least the likeliest one: `toxic` is the union of insult, hate and threat); profanity only
        when the message is not toxic (strong language aimed at nobody)."""
        targets = [name for name in TARGETS if name in values]
        labels = [
            name
            for name in SCORES
            if (
                self.is_toxic(values, lang)
                if name == "toxic"
                else values[name] >= self.threshold(name, lang)
            )
        ]
        if "toxic" in labels and targets:
            chosen = [name for name in targets if values[name] >= self.threshold(name, lang)]
            labels += chosen or [max(targets, key=lambda name: values[name])]
        elif values.get("profanity", 0.0) >= self.threshold("profanity", lang):
            labels.append("profanity")
        return labels


def _dense_values(rows: sparse.csr_matrix, name: str) -> np.ndarray:
    column = DENSE_START + DENSE_NAMES.index(name)
    return np.asarray(rows[:, column].toarray(), dtype=np.float64).ravel()


def _dense_column(rows: sparse.csr_matrix, name: str) -> np.ndarray:
    return _dense_values(rows, name) > 0


def addressed(
    rows: sparse.csr_matrix,
    texts: Sequence[str],
    profane: np.ndarray,
    normalised: Sequence[str] | None,
) -> np.ndarray:
    """1.0 unless a text with strong language is aimed at nobody: no second-person word, no mention, no
    insult word (censored or not), no threat, no group named ("putain c'est dur", "fuck, missed the bus").
    Only the texts with strong language are looked at."""
    out = np.ones(len(texts))
    if not profane.any():
        return out
    cues = (
        _dense_column(rows, "insults")
        | _dense_column(rows, "censored_insult")
        | _dense_column(rows, "threat")
        | _dense_column(rows, "group_word")
        | _dense_column(rows, "mentions")
    )
    for i in np.flatnonzero(profane & ~cues).tolist():
        tokens = (
            normalised[i]
            if normalised is not None
            else normalise(clean_markup(texts[i][:MAX_CHARS]))
        ).split()
        if not any(t in SECOND_PERSON for t in tokens):
            out[i] = 0.0
    return out


def spam_rules(rows: sparse.csr_matrix) -> np.ndarray:
    """Spam whatever the model says (the families the training data lacks, issue 13): a money scheme with
    a way to be contacted or a link ("Gagnez 5000€ par mois... WhatsApp +33 6..."), and Latin words written
    in full-width or look-alike letters next to a link, a phone number, a messaging app or money (the
    disguise is there to get past filters); and like-farming ("like this comment if you're watching in
    2015", text.LIKE_APPEAL_RE), which two videos' labels cannot teach the model (docs/model-card.md)."""
    contact = (
        _dense_column(rows, "phone")
        | _dense_column(rows, "messaging_app")
        | _dense_column(rows, "has_url")
    )
    money = _dense_column(rows, "money_scheme")
    return (
        (money & contact)
        | (_dense_column(rows, "disguised") & (contact | money))
        | _dense_column(rows, "like_appeal")
    )


def reading_languages(
    texts: Sequence[str], known: Sequence[str | None]
) -> tuple[list[str], list[bool]]:
    """The language of each text and whether the models can read it. Not readable: no letters once links
    and mentions are set aside (empty, only emoji, only a link: lang "und" unless the caller gave one);
    a language other than French or English, given by the caller ("de"), written mostly outside Latin
    scripts, or clearly identified (langid.other_languages)."""
    detected, others = identify_with_others(texts)
    langs = [known_language(given) or found for given, found in zip(known, detected, strict=True)]
    readable = [True] * len(texts)
    for i, (text, given) in enumerate(zip(texts, known, strict=True)):
        words = _without_links(text)
        letters, other = script_letters(words)
        if len(MOJIBAKE_RE.findall(text)) >= MIN_MOJIBAKE:
            langs[i], readable[i] = (
                UNREADABLE,
                False,
            )  # broken encoding: spam by the junk rule (classify)
        elif given and known_language(given) is None and given.strip():
            langs[i], readable[i] = given.strip().lower()[:2], False
        elif letters == 0:
            langs[i], readable[i] = (known_language(given) or UNREADABLE), False
        elif other / letters >= OTHER_SCRIPT_SHARE and letters >= 3:
            langs[i], readable[i] = _script_language(words), False
        elif known_language(given) is None and others[i] is not None:
            langs[i], readable[i] = str(others[i]), False
    return langs, readable


def _without_links(text: str) -> str:
    """The text without its links and mentions (what is left to read)."""
    if "@" in text:
        text = MENTION_RE.sub(" ", text)
    return URL_RE.sub(" ", text) if may_have_link(text) else text


def _script_language(text: str) -> str:
    found = other_languages([" ".join([text] * 5)])[
        0
    ]  # repeated: a short message is still clear in its script
    return found or UNREADABLE


@cache
def shipped_classifier() -> Classifier:
    """The models shipped inside the package (loaded once per process, offline)."""
    return Classifier.load(MODELS_DIR)


def logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))
