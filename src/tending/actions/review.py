"""What the moderation shells read beside tending.actions.moderation (the queue's states, counts and
texts), and the model-level operations: warming the models, classifying texts, training.

Kept apart from actions/moderation.py so the review queue's state changes stay in one file."""

from __future__ import annotations

from tending.moderation.classifier import shipped_classifier
from tending.moderation.escalation import DEFAULT_ACTION
from tending.moderation.langid import detect_language
from tending.moderation.sentiment_training import SENTIMENT_NAMES, train_sentiment_models
from tending.moderation.training import MODEL_NAMES, train_all
from tending.store.moderation import (
    DONE,
    OPEN,
    count_scannable,
    get_activity_texts,
    get_offender_counts,
)

__all__ = [
    "DEFAULT_ACTION",
    "DONE",
    "MODEL_NAMES",
    "OPEN",
    "SENTIMENT_NAMES",
    "count_scannable",
    "do_warm_up",
    "get_activity_texts",
    "get_offender_counts",
    "shipped_classifier",
    "train_all",
    "train_sentiment_models",
]


def do_warm_up() -> None:
    """Load the moderation models and the language identifier (seconds) before the first visit needs them."""
    import tending.actions.moderation  # noqa: F401  (loads the shipped models)

    detect_language("bonjour à tous, hello everyone")  # the identifier loads its model on first use
