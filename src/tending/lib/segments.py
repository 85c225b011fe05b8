"""The 90-9-1 picture of a window, and how unequal contributions are. Pure: counts in, values out.

Over the window (T - W days, T], among the community's members in it (joined by T, not bots, not merged,
not left before the window opened):
- lurkers: no contribution in the window;
- heavy core: the smallest set of members whose contributions add up to at least half of the window's
  contributions (members ranked by their count, ties by member id);
- occasional contributors: everyone else who contributed.
Nielsen's rule of thumb says 90% / 9% / 1%. The Gini coefficient of the contributions of all members of
the population (lurkers count as zeros) says how concentrated they are: 0 when everyone contributes
alike, close to 1 when one member makes them all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

LURKERS = "lurkers"
OCCASIONAL = "occasional"
HEAVY_CORE = "heavy_core"
SEGMENTS = (LURKERS, OCCASIONAL, HEAVY_CORE)
NIELSEN = {LURKERS: 0.90, OCCASIONAL: 0.09, HEAVY_CORE: 0.01}


@dataclass(frozen=True, slots=True)
class SegmentsReport:
    as_of: datetime
    window_start: datetime
    window_days: int
    members: int
    contributions: int
    counts: dict[str, int]
    contributions_by_segment: dict[str, int]
    gini: float | None

    def shares(self) -> dict[str, float | None]:
        return {
            name: (count / self.members if self.members else None)
            for name, count in self.counts.items()
        }


def histogram_of(counts: Iterable[int]) -> dict[int, int]:
    """How many members made each positive count: {count: members}."""
    return dict(Counter(c for c in counts if c > 0))


def heavy_core_size(counts: Iterable[int]) -> int:
    """The smallest k such that the k largest counts add up to at least half of the total."""
    return heavy_core_of_histogram(histogram_of(counts))[0]


def heavy_core_of_histogram(histogram: Mapping[int, int]) -> tuple[int, int]:
    """(k, their sum): the smallest k such that the k largest counts add up to at least half of the total,
    from a histogram {count: members}. Equal counts are interchangeable, so a whole run of them is taken
    at once: the members needed from the run where half is reached are ceil(missing / count)."""
    total = sum(count * members for count, members in histogram.items() if count > 0)
    size = running = 0
    for count in sorted((c for c in histogram if c > 0), reverse=True):
        members = histogram[count]
        if 2 * (running + count * members) >= total:
            needed = -(
                (2 * running - total) // (2 * count)
            )  # ceil((total - 2 * running) / (2 * count))
            return size + needed, running + needed * count
        size += members
        running += count * members
    return 0, 0


def gini(counts: Iterable[int], *, zeros: int = 0) -> float | None:
    """Gini coefficient of the counts plus `zeros` zero counts; None when there is nothing to share."""
    given = list(counts)
    histogram = histogram_of(given)
    return gini_of_histogram(histogram, zeros=zeros + len(given) - sum(histogram.values()))


def gini_of_histogram(histogram: Mapping[int, int], *, zeros: int = 0) -> float | None:
    """Gini coefficient of the counts of a histogram {count: members} plus `zeros` zero counts.

    With x sorted ascending and ranks i = 1..n: G = 2 * sum(i * x_i) / (n * sum(x)) - (n + 1) / n,
    which equals the mean absolute difference over all pairs divided by twice the mean. A run of m equal
    counts x at ranks r + 1 .. r + m adds x * (m * r + m * (m + 1) / 2) to sum(i * x_i): exact integers.
    """
    n = zeros + sum(m for c, m in histogram.items() if c > 0)
    total = sum(c * m for c, m in histogram.items() if c > 0)
    if n == 0 or total == 0:
        return None
    weighted, below = 0, zeros
    for count in sorted(c for c in histogram if c > 0):
        members = histogram[count]
        weighted += count * (members * below + members * (members + 1) // 2)
        below += members
    return 2 * weighted / (n * total) - (n + 1) / n


def assign_segments(counts: Mapping[int, int]) -> dict[int, str]:
    """Segment of every contributor (member id -> heavy_core or occasional); absent members are lurkers."""
    ranked = sorted(
        ((count, member_id) for member_id, count in counts.items() if count > 0),
        key=lambda pair: (-pair[0], pair[1]),
    )
    core = heavy_core_size(count for count, _ in ranked)
    return {
        member_id: HEAVY_CORE if position < core else OCCASIONAL
        for position, (_, member_id) in enumerate(ranked)
    }


def compute_segments(
    counts: Mapping[int, int],
    *,
    population: int,
    as_of: datetime,
    window_start: datetime,
    window_days: int,
) -> SegmentsReport:
    """counts: window contributions of each contributor of the population (member id -> count > 0)."""
    contributors = [c for c in counts.values() if c > 0]
    if len(contributors) > population:
        raise ValueError("more contributors than members: the counts must come from the population")
    return segments_of_histogram(
        histogram_of(contributors),
        population=population,
        as_of=as_of,
        window_start=window_start,
        window_days=window_days,
    )


def segments_of_histogram(
    histogram: Mapping[int, int],
    *,
    population: int,
    as_of: datetime,
    window_start: datetime,
    window_days: int,
) -> SegmentsReport:
    """The report from a histogram of the contributors' counts {count: members} (zero counts ignored):
    the sizes and sums of the segments, and Gini, depend only on it. assign_segments names the members."""
    histogram = {c: m for c, m in histogram.items() if c > 0 and m > 0}
    contributors = sum(histogram.values())
    if contributors > population:
        raise ValueError("more contributors than members: the counts must come from the population")
    total = sum(c * m for c, m in histogram.items())
    core, core_sum = heavy_core_of_histogram(histogram)
    sizes = {LURKERS: population - contributors, OCCASIONAL: contributors - core, HEAVY_CORE: core}
    sums = {LURKERS: 0, OCCASIONAL: total - core_sum, HEAVY_CORE: core_sum}
    return SegmentsReport(
        as_of=as_of,
        window_start=window_start,
        window_days=window_days,
        members=population,
        contributions=total,
        counts=sizes,
        contributions_by_segment=sums,
        gini=gini_of_histogram(histogram, zeros=population - contributors),
    )
