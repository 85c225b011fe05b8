"""Members: who they are, their facts as of an instant, the inactive list, window counts, tags, merges.

Two paths answer "as of T":
- the fast path, when T is at or after the community's newest activity: the member_stats rollups (kept
  exact at write time by store/ingest.py) and the members indexes answer by index lookups, without reading
  the activities;
- the past path, for an earlier T (or when reactions count as contributions, which the rollups cannot
  tell apart in time): the contributions up to T are counted from the activities. Correct, slower.
Both produce the same MemberFacts, and tests check that they agree. Every query stays inside one community.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Index, delete, insert, select, text, update

if TYPE_CHECKING:
    import numpy as np

from tending.errors import UsageError
from tending.lib.lifecycle import (
    WENT_QUIET,
    LifecycleSettings,
    MemberFacts,
    days_before,
    inactive_kind,
    is_inactive,
    state_of,
)
from tending.models import Community, Identity, Member
from tending.store import contributor_days
from tending.store.schema import activities, identities, member_tags, members, threads
from tending.timeutil import from_micros, to_micros

# Created by migration 0003_checkins; declared here so the metadata describes the real schema.
Index(
    "ix_members_eligibility",
    members.c.community_id,
    members.c.joined_at,
    members.c.left_at,
    members.c.is_bot,
    members.c.merged_into,
)
CONTRIBUTIONS_SQL = (
    "kind IN ('post', 'reply', 'comment')"  # literally the partial index's condition
)
Index(
    "ix_activities_contributions",
    activities.c.community_id,
    activities.c.member_id,
    activities.c.occurred_at,
    activities.c.kind,
    # Partial on PostgreSQL too (the migration says `postgresql_where` with the same condition). Not
    # repeated here: naming a PostgreSQL option loads that dialect and its drivers, ~0.06 s at the start
    # of every command on SQLite, and nothing builds the schema from this declaration.
    sqlite_where=text(CONTRIBUTIONS_SQL),
)

CHUNK = 900  # ids per IN (...) list: under SQLite's parameter limit with room to spare

# "A member, not a bot, not merged away, not left by :left_after" on members aliased m. The effective join
# date: the platform's, else the first activity, else when tending first saw the member (created_at).
ELIGIBLE = (
    "m.community_id = :cid AND m.is_bot = FALSE AND m.merged_into IS NULL "
    "AND (m.left_at IS NULL OR m.left_at > :left_after)"
)
# The same, for members reached by key from member_stats: `+m.community_id` keeps SQLite's planner from
# driving the query from a members index instead. Without fresh statistics for the indexes migration 0006
# added, SQLite 3.40 scanned every member through ix_members_community_id_left_at and looked up each one's
# rollup (the inactive count went from 0.15 s to 0.65 s at a million members).
ELIGIBLE_BY_KEY = ELIGIBLE.replace("m.community_id = :cid", "+m.community_id = :cid", 1)
JOINED_BY_CUTOFF = "COALESCE(m.joined_at, m.created_at) <= :cutoff"


def kinds_sql(lifecycle: LifecycleSettings) -> str:
    if lifecycle.count_reactions:
        return "kind IN ('post', 'reply', 'comment', 'reaction')"
    return CONTRIBUTIONS_SQL


@dataclass(slots=True)
class MemberRow:
    """A member with their facts and state as of one instant: what listings print."""

    member: Member
    facts: MemberFacts
    state: str | None


def _micros(moment: datetime) -> int:
    return to_micros(moment)


def _dt(value: Any) -> datetime | None:
    return None if value is None else from_micros(int(value))


def chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# -- reading members --------------------------------------------------------------------------------------


def _member(row: Any, tags: list[str] | None = None) -> Member:
    return Member(
        id=row.id,
        community_id=row.community_id,
        platform=row.platform,
        external_id=row.external_id,
        display_name=row.display_name,
        handle=row.handle,
        joined_at=row.joined_at,
        joined_at_exact=bool(row.joined_at_exact),
        left_at=row.left_at,
        language=row.language,
        is_staff=bool(row.is_staff),
        is_bot=bool(row.is_bot),
        do_not_contact=bool(row.do_not_contact),
        notes=row.notes,
        merged_into=row.merged_into,
        tags=tags or [],
    )


def get_member(conn: Connection, community_id: int, member_id: int) -> Member | None:
    row = conn.execute(
        select(members).where(members.c.community_id == community_id, members.c.id == member_id)
    ).first()
    return _member(row, get_tags(conn, community_id, member_id)) if row else None


def get_members_by_id(
    conn: Connection, community_id: int, member_ids: Iterable[int]
) -> dict[int, Member]:
    found: dict[int, Member] = {}
    for chunk in chunks(list(member_ids)):
        for row in conn.execute(
            select(members).where(members.c.community_id == community_id, members.c.id.in_(chunk))
        ):
            found[row.id] = _member(row)
    return found


def resolve_member(conn: Connection, community: Community, ref: str) -> Member:
    """The member a user names: the platform's id as the import gave it, PLATFORM:ID when that id exists on
    several platforms, or #N for tending's own number. Merged-away members lead to whom they were merged into."""
    ref = ref.strip()
    member_id = _find_member_id(conn, community, ref)
    if member_id is None:
        raise UsageError(
            f"ID: no member '{ref}' in community '{community.name}' (use the id the import gave, "
            "PLATFORM:ID, or #N for tending's number)."
        )
    for _ in range(20):  # follow merges; a chain longer than this would be a loop
        member = get_member(conn, community.id, member_id)
        assert member is not None
        if member.merged_into is None:
            return member
        member_id = member.merged_into
    raise UsageError(f"ID: member '{ref}' is in a loop of merges; fix it with a new merge.")


