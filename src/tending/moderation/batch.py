"""Everything a scan computes from a batch of texts alone: language, model scores, junk, MinHash
signatures, similarity to the community's profile. Pure (no database, no clock), so a scan can hand
batches to worker processes and keep the database work in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tending.moderation import reposts, sentiment
from tending.moderation.classifier import MAX_CHARS, Classifier
from tending.moderation.drift import Profile
from tending.moderation.langid import detect_languages
from tending.moderation.text import MOJIBAKE_RE, normalise, script_letters

OTHER_SCRIPT_SHARE = 0.6
MIN_JUNK_LETTERS = 20
MIN_MOJIBAKE = 3


@dataclass
class TextAnalysis:
    langs: list[str]
    scores: dict[str, np.ndarray]  # calibrated probability per score name
    junk: list[str | None]  # "broken_encoding", "other_script" or None
    signatures: np.ndarray  # (n_kept, reposts.NUM_PERM) MinHash signatures
    signature_positions: np.ndarray  # which text each signature belongs to (short texts have none)
    similarity: np.ndarray | None  # cosine similarity to the drift profile, when there is one


def junk_reason(text: str) -> str | None:
    """Junk in another script or in broken encoding (in a French and English community)."""
    if text.isascii():
        return None  # mojibake sequences and other scripts are all outside ASCII
    if MOJIBAKE_RE.search(text) and len(MOJIBAKE_RE.findall(text)) >= MIN_MOJIBAKE:
        return "broken_encoding"
    letters, other = script_letters(text)
    if letters >= MIN_JUNK_LETTERS and other / letters >= OTHER_SCRIPT_SHARE:
        return "other_script"
    return None


def warm_up(classifier: Classifier) -> None:
    """Load every table the analysis uses, so forked workers share them instead of each loading them."""
    from tending.moderation import langid, text

    langid.identify(["warm up"])
    text.spam_patterns()
    text.insult_lexicon()
    text.script_letters("é")
    classifier.score(["warm up"], ["en"])
    sentiment.complaint_scores(sentiment.shipped_reader(), ["service client, sans réponse"], ["fr"])


def analyse_texts(
    texts: Sequence[str],
    known: Sequence[str | None],
    *,
    classifier: Classifier,
    profile: Profile | None,
) -> TextAnalysis:
    """texts: already through clean_markup; known: the language the export or the member gives."""
    normalised = [
        normalise(t[:MAX_CHARS]) for t in texts
    ]  # once, for the models, MinHash and drift
    langs = detect_languages(texts, known)
    scores = classifier.score(texts, langs, normalised)
    scores["complaint"] = sentiment.complaint_scores(sentiment.shipped_reader(), texts, langs)
    signatures, positions = reposts.minhash_batch(normalised, normalised=True)
    similarity = profile.similarity(normalised, normalised=True) if profile is not None else None
    return TextAnalysis(
        langs, scores, [junk_reason(t) for t in texts], signatures, positions, similarity
    )
