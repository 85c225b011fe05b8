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
from tending.moderation.langid import detect_languages
from tending.moderation.text import DENSE_NAMES, clean_markup, dense_features, normalise, word_text

MODELS_DIR = Path(__file__).parent / "models"
CHAR_FEATURES = 2**18
WORD_FEATURES = 2**17
N_FEATURES = CHAR_FEATURES + WORD_FEATURES + len(DENSE_NAMES)
FEATURES_VERSION = 2  # 2: the moderator features of text.moderator_features
MAX_CHARS = 1500  # longer messages are judged on their beginning (keeps a scan fast)
# the dense features are in [0, 1] while hashed rows are l2-normalised and spread over thousands of
# n-grams; scaling the few hand-written features up lets them carry weight under the same L2 penalty
# (measured on the YouTube rotation: mean F1 0.926 at scale 1, 0.938 at scale 8)
DENSE_SCALE = 8.0
SCORES = ("spam", "toxic", "self_promotion")


class Featurizer:
    """Text -> sparse feature rows. Stateless: the same text always gives the same row.

    The rows are those of scikit-learn's HashingVectorizer (analyzer "char_wb", n-grams 3-5, 2**18
    columns; analyzer "word", token pattern \\b\\w+\\b, 1-2-grams, 2**17 columns; l2-normalised; no
    alternating sign), computed for the whole batch at once by tending.moderation.hashing."""

    def transform(self, texts: Sequence[str], normalised: Sequence[str] | None = None) -> sparse.csr_matrix:
        """normalised: the texts after clean_markup and normalise, when the caller has them already."""
        texts = [clean_markup(t[:MAX_CHARS]) for t in texts]
        if normalised is None:
            normalised = [normalise(t) for t in texts]
        dense = np.vstack([dense_features(t, n) for t, n in zip(texts, normalised, strict=True)]) \
            if texts else np.zeros((0, len(DENSE_NAMES)), dtype=np.float32)
        n = len(normalised)
        chars = hashing.char_wb_ngrams(hashing.split_words(normalised), 3, 5)
        words = hashing.word_ngrams(hashing.split_words([word_text(t) for t in normalised]))
        blocks = [hashing.count_matrix(*chars, n, CHAR_FEATURES, l2=True),
                  hashing.count_matrix(*words, n, WORD_FEATURES, l2=True),
                  sparse.csr_matrix(dense * DENSE_SCALE)]
        return sparse.hstack(blocks, format="csr", dtype=np.float32)


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
        np.savez_compressed(path, indices=nonzero, values=self.weights[nonzero].astype(np.float16),
                            size=np.int64(self.weights.shape[0]),
                            params=np.array([self.bias, self.platt_a, self.platt_c, self.threshold]),
                            meta=np.array(json.dumps(self.meta)))

    @classmethod
    def load(cls, path: Path) -> LinearModel:
        try:
            with np.load(path, allow_pickle=False) as data:
                weights = np.zeros(int(data["size"]), dtype=np.float32)
                weights[data["indices"]] = data["values"].astype(np.float32)
                bias, platt_a, platt_c, threshold = (float(v) for v in data["params"])
                meta = json.loads(str(data["meta"]))
        except (OSError, KeyError, ValueError) as error:
            raise TendingError(f"{path}: not a tending moderation model ({error}); "
                               "run tending train to rebuild the models.") from None
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
        return {"id": self.id, "scores": self.scores, "labels": self.labels, "lang": self.lang,
                "sentiment": self.sentiment}


class Classifier:
    """The spam, toxicity (fr and en) and self-promotion models with their thresholds."""

    def __init__(self, models: dict[str, LinearModel]) -> None:
        missing = {"spam", "toxic_fr", "toxic_en", "self_promotion"} - set(models)
        if missing:
            raise TendingError(f"moderation models missing: {', '.join(sorted(missing))}.")
        self.models = models
        self.featurizer = Featurizer()
        self.thresholds = {"spam": models["spam"].threshold, "self_promotion": models["self_promotion"].threshold,
                           "toxic_fr": models["toxic_fr"].threshold, "toxic_en": models["toxic_en"].threshold}

    @classmethod
    def load(cls, directory: Path = MODELS_DIR) -> Classifier:
        paths = sorted(directory.glob("*.npz"))
        if not paths:
            raise TendingError(f"{directory}: no moderation model found; run tending train --out {directory}.")
        return cls({p.stem: LinearModel.load(p) for p in paths})

    def score(self, texts: Sequence[str], langs: Sequence[str],
              normalised: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        """Calibrated probabilities per score name, one array entry per text."""
        rows = self.featurizer.transform(texts, normalised)
        french = np.array([lang == "fr" for lang in langs], dtype=bool)
        toxic = np.where(french, self.models["toxic_fr"].probability(rows),
                         self.models["toxic_en"].probability(rows))
        return {"spam": self.models["spam"].probability(rows), "toxic": toxic,
                "self_promotion": self.models["self_promotion"].probability(rows)}

    def threshold(self, name: str, lang: str) -> float:
        return self.thresholds[f"toxic_{lang}" if name == "toxic" else name]

    def classify(self, ids: Sequence[Any], texts: Sequence[str],
                 langs: Sequence[str | None] | None = None) -> list[Classification]:
        known = list(langs) if langs is not None else [None] * len(texts)
        resolved = detect_languages(texts, known)
        scores = self.score(texts, resolved)
        moods = sentiment.shipped_reader().read(texts, resolved)
        out = []
        for i, (ident, lang) in enumerate(zip(ids, resolved, strict=True)):
            values = {name: round(float(scores[name][i]), 4) for name in SCORES}
            labels = [name for name in SCORES if values[name] >= self.threshold(name, lang)]
            mood = moods[i]
            values |= {"negative": mood.negative, "complaint": mood.complaint}
            if mood.complaint >= sentiment.COMPLAINT_AT:
                labels.append("complaint")
            out.append(Classification(ident, values, labels, lang, mood.sentiment, mood.confident_negative,
                                      mood.score))
        return out


@cache
def shipped_classifier() -> Classifier:
    """The models shipped inside the package (loaded once per process, offline)."""
    return Classifier.load(MODELS_DIR)


def logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))
