"""Quality of the moderation models on data each model was not trained on (issue 13).

- Spam, YouTube Spam Collection: train on two videos, evaluate on the third, rotate (target F1 >= 0.96
  on each held-out video with <= 0.5 % of clean messages flagged). Recipes: the two videos alone; the
  shipped recipe (the two videos plus SMS spam and clean French and English messages, its threshold the
  best F1 under the clean ceiling, which includes the civil French forum activity/twinoid-mush-fr, scored
  as classify scores it: the model or a spam rule, classifier.spam_rules); and a TF-IDF + LR baseline on
  the two videos. The shipped recipe prints the clean messages it flags out-of-fold and the forum posts
  it flags (rules included).
- Toxicity, French and English: leave one SOURCE out (train on the others, evaluate on it), per source and
  the mean, the shipped recipe next to a TF-IDF + LR baseline in the same run (target, French: mean
  accuracy >= 0.75, no source below 0.65). CyberAgressionAdo (no licence) is evaluated on, never trained
  on. Also: how many posts of the civil French forum the French model flags.
- Targets (insult, hate, threat): leave one source out over the sources that annotate each target.
- Self-promotion: out-of-fold (its labels are rule-derived: see docs/model-card.md).

Label mappings: training.read_* and docs/model-card.md.

    uv run python benchmarks/moderation_quality.py [--data ../shared/data] [--only spam,toxicity,targets,self_promotion]
        [--no-baseline] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from tending.moderation import training
from tending.moderation.classifier import RULE_SPAM_SCORE, Featurizer, LinearModel, spam_rules

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def with_rules(model: LinearModel, rows: Any) -> np.ndarray:
    """The spam score as classify gives it: the model's, or RULE_SPAM_SCORE when a spam rule fires."""
    return np.maximum(model.probability(rows), np.where(spam_rules(rows), RULE_SPAM_SCORE, 0.0))


def evaluate(
    model: LinearModel,
    featurizer: Featurizer,
    examples: list[training.Example],
    *,
    rules: bool = False,
) -> dict[str, Any]:
    labels = np.array([e.label for e in examples])
    rows = featurizer.transform([e.text for e in examples])
    probabilities = with_rules(model, rows) if rules else model.probability(rows)
    at_threshold = training.binary_metrics(labels, probabilities, model.threshold)
    at_half = training.binary_metrics(labels, probabilities, 0.5)
    return {
        **at_threshold,
        "accuracy_at_0.5": at_half["accuracy"],
        "f1_at_0.5": at_half["f1"],
        "majority_baseline": round(max(labels.mean(), 1 - labels.mean()), 4),
    }


def line(name: str, m: dict[str, Any]) -> str:
    return (
        f"  {name:<34} n={m['n']:<5} thr={m['threshold']:.2f} P={m['precision']:.3f} R={m['recall']:.3f} "
        f"F1={m['f1']:.3f} acc={m['accuracy']:.3f} AUC={m['roc_auc']:.3f} Brier={m['brier']:.3f} "
        f"ECE={m['ece']:.3f} | at 0.5: F1={m['f1_at_0.5']:.3f} acc={m['accuracy_at_0.5']:.3f} "
        f"| baseline acc={m['majority_baseline']:.3f}"
    )


def without_baseline(metrics: dict[str, Any]) -> dict[str, Any]:
    return {
        **metrics,
        "accuracy_at_0.5": float("nan"),
        "f1_at_0.5": float("nan"),
        "majority_baseline": float("nan"),
    }


SPAM_RECIPES = {  # name -> with the extra data (SMS spam, clean French and English messages)
    "two videos": False,
    "shipped recipe (two videos + extra data, threshold: best F1 under the clean ceiling)": True,
}


