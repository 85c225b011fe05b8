"""Spam, YouTube rotation: how far the shipped recipe's scores can go on the held-out video, and what a
community-level prior correction would give (a diagnosis for issue #6; nothing here ships).

For each rotation (train on two videos with the shipped recipe, score the third):
- F1 at the model's own threshold (what ships);
- the prior correction of Saerens, Latinne and Decaestecker (2002): EM estimates the share of spam in the
  held-out video from its unlabelled scores, and the scores are moved from the training mix's prior to
  that estimate, upward only (a clean community's estimate falls below the training prior, and lowering
  its scores would hide the first spam that arrives); F1 at the same threshold;
- the ceiling: the best F1 any single threshold reaches on the held-out video's labels. Every correction
  that keeps the order of the scores (a prior, a threshold rule) is bounded by it. It reads the held-out
  labels, so it is a diagnosis, never a choice.

    uv run python benchmarks/moderation_spam_prior.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from tending.moderation import training
from tending.moderation.classifier import Featurizer

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def best_f1(labels: np.ndarray, probabilities: np.ndarray) -> float:
    """The best F1 of any threshold: flagging the k highest scores, for every k at once."""
    order = np.argsort(-probabilities, kind="stable")
    true_pos = np.cumsum(labels[order] == 1)
    flagged = np.arange(1, len(labels) + 1)
    last_of_tie = np.r_[
        probabilities[order][1:] != probabilities[order][:-1], True
    ]  # a threshold keeps ties together
    f1 = 2 * true_pos / (flagged + max(int((labels == 1).sum()), 1))
    return float(f1[last_of_tie].max())


def prior_em(
    probabilities: np.ndarray, train_prior: float, rounds: int = 200
) -> tuple[np.ndarray, float]:
    """Saerens et al. (2002): the new prior and the posteriors moved to it."""
    prior, moved = train_prior, probabilities
    for _ in range(rounds):
        spam = prior / train_prior * probabilities
        ham = (1 - prior) / (1 - train_prior) * (1 - probabilities)
        moved = spam / (spam + ham)
        if abs(float(moved.mean()) - prior) < 1e-7:
            break
        prior = float(moved.mean())
    return moved, prior


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    featurizer = Featurizer()
    videos = training.read_youtube(args.data / "spam" / "youtube")
    shipped, corrected, ceiling = [], [], []
    for held in videos:
        corpus = training.load_corpus(args.data, youtube_videos=[v for v in videos if v != held])
        examples = corpus.sets["spam"]
        model, _metrics, _oof = training.train_with_out_of_fold("spam", examples, featurizer)
        train_prior = float(np.mean([e.label for e in examples]))
        labels = np.array([e.label for e in videos[held]])
        scores = model.probability(featurizer.transform([e.text for e in videos[held]]))
        moved, prior = prior_em(scores, train_prior)
        moved = np.maximum(moved, scores)  # upward only
        at_threshold = training.binary_metrics(labels, scores, model.threshold)
        after = training.binary_metrics(labels, moved, model.threshold)
        best = best_f1(labels, scores)
        shipped.append(at_threshold["f1"])
        corrected.append(after["f1"])
        ceiling.append(best)
        print(
            f"held out {held:<10} spam share {labels.mean():.3f}, estimated {prior:.3f} "
            f"(training mix {train_prior:.3f})"
            f" | shipped F1 {at_threshold['f1']:.3f} P {at_threshold['precision']:.3f} R {at_threshold['recall']:.3f}"
            f" | prior-corrected F1 {after['f1']:.3f} P {after['precision']:.3f} R {after['recall']:.3f}"
            f" | ceiling F1 {best:.3f}",
            flush=True,
        )
    print(
        f"mean F1: shipped {np.mean(shipped):.3f}, prior-corrected {np.mean(corrected):.3f}, "
        f"ceiling of any threshold {np.mean(ceiling):.3f} (target >= 0.95)"
    )


if __name__ == "__main__":
    main()