def _find_member_id(conn: Connection, community: Community, ref: str) -> int | None:
    owners = conn.execute(
        select(identities.c.platform, identities.c.member_id).where(
            identities.c.community_id == community.id, identities.c.external_id == ref
        )
    ).all()
    if len({member_id for _, member_id in owners}) > 1:
        platforms = ", ".join(sorted({platform for platform, _ in owners}))
        raise UsageError(
            f"ID: '{ref}' names different members on {platforms}: write PLATFORM:{ref}."
        )
    if owners:
        return int(owners[0].member_id)
    if ":" in ref:
        platform, external_id = ref.split(":", 1)
        found = conn.execute(
            select(identities.c.member_id).where(
                identities.c.community_id == community.id,
                identities.c.platform == platform,
                identities.c.external_id == external_id,
            )
        ).scalar()
        if found is not None:
            return int(found)
    if ref.startswith("#") and ref[1:].isdigit():
        found = conn.execute(
            select(members.c.id).where(
                members.c.community_id == community.id, members.c.id == int(ref[1:])
            )
        ).scalar()
        return None if found is None else int(found)
    return None


def get_identities(conn: Connection, community_id: int, member_id: int) -> list[Identity]:
    """The member's accounts (platform, external id, handle). E-mail addresses are left out on purpose."""
    rows = conn.execute(
        select(identities.c.platform, identities.c.external_id, identities.c.handle)
        .where(identities.c.community_id == community_id, identities.c.member_id == member_id)
        .order_by(identities.c.id)
    )
    return [Identity(**row._mapping) for row in rows]


# -- facts as of an instant -------------------------------------------------------------------------------


def get_newest_activity_at(conn: Connection, community_id: int) -> datetime | None:
    value = conn.execute(
        text("SELECT max(occurred_at) FROM activities WHERE community_id = :cid"),
        {"cid": community_id},
    ).scalar()
    return _dt(value)


def rollups_answer(
    conn: Connection, community_id: int, as_of: datetime, lifecycle: LifecycleSettings
) -> bool:
    """True when the rollups are exactly the state as of `as_of` (nothing happened after it)."""
    if lifecycle.count_reactions:
        return False
    newest = get_newest_activity_at(conn, community_id)
    return newest is None or as_of >= newest


MEMBER_COLUMNS = (
    "m.id, m.community_id, m.platform, m.external_id, m.display_name, m.handle, m.joined_at, "
    "m.joined_at_exact, m.left_at, m.language, m.is_staff, m.is_bot, m.do_not_contact, m.notes, "
    "m.merged_into, m.created_at"
)


def _row_to_member_and_facts(
    row: Any, counts: tuple[int, Any, Any] | None
) -> tuple[Member, MemberFacts]:
    member = Member(
        id=row.id,
        community_id=row.community_id,
        platform=row.platform,
        external_id=row.external_id,
        display_name=row.display_name,
        handle=row.handle,
        joined_at=_dt(row.joined_at),
        joined_at_exact=bool(row.joined_at_exact),
        left_at=_dt(row.left_at),
        language=row.language,
        is_staff=bool(row.is_staff),
        is_bot=bool(row.is_bot),
        do_not_contact=bool(row.do_not_contact),
        notes=row.notes,
        merged_into=row.merged_into,
    )
    number, first, last = counts if counts is not None else (0, None, None)
    facts = MemberFacts(
        member_id=row.id,
        joined_at=member.joined_at or _dt(row.created_at),
        left_at=member.left_at,
        is_bot=member.is_bot,
        contributions=int(number or 0),
        first_contribution_at=_dt(first),
        last_contribution_at=_dt(last),
        do_not_contact=member.do_not_contact,
    )
    return member, facts


