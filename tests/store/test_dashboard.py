"""Dashboard queries: local days in any time zone, member counts. (Retention is the health capability's.)"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from tending.models import ActivityRecord, MemberRecord
from tending.store import dashboard
from tending.store.communities import do_create_community
from tending.store.ingest import Ingestor


def act(source_id: str, who: str, kind: str, at: datetime) -> ActivityRecord:
    return ActivityRecord(
        source="chat", source_id=source_id, member_external_id=who, kind=kind, occurred_at=at
    )


def test_days_follow_a_half_hour_time_zone(engine: Engine) -> None:
    kolkata = ZoneInfo("Asia/Kolkata")  # UTC+05:30: local midnight is 18:30 UTC
    with engine.begin() as conn:
        community = do_create_community(conn, "Chai", platform="chat", timezone="Asia/Kolkata")
        Ingestor(conn, community).add_all(
            [
                act(
                    "1", "ada", "post", datetime(2026, 1, 10, 18, 29, 59, tzinfo=UTC)
                ),  # 10 Jan, 23:59:59
                act(
                    "2", "ada", "reply", datetime(2026, 1, 10, 18, 30, tzinfo=UTC)
                ),  # 11 Jan, 00:00
                act("3", "bruno", "reaction", datetime(2026, 1, 10, 18, 45, tzinfo=UTC)),
            ]
        )
        days = dashboard.get_daily_activity(
            conn,
            community.id,
            start=datetime(2026, 1, 1, tzinfo=UTC),
            end=datetime(2026, 2, 1, tzinfo=UTC),
            zone=kolkata,
        )
    assert dict(days["contributions"]) == {date(2026, 1, 10): 1, date(2026, 1, 11): 1}
    assert dict(days["reactions"]) == {date(2026, 1, 11): 1}


def test_member_counts_leave_out_bots_and_merged(engine: Engine) -> None:
    with engine.begin() as conn:
        community = do_create_community(conn, "Bots", platform="chat")
        ingestor = Ingestor(conn, community)
        ingestor.add(
            [
                MemberRecord(source="chat", external_id="ada"),
                MemberRecord(source="chat", external_id="bot", is_bot=True),
            ]
        )
        # in a batch of its own: the foundation's batch insert takes its columns from the batch's first record
        ingestor.add(
            [
                MemberRecord(
                    source="chat",
                    external_id="bruno",
                    is_staff=True,
                    left_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=1),
                )
            ]
        )
        counts = dashboard.get_member_counts(conn, community.id)
    assert (counts.total, counts.staff, counts.bots, counts.left, counts.contributors) == (
        2,
        1,
        1,
        1,
        0,
    )
