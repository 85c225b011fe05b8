"""The 90-9-1 segments and the Gini coefficient, by hand and against their textbook definitions."""

from __future__ import annotations

from itertools import combinations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tending.lib.segments import (
    HEAVY_CORE,
    LURKERS,
    OCCASIONAL,
    assign_segments,
    compute_segments,
    gini,
    gini_of_histogram,
    heavy_core_of_histogram,
    heavy_core_size,
    histogram_of,
    segments_of_histogram,
)
from tests.members.story import T, days


def test_heavy_core_is_the_smallest_set_making_half() -> None:
    assert heavy_core_size([10, 5, 3, 2]) == 1  # 10 of 20 is half
    assert heavy_core_size([9, 5, 4, 2]) == 2  # 9 < 10, 14 >= 10
    assert heavy_core_size([1, 1, 1, 1]) == 2
    assert heavy_core_size([]) == 0


def test_ties_at_the_edge_go_by_member_id() -> None:
    assigned = assign_segments({7: 3, 3: 3, 5: 2})  # total 8: the first 3 is not half, two 3s are
    assert assigned == {3: HEAVY_CORE, 7: HEAVY_CORE, 5: OCCASIONAL}
    assert assign_segments({7: 2, 3: 2, 5: 2, 9: 2}) == {
        3: HEAVY_CORE,
        5: HEAVY_CORE,
        7: OCCASIONAL,
        9: OCCASIONAL,
    }


def test_gini_known_values() -> None:
    assert gini([1, 1, 1, 1]) == 0
    assert gini([4], zeros=3) == pytest.approx(0.75)  # one of four makes everything: (n - 1) / n
    assert gini([1, 3]) == pytest.approx(0.25)  # |1-3| * 2 / (2 * 2^2 * 2)
    assert gini([], zeros=5) is None


@given(st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=30))
def test_gini_equals_the_mean_absolute_difference_over_twice_the_mean(values: list[int]) -> None:
    n, total = len(values), sum(values)
    if total == 0:
        assert gini(values) is None
        return
    pairs = sum(abs(a - b) for a in values for b in values)
    assert gini(values) == pytest.approx(pairs / (2 * n * total))


@given(st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=12))
def test_no_smaller_set_makes_half(counts: list[int]) -> None:
    k = heavy_core_size(counts)
    total = sum(counts)
    assert any(2 * sum(c) >= total for c in combinations(counts, k))
    assert not any(2 * sum(c) >= total for c in combinations(counts, k - 1))


def test_a_community_in_the_90_9_1_shape() -> None:
    # 100 members: one writes 50, nine write 5 each + one writes 5, 89 lurk
    counts = {1: 50, **{i: 5 for i in range(2, 12)}}
    report = compute_segments(
        counts, population=100, as_of=T, window_start=T - days(90), window_days=90
    )
    assert report.counts == {LURKERS: 89, OCCASIONAL: 10, HEAVY_CORE: 1}
    assert report.contributions == 100 and report.contributions_by_segment[HEAVY_CORE] == 50
    assert report.shares() == {LURKERS: 0.89, OCCASIONAL: 0.10, HEAVY_CORE: 0.01}
    assert report.gini == pytest.approx(gini([50] + [5] * 10, zeros=89))


def test_counts_from_outside_the_population_are_refused() -> None:
    with pytest.raises(ValueError):
        compute_segments({1: 1, 2: 1}, population=1, as_of=T, window_start=T, window_days=1)


def sorted_reference(counts: list[int], zeros: int) -> tuple[int, int, float | None]:
    """(heavy core size, its sum, Gini) by sorting every member's count, as the definitions read."""
    ordered = sorted(counts, reverse=True)
    total, running, core = sum(ordered), 0, 0
    for count in ordered:
        if total and 2 * running >= total:
            break
        running += count
        core += 1
    values = sorted([0] * zeros + counts)
    n = len(values)
    if n == 0 or total == 0:
        return core, running, None
    return (
        core,
        running,
        2 * sum(i * x for i, x in enumerate(values, start=1)) / (n * total) - (n + 1) / n,
    )


@given(
    st.lists(st.integers(min_value=1, max_value=9), max_size=60),
    st.integers(min_value=0, max_value=40),
)
def test_the_histogram_forms_equal_the_member_by_member_definitions(
    counts: list[int], zeros: int
) -> None:
    histogram = histogram_of(counts)
    core, core_sum, expected_gini = sorted_reference(counts, zeros)
    assert heavy_core_of_histogram(histogram) == (core, core_sum)
    if expected_gini is None:
        assert gini_of_histogram(histogram, zeros=zeros) is None
    else:
        assert gini_of_histogram(histogram, zeros=zeros) == pytest.approx(expected_gini)
    by_member = compute_segments(
        dict(enumerate(counts)),
        population=len(counts) + zeros,
        as_of=T,
        window_start=T - days(90),
        window_days=90,
    )
    assigned = assign_segments(dict(enumerate(counts)))
    assert (
        by_member.counts[HEAVY_CORE] == sum(1 for s in assigned.values() if s == HEAVY_CORE) == core
    )
    assert (
        by_member.contributions_by_segment[HEAVY_CORE]
        == sum(counts[m] for m, s in assigned.items() if s == HEAVY_CORE)
        == core_sum
    )
    assert (
        segments_of_histogram(
            histogram,
            population=len(counts) + zeros,
            as_of=T,
            window_start=T - days(90),
            window_days=90,
        )
        == by_member
    )


def test_a_histogram_of_one_run_needs_only_part_of_it() -> None:
    # 7 members with 3 each = 21: half is 10.5, so 4 of them (12)
    assert heavy_core_of_histogram({3: 7}) == (4, 12)
    assert heavy_core_of_histogram({10: 1, 1: 10}) == (1, 10)
    assert heavy_core_of_histogram({}) == (0, 0)