def _id_filter(member_ids: list[int] | None) -> str:
    return (
        ""
        if member_ids is None
        else " AND m.id IN ({})".format(", ".join(str(int(i)) for i in member_ids))
    )


def _community_filter(member_ids: list[int] | None) -> str:
    """m.community_id = :cid; for a list of ids, written so that the members are read by key (see
    ELIGIBLE_BY_KEY: SQLite would otherwise walk a whole members index of the community)."""
    return "m.community_id = :cid" if member_ids is None else "+m.community_id = :cid"


def _iter_from_rollups(
    conn: Connection,
    community_id: int,
    member_ids: list[int] | None,
    last_between: tuple[datetime, datetime] | None = None,
) -> Iterator[tuple[Member, MemberFacts]]:
    params: dict[str, Any] = {"cid": community_id}
    if last_between is None:
        query = (
            f"SELECT {MEMBER_COLUMNS}, s.contributions AS n, s.first_contribution_at AS first_at, "
            "s.last_contribution_at AS last_at FROM members m LEFT JOIN member_stats s ON s.member_id = m.id "
            f"WHERE {_community_filter(member_ids)} AND m.merged_into IS NULL{_id_filter(member_ids)} "
            "ORDER BY m.id"
        )
    else:  # a range of the rollup index, then the members by key
        query = (
            f"SELECT {MEMBER_COLUMNS}, s.contributions AS n, s.first_contribution_at AS first_at, "
            "s.last_contribution_at AS last_at FROM member_stats s JOIN members m ON m.id = s.member_id "
            "WHERE s.community_id = :cid AND s.last_contribution_at >= :low AND s.last_contribution_at <= :high "
            f"AND m.merged_into IS NULL{_id_filter(member_ids)} ORDER BY m.id"
        )
        params |= {"low": _micros(last_between[0]), "high": _micros(last_between[1])}
    for row in conn.execute(text(query), params):
        yield _row_to_member_and_facts(row, (row.n, row.first_at, row.last_at))


def _counts_from_activities(
    conn: Connection,
    community_id: int,
    as_of: datetime,
    lifecycle: LifecycleSettings,
    member_ids: list[int] | None,
) -> dict[int, tuple[int, Any, Any]]:
    where = (
        ""
        if member_ids is None
        else " AND member_id IN ({})".format(", ".join(str(int(i)) for i in member_ids))
    )
    rows = conn.execute(
        text(
            "SELECT member_id, count(*), min(occurred_at), max(occurred_at) FROM activities "
            f"WHERE community_id = :cid AND {kinds_sql(lifecycle)} AND occurred_at <= :as_of{where} "
            "GROUP BY member_id"
        ),
        {"cid": community_id, "as_of": _micros(as_of)},
    )
    return {member_id: (n, first, last) for member_id, n, first, last in rows}


def iter_member_facts(
    conn: Connection,
    community_id: int,
    *,
    as_of: datetime,
    lifecycle: LifecycleSettings,
    member_ids: list[int] | None = None,
    force_activities: bool = False,
    last_between: tuple[datetime, datetime] | None = None,
) -> Iterator[tuple[Member, MemberFacts]]:
    """Every member not merged away (or those of member_ids), with their facts as of `as_of`.

    `last_between` (low, high) is a hint: the caller only wants members whose latest contribution is in
    [low, high]. The rollup path then reads only those (by index); other paths may return more."""
    if member_ids is not None and not member_ids:
        return
    if member_ids is not None and len(member_ids) > CHUNK:
        for chunk in chunks(member_ids):
            yield from iter_member_facts(
                conn,
                community_id,
                as_of=as_of,
                lifecycle=lifecycle,
                member_ids=chunk,
                force_activities=force_activities,
            )
        return
    if not force_activities and rollups_answer(conn, community_id, as_of, lifecycle):
        yield from _iter_from_rollups(conn, community_id, member_ids, last_between)
        return
    counts = _counts_from_activities(conn, community_id, as_of, lifecycle, member_ids)
    query = (
        f"SELECT {MEMBER_COLUMNS} FROM members m WHERE {_community_filter(member_ids)} "
        f"AND m.merged_into IS NULL{_id_filter(member_ids)} ORDER BY m.id"
    )
    for row in conn.execute(text(query), {"cid": community_id}):
        yield _row_to_member_and_facts(row, counts.get(row.id))


