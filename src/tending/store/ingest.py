"""Writing what exports say: members, channels, threads and activities, in batches.

This is the one write path for imported and generated data, so the per-member rollups
(member_stats) and the members' join and leave dates stay exact at write time:
- an activity is unique by (community, source, source_id): re-importing it changes nothing;
- only activities really inserted update the rollups (member_stats, and the daily/monthly contribution
  rollups of store/rollups.py read by the health report), so counts never double;
- a member's joined_at is the platform's join date when known, else their first activity.

How (docs/importers.md, "Speed and memory"): rows go to the driver as plain tuples in one executemany per
table and batch; `INSERT ... ON CONFLICT DO NOTHING` lets the unique index drop what is already stored;
then every rollup is brought up to date by set-based statements over the activities with an id above
the one read before the insert (`_after_insert`, the one place where rollups follow new activities).

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

from sqlalchemy import Connection, bindparam, select, text, update

from tending.models import (
    JOINED,
    ActivityRecord,
    ChannelRecord,
    Community,
    ImportRecord,
    MemberRecord,
    ThreadRecord,
)
from tending.store.contributor_days import add_activities_after
from tending.store.rollups import (
    apply_new_activities,
    driver_sql,
    members_where,
    new_rows_where,
    rebuild_member_rollups,
    sync_join_months,
)
from tending.store.schema import (
    Timestamp,
    channels,
    identities,
    member_stats,
    members,
    threads,
)
from tending.timeutil import from_micros, to_micros, utcnow

BATCH_SIZE = 5000
CACHE_LIMIT = 200_000  # ids kept between batches; bounded so memory stays flat on huge exports

STAT_COUNTERS = ("contributions", "posts", "replies", "comments", "reactions")
STAT_INSTANTS = ("first_activity_at", "last_activity_at", "first_contribution_at", "last_contribution_at")
JSON_NULL = "null"  # what SQLAlchemy's JSON type stores for None, kept so rows read the same either way
ACTIVITY_COLUMNS = ("community_id", "member_id", "kind", "occurred_at", "thread_id", "parent_id", "parent_source_id",
                    "channel_id", "text", "url", "language", "source", "source_id", "extra")


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
        self.ids[key] = value

    def trim(self) -> None:
        """Forget everything once the cache is full; only between batches, so that every id a batch
        looked up stays known until its rows are written."""
        if len(self.ids) >= CACHE_LIMIT:
            self.ids.clear()


def _placeholders(count: int) -> str:
    return ",".join("?" * count)


def batched(items: Iterable[Any], size: int = BATCH_SIZE) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


WRITE_LOCK_CLASS = 0x74656E64  # "tend": the first key of tending's PostgreSQL advisory locks


def lock_community_writes(conn: Connection, community_id: int) -> None:
    """Let writers of one community take turns, until the transaction ends.

    The rollups count a community's activities with an id above the newest one seen before an insert as
    this writer's; on PostgreSQL another import of the same community committing in between would be
    counted twice. A transaction-scoped advisory lock per community makes the second writer wait for the
    first to commit or roll back (imports of different communities still run side by side). SQLite has
    one writer at a time, and a write transaction cannot start from a stale snapshot."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%s, %s)", (WRITE_LOCK_CLASS, community_id % 2**31))


