"""Off-topic drift: the weekly share of content unlike the community's own profile.

The profile is a TF-IDF centroid (Salton & Buckley 1988) of a sample of the community's contributions:
hashed word counts, sublinear tf, idf from the sample, l2-normalised. A message is "unlike" the profile
when its cosine similarity to the centroid falls below the UNLIKE_QUANTILE of the sample's own
similarities (so about that share of ordinary content counts as unlike). A week drifts when the share
of unlike messages exceeds the community's tolerance (setting moderation.offtopic_tolerance).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from scipy import sparse

from tending.moderation import hashing
from tending.moderation.text import clean_markup, normalise, word_text

N_FEATURES = 2**18
UNLIKE_QUANTILE = 0.10
DEFAULT_TOLERANCE = 0.25
MIN_WEEKLY = 20  # a week with fewer contributions says nothing about drift
EXAMPLES = 5


class Profile:
    def __init__(self, sample: Sequence[str]) -> None:
        counts = self._counts(sample)
        document_frequency = np.bincount(counts.indices, minlength=N_FEATURES)
        self.idf = np.log((1 + counts.shape[0]) / (1 + document_frequency)) + 1
        rows = self._weigh(counts)
        centroid = np.asarray(rows.mean(axis=0)).ravel()
        norm = np.linalg.norm(centroid)
        self.centroid = centroid / norm if norm else centroid
        own = rows @ self.centroid
        self.cutoff = float(np.quantile(own, UNLIKE_QUANTILE)) if len(own) else 0.0

    def _counts(self, texts: Sequence[str], *, normalised: bool = False) -> sparse.csr_matrix:
        """Counts of hashed words of 3+ letters: scikit-learn's HashingVectorizer (token pattern
        \\b[a-z][a-z]{2,}\\b, 2**18 columns, no normalisation) computed by tending.moderation.hashing."""
        ready = texts if normalised else [normalise(clean_markup(t[:3000])) for t in texts]
        words = hashing.split_words([word_text(t) for t in ready])
        return hashing.count_matrix(*hashing.letter_words(words), len(ready), N_FEATURES, l2=False)

    def _weigh(self, counts: sparse.csr_matrix) -> sparse.csr_matrix:
        rows = counts.astype(np.float64)
        rows.data = 1 + np.log(rows.data)
        rows = rows @ sparse.diags(self.idf)
        norms = np.sqrt(np.asarray(rows.multiply(rows).sum(axis=1)).ravel())
        norms[norms == 0] = 1
        return sparse.diags(1 / norms) @ rows

    def similarity(self, texts: Sequence[str], *, normalised: bool = False) -> np.ndarray:
        return np.asarray(
            self._weigh(self._counts(texts, normalised=normalised)) @ self.centroid
        ).ravel()


def week_start(moment: datetime) -> datetime:
    """Monday 00:00 UTC of the moment's ISO week."""
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


@dataclass
class WeekTally:
    total: int = 0
    unlike: int = 0
    examples: list[tuple[float, int]] = field(
        default_factory=list
    )  # (similarity, activity id), most unlike first

    def add(self, activity_id: int, similarity: float, unlike: bool) -> None:
        self.total += 1
        if unlike:
            self.unlike += 1
            self.examples.append((similarity, activity_id))
            if len(self.examples) > 4 * EXAMPLES:
                self.examples = sorted(self.examples)[:EXAMPLES]

    @property
    def share(self) -> float:
        return self.unlike / self.total if self.total else 0.0


def drifting_weeks(
    tallies: dict[datetime, WeekTally], *, tolerance: float
) -> list[tuple[datetime, WeekTally]]:
    return [
        (week, tally)
        for week, tally in sorted(tallies.items())
        if tally.total >= MIN_WEEKLY and tally.share > tolerance
    ]