def get_member_rows(
    conn: Connection,
    community_id: int,
    *,
    as_of: datetime,
    lifecycle: LifecycleSettings,
    member_ids: list[int] | None = None,
    force_activities: bool = False,
) -> list[MemberRow]:
    """Members with facts and state as of `as_of`, bots and members who had not joined yet left out
    (unless asked for by id)."""
    rows = []
    for member, facts in iter_member_facts(
        conn,
        community_id,
        as_of=as_of,
        lifecycle=lifecycle,
        member_ids=member_ids,
        force_activities=force_activities,
    ):
        state = state_of(facts, as_of=as_of, settings=lifecycle)
        if member_ids is None and state in (None, "bot"):
            continue
        rows.append(MemberRow(member, facts, state))
    return rows


# -- the inactive list ----------------------------------------------------------------------------------------


def inactive_order_key(facts: MemberFacts) -> tuple[int, int, int]:
    """The inactive list's order: the most recently silent contributors first, then those who never
    contributed, by member number. The SQL sorts the same way."""
    if facts.last_contribution_at is None:
        return 1, 0, facts.member_id
    return 0, -_micros(facts.last_contribution_at), -facts.member_id


ROLLUPS, ACTIVITIES, PYTHON = "rollups", "activities", "python"


def inactive_method(
    conn: Connection, community_id: int, as_of: datetime, lifecycle: LifecycleSettings
) -> str:
    """How to answer "who is inactive": by the rollups alone when they are exactly the state at `as_of`; by
    the same SQL with each candidate's contributions up to `as_of` read from the activities' partial index
    for an earlier instant; member by member in Python when reactions count (the rollups keep no instants
    of reactions alone)."""
    if lifecycle.count_reactions:
        return PYTHON
    return ROLLUPS if rollups_answer(conn, community_id, as_of, lifecycle) else ACTIVITIES


def _inactive_sql(method: str) -> dict[str, str]:
    """The SQL of the inactive list. Inactive = joined by the cutoff, minus those with a contribution in
    (cutoff, as_of]; the silent contributors (a contribution by the cutoff) come first by their latest one,
    then those with no contribution at all, by member number."""
    stats_join = (
        "FROM member_stats s JOIN members m ON m.id = s.member_id WHERE s.community_id = :cid "
        f"AND {ELIGIBLE_BY_KEY} "
    )
    if method == ROLLUPS:
        return {
            "recent": f"SELECT count(*) {stats_join} AND {JOINED_BY_CUTOFF} AND s.last_contribution_at > :cutoff",
            "silent": f"SELECT s.member_id, s.last_contribution_at AS last_at {stats_join} AND {JOINED_BY_CUTOFF} "
            "AND s.last_contribution_at <= :cutoff",
            "never": "s.last_contribution_at IS NULL",
        }
    contributed = (
        "EXISTS (SELECT 1 FROM activities a WHERE a.community_id = :cid AND a.member_id = s.member_id "
        f"AND a.{CONTRIBUTIONS_SQL} AND a.occurred_at > :cutoff AND a.occurred_at <= :as_of)"
    )
    latest = (
        "(SELECT max(a.occurred_at) FROM activities a WHERE a.community_id = :cid AND a.member_id = s.member_id "
        f"AND a.{CONTRIBUTIONS_SQL} AND a.occurred_at <= :as_of)"
    )
    return {
        "recent": f"SELECT count(*) {stats_join} AND {JOINED_BY_CUTOFF} AND s.last_contribution_at > :cutoff "
        f"AND {contributed}",
        "silent": f"SELECT s.member_id, {latest} AS last_at {stats_join} AND {JOINED_BY_CUTOFF} "
        f"AND s.first_contribution_at <= :cutoff AND NOT {contributed}",
        "never": "(s.first_contribution_at IS NULL OR s.first_contribution_at > :as_of)",
    }


def _inactive_params(community_id: int, as_of: datetime, days: int, zone: tzinfo) -> dict[str, Any]:
    return {
        "cid": community_id,
        "left_after": _micros(as_of),
        "as_of": _micros(as_of),
        "cutoff": _micros(days_before(as_of, days, zone)),
    }


def count_inactive(
    conn: Connection,
    community_id: int,
    *,
    as_of: datetime,
    days: int,
    method: str,
    zone: tzinfo = UTC,
) -> int:
    """How many members are inactive for `days` as of `as_of` (method ROLLUPS or ACTIVITIES)."""
    params = _inactive_params(community_id, as_of, days, zone)
    joined = conn.execute(
        text(f"SELECT count(*) FROM members m WHERE {ELIGIBLE} AND m.joined_at <= :cutoff"), params
    ).scalar_one()
    joined += conn.execute(
        text(
            f"SELECT count(*) FROM members m WHERE {ELIGIBLE} AND m.joined_at IS NULL AND m.created_at <= :cutoff"
        ),
        params,
    ).scalar_one()
    recent = conn.execute(text(_inactive_sql(method)["recent"]), params).scalar_one()
    return int(joined) - int(recent)