class Ingestor:
    """Feeds records of one community into the store. Call add() per batch, then finish()."""

    def __init__(self, conn: Connection, community: Community, *, rollup_every: int = 0) -> None:
        """rollup_every: fold new activities into the rollups once that many are pending, and in
        finish(), instead of after every batch (0). A member active in many batches is then updated
        once, not once per batch; the rollups are only exact after finish(), which is fine inside one
        transaction (imports)."""
        self.conn = conn
        self.community = community
        self.cid = community.id
        lock_community_writes(conn, self.cid)
        self.members = _Cache()
        self.channels = _Cache()
        self.threads = _Cache()
        self.counts = IngestCounts()
        self.rollup_every = rollup_every
        self.pending_after: int | None = None  # the rollups hold every activity up to this id
        self.pending_rows = 0

    # -- public -----------------------------------------------------------------------------------

    def add(self, records: Iterable[ImportRecord]) -> IngestCounts:
        """Write one batch of records (any mix, in export order). Returns the counts for this batch."""
        before = IngestCounts(**self.counts.as_dict())
        for cache in (self.members, self.channels, self.threads):
            cache.trim()
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
        """Fold what is pending into the rollups; link replies to parents that arrived in a later batch or
        an earlier import."""
        self._flush_rollups()
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
        """Plain tuples through the driver, as for activities (a fresh import creates a member every few
        activities). Values are converted as the column types would (Timestamp, the False defaults)."""
        now = to_micros(utcnow())
        cid = self.cid
        columns = ("community_id", "platform", "external_id", "display_name", "handle", "joined_at",
                   "joined_at_exact", "left_at", "language", "is_staff", "is_bot", "do_not_contact",
                   "created_at", "updated_at")
        self.conn.exec_driver_sql(driver_sql(self.conn, (
            f"INSERT INTO members ({', '.join(columns)}) VALUES ({_placeholders(len(columns))})")), [
            (cid, r.source, r.external_id, r.display_name, r.handle, _micros_or_none(r.joined_at),
             r.joined_at is not None, _micros_or_none(r.left_at), r.language, r.is_staff, r.is_bot, False,
             now, now) for r in records])
        # the identities do not exist yet: read the new ids from members
        self._lookup_keyed(members, self.members, [(r.source, r.external_id) for r in records])
        member_ids = self.members.ids
        self.conn.exec_driver_sql(driver_sql(self.conn, (
            "INSERT INTO identities (community_id, member_id, platform, external_id, handle, email) "
            "VALUES (?, ?, ?, ?, ?, ?)")), [
            (cid, member_ids[(r.source, r.external_id)], r.source, r.external_id, r.handle, r.email)
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
            keys = [k for k in change if k != "b_id"]
            self.conn.execute(update(members).where(members.c.id == bindparam("b_id"))
                              .values({k: bindparam(k) for k in keys}), [change])
        self.counts.members_updated += len(changes)
        sync_join_months(self.conn, self.cid, [c["b_id"] for c in changes if "joined_at" in c])

    def _ensure_members(self, activity_recs: list[ActivityRecord]) -> None:
        """Create the members the activities name and nobody stored (looked up by _without_stored)."""
        known = self.members.ids
        unknown: dict[tuple[str, str], MemberRecord] = {}
        for record in activity_recs:
            key = (record.source, record.member_external_id)
            if key not in known and key not in unknown:
                unknown[key] = MemberRecord(source=record.source, external_id=record.member_external_id,
                                            display_name=record.member_name)
        if unknown:
            self._create_members(list(unknown.values()))

    # -- channels and threads -----------------------------------------------------------------------

    def _lookup_keyed(self, table: Any, cache: _Cache, keys: Iterable[tuple[str, str]],
                      id_column: str = "id") -> None:
        """Fill `cache` with the ids of rows of `table` keyed by (platform, external_id)."""
        by_platform: dict[str, list[str]] = defaultdict(list)
        known = cache.ids
        for key in keys:
            if key not in known:
                by_platform[key[0]].append(key[1])
        for platform, external_ids in by_platform.items():
            for chunk in batched(external_ids, 2000):
                sql = self._keys_in(f"SELECT t.external_id, t.{id_column} FROM {table.name} t",
                                    "t.community_id = ? AND t.platform = ?", "t.external_id", len(chunk))
                for external_id, row_id in self.conn.exec_driver_sql(sql, self._key_params(platform, chunk)):
                    cache.put((platform, external_id), row_id)

    def _keys_in(self, select_from: str, where: str, column: str, count: int) -> str:
        """`select_from` narrowed by `where` (community, platform) and `column` among a list of keys.

        On PostgreSQL the keys are an array joined to the table: during a long import the planner has no
        statistics for the rows this transaction added and reads `IN (...)` as a filter over the whole
        community (an import grew quadratic); a join on the unique key is an index probe per key."""
        if self.conn.dialect.name == "postgresql":
            return driver_sql(self.conn, f"{select_from} JOIN unnest(?::text[]) AS k(key) "
                               f"ON {column} = k.key WHERE {where}")
        return driver_sql(self.conn, f"{select_from} WHERE {where} AND {column} IN ({_placeholders(count)})")

    def _key_params(self, platform: str, keys: list[str]) -> tuple[Any, ...]:
        if self.conn.dialect.name == "postgresql":
            return (keys, self.cid, platform)
        return (self.cid, platform, *keys)

    def _ensure_keyed(self, table: Any, cache: _Cache, wanted: dict[tuple[str, str], dict[str, Any]]) -> int:
        """Insert the rows of `wanted` not yet in `table` (keyed by platform, external_id). Returns how many."""
        self._lookup_keyed(table, cache, wanted)
        new = {key: row for key, row in wanted.items() if key not in cache.ids}
        if new:
            # plain tuples through the driver; every row of `wanted` has the same keys
            names = list(next(iter(new.values())))
            instants = {name for name in names if isinstance(table.c[name].type, Timestamp)}
            sql = driver_sql(self.conn, f"INSERT INTO {table.name} (community_id, platform, external_id, "
                              f"{', '.join(names)}) VALUES ({_placeholders(3 + len(names))})")
            self.conn.exec_driver_sql(sql, [
                (self.cid, key[0], key[1],
                 *(_micros_or_none(row[name]) if name in instants else row[name] for name in names))
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

    def _insert_activities(self, activity_recs: list[ActivityRecord]) -> None:
        """Insert the batch, leaving out what is already stored (the unique key decides, in the same
        statement), then bring every rollup up to date from the rows really inserted."""
        fresh = self._without_stored(activity_recs)
        self.counts.activities_unchanged += len(activity_recs) - len(fresh)
        self._ensure_members(fresh)
        self._ensure_channels({(r.source, r.channel_external_id) for r in fresh if r.channel_external_id})
        self._ensure_threads(fresh)
        before = self._max_activity_id()
        self._insert_activity_rows(fresh)
        added = self._count_new_rows(before)
        self.counts.activities_added += added
        self.counts.activities_unchanged += len(fresh) - added
        if added:
            if self.pending_after is None:
                self.pending_after = before
            self.pending_rows += added
            if self.pending_rows >= self.rollup_every:
                self._flush_rollups()

    def _flush_rollups(self) -> None:
        if self.pending_after is not None:
            self._after_insert(self.pending_after)
        self.pending_after, self.pending_rows = None, 0

    def _without_stored(self, records: list[ActivityRecord]) -> list[ActivityRecord]:
        """Leave out the activities already stored whose member, thread or channel is unknown: an activity
        stored earlier must not create anything (the author of an old post may have another id in a newer
        export). Only those records are looked up; the insert itself skips the others when stored."""
        self._lookup_members({(r.source, r.member_external_id) for r in records})
        self._lookup_keyed(threads, self.threads,
                           {(r.source, r.thread_external_id) for r in records if r.thread_external_id})
        self._lookup_keyed(channels, self.channels,
                           {(r.source, r.channel_external_id) for r in records if r.channel_external_id})
        members_, threads_, channels_ = self.members.ids, self.threads.ids, self.channels.ids
        unknown = [r for r in records if (r.source, r.member_external_id) not in members_
                   or (r.thread_external_id and (r.source, r.thread_external_id) not in threads_)
                   or (r.channel_external_id and (r.source, r.channel_external_id) not in channels_)]
        if not unknown:
            return records
        stored = self._existing_source_ids(unknown)
        return [r for r in records if (r.source, r.source_id) not in stored] if stored else records

    def _existing_source_ids(self, records: list[ActivityRecord]) -> set[tuple[str, str]]:
        by_source: dict[str, list[str]] = defaultdict(list)
        for r in records:
            by_source[r.source].append(r.source_id)
        found: set[tuple[str, str]] = set()
        for source, source_ids in by_source.items():
            for chunk in batched(source_ids, 2000):
                sql = self._keys_in("SELECT a.source_id FROM activities a", "a.community_id = ? AND a.source = ?",
                                    "a.source_id", len(chunk))
                rows = self.conn.exec_driver_sql(sql, self._key_params(source, chunk))
                found.update((source, sid) for (sid,) in rows)
        return found

    def _after_insert(self, after_id: int) -> None:
        """The one place where the rollups follow new activities: every activity of this community with
        an id above `after_id` was inserted by this ingest since the last call, and only those are folded
        in, so a re-import never counts twice. Each step works on the whole set at once (SQL, or numpy).
        (rollups.new_contribution_days gives the UTC days these activities touched.)"""
        self.conn.exec_driver_sql(_stats_from_rows_sql(self.conn, new_rows_where(self.conn)), (self.cid, after_id))
        self._update_member_dates(after_id)
        # after the member dates: the monthly rows carry the member's join month
        apply_new_activities(self.conn, self.cid, after_id=after_id)
        add_activities_after(self.conn, self.cid, after_id=after_id)  # the segments' packed days
        self._update_thread_starts(after_id)

    def _max_activity_id(self) -> int:
        return int(self.conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM activities").scalar_one())

    def _count_new_rows(self, after_id: int) -> int:
        sql = driver_sql(self.conn, f"SELECT count(*) FROM activities WHERE {new_rows_where(self.conn)}")
        return int(self.conn.exec_driver_sql(sql, (self.cid, after_id)).scalar_one())

    def _insert_activity_rows(self, records: list[ActivityRecord]) -> None:
        """One executemany of plain tuples through the driver (SQLAlchemy's per-row parameter processing
        cost more than the insert itself). Values are converted as the column types would (Timestamp,
        JSON). ON CONFLICT DO NOTHING: an activity already stored, or twice in the batch, is left out by
        the unique index the insert maintains anyway, instead of being looked up first."""
        sql = driver_sql(self.conn, f"INSERT INTO activities ({', '.join(ACTIVITY_COLUMNS)}) "
                          f"VALUES ({_placeholders(len(ACTIVITY_COLUMNS))}) "
                          "ON CONFLICT (community_id, source, source_id) DO NOTHING")
        cid, dumps = self.cid, json.dumps
        member_ids, thread_ids, channel_ids = self.members.ids, self.threads.ids, self.channels.ids
        self.conn.exec_driver_sql(sql, [
            (cid, member_ids[(r.source, r.member_external_id)], r.kind, to_micros(r.occurred_at),
             thread_ids[(r.source, r.thread_external_id)] if r.thread_external_id else None,
             None, r.parent_source_id,
             channel_ids[(r.source, r.channel_external_id)] if r.channel_external_id else None,
             r.text, r.url, r.language, r.source, r.source_id,
             JSON_NULL if r.extra is None else dumps(r.extra))
            for r in records])

    def _update_member_dates(self, after_id: int) -> None:
        """joined_at follows the first activity of members without a platform join date (set-based);
        members with join or leave events among the new activities go through member_dates_after,
        from their state before."""
        events = self._join_leave_events(after_id)
        before = self._member_states(sorted(events))
        first_seen = ("UPDATE members SET joined_at = n.first_at FROM (SELECT member_id, min(occurred_at) AS first_at "
                      f"FROM activities WHERE {new_rows_where(self.conn)} GROUP BY member_id) AS n "
                      "WHERE members.id = n.member_id AND NOT members.joined_at_exact ")
        params = (self.cid, after_id)
        # a member without a join date has no activity yet, so no monthly rollup to follow
        self.conn.exec_driver_sql(driver_sql(self.conn, first_seen + "AND members.joined_at IS NULL"), params)
        moved = self.conn.exec_driver_sql(driver_sql(
            self.conn, first_seen + "AND members.joined_at > n.first_at RETURNING members.id"), params)
        rejoined = {member_id for (member_id,) in moved}
        if events:
            rejoined.update(self._apply_join_leave_events(events, before))
        sync_join_months(self.conn, self.cid, sorted(rejoined))

    def _join_leave_events(self, after_id: int) -> dict[int, tuple[int, list[int], list[int]]]:
        """(first activity, joins, leaves) among the new activities, of each member who joined or left.
        Two scans of the new rows, no subquery: PostgreSQL without statistics re-ran one per row."""
        where = new_rows_where(self.conn)
        events = self.conn.exec_driver_sql(driver_sql(
            self.conn, f"SELECT member_id, kind, occurred_at FROM activities WHERE {where} "
            "AND kind IN ('joined', 'left')"), (self.cid, after_id)).all()
        if not events:
            return {}
        firsts: dict[int, int] = {int(member_id): int(at) for member_id, at in self.conn.exec_driver_sql(driver_sql(
            self.conn, f"SELECT member_id, min(occurred_at) FROM activities WHERE {where} GROUP BY member_id"),
            (self.cid, after_id))}
        found: dict[int, tuple[int, list[int], list[int]]] = {}
        for member_id, kind, at in events:
            _first, joins, leaves = found.setdefault(int(member_id), (firsts[int(member_id)], [], []))
            (joins if kind == JOINED else leaves).append(int(at))
        return found

    def _member_states(self, member_ids: list[int]) -> dict[int, tuple[datetime | None, bool, datetime | None]]:
        states = {}
        for chunk in batched(member_ids, 2000):
            for found in self.conn.execute(select(
                    members.c.id, members.c.joined_at, members.c.joined_at_exact, members.c.left_at)
                    .where(members.c.community_id == self.cid, members.c.id.in_(chunk))):
                states[found.id] = (found.joined_at, found.joined_at_exact, found.left_at)
        return states

    def _apply_join_leave_events(self, events: dict[int, tuple[int, list[int], list[int]]],
                                 before: dict[int, tuple[datetime | None, bool, datetime | None]]) -> list[int]:
        """Write member_dates_after of each member with events (over whatever the set-based update did);
        returns those whose joined_at moved."""
        rows, rejoined = [], []
        for member_id, (first, joins, leaves) in events.items():
            state = before[member_id]
            joined_at, exact, left_at = member_dates_after(
                state, from_micros(first), [from_micros(at) for at in joins], [from_micros(at) for at in leaves])
            if joined_at != state[0]:
                rejoined.append(member_id)
            rows.append((_micros_or_none(joined_at), exact, _micros_or_none(left_at), member_id))
        self.conn.exec_driver_sql(driver_sql(
            self.conn, "UPDATE members SET joined_at = ?, joined_at_exact = ?, left_at = ? WHERE id = ?"), rows)
        return rejoined

    def _update_thread_starts(self, after_id: int) -> None:
        """A thread starts with its earliest post (the first inserted, on a tie)."""
        where = new_rows_where(self.conn)
        self.conn.exec_driver_sql(driver_sql(self.conn, (
            "UPDATE threads SET started_at = s.first_at, started_by = s.first_by FROM ("
            "SELECT thread_id, occurred_at AS first_at, member_id AS first_by FROM ("
            "SELECT thread_id, occurred_at, member_id, "
            "row_number() OVER (PARTITION BY thread_id ORDER BY occurred_at, id) AS place FROM activities "
            f"WHERE {where} AND kind = 'post' AND thread_id IS NOT NULL) AS p WHERE place = 1) AS s "
            "WHERE threads.id = s.thread_id AND (threads.started_at IS NULL OR threads.started_at >= s.first_at)")),
            (self.cid, after_id))


def _micros_or_none(moment: datetime | None) -> int | None:
    return None if moment is None else to_micros(moment)


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


def _stats_from_rows_sql(conn: Connection, where: str) -> str:
    """member_stats upserted from an aggregate of the activities matching `where` (qmark SQL: the rows an
    ingest just inserted, or every row of some members being recomputed), in one statement."""
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
    return driver_sql(conn, (
        f"INSERT INTO member_stats ({', '.join(columns)}) "
        f"SELECT member_id, community_id, {', '.join(selects)} FROM activities "
        f"WHERE {where} AND kind NOT IN ('joined', 'left', 'message_sent') "
        "GROUP BY member_id, community_id ORDER BY member_id "
        f"ON CONFLICT (member_id) DO UPDATE SET {', '.join(updates)}"))


def do_recompute_member_stats(conn: Connection, community_id: int, member_ids: list[int]) -> None:
    """Rebuild rollups from the activities, for members whose history changed other than by insertion
    (a merge, a deletion)."""
    for chunk in batched(member_ids, 2000):
        conn.execute(member_stats.delete().where(member_stats.c.community_id == community_id,
                                                 member_stats.c.member_id.in_(chunk)))
        conn.exec_driver_sql(_stats_from_rows_sql(conn, members_where(chunk)), (community_id,))
    rebuild_member_rollups(conn, community_id, member_ids)