def spam_rotation(data: Path, featurizer: Featurizer, *, baseline: bool = True) -> dict[str, Any]:
    """Each recipe trained on two videos and scored on the third; the shipped recipe also reports how many
    clean messages it flags out-of-fold (tweets and forum comments of its training mix) and how many posts
    of the civil French forum (twinoid; its posts are part of the threshold's clean ceiling, as issue 13
    asks). The TF-IDF + LR baseline is trained on the two videos, threshold 0.5."""
    videos = training.read_youtube(data / "spam" / "youtube")
    posts = training.read_forum_posts(data)
    forum_rows = featurizer.transform(posts) if posts else None
    results: dict[str, Any] = {}
    for recipe, extra in SPAM_RECIPES.items():
        print(f"spam, YouTube rotation ({recipe}):")
        f1s = []
        for held in videos:
            corpus = training.load_corpus(data, youtube_videos=[v for v in videos if v != held])
            examples = corpus.sets["spam"]
            if not extra:
                examples = [e for e in examples if e.source.startswith("youtube:")]
            model, _oof, probabilities = training.train_with_out_of_fold(
                "spam", examples, featurizer, outside_clean=forum_rows if extra else None
            )
            metrics = evaluate(model, featurizer, videos[held], rules=extra)
            if extra:
                metrics["f1_model_only"] = evaluate(model, featurizer, videos[held])["f1"]
                clean = np.array(
                    [
                        e.label == 0 and not e.source.startswith("youtube:") and e.source != "sms"
                        for e in examples
                    ]
                )
                texts = [e.text for e, keep in zip(examples, clean, strict=True) if keep]
                ruled = spam_rules(featurizer.transform(texts))
                metrics["clean_flagged_out_of_fold"] = round(
                    float(((probabilities[clean] >= model.threshold) | ruled).mean()), 4
                )
                if forum_rows is not None:
                    flagged = with_rules(model, forum_rows) >= model.threshold
                    metrics["twinoid_flagged"] = round(float(flagged.mean()), 4)
            results[f"{recipe} -> {held}"] = metrics
            f1s.append(metrics["f1"])
            print(line(f"held out: {held}", metrics))
            if extra:
                print(
                    f"    model alone (no rule) F1={metrics['f1_model_only']:.3f}; "
                    f"clean messages flagged out-of-fold {metrics['clean_flagged_out_of_fold']:.2%}; French "
                    f"forum posts flagged {metrics.get('twinoid_flagged', float('nan')):.2%} of {len(posts)}"
                )
        print(
            f"  mean F1 at the chosen threshold: {np.mean(f1s):.3f}, lowest {min(f1s):.3f} (target >= 0.96 on each)"
        )
        results[f"{recipe} mean F1"] = round(float(np.mean(f1s)), 4)
    if baseline:
        f1s = []
        print("spam, YouTube rotation (TF-IDF + LR baseline on the two videos, threshold 0.5):")
        clean = [
            e.text
            for e in training.load_corpus(data).sets["spam"]
            if e.label == 0 and not e.source.startswith("youtube:") and e.source != "sms"
        ]
        for held in videos:
            rows = [e for name, v in videos.items() for e in v]
            texts = [e.text for e in rows] + clean + posts
            labels = np.array([e.label for e in rows] + [0] * (len(clean) + len(posts)))
            is_held = np.array(
                [e.source == f"youtube:{held}" for e in rows] + [False] * (len(texts) - len(rows))
            )
            is_clean = np.arange(len(texts)) >= len(rows)
            scored, threshold = tfidf_baseline(texts, labels)(
                ~is_held & ~is_clean, is_held | is_clean
            )
            probabilities = scored[: int(is_held.sum())]
            metrics = training.binary_metrics(labels[is_held], probabilities, threshold)
            # the clean messages of the shipped recipe's ceiling (training mix and forum) it flags
            metrics["clean_flagged"] = round(
                float((scored[int(is_held.sum()) :] >= threshold).mean()), 4
            )
            results[f"TF-IDF + LR baseline -> {held}"] = metrics
            f1s.append(metrics["f1"])
            print(
                f"  held out: {held:<12} P={metrics['precision']:.3f} R={metrics['recall']:.3f} "
                f"F1={metrics['f1']:.3f}; clean messages and forum posts flagged "
                f"{metrics['clean_flagged']:.1%} (bound by no ceiling)"
            )
        print(f"  mean F1: {np.mean(f1s):.3f}")
        results["TF-IDF + LR baseline mean F1"] = round(float(np.mean(f1s)), 4)
    return results


FRENCH_TOXICITY = (
    "mlma:fr",
    "jigsaw-sample:fr",
    "jigsaw-bilingual:fr",
    "rtp-lx:fr",
    "hatecheck:fr",
    "ftr:fr",
    "cyberaggression:fr",
)
EVALUATE_ONLY = frozenset({"cyberaggression:fr"})  # no licence: evaluated on, never trained on


