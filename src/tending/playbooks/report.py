"""Does a message help? For each rule with a holdout: the share of messaged members who contributed within
30 days of the message's due date, the same share among the held-out members, and the difference with a
95% confidence interval (Newcombe's hybrid score method, tending.lib.proportions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from tending.lib.proportions import newcombe_difference, wilson_interval
from tending.models import Community
from tending.playbooks.model import Playbook
from tending.store.onboarding import GroupOutcome, get_holdout_outcomes


@dataclass(frozen=True, slots=True)
class RuleReport:
    rule: str
    holdout: float
    messaged: GroupOutcome
    held_out: GroupOutcome
    days: int

    @staticmethod
    def rate(group: GroupOutcome) -> float | None:
        return group.contributed / group.members if group.members else None

    def difference(self) -> tuple[float, float, float] | None:
        return newcombe_difference(
            self.messaged.contributed,
            self.messaged.members,
            self.held_out.contributed,
            self.held_out.members,
        )

    def as_dict(self) -> dict[str, object]:
        diff = self.difference()
        return {
            "rule": self.rule,
            "holdout": self.holdout,
            "days": self.days,
            "messaged": {
                "members": self.messaged.members,
                "contributed": self.messaged.contributed,
                "rate": self.rate(self.messaged),
                "interval": wilson_interval(self.messaged.contributed, self.messaged.members),
            },
            "holdout_group": {
                "members": self.held_out.members,
                "contributed": self.held_out.contributed,
                "rate": self.rate(self.held_out),
                "interval": wilson_interval(self.held_out.contributed, self.held_out.members),
            },
            "difference": None if diff is None else diff[0],
            "difference_interval": None if diff is None else [diff[1], diff[2]],
        }


def holdout_report(
    conn: Connection, community: Community, playbook: Playbook, *, now: datetime, days: int = 30
) -> list[RuleReport]:
    """Rules with a holdout; only messages due at least `days` days before `now` count (the window is over)."""
    reports = []
    for rule in playbook.rules:
        outcomes = get_holdout_outcomes(
            conn, community.id, rule=rule.name, until=now - timedelta(days=days), days=days
        )
        if rule.holdout > 0 or outcomes["holdout"].members:
            reports.append(
                RuleReport(
                    rule=rule.name,
                    holdout=rule.holdout,
                    messaged=outcomes["messaged"],
                    held_out=outcomes["holdout"],
                    days=days,
                )
            )
    return reports
