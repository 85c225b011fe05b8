"""Sentiment and complaint quality on held-out tweets, next to baselines measured in the same run.

    uv run python benchmarks/sentiment_quality.py [--data ../shared/data]

For French and English: the shipped recipe (tending.moderation.sentiment_training) is trained on the
UMSAB **train** split and scored once on the **validation** split, which nothing in training or model
selection reads. Beside it, in the same run and on the same split:
- the old signal: VADER for English, the hand lexicon for French (tending.lib.sentiment before issue
  #13), negative at compound <= -0.05, positive at >= 0.05 (VADER's thresholds);
- TF-IDF (word 1-2-grams + character 2-5-grams, sublinear tf) + logistic regression, trained on the
  same train split.

Printed per language: macro-F1 (the target: >= 0.65), per-class F1, accuracy; calibration on the
held-out split (ECE of the top probability, 10 bins; Brier score over the three classes); and the
confident-negative cut (what alerts quote): its precision and recall for the negative class.
Then the complaint model on the hand-written sentences of tests/moderation/fixtures/complaints.jsonl.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tending.moderation import sentiment_training as st  # noqa: E402
from tending.moderation.sentiment import LABELS, Featurizer, readable  # noqa: E402
from tending.moderation.training import expected_calibration_error  # noqa: E402

FIXTURES = ROOT / "tests" / "moderation" / "fixtures" / "complaints.jsonl"


def old_signal(texts: list[str], lang: str) -> np.ndarray:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from sentiment_lexicon_baseline import (
        french_compound,
    )  # the lexicon as it was, kept for this baseline

    vader = SentimentIntensityAnalyzer()
    scores = [
        french_compound(t) if lang == "fr" else vader.polarity_scores(t)["compound"] for t in texts
    ]
    return np.array([0 if s <= -0.05 else 2 if s >= 0.05 else 1 for s in scores])


def tfidf_baseline(train: list[st.Tweet], test: list[st.Tweet]) -> np.ndarray:
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)
    texts = [t.text for t in train]
    x_train = sparse.hstack([words.fit_transform(texts), chars.fit_transform(texts)])
    x_test = sparse.hstack(
        [words.transform([t.text for t in test]), chars.transform([t.text for t in test])]
    )
    model = LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced")
    model.fit(x_train, [t.label for t in train])
    return np.asarray(model.predict(x_test))


def figures(labels: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import f1_score

    per_class = f1_score(labels, predicted, average=None, labels=[0, 1, 2], zero_division=0)
    return {
        "macro_f1": float(np.mean(per_class)),
        "negative": float(per_class[0]),
        "neutral": float(per_class[1]),
        "positive": float(per_class[2]),
        "accuracy": float((labels == predicted).mean()),
    }


def shipped_recipe(
    train: list[st.Tweet], test: list[st.Tweet], lang: str
) -> tuple[np.ndarray, float]:
    featurizer = Featurizer()
    rows = featurizer.transform([t.text for t in train], [lang] * len(train))
    labels = np.array([t.label for t in train])
    model, _metrics, _oof = st.train_classes(
        f"sentiment_{lang}", rows, labels, LABELS, target=st.CONFIDENT_PRECISION
    )
    probabilities = model.probabilities(
        featurizer.transform([t.text for t in test], [lang] * len(test))
    )
    unread = np.array([not readable(t.text) for t in test])
    probabilities[unread] = [0.0, 1.0, 0.0]
    return probabilities, model.threshold


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    folder = args.data / "sentiment"
    if not folder.is_dir():
        sys.exit(f"{folder}: not found (the shared data folder is needed).")
    print("| language | signal | macro-F1 | F1 negative | F1 neutral | F1 positive | accuracy |")
    print("|---|---|---|---|---|---|---|")
    calibration = []
    for lang in ("fr", "en"):
        train = st.read_umsab_split(folder / f"umsab-{lang}", lang, "train")
        test = st.read_umsab_split(folder / f"umsab-{lang}", lang, "val")
        labels = np.array([t.label for t in test])
        started = time.process_time()
        probabilities, cut = shipped_recipe(train, test, lang)
        seconds = time.process_time() - started
        rows = [
            (
                "old signal (" + ("hand lexicon" if lang == "fr" else "VADER") + ")",
                figures(labels, old_signal([t.text for t in test], lang)),
            ),
            ("TF-IDF + LR", figures(labels, tfidf_baseline(train, test))),
            ("**shipped recipe**", figures(labels, probabilities.argmax(axis=1))),
        ]
        for name, found in rows:
            print(
                f"| {lang} | {name} | {found['macro_f1']:.3f} | {found['negative']:.3f} | {found['neutral']:.3f} | "
                f"{found['positive']:.3f} | {found['accuracy']:.3f} |"
            )
        correct = probabilities.argmax(axis=1) == labels
        ece = expected_calibration_error(correct, probabilities.max(axis=1))
        onehot = np.eye(3)[labels]
        brier = float(np.mean(np.sum((probabilities - onehot) ** 2, axis=1)))
        confident = st.confident_metrics(probabilities[:, 0], labels == 0, cut)
        calibration.append((lang, len(test), ece, brier, confident, seconds))
    print()
    print(
        "| language | held-out tweets | ECE (top probability) | Brier (3 classes) | confident-negative cut | "
        "precision | recall | flagged | training CPU s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for lang, n, ece, brier, confident, seconds in calibration:
        print(
            f"| {lang} | {n} | {ece:.3f} | {brier:.3f} | {confident['threshold']:.3f} | "
            f"{confident['precision']:.3f} | {confident['recall']:.3f} | {confident['flagged']} | {seconds:.0f} |"
        )
    complaint_fixtures()


def complaint_fixtures() -> None:
    from tending.moderation.sentiment import COMPLAINT_AT, shipped_reader

    if not FIXTURES.exists():
        return
    cases = [
        json.loads(line)
        for line in FIXTURES.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    reader = shipped_reader()
    moods = reader.read([c["text"] for c in cases], [c["lang"] for c in cases])
    cut = COMPLAINT_AT
    flagged = np.array([m.complaint >= cut for m in moods])
    truth = np.array([bool(c["complaint"]) for c in cases])
    hits = int((flagged & truth).sum())
    print()
    print(
        f"Complaint (shipped model, cut {cut:.3f}) on {len(cases)} hand-written sentences "
        f"({int(truth.sum())} complaints): precision {hits / max(int(flagged.sum()), 1):.3f}, "
        f"recall {hits / max(int(truth.sum()), 1):.3f}"
    )
    for case, mood, flag in zip(cases, moods, flagged, strict=True):
        if flag != bool(case["complaint"]):
            kind = "missed" if case["complaint"] else "false"
            print(f"  {kind}: {case['lang']} {mood.complaint:.2f} {case['text'][:70]}")


if __name__ == "__main__":
    main()