def leave_one_source_out(
    sources: np.ndarray,
    labels: np.ndarray,
    fit_score: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, float]],
    *,
    evaluate_only: frozenset[str] = frozenset(),
) -> dict[str, dict[str, Any]]:
    """For each source holding both classes: fit on every other source (never on `evaluate_only` ones),
    score the held-out one. fit_score(train_mask, test_mask) -> (probabilities of the test rows, threshold).
    Sources with one class (clean tweets, removed comments) are always trained on, never evaluated.
    Returns the metrics per source, and under "mean" the mean accuracy, F1 and ROC-AUC and the lowest
    accuracy over the sources evaluated."""
    results: dict[str, dict[str, Any]] = {}
    never = np.isin(sources, list(evaluate_only))
    for source in sorted(set(sources.tolist())):
        held = sources == source
        if not 0 < labels[held].sum() < held.sum():
            continue
        probabilities, threshold = fit_score(~held & ~never, held)
        metrics = training.binary_metrics(labels[held], probabilities, threshold)
        metrics["positive_share"] = round(float(labels[held].mean()), 4)
        results[source] = metrics
    if results:
        values = list(results.values())
        results["mean"] = {
            "accuracy": round(float(np.mean([m["accuracy"] for m in values])), 4),
            "f1": round(float(np.mean([m["f1"] for m in values])), 4),
            "roc_auc": round(float(np.nanmean([m["roc_auc"] for m in values])), 4),
            "lowest_accuracy": round(min(m["accuracy"] for m in values), 4),
            "sources": len(values),
        }
    return results


def tending_recipe(
    name: str, examples: list[training.Example], rows: Any, featurizer: Featurizer
) -> Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, float]]:
    """The shipped recipe of model `name` (training.train_with_out_of_fold) on precomputed rows."""

    def fit_score(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, float]:
        chosen = [examples[i] for i in np.flatnonzero(train)]
        model, _metrics, _oof = training.train_with_out_of_fold(
            name, chosen, featurizer, rows=rows[train]
        )
        return model.probability(rows[test]), model.threshold

    return fit_score


FitScore = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, float]]


def tfidf_baseline(texts: list[str], labels: np.ndarray) -> FitScore:
    """TF-IDF (word 1-2-grams and character 2-5-grams within words, sublinear tf) + logistic regression
    (C 4, classes balanced), threshold 0.5: the plain baseline of issue 13."""
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    def fit_score(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, float]:
        train_texts = [texts[i] for i in np.flatnonzero(train)]
        test_texts = [texts[i] for i in np.flatnonzero(test)]
        views = [
            TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2),
            TfidfVectorizer(sublinear_tf=True, analyzer="char_wb", ngram_range=(2, 5), min_df=2),
        ]
        fitted = sparse.hstack([v.fit_transform(train_texts) for v in views], format="csr")
        model = LogisticRegression(C=4.0, class_weight="balanced", solver="liblinear", max_iter=200)
        model.fit(fitted, labels[train])
        test_rows = sparse.hstack([v.transform(test_texts) for v in views], format="csr")
        return model.predict_proba(test_rows)[:, 1], 0.5

    return fit_score


def loso_line(name: str, m: dict[str, Any]) -> str:
    return (
        f"  {name:<22} n={m['n']:<5} pos={m['positive_share']:.2f} thr={m['threshold']:.2f} "
        f"acc={m['accuracy']:.3f} P={m['precision']:.3f} R={m['recall']:.3f} F1={m['f1']:.3f} "
        f"AUC={m['roc_auc']:.3f} Brier={m['brier']:.3f} ECE={m['ece']:.3f}"
    )


def print_loso(title: str, results: dict[str, dict[str, Any]]) -> None:
    print(title)
    for source, metrics in results.items():
        if source != "mean":
            print(loso_line(source, metrics))
    if "mean" in results:
        m = results["mean"]
        print(
            f"  mean over {m['sources']} sources: accuracy {m['accuracy']:.3f} (lowest {m['lowest_accuracy']:.3f}), "
            f"F1 {m['f1']:.3f}, ROC-AUC {m['roc_auc']:.3f}"
        )


