"""Writing what exports say: members, channels, threads and activities, in batches.

This is the one write path for imported and generated data, so the per-member rollups
(member_stats) and the members' join and leave dates stay exact at write time:
- an activity is unique by (community, source, source_id): re-importing it changes nothing;
- only activities really inserted update the rollups (member_stats, and the daily/monthly contribution
  rollups of store/rollups.py read by the health report), so counts never double;
- a member's joined_at is the platform's join date when known, else their first activity.

Use it inside one transaction (`with engine.begin() as conn`): a failed import leaves nothing behind.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, text, update

from tending.models import (
    CONTRIBUTION_KINDS,
    JOINED,
    LEFT,
    MESSAGE_SENT,
    ActivityRecord,
    ChannelRecord,
    Community,
    ImportRecord,
    MemberRecord,
    ThreadRecord,
)
from tending.store.contributor_days import add_activities_after
from tending.store.rollups import apply_activity_rows, rebuild_member_rollups, sync_join_months
from tending.store.schema import (
    activities,
    channels,
    identities,
    member_stats,
    members,
    threads,
)
from tending.timeutil import to_micros, utcnow

BATCH_SIZE = 5000
CACHE_LIMIT = 200_000  # ids kept between batches; bounded so memory stays flat on huge exports

STAT_COUNTERS = ("contributions", "posts", "replies", "comments", "reactions")
STAT_INSTANTS = ("first_activity_at", "last_activity_at", "first_contribution_at", "last_contribution_at")
JSON_NULL = "null"  # what SQLAlchemy's JSON type stores for None, kept so rows read the same either way
ACTIVITY_COLUMNS = ("community_id", "member_id", "kind", "occurred_at", "thread_id", "parent_id", "parent_source_id",
                    "channel_id", "text", "url", "language", "source", "source_id", "extra")
KIND_COUNTER = {"post": "posts", "reply": "replies", "comment": "comments", "reaction": "reactions"}


@dataclass
class IngestCounts:
    members_added: int = 0
    members_updated: int = 0
    members_unchanged: int = 0
    activities_added: int = 0
    activities_unchanged: int = 0
    channels_added: int = 0
    threads_added: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)

    def merge(self, other: IngestCounts) -> None:
        for key, value in other.__dict__.items():
            setattr(self, key, getattr(self, key) + value)


@dataclass
class _Cache:
    ids: dict[tuple[str, str], int] = field(default_factory=dict)

    def get(self, key: tuple[str, str]) -> int | None:
        return self.ids.get(key)

    def put(self, key: tuple[str, str], value: int) -> None:
        if len(self.ids) >= CACHE_LIMIT:
            self.ids.clear()
        self.ids[key] = value


def _driver_sql(conn: Connection, sql: str) -> str:
    """SQL written with qmark placeholders, in the driver's own style (psycopg takes %s)."""
    return sql if conn.dialect.paramstyle == "qmark" else sql.replace("?", "%s")


def _placeholders(count: int) -> str:
    return ",".join("?" * count)