def page_inactive(
    conn: Connection,
    community_id: int,
    *,
    as_of: datetime,
    days: int,
    method: str,
    limit: int | None,
    offset: int = 0,
    zone: tzinfo = UTC,
) -> list[int]:
    """Member ids of one page of the inactive list, in inactive_order_key order."""
    sql = _inactive_sql(method)
    params = {**_inactive_params(community_id, as_of, days, zone), "offset": offset}
    no_limit = " LIMIT -1" if conn.dialect.name == "sqlite" else " LIMIT ALL"
    limit_sql = no_limit if limit is None else f" LIMIT {int(limit)}"
    silent = [
        member_id
        for (member_id, _) in conn.execute(
            text(
                f"{sql['silent']} ORDER BY last_at DESC, s.member_id DESC{limit_sql} OFFSET :offset"
            ),
            params,
        )
    ]
    if limit is not None and len(silent) >= limit:
        return silent
    if silent:
        rest_offset = 0
    else:  # the page starts past every silent contributor: count them to place it among the others
        contributors = conn.execute(
            text(f"SELECT count(*) FROM ({sql['silent']}) silent"), params
        ).scalar_one()
        rest_offset = max(0, offset - int(contributors))
    wanted = None if limit is None else limit - len(silent)
    never = conn.execute(
        text(
            "SELECT m.id FROM members m LEFT JOIN member_stats s ON s.member_id = m.id "
            f"WHERE {ELIGIBLE} AND {JOINED_BY_CUTOFF} AND {sql['never']} ORDER BY m.id"
            + ("" if wanted is None else f" LIMIT {int(wanted)}")
            + (f" OFFSET {rest_offset}" if rest_offset else "")
        ),
        params,
    )
    return silent + [member_id for (member_id,) in never]


def count_went_quiet(
    conn: Connection,
    community_id: int,
    *,
    as_of: datetime,
    days: int,
    method: str,
    zone: tzinfo = UTC,
) -> int:
    """How many of the inactive members went quiet (contributed by the cutoff, not since): they come first
    in the list; the others never contributed (method ROLLUPS or ACTIVITIES)."""
    params = _inactive_params(community_id, as_of, days, zone)
    silent = _inactive_sql(method)["silent"]
    return int(conn.execute(text(f"SELECT count(*) FROM ({silent}) silent"), params).scalar_one())


@dataclass(frozen=True, slots=True)
class InactiveCounts:
    total: int
    went_quiet: int

    @property
    def never_contributed(self) -> int:
        return self.total - self.went_quiet


def get_inactive_counts(
    conn: Connection,
    community_id: int,
    *,
    as_of: datetime,
    days: int,
    lifecycle: LifecycleSettings,
    method: str | None = None,
) -> InactiveCounts:
    """How many members are inactive for `days` as of `as_of`, and how many of them went quiet."""
    method = method or inactive_method(conn, community_id, as_of, lifecycle)
    if method in (ROLLUPS, ACTIVITIES):
        zone = lifecycle.zone
        return InactiveCounts(
            count_inactive(conn, community_id, as_of=as_of, days=days, method=method, zone=zone),
            count_went_quiet(conn, community_id, as_of=as_of, days=days, method=method, zone=zone),
        )
    _total, rows = get_inactive_members(
        conn, community_id, as_of=as_of, days=days, lifecycle=lifecycle, method=method
    )
    return InactiveCounts(len(rows), sum(inactive_kind(r.facts) == WENT_QUIET for r in rows))


