"""Reads for the onboarding engine: member snapshots for the rules' windows, and the holdout report's
counts. Writes: the tags a playbook adds. (The outbox tables themselves are in store/outbox.py.)"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, insert, select, text

from tending.models import CONTRIBUTION_KINDS, JOINED, LEFT, MESSAGE_SENT, MemberSnapshot, Window
from tending.store.ingest import batched
from tending.store.outbox import get_last_contacted
from tending.store.schema import member_stats, member_tags, members
from tending.timeutil import from_micros, to_micros

NOT_OWN_ACTIVITY = (JOINED, LEFT, MESSAGE_SENT)
STAT_FIELDS = {
    "last_activity_at",
    "first_contribution_at",
    "first_activity_at",
    "last_contribution_at",
}


def get_window_member_ids(conn: Connection, community_id: int, window: Window) -> set[int]:
    if window.field == "joined_at":
        return set(
            conn.execute(
                select(members.c.id).where(
                    members.c.community_id == community_id,
                    members.c.joined_at >= window.lo,
                    members.c.joined_at <= window.hi,
                )
            ).scalars()
        )
    if window.field in STAT_FIELDS:
        column = member_stats.c[window.field]
        return set(
            conn.execute(
                select(member_stats.c.member_id).where(
                    member_stats.c.community_id == community_id,
                    column >= window.lo,
                    column <= window.hi,
                )
            ).scalars()
        )
    if window.field.startswith("returns:"):
        return set(
            get_returns(
                conn, community_id, days=int(window.field.split(":")[1]), lo=window.lo, hi=window.hi
            )
        )
    raise ValueError(f"unknown window field {window.field}")


def get_returns(
    conn: Connection, community_id: int, *, days: int, lo: datetime, hi: datetime
) -> dict[int, list[datetime]]:
    """Members' own activities in [lo, hi] that came after at least `days` days without any."""
    kinds = ", ".join(f"'{k}'" for k in NOT_OWN_ACTIVITY)
    rows = conn.execute(
        text(
            "SELECT a.member_id, a.occurred_at FROM activities a "
            f"WHERE a.community_id = :cid AND a.kind NOT IN ({kinds}) AND a.occurred_at BETWEEN :lo AND :hi "
            "AND (SELECT MAX(p.occurred_at) FROM activities p WHERE p.community_id = a.community_id "
            f"AND p.member_id = a.member_id AND p.kind NOT IN ({kinds}) AND p.occurred_at < a.occurred_at) "
            "<= a.occurred_at - :gap ORDER BY a.member_id, a.occurred_at"
        ),
        {
            "cid": community_id,
            "lo": to_micros(lo),
            "hi": to_micros(hi),
            "gap": int(timedelta(days=days).total_seconds() * 1_000_000),
        },
    )
    found: dict[int, list[datetime]] = defaultdict(list)
    for member_id, at in rows:
        found[member_id].append(from_micros(int(at)))
    return dict(found)


def get_snapshots(
    conn: Connection, community_id: int, windows: list[Window]
) -> list[MemberSnapshot]:
    """Snapshots of the members in any of the windows (the only members the rules can concern)."""
    ids: set[int] = set()
    returns: dict[int, dict[int, tuple[datetime, ...]]] = defaultdict(dict)
    for window in windows:
        ids |= get_window_member_ids(conn, community_id, window)
        if window.field.startswith("returns:"):
            days = int(window.field.split(":")[1])
            for member_id, instants in get_returns(
                conn, community_id, days=days, lo=window.lo, hi=window.hi
            ).items():
                returns[member_id][days] = tuple(instants)
    return bulk_get_snapshots(conn, community_id, sorted(ids), returns=returns)


def bulk_get_snapshots(
    conn: Connection,
    community_id: int,
    ids: list[int],
    *,
    returns: dict[int, dict[int, tuple[datetime, ...]]] | None = None,
) -> list[MemberSnapshot]:
    snapshots: list[MemberSnapshot] = []
    for chunk in batched(ids, 2000):
        tags: dict[int, set[str]] = defaultdict(set)
        for member_id, tag in conn.execute(
            select(member_tags.c.member_id, member_tags.c.tag).where(
                member_tags.c.community_id == community_id, member_tags.c.member_id.in_(chunk)
            )
        ):
            tags[member_id].add(tag)
        contacted = get_last_contacted(conn, community_id, chunk)
        rows = conn.execute(
            select(
                members,
                member_stats.c.first_activity_at,
                member_stats.c.last_activity_at,
                member_stats.c.first_contribution_at,
                member_stats.c.last_contribution_at,
                member_stats.c.contributions,
            )
            .select_from(members.outerjoin(member_stats, member_stats.c.member_id == members.c.id))
            .where(members.c.community_id == community_id, members.c.id.in_(chunk))
            .order_by(members.c.id)
        )
        for row in rows:
            snapshots.append(
                MemberSnapshot(
                    id=row.id,
                    external_id=row.external_id,
                    display_name=row.display_name,
                    handle=row.handle,
                    platform=row.platform,
                    language=row.language,
                    joined_at=row.joined_at,
                    left_at=row.left_at,
                    is_staff=row.is_staff,
                    is_bot=row.is_bot,
                    do_not_contact=row.do_not_contact,
                    merged=row.merged_into is not None,
                    tags=frozenset(tags[row.id]),
                    first_activity_at=row.first_activity_at,
                    last_activity_at=row.last_activity_at,
                    first_contribution_at=row.first_contribution_at,
                    last_contribution_at=row.last_contribution_at,
                    contributions=row.contributions or 0,
                    last_contacted_at=contacted.get(row.id),
                    returns=(returns or {}).get(row.id, {}),
                    first_seen_at=row.created_at,
                )
            )
    return snapshots


