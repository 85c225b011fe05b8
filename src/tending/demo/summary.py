"""What the demo holds, in figures: the generator's own count, or the store's (tending.store.demo)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class DemoSummary:
    community_id: int
    community_name: str
    seed: int
    members: int
    staff: int
    bots: int
    activities: dict[str, int]  # by kind
    threads: int
    # threads whose first message got no reply or comment from anyone but its starter (bots do not count)
    unanswered_threads: int
    never_contributed: int  # members with no post, reply or comment
    first_at: datetime | None
    last_at: datetime | None
    truth: dict[str, int] = field(default_factory=dict)  # activities by extra["demo_truth"] label

    @property
    def never_contributed_share(self) -> float:
        return self.never_contributed / self.members if self.members else 0.0

    @property
    def total_activities(self) -> int:
        return sum(self.activities.values())