def get_inactive_members(
    conn: Connection,
    community_id: int,
    *,
    as_of: datetime,
    days: int,
    lifecycle: LifecycleSettings,
    limit: int | None = None,
    offset: int = 0,
    method: str | None = None,
    kind: str | None = None,
    counts: InactiveCounts | None = None,
) -> tuple[int, list[MemberRow]]:
    """(how many members are inactive for `days` as of `as_of`, one page of them in list order); with
    `kind` (WENT_QUIET or NEVER_CONTRIBUTED), only those. `counts`, when the caller has them (from
    get_inactive_counts, same method), spares counting again.

    `method` forces ROLLUPS, ACTIVITIES or PYTHON (tests compare them); by default inactive_method chooses."""
    method = method or inactive_method(conn, community_id, as_of, lifecycle)
    if kind is not None:
        return _inactive_of_kind(
            conn,
            community_id,
            as_of=as_of,
            days=days,
            lifecycle=lifecycle,
            limit=limit,
            offset=offset,
            method=method,
            kind=kind,
            counts=counts,
        )
    if method in (ROLLUPS, ACTIVITIES):
        zone = lifecycle.zone
        total = (
            counts.total
            if counts is not None
            else count_inactive(
                conn, community_id, as_of=as_of, days=days, method=method, zone=zone
            )
        )
        ids = page_inactive(
            conn,
            community_id,
            as_of=as_of,
            days=days,
            method=method,
            limit=limit,
            offset=offset,
            zone=zone,
        )
        by_id = {
            row.member.id: row
            for row in get_member_rows(
                conn, community_id, as_of=as_of, lifecycle=lifecycle, member_ids=ids
            )
        }
        return total, [by_id[i] for i in ids]
    found = [
        row
        for row in get_member_rows(
            conn, community_id, as_of=as_of, lifecycle=lifecycle, force_activities=True
        )
        if is_inactive(row.facts, as_of=as_of, days=days, zone=lifecycle.zone)
    ]
    found.sort(key=lambda row: inactive_order_key(row.facts))
    end = None if limit is None else offset + limit
    return len(found), found[offset:end]


def _inactive_of_kind(
    conn: Connection,
    community_id: int,
    *,
    as_of: datetime,
    days: int,
    lifecycle: LifecycleSettings,
    limit: int | None,
    offset: int,
    method: str,
    kind: str,
    counts: InactiveCounts | None,
) -> tuple[int, list[MemberRow]]:
    """One kind of inactive member: those who went quiet are the list's head, the others its tail, so a
    page of one kind is a page of the whole list, moved and cut at the boundary."""
    if method == PYTHON:
        _total, every = get_inactive_members(
            conn, community_id, as_of=as_of, days=days, lifecycle=lifecycle, method=method
        )
        rows = [r for r in every if inactive_kind(r.facts) == kind]
        end = None if limit is None else offset + limit
        return len(rows), rows[offset:end]
    counts = counts or get_inactive_counts(
        conn, community_id, as_of=as_of, days=days, lifecycle=lifecycle, method=method
    )
    if kind == WENT_QUIET:
        total, start = counts.went_quiet, offset
    else:
        total, start = counts.never_contributed, counts.went_quiet + offset
    room = max(0, total - offset)
    wanted = room if limit is None else min(limit, room)
    if wanted == 0:
        return total, []
    _all, rows = get_inactive_members(
        conn,
        community_id,
        as_of=as_of,
        days=days,
        lifecycle=lifecycle,
        limit=wanted,
        offset=start,
        method=method,
        counts=counts,
    )
    return total, rows


# -- window counts (segments) -----------------------------------------------------------------------------------


def count_population(
    conn: Connection, community_id: int, *, as_of: datetime, window_start: datetime
) -> int:
    """Members in the window (window_start, as_of]: joined by as_of, not left before it opened, no bots."""
    params = {"cid": community_id, "left_after": _micros(window_start), "cutoff": _micros(as_of)}
    joined = conn.execute(
        text(f"SELECT count(*) FROM members m WHERE {ELIGIBLE} AND m.joined_at <= :cutoff"), params
    ).scalar_one()
    unknown = conn.execute(
        text(
            f"SELECT count(*) FROM members m WHERE {ELIGIBLE} AND m.joined_at IS NULL "
            "AND m.created_at <= :cutoff"
        ),
        params,
    ).scalar_one()
    return int(joined) + int(unknown)


def get_outside_population(
    conn: Connection, community_id: int, *, as_of: datetime, window_start: datetime
) -> np.ndarray:
    """Ids of the community's members outside the window's population (the complement of count_population's
    condition): bots and merged-away members (a partial index of a handful of rows), those who left by the
    window's start, and those who had not joined by `as_of` (index ranges). Sorted, unique."""
    import numpy as np

    params = {"cid": community_id, "start": _micros(window_start), "cutoff": _micros(as_of)}
    found = []
    special = (
        "(m.is_bot OR m.is_staff OR m.merged_into IS NOT NULL)"  # ix_members_special's condition
    )
    for condition in (
        f"{special} AND (m.is_bot OR m.merged_into IS NOT NULL)",
        "m.left_at <= :start",
        "m.joined_at > :cutoff",
        "m.joined_at IS NULL AND m.created_at > :cutoff",
    ):
        found.append(
            contributor_days.fetch_ids(
                conn,
                f"SELECT m.id FROM members m WHERE m.community_id = :cid AND {condition}",
                params,
            )
        )
    return np.unique(np.concatenate(found))


