"""Training the sentiment models, French and English (`tending train --model sentiment_fr ...`).

Sentiment: the XLM-T UMSAB tweets (sentiment/umsab-fr, umsab-en), **train split only**: the validation
split is kept for benchmarks/sentiment_quality.py, never used for training or for any choice. Each
language has its own one-vs-rest logistic regression over tending.moderation.sentiment's features,
with a multinomial calibration fitted on 5-fold out-of-fold decision values.

The complaint score is not trained (tending.moderation.sentiment.complaint_score; docs/model-card.md
says why: weak labels from these tweets gave no positive at all).
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from tending.errors import UsageError
from tending.moderation.sentiment import LABELS, SENTIMENT_DIR, ClassModel, Featurizer
from tending.moderation.training import expected_calibration_error

SEED = 20261203
SENTIMENT_NAMES = ("sentiment_fr", "sentiment_en")
MODEL_NAMES = SENTIMENT_NAMES
REGULARISATION = {"sentiment_fr": 4.0, "sentiment_en": 4.0}
FOLDS = 5
CONFIDENT_PRECISION = 0.8  # out-of-fold precision of "negative" at the confident threshold
MIN_CONFIDENT = 0.5
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


@dataclass(frozen=True)
class Tweet:
    text: str
    label: int  # 0 negative, 1 neutral, 2 positive
    lang: str


def read_umsab_split(folder: Path, lang: str, split: str) -> list[Tweet]:
    """One split of UMSAB (0 = negative, 1 = neutral, 2 = positive). The English files carry JSON-style
    escapes ("\\u2019"); they are decoded, and the CSV quoting around some tweets is dropped."""
    name = {"fr": "french", "en": "english"}[lang]
    try:
        texts = (
            (folder / f"data_sentiment_{name}_{split}_text.txt")
            .read_text(encoding="utf-8")
            .splitlines()
        )
        labels = (
            (folder / f"data_sentiment_{name}_{split}_labels.txt")
            .read_text(encoding="utf-8")
            .splitlines()
        )
    except OSError as error:
        raise UsageError(f"--data: {folder} has no {split} split ({error.strerror}).") from None
    out = []
    for text, label in zip(texts, labels, strict=False):
        if label.strip() in ("0", "1", "2"):
            decoded = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text).strip()
            out.append(Tweet(decoded.strip('"'), int(label), lang))
    return out


# -- fitting --------------------------------------------------------------------------------------------


def fit_one_vs_rest(
    rows: sparse.csr_matrix,
    labels: np.ndarray,
    classes: int,
    *,
    c: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(weights (features, K), bias (K,)): one L2 logistic regression per class against the rest,
    classes balanced, solved in the dual (far fewer examples than hashed features)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    weights = np.zeros((rows.shape[1], classes), dtype=np.float32)
    bias = np.zeros(classes)
    for k in range(classes):
        model = LogisticRegression(
            C=c, class_weight="balanced", solver="liblinear", dual=True, max_iter=200
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(rows, (labels == k).astype(np.int8))
        weights[:, k], bias[k] = model.coef_[0], model.intercept_[0]
    return weights, bias


def out_of_fold_decisions(
    rows: sparse.csr_matrix, labels: np.ndarray, classes: int, *, c: float, folds: int = FOLDS
) -> np.ndarray:
    from sklearn.model_selection import StratifiedKFold

    decisions = np.zeros((len(labels), classes))
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=SEED).split(rows, labels):
        weights, bias = fit_one_vs_rest(rows[train], labels[train], classes, c=c)
        decisions[test] = rows[test] @ weights + bias
    return decisions


def fit_calibration(decisions: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression from the K decision values to the K classes (nearly
    unregularised, classes weighted equally so the probabilities do not favour the larger class)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=100.0, class_weight="balanced", max_iter=1000)
    model.fit(decisions, labels)
    if len(model.classes_) == 2:  # binary: scikit-learn gives one row
        row = model.coef_[0]
        return (
            np.vstack([-row / 2, row / 2]),
            np.array([-model.intercept_[0] / 2, model.intercept_[0] / 2]),
        )
    return model.coef_.astype(np.float64), model.intercept_.astype(np.float64)


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return np.asarray(exp / exp.sum(axis=1, keepdims=True))


def precision_cut(scores: np.ndarray, positive: np.ndarray, target: float) -> float:
    """The lowest cut (not under MIN_CONFIDENT) whose precision reaches `target` with at least 20
    examples at or above it; when none does, the cut with the best F0.5 (precision counts twice)."""
    order = np.argsort(-scores)
    hits = np.cumsum(positive[order])
    flagged = np.arange(1, len(order) + 1)
    precision = hits / flagged
    ok = np.flatnonzero((precision >= target) & (flagged >= 20))
    if ok.size:
        return float(max(scores[order][ok[-1]], MIN_CONFIDENT))
    recall = hits / max(int(positive.sum()), 1)
    f_half = 1.25 * precision * recall / np.maximum(0.25 * precision + recall, 1e-9)
    return float(max(scores[order][int(np.argmax(f_half))], MIN_CONFIDENT))


def train_classes(
    name: str,
    rows: sparse.csr_matrix,
    labels: np.ndarray,
    classes: tuple[str, ...],
    *,
    target: float,
    c: float | None = None,
) -> tuple[ClassModel, dict[str, Any], np.ndarray]:
    """One model with its out-of-fold figures and probabilities. The confident threshold is on the
    first class for three classes ("negative") and on the second for two."""
    c = REGULARISATION.get(name, 4.0) if c is None else c
    k = len(classes)
    decisions = out_of_fold_decisions(rows, labels, k, c=c)
    calibration, intercept = fit_calibration(decisions, labels)
    probabilities = softmax(decisions @ calibration.T + intercept)
    watched = 0 if k == 3 else 1
    threshold = precision_cut(probabilities[:, watched], labels == watched, target)
    weights, bias = fit_one_vs_rest(rows, labels, k, c=c)
    metrics = class_metrics(labels, probabilities, classes)
    metrics["confident"] = confident_metrics(
        probabilities[:, watched], labels == watched, threshold
    )
    model = ClassModel(
        name,
        weights,
        bias,
        calibration,
        intercept,
        classes,
        threshold,
        {"C": c, "examples": len(labels), "out_of_fold": metrics},
    )
    return model, metrics, probabilities


def class_metrics(
    labels: np.ndarray, probabilities: np.ndarray, classes: tuple[str, ...]
) -> dict[str, Any]:
    """Macro-F1 and per-class F1 of the most probable class; ECE of the top probability (10 bins)."""
    from sklearn.metrics import f1_score

    predicted = probabilities.argmax(axis=1)
    per_class = f1_score(
        labels, predicted, average=None, labels=list(range(len(classes))), zero_division=0
    )
    top = probabilities.max(axis=1)
    return {
        "n": len(labels),
        "macro_f1": round(float(np.mean(per_class)), 4),
        "f1": {name: round(float(v), 4) for name, v in zip(classes, per_class, strict=True)},
        "accuracy": round(float((predicted == labels).mean()), 4),
        "ece": round(expected_calibration_error(predicted == labels, top), 4),
    }


def confident_metrics(
    scores: np.ndarray, positive: np.ndarray, threshold: float
) -> dict[str, float]:
    flagged = scores >= threshold
    hits = int((flagged & positive).sum())
    return {
        "threshold": round(threshold, 4),
        "flagged": int(flagged.sum()),
        "precision": round(hits / flagged.sum(), 4) if flagged.any() else 0.0,
        "recall": round(hits / positive.sum(), 4) if positive.any() else 0.0,
    }


# -- the command's work ---------------------------------------------------------------------------------


def training_tweets(data: Path) -> dict[str, list[Tweet]]:
    folder = data / "sentiment"
    if not (folder / "umsab-fr").is_dir() or not (folder / "umsab-en").is_dir():
        raise UsageError(
            f"--data: {folder}/umsab-fr and umsab-en are needed for the sentiment models."
        )
    return {
        lang: read_umsab_split(folder / f"umsab-{lang}", lang, "train") for lang in ("fr", "en")
    }


def train_sentiment_models(
    data: Path,
    out: Path = SENTIMENT_DIR,
    *,
    names: Sequence[str] = MODEL_NAMES,
    progress: Callable[[str], None] = lambda _m: None,
) -> dict[str, Any]:
    """Train the models `names` into `out` (*.npz + manifest.json); the others' files and manifest
    entries are kept."""
    tweets = training_tweets(data)
    featurizer = Featurizer()
    out.mkdir(parents=True, exist_ok=True)
    manifest = out / "manifest.json"
    report: dict[str, Any] = (
        json.loads(manifest.read_text(encoding="utf-8")).get("models", {})
        if manifest.exists()
        else {}
    )
    for name in names:
        lang = name.rsplit("_", 1)[1]
        examples = tweets[lang]
        progress(f"training {name} on {len(examples)} tweets")
        rows = featurizer.transform([t.text for t in examples], [lang] * len(examples))
        labels = np.array([t.label for t in examples], dtype=np.int64)
        model, metrics, _p = train_classes(name, rows, labels, LABELS, target=CONFIDENT_PRECISION)
        model.save(out / f"{name}.npz")
        report[name] = {
            "threshold": round(model.threshold, 4),
            "out_of_fold": metrics,
            "examples": model.meta["examples"],
            "C": model.meta["C"],
        }
    manifest.write_text(
        json.dumps({"models": report}, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return {name: report[name] for name in names}