def toxicity(data: Path, featurizer: Featurizer, *, baseline: bool = True) -> dict[str, Any]:
    """Leave one source out, French and English toxicity, the shipped recipe next to the TF-IDF + LR
    baseline in the same run; and the French model's flag rate on the civil forum."""
    corpus = training.load_corpus(data)
    results: dict[str, Any] = {}
    aggression = data / "toxicity" / "cyberaggression-ado"
    plans = {
        "toxic_fr": corpus.sets["toxic_fr"]
        + (training.read_cyberaggression(aggression) if aggression.exists() else []),
        "toxic_en": corpus.sets["toxic_en"],
    }
    for name, examples in plans.items():
        texts = [e.text for e in examples]
        labels = np.array([e.label for e in examples])
        sources = np.array([e.source for e in examples])
        rows = featurizer.transform(texts)
        ours = leave_one_source_out(
            sources,
            labels,
            tending_recipe(name, examples, rows, featurizer),
            evaluate_only=EVALUATE_ONLY,
        )
        print_loso(f"{name}, leave one source out (shipped recipe):", ours)
        results[f"{name} leave-one-source-out"] = ours
        if baseline:
            base = leave_one_source_out(
                sources, labels, tfidf_baseline(texts, labels), evaluate_only=EVALUATE_ONLY
            )
            print_loso(f"{name}, leave one source out (TF-IDF + LR baseline):", base)
            results[f"{name} leave-one-source-out, TF-IDF + LR baseline"] = base
        if name == "toxic_fr":
            posts = training.read_forum_posts(data)
            keep = np.array([e.source not in EVALUATE_ONLY for e in examples])
            trainable = [e for e in examples if e.source not in EVALUATE_ONLY]
            model, _m, _oof = training.train_with_out_of_fold(
                name, trainable, featurizer, rows=rows[keep]
            )
            if posts:
                flagged = model.probability(featurizer.transform(posts)) >= model.threshold
                results["toxic_fr twinoid flag rate"] = round(float(flagged.mean()), 4)
                print(
                    f"  shipped recipe on every source: real French forum posts (twinoid, unlabelled, civil) "
                    f"flagged {flagged.mean():.1%} of {len(posts)}"
                )
    return results


def targets(data: Path, featurizer: Featurizer) -> dict[str, Any]:
    """insult, hate, threat: leave one source out over the sources annotating each target (a toxic
    example aimed elsewhere is a 0); CyberAgressionAdo evaluated only."""
    corpus = training.load_corpus(data)
    aggression = data / "toxicity" / "cyberaggression-ado"
    extra = training.read_cyberaggression(aggression) if aggression.exists() else []
    results: dict[str, Any] = {}
    for name in training.TARGETS:
        examples = corpus.sets[name] + training.target_examples(extra, name)
        labels = np.array([e.label for e in examples])
        sources = np.array([e.source for e in examples])
        rows = featurizer.transform([e.text for e in examples])
        found = leave_one_source_out(
            sources,
            labels,
            tending_recipe(name, examples, rows, featurizer),
            evaluate_only=EVALUATE_ONLY,
        )
        print_loso(f"{name}, leave one source out:", found)
        results[f"{name} leave-one-source-out"] = found
    return results


def self_promotion(data: Path, featurizer: Featurizer) -> dict[str, Any]:
    corpus = training.load_corpus(data)
    _model, oof = training.train_model("self_promotion", corpus.sets["self_promotion"], featurizer)
    print("self_promotion (rule-derived labels):")
    print(line("out-of-fold", without_baseline(oof)))
    return {"self_promotion out-of-fold": oof}


PARTS: dict[str, Callable[..., dict[str, Any]]] = {
    "spam": spam_rotation,
    "toxicity": toxicity,
    "targets": targets,
    "self_promotion": self_promotion,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--json", type=Path, help="Also write the figures to this JSON file.")
    parser.add_argument(
        "--only",
        default=",".join(PARTS),
        help=f"Comma-separated parts to run ({', '.join(PARTS)}).",
    )
    parser.add_argument(
        "--no-baseline", action="store_true", help="Skip the TF-IDF + LR baselines."
    )
    args = parser.parse_args()
    featurizer = Featurizer()
    started = time.perf_counter()
    results: dict[str, Any] = {}
    for part in args.only.split(","):
        if part not in PARTS:
            parser.error(f"--only: unknown part {part!r} (choose among {', '.join(PARTS)})")
        runner = PARTS[part]
        results.update(
            runner(args.data, featurizer)
            if part in ("targets", "self_promotion")
            else runner(args.data, featurizer, baseline=not args.no_baseline)
        )
    print(f"({time.perf_counter() - started:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