def get_window_count_arrays(
    conn: Connection,
    community_id: int,
    *,
    as_of: datetime,
    window_start: datetime,
    lifecycle: LifecycleSettings,
    method: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Contributions in (window_start, as_of] of each member of the window's population who made any, as
    (sorted member ids, counts > 0).

    ROLLUPS (the default): whole UTC days from the packed contributor_days rows, the two partial days at the
    ends from the activities, minus the members outside the population: the work grows with the window's
    days and contributors, never with its contributions. ACTIVITIES (forced when reactions count, which the
    packed days do not hold): each candidate's count from the activities' partial index."""
    import numpy as np

    method = method or (ACTIVITIES if lifecycle.count_reactions else ROLLUPS)
    if method == ROLLUPS and not lifecycle.count_reactions:
        ids, counts = contributor_days.window_counts(
            conn, community_id, start=_micros(window_start), end=_micros(as_of)
        )
        outside = get_outside_population(conn, community_id, as_of=as_of, window_start=window_start)
        keep = ~np.isin(ids, outside, assume_unique=True)
        return ids[keep], counts[keep]
    found = _window_counts_from_activities(
        conn, community_id, as_of=as_of, window_start=window_start, lifecycle=lifecycle
    )
    ids = np.array(sorted(found), dtype=np.int64)
    return ids, np.array([found[int(m)] for m in ids], dtype=np.int64)


def get_window_counts(
    conn: Connection,
    community_id: int,
    *,
    as_of: datetime,
    window_start: datetime,
    lifecycle: LifecycleSettings,
    method: str | None = None,
) -> dict[int, int]:
    """get_window_count_arrays as {member id: count}."""
    ids, counts = get_window_count_arrays(
        conn,
        community_id,
        as_of=as_of,
        window_start=window_start,
        lifecycle=lifecycle,
        method=method,
    )
    return dict(zip(ids.tolist(), counts.tolist(), strict=True))


def _window_counts_from_activities(
    conn: Connection,
    community_id: int,
    *,
    as_of: datetime,
    window_start: datetime,
    lifecycle: LifecycleSettings,
) -> dict[int, int]:
    """Anyone who contributed in the window has a latest contribution (in the rollups) after its start, so the
    rollup index finds the candidates, and each one's count is one range of the partial index
    ix_activities_contributions."""
    latest = "s.last_activity_at" if lifecycle.count_reactions else "s.last_contribution_at"
    params = {
        "cid": community_id,
        "start": _micros(window_start),
        "end": _micros(as_of),
        "left_after": _micros(window_start),
        "cutoff": _micros(as_of),
    }
    rows = conn.execute(
        text(
            "SELECT s.member_id, (SELECT count(*) FROM activities a WHERE a.community_id = :cid "
            f"AND a.member_id = s.member_id AND a.{kinds_sql(lifecycle)} AND a.occurred_at > :start "
            "AND a.occurred_at <= :end) AS n "
            "FROM member_stats s JOIN members m ON m.id = s.member_id "
            f"WHERE s.community_id = :cid AND {latest} > :start "
            f"AND {ELIGIBLE_BY_KEY} AND {JOINED_BY_CUTOFF}"
        ),
        params,
    )
    return {int(member_id): int(n) for member_id, n in rows if n}


def in_population(facts: MemberFacts, *, as_of: datetime, window_start: datetime) -> bool:
    """The Python twin of count_population's condition."""
    return (
        not facts.is_bot
        and facts.joined_at is not None
        and facts.joined_at <= as_of
        and (facts.left_at is None or facts.left_at > window_start)
    )


# -- unanswered threads -------------------------------------------------------------------------------------------


def get_unanswered_last_posts(
    conn: Connection,
    community_id: int,
    *,
    as_of: datetime,
    since: datetime,
    lifecycle: LifecycleSettings,
) -> dict[int, datetime]:
    """Members whose last contribution up to `as_of` started a thread, after `since`, and that nobody else
    (bots aside) has contributed to since, up to `as_of`: member id -> when they posted."""
    kinds = kinds_sql(lifecycle)
    rows = conn.execute(
        text(
            "SELECT p.member_id, p.occurred_at FROM activities p "
            "WHERE p.community_id = :cid AND p.kind = 'post' AND p.thread_id IS NOT NULL "
            "AND p.occurred_at > :since AND p.occurred_at <= :as_of "
            "AND NOT EXISTS (SELECT 1 FROM activities q WHERE q.community_id = :cid AND q.member_id = p.member_id "
            f"  AND q.{kinds} AND q.occurred_at > p.occurred_at AND q.occurred_at <= :as_of) "
            "AND NOT EXISTS (SELECT 1 FROM activities r JOIN members rm ON rm.id = r.member_id "
            "  WHERE r.community_id = :cid AND r.thread_id = p.thread_id AND r.member_id <> p.member_id "
            f"  AND r.{kinds} AND rm.is_bot = FALSE AND r.occurred_at > p.occurred_at AND r.occurred_at <= :as_of)"
        ),
        {"cid": community_id, "since": _micros(since), "as_of": _micros(as_of)},
    )
    found: dict[int, datetime] = {}
    for member_id, at in rows:
        moment = from_micros(int(at))
        if member_id not in found or moment > found[member_id]:
            found[int(member_id)] = moment
    return found


# -- tags, notes, do-not-contact -----------------------------------------------------------------------------------


def get_tags(conn: Connection, community_id: int, member_id: int) -> list[str]:
    return [
        tag
        for (tag,) in conn.execute(
            select(member_tags.c.tag)
            .where(member_tags.c.community_id == community_id, member_tags.c.member_id == member_id)
            .order_by(member_tags.c.tag)
        )
    ]


def add_tag(conn: Connection, community_id: int, member_id: int, tag: str) -> bool:
    if tag in get_tags(conn, community_id, member_id):
        return False
    conn.execute(
        insert(member_tags).values(community_id=community_id, member_id=member_id, tag=tag)
    )
    return True


def remove_tag(conn: Connection, community_id: int, member_id: int, tag: str) -> bool:
    result = conn.execute(
        delete(member_tags).where(
            member_tags.c.community_id == community_id,
            member_tags.c.member_id == member_id,
            member_tags.c.tag == tag,
        )
    )
    return bool(result.rowcount)


def update_member(
    conn: Connection, community_id: int, member_id: int, *, now: datetime, **values: Any
) -> None:
    conn.execute(
        update(members)
        .where(members.c.community_id == community_id, members.c.id == member_id)
        .values(updated_at=now, **values)
    )


# -- merges ----------------------------------------------------------------------------------------------------------


def move_member_history(
    conn: Connection, community_id: int, *, keep_id: int, merge_id: int
) -> dict[str, int]:
    """Move identities, activities, tags and thread starts of `merge_id` to `keep_id`. Returns counts."""
    moved = {}
    for table in (identities, activities):
        result = conn.execute(
            update(table)
            .where(table.c.community_id == community_id, table.c.member_id == merge_id)
            .values(member_id=keep_id)
        )
        moved[table.name] = int(result.rowcount or 0)
    conn.execute(
        update(threads)
        .where(threads.c.community_id == community_id, threads.c.started_by == merge_id)
        .values(started_by=keep_id)
    )
    moved["tags"] = 0
    for tag in get_tags(conn, community_id, merge_id):
        moved["tags"] += int(add_tag(conn, community_id, keep_id, tag))
        remove_tag(conn, community_id, merge_id, tag)
    return moved


def get_merge_candidates(
    conn: Connection, community_id: int
) -> list[tuple[str, list[tuple[int, str]]]]:
    """Groups of identities of different members that share an e-mail address (any platform) or a handle
    (across platforms): [(reason, [(member_id, platform), ...])]. The shared value is not returned."""
    live = (
        "JOIN members m ON m.id = i.member_id WHERE i.community_id = :cid AND m.merged_into IS NULL "
        "AND m.community_id = :cid"
    )
    groups: list[tuple[str, list[tuple[int, str]]]] = []
    for reason, column, extra in (
        ("same_email", "email", ""),
        ("same_handle", "handle", " AND count(DISTINCT i.platform) > 1"),
    ):
        keys = conn.execute(
            text(
                f"SELECT lower(i.{column}) FROM identities i {live} AND i.{column} IS NOT NULL AND i.{column} <> '' "
                f"GROUP BY lower(i.{column}) HAVING count(DISTINCT i.member_id) > 1{extra}"
            ),
            {"cid": community_id},
        )
        for (key,) in keys:
            owners = conn.execute(
                text(
                    f"SELECT DISTINCT i.member_id, i.platform FROM identities i {live} AND lower(i.{column}) = :key "
                    "ORDER BY i.member_id"
                ),
                {"cid": community_id, "key": key},
            ).all()
            groups.append((reason, [(int(m), str(p)) for m, p in owners]))
    return groups
