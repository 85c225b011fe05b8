"""SQL for the demo: its summary read back from the store, and removing a community's rows."""

from __future__ import annotations

from sqlalchemy import Connection, and_, case, exists, func, select

from tending.models import COMMENT, REPLY, Community, DemoSummary
from tending.store.communities import delete_community_rows as delete_community_rows
from tending.store.schema import activities, member_stats, members, threads


def get_demo_summary(conn: Connection, community: Community) -> DemoSummary:
    cid = community.id
    count, staff, bots = conn.execute(
        select(
            func.count(),
            func.sum(case((members.c.is_staff, 1), else_=0)),
            func.sum(case((members.c.is_bot, 1), else_=0)),
        ).where(members.c.community_id == cid)
    ).one()
    kinds: dict[str, int] = dict(
        conn.execute(
            select(activities.c.kind, func.count())
            .where(activities.c.community_id == cid)
            .group_by(activities.c.kind)
        ).all()
    )
    first_at, last_at = conn.execute(
        select(func.min(activities.c.occurred_at), func.max(activities.c.occurred_at)).where(
            activities.c.community_id == cid
        )
    ).one()
    contributors = conn.execute(
        select(func.count())
        .select_from(member_stats)
        .where(member_stats.c.community_id == cid, member_stats.c.contributions > 0)
    ).scalar_one()
    label = activities.c.extra["demo_truth"].as_string()
    truth: dict[str, int] = dict(
        conn.execute(
            select(label, func.count())
            .where(activities.c.community_id == cid, label.is_not(None))
            .group_by(label)
        ).all()
    )
    return DemoSummary(
        community_id=cid,
        community_name=community.name,
        seed=int(community.settings.get("demo", {}).get("seed", 0)),
        members=count,
        staff=int(staff or 0),
        bots=int(bots or 0),
        activities=kinds,
        threads=conn.execute(
            select(func.count()).where(threads.c.community_id == cid)
        ).scalar_one(),
        unanswered_threads=count_unanswered_threads(conn, cid),
        never_contributed=count - contributors,
        first_at=first_at,
        last_at=last_at,
        truth=dict(sorted(truth.items())),
    )


def count_unanswered_threads(conn: Connection, community_id: int) -> int:
    """Threads whose first message got no reply or comment from anyone but its starter (bots excluded)."""
    answer = (
        select(activities.c.id)
        .join(
            members,
            and_(members.c.id == activities.c.member_id, members.c.community_id == community_id),
        )
        .where(
            activities.c.community_id == community_id,
            activities.c.thread_id == threads.c.id,
            activities.c.kind.in_([REPLY, COMMENT]),
            activities.c.member_id != threads.c.started_by,
            members.c.is_bot.is_(False),
        )
    )
    return conn.execute(
        select(func.count())
        .select_from(threads)
        .where(threads.c.community_id == community_id, ~exists(answer))
    ).scalar_one()


def get_database_size(conn: Connection) -> int | None:
    """Bytes on disk: the SQLite file with its write-ahead log, or PostgreSQL's pg_database_size."""
    if conn.dialect.name == "postgresql":
        return int(conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar_one())
    if conn.dialect.name == "sqlite":
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
        size = conn.exec_driver_sql("PRAGMA page_size").scalar_one()
        return int(pages) * int(size)
    return None