def batched(items: Iterable[Any], size: int = BATCH_SIZE) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class Ingestor:
    """Feeds records of one community into the store. Call add() per batch, then finish()."""

    def __init__(self, conn: Connection, community: Community) -> None:
        self.conn = conn
        self.community = community
        self.cid = community.id
        self.members = _Cache()
        self.channels = _Cache()
        self.threads = _Cache()
        # (joined_at, joined_at_exact, left_at) of members this ingest has read or written: a member seen
        # in many batches is read once. Only this ingest writes these columns while it runs.
        self.member_dates: dict[int, tuple[datetime | None, bool, datetime | None]] = {}
        self.counts = IngestCounts()

    # -- public -----------------------------------------------------------------------------------

    def add(self, records: Iterable[ImportRecord]) -> IngestCounts:
        """Write one batch of records (any mix, in export order). Returns the counts for this batch."""
        before = IngestCounts(**self.counts.as_dict())
        member_recs: list[MemberRecord] = []
        channel_recs: list[ChannelRecord] = []
        thread_recs: list[ThreadRecord] = []
        activity_recs: list[ActivityRecord] = []
        for record in records:
            if isinstance(record, ActivityRecord):
                activity_recs.append(record)
            elif isinstance(record, MemberRecord):
                member_recs.append(record)
            elif isinstance(record, ThreadRecord):
                thread_recs.append(record)
            elif isinstance(record, ChannelRecord):
                channel_recs.append(record)
        if member_recs:
            self._upsert_members(member_recs)
        if channel_recs:
            self._upsert_channels(channel_recs)
        if thread_recs:
            self._upsert_threads(thread_recs)
        if activity_recs:
            self._insert_activities(activity_recs)
        delta = IngestCounts()
        for key, value in self.counts.as_dict().items():
            setattr(delta, key, value - getattr(before, key))
        return delta

    def add_all(self, records: Iterable[ImportRecord], *, batch_size: int = BATCH_SIZE) -> IngestCounts:
        for chunk in batched(records, batch_size):
            self.add(chunk)
        self.finish()
        return self.counts

    def finish(self) -> None:
        """Link replies to parents that arrived in a later batch or an earlier import."""
        self.conn.execute(text(
            "UPDATE activities SET parent_id = (SELECT p.id FROM activities p "
            "WHERE p.community_id = activities.community_id AND p.source = activities.source "
            "AND p.source_id = activities.parent_source_id) "
            "WHERE community_id = :cid AND parent_id IS NULL AND parent_source_id IS NOT NULL"
        ), {"cid": self.cid})

    # -- members ----------------------------------------------------------------------------------

    def _lookup_members(self, keys: set[tuple[str, str]]) -> None:
        # identities, not members: after a merge, several identities lead to one member
        self._lookup_keyed(identities, self.members, keys, id_column="member_id")

    def _create_members(self, records: list[MemberRecord]) -> None:
        now = utcnow()
        rows = [self._member_row(record, now) | {"created_at": now, "platform": record.source,
                                                 "external_id": record.external_id}
                for record in records]
        for row in rows:
            # one executemany needs the same keys in every row: a member without a handle gets None
            for name in ("display_name", "handle", "language", "left_at", "joined_at"):
                row.setdefault(name, None)
            row.setdefault("joined_at_exact", False)
        self.conn.execute(insert(members), rows)
        # the identities do not exist yet: read the new ids from members
        self._lookup_keyed(members, self.members, [(r.source, r.external_id) for r in records])
        self.conn.execute(insert(identities), [
            {"community_id": self.cid, "member_id": self.members.get((r.source, r.external_id)),
             "platform": r.source, "external_id": r.external_id, "handle": r.handle, "email": r.email}
            for r in records])
        self.counts.members_added += len(records)

    def _member_row(self, record: MemberRecord, now: datetime) -> dict[str, Any]:
        row: dict[str, Any] = {"community_id": self.cid, "updated_at": now,
                               "is_staff": record.is_staff, "is_bot": record.is_bot}
        for name in ("display_name", "handle", "language", "left_at"):
            value = getattr(record, name)
            if value is not None:
                row[name] = value
        if record.joined_at is not None:
            row["joined_at"] = record.joined_at
            row["joined_at_exact"] = True
        return row

    def _upsert_members(self, records: list[MemberRecord]) -> None:
        latest: dict[tuple[str, str], MemberRecord] = {}
        for record in records:
            latest[(record.source, record.external_id)] = record
        self._lookup_members(set(latest))
        new = [r for key, r in latest.items() if self.members.get(key) is None]
        existing = [r for key, r in latest.items() if self.members.get(key) is not None]
        if new:
            self._create_members(new)
        if existing:
            self._update_members(existing)

    def _update_members(self, records: list[MemberRecord]) -> None:
        ids = {self.members.get((r.source, r.external_id)): r for r in records}
        current = {row.id: row for row in self.conn.execute(
            select(members).where(members.c.community_id == self.cid, members.c.id.in_(list(ids))))}
        now = utcnow()
        changes = []
        for member_id, record in ids.items():
            row = current[member_id]
            wanted = self._member_row(record, now)
            diff = {k: v for k, v in wanted.items()
                    if k not in ("updated_at", "community_id") and getattr(row, k) != v}
            if diff:
                changes.append({"b_id": member_id, **wanted})
            else:
                self.counts.members_unchanged += 1
        for change in changes:
            self.member_dates.pop(change["b_id"], None)
            keys = [k for k in change if k != "b_id"]
            self.conn.execute(update(members).where(members.c.id == bindparam("b_id"))
                              .values({k: bindparam(k) for k in keys}), [change])
        self.counts.members_updated += len(changes)
        sync_join_months(self.conn, self.cid, [c["b_id"] for c in changes if "joined_at" in c])

    def _ensure_members(self, activity_recs: list[ActivityRecord]) -> None:
        keys = {(r.source, r.member_external_id) for r in activity_recs}
        self._lookup_members(keys)
        unknown: dict[tuple[str, str], MemberRecord] = {}
        for record in activity_recs:
            key = (record.source, record.member_external_id)
            if self.members.get(key) is None and key not in unknown:
                unknown[key] = MemberRecord(source=record.source, external_id=record.member_external_id,
                                            display_name=record.member_name)
        if unknown:
            self._create_members(list(unknown.values()))

    # -- channels and threads -----------------------------------------------------------------------

    def _lookup_keyed(self, table: Any, cache: _Cache, keys: Iterable[tuple[str, str]],
                      id_column: str = "id") -> None:
        """Fill `cache` with the ids of rows of `table` keyed by (platform, external_id)."""
        by_platform: dict[str, list[str]] = defaultdict(list)
        for platform, external_id in keys:
            if cache.get((platform, external_id)) is None:
                by_platform[platform].append(external_id)
        for platform, external_ids in by_platform.items():
            for chunk in batched(external_ids, 2000):
                sql = _driver_sql(self.conn, f"SELECT external_id, {id_column} FROM {table.name} "
                                  "WHERE community_id = ? AND platform = ? "
                                  f"AND external_id IN ({_placeholders(len(chunk))})")
                for external_id, row_id in self.conn.exec_driver_sql(sql, (self.cid, platform, *chunk)):
                    cache.put((platform, external_id), row_id)

    def _ensure_keyed(self, table: Any, cache: _Cache, wanted: dict[tuple[str, str], dict[str, Any]]) -> int:
        """Insert the rows of `wanted` not yet in `table` (keyed by platform, external_id). Returns how many."""
        self._lookup_keyed(table, cache, wanted)
        new = {key: row for key, row in wanted.items() if cache.get(key) is None}
        if new:
            self.conn.execute(insert(table), [
                {"community_id": self.cid, "platform": key[0], "external_id": key[1], **row}
                for key, row in new.items()])
            self._lookup_keyed(table, cache, new)
        return len(new)

    def _upsert_channels(self, records: list[ChannelRecord]) -> None:
        wanted = {(r.source, r.external_id): {"name": r.name} for r in records}
        self.counts.channels_added += self._ensure_keyed(channels, self.channels, wanted)

    def _upsert_threads(self, records: list[ThreadRecord]) -> None:
        self._ensure_channels({(r.source, r.channel_external_id) for r in records if r.channel_external_id})
        starters = {(r.source, r.started_by_external_id) for r in records if r.started_by_external_id}
        self._lookup_members(starters)
        wanted = {}
        for r in records:
            wanted[(r.source, r.external_id)] = {
                "title": r.title, "started_at": r.started_at,
                "channel_id": self.channels.get((r.source, r.channel_external_id))
                if r.channel_external_id else None,
                "started_by": self.members.get((r.source, r.started_by_external_id))
                if r.started_by_external_id else None,
            }
        self.counts.threads_added += self._ensure_keyed(threads, self.threads, wanted)

    def _ensure_channels(self, keys: set[tuple[str, str | None]]) -> None:
        wanted = {(p, e): {"name": None} for p, e in keys if e}
        if wanted:
            self.counts.channels_added += self._ensure_keyed(channels, self.channels, wanted)

    def _ensure_threads(self, activity_recs: list[ActivityRecord]) -> None:
        wanted: dict[tuple[str, str], dict[str, Any]] = {}
        for r in activity_recs:
            if r.thread_external_id and (r.source, r.thread_external_id) not in wanted:
                wanted[(r.source, r.thread_external_id)] = {
                    "title": None, "started_at": None, "started_by": None,
                    "channel_id": self.channels.get((r.source, r.channel_external_id))
                    if r.channel_external_id else None}
        if wanted:
            self.counts.threads_added += self._ensure_keyed(threads, self.threads, wanted)

    # -- activities ---------------------------------------------------------------------------------

    def _existing_source_ids(self, activity_recs: list[ActivityRecord]) -> set[tuple[str, str]]:
        by_source: dict[str, list[str]] = defaultdict(list)
        for r in activity_recs:
            by_source[r.source].append(r.source_id)
        found: set[tuple[str, str]] = set()
        for source, source_ids in by_source.items():
            for chunk in batched(source_ids, 2000):
                sql = _driver_sql(self.conn, "SELECT source_id FROM activities WHERE community_id = ? AND source = ? "
                                  f"AND source_id IN ({_placeholders(len(chunk))})")
                rows = self.conn.exec_driver_sql(sql, (self.cid, source, *chunk))
                found.update((source, sid) for (sid,) in rows)
        return found

    def _insert_activities(self, activity_recs: list[ActivityRecord]) -> None:
        existing = self._existing_source_ids(activity_recs)
        fresh: list[ActivityRecord] = []
        seen: set[tuple[str, str]] = set()
        for r in activity_recs:
            key = (r.source, r.source_id)
            if key in existing or key in seen:
                self.counts.activities_unchanged += 1
                continue
            seen.add(key)
            fresh.append(r)
        if not fresh:
            return
        self._ensure_members(fresh)
        self._ensure_channels({(r.source, r.channel_external_id) for r in fresh if r.channel_external_id})
        self._ensure_threads(fresh)
        rows = [self._activity_row(r) for r in fresh]
        before = self._max_activity_id()
        self._insert_activity_rows(rows)
        self.counts.activities_added += len(rows)
        self._update_rollups(rows, after_id=before)
        self._update_member_dates(rows)
        # daily/monthly contribution rollups for the health report (store/rollups.py); after the member
        # dates, because the monthly rows carry the member's join month
        apply_activity_rows(self.conn, self.cid, rows)
        add_activities_after(self.conn, self.cid, after_id=before)  # the segments' packed days
        self._update_thread_starts(rows)

    def _max_activity_id(self) -> int:
        return int(self.conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM activities").scalar_one())

    def _activity_row(self, r: ActivityRecord) -> dict[str, Any]:
        return {
            "community_id": self.cid,
            "member_id": self.members.ids.get((r.source, r.member_external_id)),
            "kind": r.kind,
            "occurred_at": r.occurred_at,
            "thread_id": self.threads.ids.get((r.source, r.thread_external_id)) if r.thread_external_id else None,
            "parent_id": None,
            "parent_source_id": r.parent_source_id,
            "channel_id": self.channels.ids.get((r.source, r.channel_external_id)) if r.channel_external_id else None,
            "text": r.text,
            "url": r.url,
            "language": r.language,
            "source": r.source,
            "source_id": r.source_id,
            "extra": r.extra,
        }

    def _insert_activity_rows(self, rows: list[dict[str, Any]]) -> None:
        """executemany through the driver: SQLAlchemy's per-row parameter processing was a third of the
        ingest time. Values are converted exactly as the column types would (Timestamp, JSON)."""
        sql = _driver_sql(self.conn, f"INSERT INTO activities ({', '.join(ACTIVITY_COLUMNS)}) "
                          f"VALUES ({_placeholders(len(ACTIVITY_COLUMNS))})")
        dumps = json.dumps
        self.conn.exec_driver_sql(sql, [
            (r["community_id"], r["member_id"], r["kind"], to_micros(r["occurred_at"]), r["thread_id"],
             r["parent_id"], r["parent_source_id"], r["channel_id"], r["text"], r["url"], r["language"],
             r["source"], r["source_id"], JSON_NULL if r["extra"] is None else dumps(r["extra"]))
            for r in rows])

    def _update_rollups(self, rows: list[dict[str, Any]], *, after_id: int) -> None:
        """Fold the rows just inserted (ids above after_id) into member_stats, aggregated by the database:
        one set-based statement per batch instead of Python work per row."""
        self.conn.exec_driver_sql(_stats_from_new_rows_sql(self.conn), (self.cid, after_id))

    def _update_member_dates(self, rows: list[dict[str, Any]]) -> None:
        first_seen: dict[int, datetime] = {}
        joins: dict[int, list[datetime]] = defaultdict(list)
        leaves: dict[int, list[datetime]] = defaultdict(list)
        for row in rows:
            mid, at = row["member_id"], row["occurred_at"]
            if mid not in first_seen or at < first_seen[mid]:
                first_seen[mid] = at
            if row["kind"] == JOINED:
                joins[mid].append(at)
            elif row["kind"] == LEFT:
                leaves[mid].append(at)
        current = self.member_dates
        unknown = [mid for mid in first_seen if mid not in current]
        if len(current) + len(unknown) > CACHE_LIMIT:
            current.clear()
            unknown = list(first_seen)
        for chunk in batched(unknown, 2000):
            for found in self.conn.execute(select(
                    members.c.id, members.c.joined_at, members.c.joined_at_exact, members.c.left_at)
                    .where(members.c.community_id == self.cid, members.c.id.in_(chunk))):
                current[found.id] = (found.joined_at, found.joined_at_exact, found.left_at)
        changes = []
        rejoined: list[int] = []  # members whose join date moved: their monthly rollups follow
        for mid in first_seen:
            state = current[mid]
            new_state = member_dates_after(state, first_seen[mid], joins.get(mid, []), leaves.get(mid, []))
            if new_state != state:
                if new_state[0] != state[0]:
                    rejoined.append(mid)
                current[mid] = new_state
                changes.append({"b_id": mid, "joined_at": new_state[0], "joined_at_exact": new_state[1],
                                "left_at": new_state[2]})
        if changes:
            self.conn.execute(update(members).where(members.c.id == bindparam("b_id")).values(
                joined_at=bindparam("joined_at"), joined_at_exact=bindparam("joined_at_exact"),
                left_at=bindparam("left_at")), changes)
            sync_join_months(self.conn, self.cid, rejoined)

    def _update_thread_starts(self, rows: list[dict[str, Any]]) -> None:
        starts: dict[int, tuple[datetime, int]] = {}
        for row in rows:
            if row["kind"] == "post" and row["thread_id"] is not None:
                tid = row["thread_id"]
                if tid not in starts or row["occurred_at"] < starts[tid][0]:
                    starts[tid] = (row["occurred_at"], row["member_id"])
        if not starts:
            return
        params = [{"b_id": tid, "b_at": at, "b_by": by} for tid, (at, by) in starts.items()]
        self.conn.execute(
            update(threads).where(threads.c.id == bindparam("b_id"))
            .where((threads.c.started_at.is_(None)) | (threads.c.started_at >= bindparam("b_at")))
            .values(started_at=bindparam("b_at"), started_by=bindparam("b_by")), params)


def member_dates_after(state: tuple[datetime | None, bool, datetime | None], first_seen: datetime,
                       joins: list[datetime], leaves: list[datetime]
                       ) -> tuple[datetime | None, bool, datetime | None]:
    """A member's (joined_at, joined_at_exact, left_at) after new activities.

    A join event is the platform's join date; a member who left and joins again starts afresh.
    Without any join date, joined_at is the member's first activity.
    """
    joined_at, exact, left_at = state
    for at in sorted(joins):
        if left_at is not None and at > left_at:
            joined_at, exact, left_at = at, True, None
        elif not exact or joined_at is None or at < joined_at:
            joined_at, exact = at, True
    for at in sorted(leaves):
        if (joined_at is None or at >= joined_at) and (left_at is None or at > left_at):
            left_at = at
    if not exact and (joined_at is None or first_seen < joined_at):
        joined_at = first_seen
    return joined_at, exact, left_at


def _empty_stats() -> dict[str, Any]:
    return {"first_activity_at": None, "last_activity_at": None, "first_contribution_at": None,
            "last_contribution_at": None, **{name: 0 for name in STAT_COUNTERS}}


def _fold(stats: dict[str, Any], kind: str, at: datetime) -> None:
    # joins and leaves are dates, not activity; a message tending sent is not the member's activity
    if kind in (JOINED, LEFT, MESSAGE_SENT):
        return
    _widen(stats, "first_activity_at", "last_activity_at", at, at)
    counter = KIND_COUNTER.get(kind)
    if counter:
        stats[counter] += 1
    if kind in CONTRIBUTION_KINDS:
        stats["contributions"] += 1
        _widen(stats, "first_contribution_at", "last_contribution_at", at, at)


def _widen(stats: dict[str, Any], first: str, last: str, low: datetime | None, high: datetime | None) -> None:
    if low is not None and (stats[first] is None or low < stats[first]):
        stats[first] = low
    if high is not None and (stats[last] is None or high > stats[last]):
        stats[last] = high


def _upsert_stats_sql(conn: Connection) -> str:
    """Add counts and widen instants in the database itself (INSERT ... ON CONFLICT, SQLite >= 3.24 and
    PostgreSQL): one statement per member, no read first, and atomic under concurrent writers."""
    columns = ("member_id", "community_id", *STAT_COUNTERS, *STAT_INSTANTS)
    counters = [f"{name} = member_stats.{name} + excluded.{name}" for name in STAT_COUNTERS]
    instants = []
    for name in STAT_INSTANTS:
        wider = "<" if name.startswith("first") else ">"
        instants.append(f"{name} = CASE WHEN member_stats.{name} IS NULL "
                        f"OR excluded.{name} {wider} member_stats.{name} "
                        f"THEN excluded.{name} ELSE member_stats.{name} END")
    return _driver_sql(conn, f"INSERT INTO member_stats ({', '.join(columns)}) VALUES ({_placeholders(len(columns))}) "
                             f"ON CONFLICT (member_id) DO UPDATE SET {', '.join(counters + instants)}")


def _stats_from_new_rows_sql(conn: Connection) -> str:
    """member_stats upserted from an aggregate of the activities above an id, in one statement."""
    def widen(name: str, op: str) -> str:
        # LEAST/GREATEST ignore NULLs on PostgreSQL; SQLite's min()/max() of two would return NULL
        pick = ("LEAST" if op == "<" else "GREATEST") if conn.dialect.name == "postgresql" else \
            ("min" if op == "<" else "max")
        return (f"{name} = {pick}(coalesce(member_stats.{name}, excluded.{name}), "
                f"coalesce(excluded.{name}, member_stats.{name}))")

    contribution = "kind IN ('post', 'reply', 'comment')"
    counted = {"contributions": contribution, "posts": "kind = 'post'", "replies": "kind = 'reply'",
               "comments": "kind = 'comment'", "reactions": "kind = 'reaction'"}
    selects = [f"count(CASE WHEN {counted[name]} THEN 1 END)" for name in STAT_COUNTERS] + [
        "min(occurred_at)", "max(occurred_at)",
        f"min(CASE WHEN {contribution} THEN occurred_at END)", f"max(CASE WHEN {contribution} THEN occurred_at END)"]
    updates = [f"{name} = member_stats.{name} + excluded.{name}" for name in STAT_COUNTERS] + [
        widen(name, "<" if name.startswith("first") else ">") for name in STAT_INSTANTS]
    columns = ("member_id", "community_id", *STAT_COUNTERS, *STAT_INSTANTS)
    return _driver_sql(conn, (
        f"INSERT INTO member_stats ({', '.join(columns)}) "
        f"SELECT member_id, community_id, {', '.join(selects)} FROM activities "
        "WHERE community_id = ? AND id > ? AND kind NOT IN ('joined', 'left', 'message_sent') "
        "GROUP BY member_id, community_id ORDER BY member_id "
        f"ON CONFLICT (member_id) DO UPDATE SET {', '.join(updates)}"))


def apply_stat_deltas(conn: Connection, community_id: int, deltas: dict[int, dict[str, Any]]) -> None:
    """Merge per-member deltas (counts to add, instants to widen) into member_stats."""
    if not deltas:
        return
    params = []
    for member_id in sorted(deltas):  # a stable order: concurrent imports lock rows in the same order
        delta = deltas[member_id]
        params.append((member_id, community_id, *(delta[name] for name in STAT_COUNTERS),
                       *(None if delta[name] is None else to_micros(delta[name]) for name in STAT_INSTANTS)))
    conn.exec_driver_sql(_upsert_stats_sql(conn), params)


def do_recompute_member_stats(conn: Connection, community_id: int, member_ids: list[int]) -> None:
    """Rebuild rollups from the activities, for members whose history changed other than by insertion
    (a merge, a deletion)."""
    for chunk in batched(member_ids, 2000):
        conn.execute(member_stats.delete().where(member_stats.c.community_id == community_id,
                                                 member_stats.c.member_id.in_(chunk)))
        deltas: dict[int, dict[str, Any]] = {}
        rows = conn.execute(select(activities.c.member_id, activities.c.kind, activities.c.occurred_at).where(
            activities.c.community_id == community_id, activities.c.member_id.in_(chunk)))
        for member_id, kind, at in rows:
            _fold(deltas.setdefault(member_id, _empty_stats()), kind, at)
        if deltas:
            apply_stat_deltas(conn, community_id, deltas)
    rebuild_member_rollups(conn, community_id, member_ids)
