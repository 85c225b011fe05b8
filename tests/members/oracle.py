"""A plain-Python computation over raw records, written independently of tending's store and lib, to
cross-check their answers: who is inactive, and the window's contributions per member."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from tending.models import ActivityRecord, MemberRecord

CONTRIBUTING = {"post", "reply", "comment"}


class Oracle:
    def __init__(self, records: list[Any], *, first_seen: datetime) -> None:
        self.joined: dict[str, datetime] = {}
        self.exact: dict[str, datetime] = {}
        self.left: dict[str, datetime] = {}
        self.bots: set[str] = set()
        self.people: set[str] = set()
        self.contributions: dict[str, list[datetime]] = defaultdict(list)
        first: dict[str, datetime] = {}
        for r in records:
            if isinstance(r, MemberRecord):
                self.people.add(r.external_id)
                if r.is_bot:
                    self.bots.add(r.external_id)
                if r.joined_at:
                    self.exact[r.external_id] = min(
                        r.joined_at, self.exact.get(r.external_id, r.joined_at)
                    )
                if r.left_at:
                    self.left[r.external_id] = r.left_at
            elif isinstance(r, ActivityRecord):
                who = r.member_external_id
                self.people.add(who)
                first[who] = min(r.occurred_at, first.get(who, r.occurred_at))
                if r.kind == "left":
                    self.left[who] = max(r.occurred_at, self.left.get(who, r.occurred_at))
                if r.kind == "joined":
                    self.exact[who] = min(r.occurred_at, self.exact.get(who, r.occurred_at))
                if r.kind in CONTRIBUTING:
                    self.contributions[who].append(r.occurred_at)
        for who in self.people:
            self.joined[who] = self.exact.get(who) or first.get(who) or first_seen

    def before(self, as_of: datetime, days: int, zone: tzinfo) -> datetime:
        local = as_of.astimezone(zone)
        return (local - timedelta(days=days)).astimezone(UTC)

    def inactive(self, as_of: datetime, days: int, zone: tzinfo = UTC) -> set[str]:
        cutoff = self.before(as_of, days, zone)
        return {
            who
            for who in self.people
            if who not in self.bots
            and self.joined[who] <= cutoff
            and not (who in self.left and self.left[who] <= as_of)
            and not any(cutoff < at <= as_of for at in self.contributions[who])
        }

    def window_counts(self, as_of: datetime, days: int, zone: tzinfo = UTC) -> dict[str, int]:
        start = self.before(as_of, days, zone)
        counts = {}
        for who in self.population(as_of, start):
            n = sum(1 for at in self.contributions[who] if start < at <= as_of)
            if n:
                counts[who] = n
        return counts

    def population(self, as_of: datetime, start: datetime) -> set[str]:
        return {
            who
            for who in self.people
            if who not in self.bots
            and self.joined[who] <= as_of
            and not (who in self.left and self.left[who] <= start)
        }
