"""An independent, deliberately plain computation of the health report from the raw import records.

No SQL, no rollups, no tending.lib: datetimes, dicts and loops, written from docs/health.md. The tests
compare the store's report with this, key by key.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tending.models import ActivityRecord, MemberRecord

CONTRIB = {"post", "reply", "comment"}


@dataclass
class Person:
    joined: datetime | None = None
    exact: bool = False
    left: datetime | None = None
    staff: bool = False
    bot: bool = False
    acts: list[ActivityRecord] = field(default_factory=list)


def people_of(records: list) -> dict[str, Person]:
    """Members as the records describe them. Assumes the simple histories the tests generate: at most one
    leave, nothing after it, and no re-join."""
    people: dict[str, Person] = {}
    for r in records:
        if isinstance(r, MemberRecord):
            p = people.setdefault(r.external_id, Person())
            p.staff, p.bot = r.is_staff, r.is_bot
            if r.joined_at is not None:
                p.joined, p.exact = r.joined_at, True
        elif isinstance(r, ActivityRecord):
            people.setdefault(r.member_external_id, Person()).acts.append(r)
    for p in people.values():
        for a in p.acts:
            if a.kind == "joined" and (not p.exact or p.joined is None or a.occurred_at < p.joined):
                p.joined, p.exact = a.occurred_at, True
            if a.kind == "left":
                p.left = a.occurred_at
        if not p.exact and p.acts:
            p.joined = min(a.occurred_at for a in p.acts)
    return people


def month_index(moment: datetime) -> int:
    return moment.year * 12 + moment.month - 1


def month_name(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def expected_report(records: list, *, as_of: datetime, window_days: int) -> dict:
    people = people_of(records)
    humans = {k: p for k, p in people.items() if not p.bot}
    start = as_of - timedelta(days=window_days)

    def inside(moment: datetime | None) -> bool:
        return moment is not None and start < moment <= as_of

    def present(p: Person) -> bool:
        return (p.joined is None or p.joined <= as_of) and (p.left is None or p.left > as_of)

    out: dict = {}
    out["members_total"] = sum(1 for p in humans.values() if present(p))
    out["new_members"] = sum(1 for p in humans.values() if inside(p.joined))
    out["members_left"] = sum(1 for p in humans.values() if inside(p.left))

    counts: dict[str, int] = defaultdict(int)
    for key, p in humans.items():
        for a in p.acts:
            if a.kind in CONTRIB and inside(a.occurred_at):
                counts[key] += 1
    out["active_contributors"] = len(counts)
    out["contributions"] = sum(counts.values())

    # whole UTC days inside the window
    first_day = datetime(start.year, start.month, start.day, tzinfo=UTC) + timedelta(days=1)
    days = []
    day = first_day
    while day + timedelta(days=1) - timedelta(microseconds=1) <= as_of:
        days.append(day)
        day += timedelta(days=1)
    daily = []
    for d in days:
        who = {
            k
            for k, p in humans.items()
            for a in p.acts
            if a.kind in CONTRIB and d <= a.occurred_at < d + timedelta(days=1)
        }
        daily.append(len(who))
    out["daily_contributors_mean"] = round(sum(daily) / len(daily), 4) if daily else None
    out["daily_to_monthly_contributors"] = (
        round(sum(daily) / len(daily) / len(counts), 4) if daily and counts else None
    )

    reads = [
        a.extra["reads"]
        for p in people.values()
        for a in p.acts
        if a.kind in CONTRIB
        and inside(a.occurred_at)
        and isinstance(a.extra, dict)
        and "reads" in a.extra
    ]
    out["reads"] = sum(reads) if reads else None

    for n in (7, 30):
        lag = timedelta(days=n)
        joiners = [
            (p, p.joined)
            for p in humans.values()
            if p.joined is not None and start - lag < p.joined <= as_of - lag
        ]
        firsts = [
            min((a.occurred_at for a in p.acts if a.kind in CONTRIB), default=None)
            for p, _ in joiners
        ]
        activated = sum(
            1
            for (_, joined), f in zip(joiners, firsts, strict=True)
            if f is not None and f <= joined + lag
        )
        out[f"activation_cohort_{n}d"] = len(joiners)
        out[f"activation_rate_{n}d"] = activated / len(joiners) if joiners else None

    # threads: started by their earliest post; first response = first reply/comment by another human
    by_thread: dict[str, list[tuple[ActivityRecord, str]]] = defaultdict(list)
    for key, p in people.items():
        for a in p.acts:
            if a.thread_external_id:
                by_thread[a.thread_external_id].append((a, key))
    waits, unanswered, member_started, known = [], 0, 0, 0
    for items in by_thread.values():
        posts = [(a.occurred_at, k) for a, k in items if a.kind == "post"]
        if not posts:
            continue
        started, starter = min(posts)
        if not inside(started) or people[starter].bot:
            continue
        responses = [
            a.occurred_at
            for a, k in items
            if a.kind in ("reply", "comment")
            and k != starter
            and not people[k].bot
            and a.occurred_at <= as_of
        ]
        if responses:
            waits.append((min(responses) - started).total_seconds() / 3600)
        else:
            unanswered += 1
        known += 1
        member_started += 0 if people[starter].staff else 1
    out["threads_started"] = len(waits) + unanswered
    out["time_to_first_response_hours"] = {
        "median": round(statistics.median(waits), 4) if waits else None,
        "mean": round(statistics.fmean(waits), 4) if waits else None,
        "answered": len(waits),
    }
    out["unanswered_threads"] = unanswered
    out["member_started_threads_share"] = member_started / known if known else None

    # 90-9-1 and Gini over the members present at T, with zeros
    population = [k for k, p in humans.items() if present(p)]
    values = sorted(counts.get(k, 0) for k in population)
    total = sum(values)
    n = len(values)
    if total:
        cum = sum((i + 1) * v for i, v in enumerate(values))
        out["gini"] = round(2 * cum / (n * total) - (n + 1) / n, 4)
    else:
        out["gini"] = None
    # ties broken by member id, i.e. by order of first appearance in the records
    order = {k: i for i, k in enumerate(people)}
    ranked = sorted(
        ((counts[k], k) for k in population if counts.get(k)), key=lambda x: (-x[0], order[x[1]])
    )
    core_keys: set[str] = set()
    running = 0
    for c, k in ranked:
        if 2 * running >= total:
            break
        core_keys.add(k)
        running += c
    contributors = len(ranked)
    out["segments"] = {
        "lurkers": {
            "count": n - contributors,
            "share": (n - contributors) / n if n else None,
            "reference": 0.90,
        },
        "occasional": {
            "count": contributors - len(core_keys),
            "share": (contributors - len(core_keys)) / n if n else None,
            "reference": 0.09,
        },
        "core": {
            "count": len(core_keys),
            "share": len(core_keys) / n if n else None,
            "reference": 0.01,
        },
    }

    current = month_index(as_of)

    def active_months(p: Person) -> set[int]:
        return {
            month_index(a.occurred_at)
            for a in p.acts
            if a.kind in CONTRIB and a.occurred_at <= as_of
        }

    retention = []
    for cohort_month in range(current - 12, current):
        cohort = [
            p
            for p in humans.values()
            if p.joined is not None and month_index(p.joined) == cohort_month
        ]
        months = []
        for m in range(cohort_month, current):
            active = sum(1 for p in cohort if m in active_months(p))
            months.append(active / len(cohort) if cohort else None)
        retention.append(
            {"cohort": month_name(cohort_month), "members": len(cohort), "months": months}
        )
    out["retention"] = retention

    last = current - 6
    first = last - 11
    cohort_keys = [
        k
        for k, p in humans.items()
        if p.joined is not None and first <= month_index(p.joined) <= last
    ]
    stages = {"joined": len(cohort_keys), "first_contribution": 0, "regular": 0, "core": 0}
    for k in cohort_keys:
        p = humans[k]
        contributed = active_months(p)
        if contributed:
            stages["first_contribution"] += 1
        assert p.joined is not None  # cohort_keys holds only members with a join date
        jm = month_index(p.joined)
        if len([m for m in contributed if jm <= m <= jm + 5]) >= 3:
            stages["regular"] += 1
        if k in core_keys:
            stages["core"] += 1
    out["funnel"] = {
        "cohorts": [month_name(first), month_name(last)],
        **stages,
        "shares": {
            s: (v / stages["joined"] if stages["joined"] else None) for s, v in stages.items()
        },
    }
    return out
