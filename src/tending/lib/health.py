"""Pure logic of community health: inequality, participation segments, and robust anomaly detection.

No SQL and no clock here: values in, values out. Definitions and references are in docs/health.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from tending.models import SegmentShare, SegmentShares

# MAD * 1.4826 estimates the standard deviation of normally distributed data (Rousseeuw & Croux 1993).
MAD_SCALE = 1.4826


def median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def gini_from_ranks(
    *, population: int, total: int, contributors: int, rank_weighted: int
) -> float | None:
    """tending.lib.segments.gini (the one definition) from aggregates the store makes in SQL:
    `rank_weighted` = sum of p * x_p over the contributors ranked
    ascending from p = 1; the population's zeros shift every rank by (population - contributors)."""
    n = max(population, contributors)
    if total == 0 or n == 0:
        return None
    zeros = n - contributors
    return 2 * (zeros * total + rank_weighted) / (n * total) - (n + 1) / n


@dataclass(frozen=True)
class Segments:
    population: int
    lurkers: int
    occasional: int
    core: int

    def as_dict(self) -> SegmentShares:
        def part(count: int, reference: float) -> SegmentShare:
            return {"count": count, "share": share(count, self.population), "reference": reference}

        return {
            "lurkers": part(self.lurkers, 0.90),
            "occasional": part(self.occasional, 0.09),
            "core": part(self.core, 0.01),
        }


def segments_from_counts(*, population: int, contributors: int, core: int) -> Segments:
    """The 90-9-1 picture from counts already made (the store computes the core in SQL, with the
    definition of tending.lib.segments.heavy_core_size)."""
    return Segments(
        population=population,
        lurkers=max(population - contributors, 0),
        occasional=contributors - core,
        core=core,
    )


# -- anomaly detection ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Anomaly:
    value: float
    baseline: float
    score: float  # robust z-score (MAD) or EWMA z-score
    direction: str  # "up" or "down"
    method: str


def robust_z(value: float, history: Sequence[float], *, floor: float = 1.0) -> tuple[float, float]:
    """(median of history, robust z of value). The scale never falls below `floor`, so a perfectly flat
    history (MAD 0) does not turn a change of one message into an infinite score."""
    centre = median(history)
    if centre is None:
        return value, 0.0
    deviations = [abs(x - centre) for x in history]
    scale = max(MAD_SCALE * (median(deviations) or 0.0), floor)
    return centre, (value - centre) / scale


def mad_anomaly(
    value: float,
    history: Sequence[float],
    *,
    threshold: float = 3.5,
    min_history: int = 7,
    floor: float = 1.0,
    min_value: float = 0.0,
    direction: str = "up",
) -> Anomaly | None:
    """Rolling median + MAD: flags `value` when its robust z-score passes `threshold` (Iglewicz & Hoaglin's
    3.5). `direction` is "up", "down" or "both"; `min_value` ignores spikes too small to matter."""
    if len(history) < min_history:
        return None
    centre, z = robust_z(value, history, floor=floor)
    if direction in ("up", "both") and z >= threshold and value >= min_value:
        return Anomaly(value=value, baseline=centre, score=z, direction="up", method="median_mad")
    if direction in ("down", "both") and z <= -threshold:
        return Anomaly(value=value, baseline=centre, score=z, direction="down", method="median_mad")
    return None


def ewma(series: Sequence[float], *, alpha: float = 0.3) -> list[float]:
    """Exponentially weighted moving average; out[i] is the smoothed value after series[i]."""
    out: list[float] = []
    level: float | None = None
    for x in series:
        level = x if level is None else alpha * x + (1 - alpha) * level
        out.append(level)
    return out


def ewma_anomaly(
    value: float,
    history: Sequence[float],
    *,
    alpha: float = 0.3,
    threshold: float = 3.0,
    min_history: int = 7,
    floor: float = 1.0,
    min_value: float = 0.0,
) -> Anomaly | None:
    """EWMA control chart: the forecast is the EWMA of the history, the spread the EWMA of its squared
    one-step errors (Roberts 1959; Hunter 1986). Flags an upward break only (rates, backlogs)."""
    if len(history) < min_history:
        return None
    level = history[0]
    variance = 0.0
    for x in history[1:]:
        error = x - level
        variance = alpha * error * error + (1 - alpha) * variance
        level = level + alpha * error
    spread = max(math.sqrt(variance), floor)
    score = (value - level) / spread
    if score >= threshold and value >= min_value:
        return Anomaly(value=value, baseline=level, score=score, direction="up", method="ewma")
    return None
