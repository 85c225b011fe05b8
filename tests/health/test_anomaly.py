"""Anomaly detection on constructed series: a spike is found, a steady or noisy-but-normal series stays quiet."""

from __future__ import annotations

import random

import pytest

from tending.lib.alerts import AlertSettings
from tending.lib.health import (
    ewma,
    ewma_anomaly,
    gini_from_ranks,
    mad_anomaly,
    robust_z,
)
from tending.lib.segments import HEAVY_CORE, OCCASIONAL, assign_segments, gini, heavy_core_size


def steady(seed: int, n: int = 28, level: float = 40, noise: float = 6) -> list[float]:
    rng = random.Random(seed)
    return [max(0.0, round(rng.gauss(level, noise))) for _ in range(n)]


def test_a_spike_is_detected_by_median_mad_and_ewma() -> None:
    history = steady(1)
    spike = mad_anomaly(140, history)
    assert spike is not None and spike.direction == "up" and spike.score > 10
    assert 35 <= spike.baseline <= 45
    assert ewma_anomaly(140, history) is not None


def test_a_collapse_is_detected_only_when_asked() -> None:
    history = steady(2)
    assert mad_anomaly(2, history) is None
    drop = mad_anomaly(2, history, direction="both")
    assert drop is not None and drop.direction == "down"


def test_steady_series_stay_quiet_at_the_alert_threshold() -> None:
    """Gaussian daily volumes (40 +- 6) over 200 series x 32 days: with the alerts' threshold (4.5) at
    most 1 day in 1000 raises a false alarm; the textbook 3.5 would raise about 7 in 1000."""
    threshold = AlertSettings().mad_threshold
    false_alarms = days = 0
    for seed in range(200):
        series = steady(seed, n=60)
        for day in range(28, 60):
            days += 1
            false_alarms += (
                mad_anomaly(
                    series[day], series[day - 28 : day], threshold=threshold, direction="both"
                )
                is not None
            )
    assert false_alarms / days <= 0.001
    # and the same threshold still catches a doubling of the volume
    assert all(
        mad_anomaly(2.2 * 40, steady(seed), threshold=threshold) is not None for seed in range(50)
    )


def test_a_flat_history_does_not_turn_one_message_into_an_alarm() -> None:
    assert mad_anomaly(1, [0] * 28) is None  # floor of the spread: one message is not a crisis
    assert mad_anomaly(12, [0] * 28, min_value=10) is not None
    assert mad_anomaly(9, [0] * 28, min_value=10) is None  # too small to matter
    assert mad_anomaly(50, [3, 4]) is None  # not enough history to judge


def test_one_outlier_in_the_history_does_not_mask_the_next_spike() -> None:
    history = steady(3)
    history[10] = 400  # last week's incident
    assert (
        mad_anomaly(150, history) is not None
    )  # a mean/stdev rule would be blinded by the outlier
    centre, z = robust_z(150, history)
    assert centre < 50 and z > 3.5


def test_ewma_smooths() -> None:
    assert ewma([10, 10, 10]) == [10, 10, 10]
    assert ewma([0, 10], alpha=0.5) == [0, 5]


def test_gini_and_segments_on_a_hand_count() -> None:
    assert gini([5, 5, 5, 5]) == 0
    assert gini([10], zeros=3) == 0.75  # one of four does everything: (n - 1) / n
    assert gini([], zeros=10) is None
    counts = {1: 50, 2: 30, 3: 10, 4: 10, 5: 0}
    contributors = sum(1 for n in counts.values() if n)
    core = heavy_core_size(counts.values())
    assert (100 - contributors, contributors - core, core) == (
        96,
        3,
        1,
    )  # ada's 50 of 100 is half: the core is ada
    assert assign_segments({1: 40, 2: 40, 3: 20}) == {1: HEAVY_CORE, 2: HEAVY_CORE, 3: OCCASIONAL}


def test_gini_from_ranked_aggregates_equals_the_direct_formula() -> None:
    """The store's SQL aggregates give the members area's Gini (one definition in the product)."""
    rng = random.Random(9)
    cases = [[1, 1, 2, 3, 8, 40]] + [
        [int(rng.paretovariate(1.2)) or 1 for _ in range(rng.randint(1, 300))] for _ in range(50)
    ]
    for counts in cases:
        ranked = sum(p * x for p, x in enumerate(sorted(counts), start=1))
        for population in (len(counts), len(counts) + 4, 1000):
            assert gini_from_ranks(
                population=population,
                total=sum(counts),
                contributors=len(counts),
                rank_weighted=ranked,
            ) == pytest.approx(gini(counts, zeros=population - len(counts)))
