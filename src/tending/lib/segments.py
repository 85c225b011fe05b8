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
        return {name: (count / self.members if self.members else None) for name, count in self.counts.items()}


def heavy_core_size(counts: Iterable[int]) -> int:
    """The smallest k such that the k largest counts add up to at least half of the total."""
    ordered = sorted((c for c in counts if c > 0), reverse=True)
    total = sum(ordered)
    running = 0
    for k, count in enumerate(ordered, start=1):
        running += count
        if 2 * running >= total:
            return k
    return 0


def gini(counts: Iterable[int], *, zeros: int = 0) -> float | None:
    """Gini coefficient of the counts plus `zeros` zero counts; None when there is nothing to share.

    With x sorted ascending and ranks i = 1..n: G = 2 * sum(i * x_i) / (n * sum(x)) - (n + 1) / n,
    which equals the mean absolute difference over all pairs divided by twice the mean.
    """
    given = list(counts)
    ordered = sorted(c for c in given if c > 0)
    zeros += len(given) - len(ordered)
    n = len(ordered) + zeros
    total = sum(ordered)
    if n == 0 or total == 0:
        return None
    weighted = sum((zeros + rank) * count for rank, count in enumerate(ordered, start=1))
    return 2 * weighted / (n * total) - (n + 1) / n


def assign_segments(counts: Mapping[int, int]) -> dict[int, str]:
    """Segment of every contributor (member id -> heavy_core or occasional); absent members are lurkers."""
    ranked = sorted(((count, member_id) for member_id, count in counts.items() if count > 0),
                    key=lambda pair: (-pair[0], pair[1]))
    core = heavy_core_size(count for count, _ in ranked)
    return {member_id: HEAVY_CORE if position < core else OCCASIONAL
            for position, (_, member_id) in enumerate(ranked)}


def compute_segments(counts: Mapping[int, int], *, population: int, as_of: datetime, window_start: datetime,
                     window_days: int) -> SegmentsReport:
    """counts: window contributions of each contributor of the population (member id -> count > 0)."""
    contributors = {m: c for m, c in counts.items() if c > 0}
    if len(contributors) > population:
        raise ValueError("more contributors than members: the counts must come from the population")
    segment_of = assign_segments(contributors)
    sizes = {LURKERS: population - len(contributors), OCCASIONAL: 0, HEAVY_CORE: 0}
    sums = {LURKERS: 0, OCCASIONAL: 0, HEAVY_CORE: 0}
    for member_id, segment in segment_of.items():
        sizes[segment] += 1
        sums[segment] += contributors[member_id]
    return SegmentsReport(as_of=as_of, window_start=window_start, window_days=window_days, members=population,
                          contributions=sum(contributors.values()), counts=sizes,
                          contributions_by_segment=sums,
                          gini=gini(contributors.values(), zeros=population - len(contributors)))