def add_member_tag(conn: Connection, community_id: int, member_id: int, tag: str) -> bool:
    """Tag a member (no-op if tagged). To unify with the members area's tagging action when it lands."""
    exists = conn.execute(
        select(member_tags.c.tag).where(
            member_tags.c.community_id == community_id,
            member_tags.c.member_id == member_id,
            member_tags.c.tag == tag,
        )
    ).first()
    if exists:
        return False
    conn.execute(
        insert(member_tags).values(community_id=community_id, member_id=member_id, tag=tag)
    )
    return True


@dataclass(frozen=True, slots=True)
class GroupOutcome:
    members: int
    contributed: int


def get_holdout_outcomes(
    conn: Connection, community_id: int, *, rule: str, until: datetime, days: int = 30
) -> dict[str, GroupOutcome]:
    """For members messaged by `rule` (sent) and members held out of it, due at or before `until`: how many,
    and how many contributed within `days` days after the message's due instant."""
    kinds = ", ".join(f"'{k}'" for k in sorted(CONTRIBUTION_KINDS))
    rows = conn.execute(
        text(
            "SELECT CASE WHEN o.status = 'sent' THEN 'messaged' ELSE 'holdout' END AS grp, COUNT(*) AS n, "
            "SUM(CASE WHEN EXISTS (SELECT 1 FROM activities a WHERE a.community_id = o.community_id "
            f"AND a.member_id = r.member_id AND a.kind IN ({kinds}) AND a.occurred_at > o.due_at "
            "AND a.occurred_at <= o.due_at + :span) THEN 1 ELSE 0 END) AS x "
            "FROM outbox o JOIN outbox_recipients r ON r.outbox_id = o.id AND r.community_id = o.community_id "
            "WHERE o.community_id = :cid AND o.rule = :rule AND o.due_at <= :until "
            "AND (o.status = 'sent' OR (o.status = 'skipped' AND o.skip_reason = 'holdout')) GROUP BY 1"
        ),
        {
            "cid": community_id,
            "rule": rule,
            "until": to_micros(until),
            "span": int(timedelta(days=days).total_seconds() * 1_000_000),
        },
    )
    found = {"messaged": GroupOutcome(0, 0), "holdout": GroupOutcome(0, 0)}
    for group, n, x in rows:
        found[group] = GroupOutcome(int(n), int(x or 0))
    return found


@dataclass(frozen=True, slots=True)
class Addressee:
    member_id: int
    name: str | None
    address: str | None
    contactable: bool  # not do-not-contact, not left, not a bot, not merged away


ADDRESS_PLATFORM = {"matrix": "matrix", "discourse": "discourse", "slack": "slack"}


def get_addressees(
    conn: Connection, community_id: int, member_ids: list[int], *, transport: str, now: datetime
) -> dict[int, Addressee]:
    """Each member's address for `transport` (e-mail for smtp; the platform identity otherwise) and whether
    they may be contacted at `now`."""
    from tending.store.schema import identities

    addresses: dict[int, str] = {}
    query = (
        select(
            identities.c.member_id,
            identities.c.platform,
            identities.c.external_id,
            identities.c.handle,
            identities.c.email,
        )
        .where(identities.c.community_id == community_id, identities.c.member_id.in_(member_ids))
        .order_by(identities.c.id)
    )
    for row in conn.execute(query):
        if row.member_id in addresses:
            continue
        if transport == "smtp" and row.email:
            addresses[row.member_id] = row.email
        elif transport == "matrix" and (
            row.platform == "matrix" or row.external_id.startswith("@")
        ):
            addresses[row.member_id] = row.external_id
        elif transport == "discourse" and row.platform == "discourse":
            addresses[row.member_id] = row.handle or row.external_id
        elif transport == "slack" and row.platform == "slack":
            addresses[row.member_id] = row.external_id
    found = {}
    for row in conn.execute(
        select(members).where(members.c.community_id == community_id, members.c.id.in_(member_ids))
    ):
        left = row.left_at is not None and row.left_at <= now
        found[row.id] = Addressee(
            member_id=row.id,
            name=row.display_name or row.handle,
            address=addresses.get(row.id),
            contactable=not (
                row.do_not_contact or left or row.is_bot or row.merged_into is not None
            ),
        )
    return found


def get_external_ids(conn: Connection, community_id: int, member_ids: list[int]) -> dict[int, str]:
    """Members' ids as the import gave them."""
    found: dict[int, str] = {}
    for chunk in batched(sorted(set(member_ids)), 2000):
        for member_id, external_id in conn.execute(
            select(members.c.id, members.c.external_id).where(
                members.c.community_id == community_id, members.c.id.in_(chunk)
            )
        ):
            found[member_id] = external_id
    return found


def find_member_id(conn: Connection, community_id: int, external_id: str) -> int | None:
    return conn.execute(
        select(members.c.id).where(
            members.c.community_id == community_id, members.c.external_id == external_id
        )
    ).scalar()
