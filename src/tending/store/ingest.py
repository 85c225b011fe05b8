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

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import islice
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, bindparam, select, text, update

from tending.importers.packed import (
    CHANNEL,
    KIND,
    MEMBER,
    MEMBER_NAME,
    PARENT,
    SOURCE,
    SOURCE_ID,
    THREAD,
    activity_rows,
)
from tending.models import (
    JOINED,
    ActivityDeletion,
    ActivityEdit,
    ActivityRecord,
    ActivityRows,
    ChannelRecord,
    Community,
    ImportRecord,
    MemberRecord,
    ThreadRecord,
)
from tending.store.contributor_days import add_activities_after, refresh_days
from tending.store.deletions import (
    apply_deletions,
    apply_edits,
    get_deleted_keys,
    holds_deletions,
)
from tending.store.rollups import (
    apply_new_activities,
    copy_rows,
    driver_sql,
    member_days,
    members_where,
    new_contribution_days,
    new_rows_where,
    rebuild_member_rollups,
    stage_rows,
    sync_join_months,
)
from tending.store.schema import (
    Timestamp,
    activities,
    channels,
    identities,
    member_stats,
    members,
    threads,
)
from tending.store.tally import Tally
from tending.store.tombstones import TombstoneCheck
from tending.timeutil import from_micros, to_micros, utcnow

BATCH_SIZE = 5000
# SQLite bulk loads: once an ingest has inserted this many activities (at once when the database holds
# fewer), and at least a quarter of what the database held before, the secondary indexes of the tables a
# load writes most are set aside and built again at finish()
BULK_AFTER = 50_000
SORT_MEMORY_KB = (
    32_000  # SQLite's page cache, and so its sorter's memory, while the indexes are built again
)
# SQLite's page cache on the bulk path (the engine's is 200 MB): with the secondary indexes set aside and
# the rollups tallied in memory, the load mostly appends rows, which a smaller cache serves at the same
# CPU cost, while the 200 MB filled up with the load's pages: a 1 GB export peaked at 504 MB of RSS with
# them, 360 MB with 64 MB (benchmarks/import_speed.py --skip-speed --rss-mb 1000)
BULK_CACHE_KB = 64_000
BULK_TABLES = ("activities", "member_days", "member_months", "members", "identities")
Phase = Callable[[str, int], None]  # (phase, rows it works on): "rollups", "indexes"
# days of contributor rows recomputed per read on the bulk path: a 1 GB export spans years, and 200 days
# of a busy community's member_days rows (contributor_days' own step) is a million Python tuples
BULK_DAYS_PER_QUERY = 16
CACHE_LIMIT = 200_000  # ids kept between batches; bounded so memory stays flat on huge exports

STAT_COUNTERS = ("contributions", "posts", "replies", "comments", "reactions")
STAT_INSTANTS = (
    "first_activity_at",
    "last_activity_at",
    "first_contribution_at",
    "last_contribution_at",
)
JSON_NULL = (
    "null"  # what SQLAlchemy's JSON type stores for None, kept so rows read the same either way
)
ACTIVITY_COLUMNS = (
    "community_id",
    "member_id",
    "kind",
    "occurred_at",
    "thread_id",
    "parent_id",
    "parent_source_id",
    "channel_id",
    "text",
    "url",
    "language",
    "source",
    "source_id",
    "extra",
)


@dataclass
class IngestCounts:
    members_added: int = 0
    members_updated: int = 0
    members_unchanged: int = 0
    activities_added: int = 0
    activities_unchanged: int = 0
    channels_added: int = 0
    threads_added: int = 0
    activities_edited: int = 0  # edits and deletions come from live connectors only
    activities_deleted: int = 0

    def as_dict(self) -> dict[str, int]:
        """Without the edit and deletion counts when they are zero: imports never have them."""
        found = dict(self.__dict__)
        for name in ("activities_edited", "activities_deleted"):
            if not found[name]:
                del found[name]
        return found

    def merge(self, other: IngestCounts) -> None:
        for key, value in vars(other).items():
            setattr(self, key, getattr(self, key) + value)


@dataclass
class _Cache:
    ids: dict[tuple[str, str], int] = field(default_factory=dict)
    # False while every row of the table for this community is known to the cache (the community held
    # none when the ingest began, and the cache was never emptied): lookups then need no query
    store_may_know_more: bool = True

    def get(self, key: tuple[str, str]) -> int | None:
        return self.ids.get(key)

    def put(self, key: tuple[str, str], value: int) -> None:
        self.ids[key] = value

    def trim(self) -> None:
        """Forget everything once the cache is full; only between batches, so that every id a batch
        looked up stays known until its rows are written."""
        if len(self.ids) >= CACHE_LIMIT:
            self.ids.clear()
            self.store_may_know_more = True


def _placeholders(count: int) -> str:
    return ",".join("?" * count)


def batched(items: Iterable[Any], size: int = BATCH_SIZE) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


@contextmanager
def import_settings(conn: Connection) -> Iterator[None]:
    """For an import's connection, around its transaction (SQLite takes neither switch inside one):

    - no foreign-key probe per row: SQLite checks the foreign keys of every row written (a fifth of the
      cost of the activities insert), but an ingest writes only ids it has just read or created in its
      own transaction;
    - temporary storage in files: what SQLite's sorter spills beyond its memory (the indexes a bulk load
      builds again, see `Ingestor._restore_indexes`) stays on disk instead of in the process's memory.

    Both are set back after, and the page cache the bulk path takes smaller (`BULK_CACHE_KB`) too, even
    when the import fails."""
    raw: Any = conn.connection.dbapi_connection if conn.dialect.name == "sqlite" else None
    if raw is None or getattr(raw, "in_transaction", True):
        yield
        return
    foreign_keys = raw.execute("PRAGMA foreign_keys").fetchone()[0]
    temp_store = raw.execute("PRAGMA temp_store").fetchone()[0]
    cache_size = raw.execute("PRAGMA cache_size").fetchone()[0]
    raw.execute("PRAGMA foreign_keys=OFF")
    raw.execute("PRAGMA temp_store=FILE")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA foreign_keys={int(foreign_keys)}")
        raw.execute(f"PRAGMA temp_store={int(temp_store)}")
        raw.execute(f"PRAGMA cache_size={int(cache_size)}")  # the bulk path's, after a failure


WRITE_LOCK_CLASS = 0x74656E64  # "tend": the first key of tending's PostgreSQL advisory locks


def lock_community_writes(conn: Connection, community_id: int) -> None:
    """Let writers of one community take turns, until the transaction ends.

    The rollups count a community's activities with an id above the newest one seen before an insert as
    this writer's; on PostgreSQL another import of the same community committing in between would be
    counted twice. A transaction-scoped advisory lock per community makes the second writer wait for the
    first to commit or roll back (imports of different communities still run side by side). SQLite has
    one writer at a time, and a write transaction cannot start from a stale snapshot."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "SELECT pg_advisory_xact_lock(%s, %s)", (WRITE_LOCK_CLASS, community_id % 2**31)
        )


class KeySet:
    """The keys of the activities an ingest inserted, as hashes (8 bytes a key: numpy arrays, in sorted
    runs merged as they grow), to tell a batch that cannot hold an activity already stored from one
    that may."""

    def __init__(self) -> None:
        self.runs: list[Any] = []

    def add_new(self, keys: Iterable[tuple[str, str]]) -> bool:
        """Add `keys`; True when none was added before and none comes twice among them. (Two keys may
        share a hash: False then, though they are new, which only sends the batch the careful way.)"""
        import numpy as np

        hashes = np.sort(np.fromiter(map(hash, keys), np.int64))
        new = not bool((hashes[1:] == hashes[:-1]).any())
        for run in self.runs if new else ():
            found = np.searchsorted(run, hashes)
            found[found == len(run)] = 0
            if bool((run[found] == hashes).any()):
                new = False
                break
        self.runs.append(hashes)
        while len(self.runs) > 1 and len(self.runs[-2]) <= 2 * len(self.runs[-1]):
            last = self.runs.pop()
            self.runs[-1] = np.sort(np.concatenate((self.runs[-1], last)))
        return new


class Ingestor:
    """Feeds records of one community into the store. Call add() per batch, then finish()."""

    def __init__(
        self, conn: Connection, community: Community, *, rollup_every: int = 0, bulk: bool = False
    ) -> None:
        """rollup_every: fold new activities into the rollups once that many are pending, and in
        finish(), instead of after every batch (0). A member active in many batches is then updated
        once, not once per batch; the rollups are only exact after finish(), which is fine inside one
        transaction (imports).

        bulk: on SQLite, a large load sets the secondary indexes of activities and the daily/monthly
        rollups aside and builds them again in finish() (see `_maybe_set_indexes_aside`); only for one
        transaction that ends with finish() (imports), since other readers of the transaction would
        miss the indexes until then."""
        self.conn = conn
        self.community = community
        self.cid = community.id
        lock_community_writes(conn, self.cid)
        self.members = _Cache(store_may_know_more=self._holds_any(identities))
        self.channels = _Cache(store_may_know_more=self._holds_any(channels))
        self.threads = _Cache(store_may_know_more=self._holds_any(threads))
        self.counts = IngestCounts()
        self.rollup_every = rollup_every
        self.pending_after: int | None = None  # the rollups hold every activity up to this id
        self.pending_rows = 0
        self.bulk = bulk and conn.dialect.name == "sqlite"
        self.held_before = self._max_activity_id() if self.bulk else 0
        self.events_after: int | None = None  # join and leave events: every one above this id
        self.in_bulk = False  # the bulk path (load_in_bulk): rollups folded once, in finish()
        self.tally: Tally | None = None  # the bulk path's rollups, counted as rows go in
        self.tallied_after: int | None = None  # every activity tallied has an id above this one
        self.on_phase: Phase | None = None  # told when finish() starts each of its phases
        # PostgreSQL's bulk path into a community that held no activity: the keys inserted so far
        self.fresh_keys: KeySet | None = None
        self.cache_before: int | None = None  # SQLite's page cache before the bulk path's
        self.set_aside: list[
            tuple[str, str]
        ] = []  # (name, CREATE INDEX statement) of the indexes set aside
        self.erased = TombstoneCheck(
            conn, self.cid
        )  # members erased: an import never brings them back
        self.any_deleted = holds_deletions(conn, self.cid)  # messages deleted on the platform

    def _holds_any(self, table: Any) -> bool:
        return (
            self.conn.exec_driver_sql(
                driver_sql(self.conn, f"SELECT 1 FROM {table.name} WHERE community_id = ? LIMIT 1"),
                (self.cid,),
            ).first()
            is not None
        )

    # -- public -----------------------------------------------------------------------------------

    def add(self, records: Iterable[ImportRecord | ActivityRows]) -> IngestCounts:
        """Write one batch of records (any mix, in export order; activities as records or as rows, see
        models.ActivityRows). Returns the counts for this batch."""
        before = IngestCounts(**self.counts.as_dict())
        self._maybe_set_indexes_aside()
        for cache in (self.members, self.channels, self.threads):
            cache.trim()
        member_recs: list[MemberRecord] = []
        channel_recs: list[ChannelRecord] = []
        thread_recs: list[ThreadRecord] = []
        activity_recs: list[ActivityRecord] = []
        rows: list[tuple[Any, ...]] = []
        edits: list[ActivityEdit] = []
        deletions: list[ActivityDeletion] = []
        if self.erased:
            records = self._without_erased(records)
        for record in records:
            if isinstance(record, ActivityRows):
                rows.extend(record.rows)
            elif isinstance(record, ActivityRecord):
                activity_recs.append(record)
            elif isinstance(record, ActivityEdit):
                edits.append(record)
            elif isinstance(record, ActivityDeletion):
                deletions.append(record)
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
            rows.extend(activity_rows(activity_recs).rows)
        if rows and self.erased:
            erased = self.erased.is_erased
            rows = [row for row in rows if not erased(row[SOURCE], row[MEMBER])]
        if rows and self.any_deleted:
            rows = self._without_deleted(rows)
        if rows:
            self._insert_activities(rows)
        if edits:
            self.counts.activities_edited += apply_edits(self.conn, self.cid, edits)
        if deletions:
            self._delete_activities(deletions)
        delta = IngestCounts()
        for key, value in self.counts.as_dict().items():
            setattr(delta, key, value - getattr(before, key))
        return delta

    def _without_erased(
        self, records: Iterable[ImportRecord | ActivityRows]
    ) -> Iterator[ImportRecord | ActivityRows]:
        """Leave out erased members, their activities, and their name on the threads they started (the
        activities given as rows are left out in `add`)."""
        erased = self.erased.is_erased
        for record in records:
            if isinstance(record, ActivityRecord):
                if not erased(record.source, record.member_external_id):
                    yield record
            elif isinstance(record, MemberRecord):
                if not erased(record.source, record.external_id):
                    yield record
            elif isinstance(record, ThreadRecord) and erased(
                record.source, record.started_by_external_id
            ):
                yield replace(record, started_by_external_id=None, title=None)
            else:
                yield record

    def load_in_bulk(self) -> None:
        """Take the bulk path from the next batch on (an import much larger than what is stored): rows
        are written as they come, the rollups wait, and finish() folds every activity inserted since the
        rollups were last exact in one set-based pass (member_stats, the members' dates, member_days and
        member_months by the same statements as a batch, contributor_days recomputed from member_days
        for the days touched rather than merged in Python), then builds the indexes set aside. On
        SQLite the secondary indexes of the big tables are set aside at once (`_maybe_set_indexes_aside`);
        PostgreSQL keeps them (dropping one would lock the table against every reader). Exact at commit,
        and the same rows as the per-batch path (tests/store/test_ingest_paths.py).

        The rollups of the rows inserted from here on are counted in memory as they go in (store/tally.py)
        rather than grouped again by SQL; what earlier batches left pending is folded first, so that
        no row is counted by both."""
        self._flush_rollups()
        fresh = self.conn.dialect.name == "postgresql" and not self._holds_any(activities)
        self.tally = Tally(self.cid, fresh=fresh and not self._holds_any(member_days))
        self.in_bulk = True
        if fresh:
            self.fresh_keys = KeySet()
        self.bulk = self.conn.dialect.name == "sqlite"
        if self.bulk and self.cache_before is None:
            self.cache_before = self.conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
            self.conn.exec_driver_sql(f"PRAGMA cache_size = -{BULK_CACHE_KB}")

    def _without_deleted(self, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """Leave out messages deleted on the platform after an earlier sync stored them."""
        keys = set(map(itemgetter(SOURCE, SOURCE_ID), rows)) | {
            (r[SOURCE], r[PARENT]) for r in rows if r[KIND] == "reaction" and r[PARENT]
        }
        gone = get_deleted_keys(self.conn, self.cid, keys)
        if not gone:
            return rows
        return [
            r
            for r in rows
            if (r[SOURCE], r[SOURCE_ID]) not in gone
            and not (r[KIND] == "reaction" and (r[SOURCE], r[PARENT] or "") in gone)
        ]

    def _delete_activities(self, deletions: list[ActivityDeletion]) -> None:
        """Fold what is pending first: the rebuild reads every activity of the members concerned."""
        self._flush_rollups()
        if self.tally is not None:
            self.tally.written_elsewhere()
        removed, member_ids = apply_deletions(self.conn, self.cid, deletions, now=utcnow())
        self.any_deleted = True
        self.counts.activities_deleted += removed
        if member_ids:
            do_recompute_member_stats(self.conn, self.cid, member_ids)

    def add_all(
        self, records: Iterable[ImportRecord], *, batch_size: int = BATCH_SIZE
    ) -> IngestCounts:
        for chunk in batched(records, batch_size):
            self.add(chunk)
        self.finish()
        return self.counts

    def finish(self) -> None:
        """Fold what is pending into the rollups; link replies to parents that arrived in a later batch or
        an earlier import."""
        if self.in_bulk:  # one pass over the whole import: GROUP BYs that sort millions of rows
            self._phase("rollups", self.pending_rows)
            with self._sorting():
                self._flush_rollups()
        self._flush_rollups()
        self._apply_join_leave_events()
        if self.set_aside:
            self._phase("indexes", self._max_activity_id())
        self._restore_indexes()
        self.conn.execute(
            text(
                "UPDATE activities SET parent_id = (SELECT p.id FROM activities p "
                "WHERE p.community_id = activities.community_id AND p.source = activities.source "
                "AND p.source_id = activities.parent_source_id) "
                "WHERE community_id = :cid AND parent_id IS NULL AND parent_source_id IS NOT NULL"
            ),
            {"cid": self.cid},
        )
        if self.cache_before is not None:
            self.conn.exec_driver_sql(f"PRAGMA cache_size = {int(self.cache_before)}")
            self.cache_before = None

    def _phase(self, name: str, rows: int) -> None:
        if self.on_phase is not None:
            self.on_phase(name, rows)

    # -- members ----------------------------------------------------------------------------------

    def _lookup_members(self, keys: Iterable[tuple[str, str]]) -> None:
        # identities, not members: after a merge, several identities lead to one member
        self._lookup_keyed(identities, self.members, keys, id_column="member_id")

    def _create_members(self, records: list[MemberRecord]) -> list[int]:
        """Plain tuples through the driver, as for activities (a fresh import creates a member every few
        activities). Values are converted as the column types would (Timestamp, the False defaults).
        Returns the new members' ids."""
        now = to_micros(utcnow())
        cid = self.cid
        columns = (
            "community_id",
            "platform",
            "external_id",
            "display_name",
            "handle",
            "joined_at",
            "joined_at_exact",
            "left_at",
            "language",
            "is_staff",
            "is_bot",
            "do_not_contact",
            "created_at",
            "updated_at",
        )
        created = self._insert_returning(
            members,
            columns,
            [
                (
                    cid,
                    r.source,
                    r.external_id,
                    r.display_name,
                    r.handle,
                    _micros_or_none(r.joined_at),
                    r.joined_at is not None,
                    _micros_or_none(r.left_at),
                    r.language,
                    r.is_staff,
                    r.is_bot,
                    False,
                    now,
                    now,
                )
                for r in records
            ],
            self.members,
        )
        member_ids = self.members.ids
        rows = [
            (cid, member_ids[(r.source, r.external_id)], r.source, r.external_id, r.handle, r.email)
            for r in records
        ]
        names = ("community_id", "member_id", "platform", "external_id", "handle", "email")
        if self.conn.dialect.name == "postgresql":
            stage = self._staged("identities", names, rows)
            self.conn.exec_driver_sql(
                f"INSERT INTO identities ({', '.join(names)}) SELECT {', '.join(names)} "
                f"FROM {stage} ORDER BY seq"
            )
        else:
            self.conn.exec_driver_sql(
                f"INSERT INTO identities ({', '.join(names)}) VALUES ({_placeholders(len(names))})",
                rows,
            )
        self.counts.members_added += len(records)
        return created

    def _insert_returning(
        self, table: Any, columns: tuple[str, ...], rows: list[tuple[Any, ...]], cache: _Cache
    ) -> list[int]:
        """Insert rows keyed by (platform, external_id) (columns 2 and 3 after community_id) and put their
        new ids in `cache`, read back by RETURNING: multi-row VALUES statements of up to 30,000 values
        (SQLite's limit is 32,766; a query per chunk to read the ids back cost as much as the insert).
        PostgreSQL: through a staging table (`_staged`), one INSERT ... SELECT ... RETURNING."""
        if self.conn.dialect.name == "postgresql":
            return self._insert_returning_staged(table, columns, rows, cache)
        per_statement = max(1, 30_000 // len(columns))
        row_sql = f"({_placeholders(len(columns))})"
        created = []
        for chunk in batched(rows, per_statement):
            sql = driver_sql(
                self.conn,
                f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES "
                f"{', '.join([row_sql] * len(chunk))} RETURNING platform, external_id, id",
            )
            for platform, external_id, row_id in self.conn.exec_driver_sql(
                sql, tuple(value for row in chunk for value in row)
            ):
                cache.put((platform, external_id), row_id)
                created.append(row_id)
        return created

    def _insert_returning_staged(
        self, table: Any, columns: tuple[str, ...], rows: list[tuple[Any, ...]], cache: _Cache
    ) -> list[int]:
        stage = self._staged(table.name, columns, rows)
        listed = ", ".join(columns)
        created = []
        # ORDER BY: ids are drawn in the export's order, as the VALUES of the other path would
        for platform, external_id, row_id in self.conn.exec_driver_sql(
            f"INSERT INTO {table.name} ({listed}) SELECT {listed} FROM {stage} ORDER BY seq "
            "RETURNING platform, external_id, id"
        ):
            cache.put((platform, external_id), row_id)
            created.append(row_id)
        return sorted(created)

    def _staged(self, table: str, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> str:
        """PostgreSQL: the rows in a staging table (rollups.stage_rows)."""
        return stage_rows(self.conn, table, columns, rows)

    def _member_row(self, record: MemberRecord, now: datetime) -> dict[str, Any]:
        row: dict[str, Any] = {
            "community_id": self.cid,
            "updated_at": now,
            "is_staff": record.is_staff,
            "is_bot": record.is_bot,
        }
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
        current = {
            row.id: row
            for row in self.conn.execute(
                select(members).where(
                    members.c.community_id == self.cid, members.c.id.in_(list(ids))
                )
            )
        }
        now = utcnow()
        changes = []
        for member_id, record in ids.items():
            row = current[member_id]
            wanted = self._member_row(record, now)
            diff = {
                k: v
                for k, v in wanted.items()
                if k not in ("updated_at", "community_id") and getattr(row, k) != v
            }
            if diff:
                changes.append({"b_id": member_id, **wanted})
            else:
                self.counts.members_unchanged += 1
        for change in changes:
            keys = [k for k in change if k != "b_id"]
            self.conn.execute(
                update(members)
                .where(members.c.id == bindparam("b_id"))
                .values({k: bindparam(k) for k in keys}),
                [change],
            )
        self.counts.members_updated += len(changes)
        sync_join_months(self.conn, self.cid, [c["b_id"] for c in changes if "joined_at" in c])

    def _ensure_members(self, rows: list[tuple[Any, ...]]) -> list[int]:
        """Create the members the activities name and the store does not hold (in the order the batch
        first names them, with the name its first activity gives); returns their ids."""
        keys = dict.fromkeys(map(itemgetter(SOURCE, MEMBER), rows))
        self._lookup_members(keys)
        known = self.members.ids
        missing = {key: None for key in keys if key not in known}
        if not missing:
            return []
        unknown: dict[tuple[str, str], MemberRecord] = {}
        for source, member, name in map(itemgetter(SOURCE, MEMBER, MEMBER_NAME), rows):
            if (source, member) in missing and (source, member) not in unknown:
                unknown[(source, member)] = MemberRecord(
                    source=source, external_id=member, display_name=name
                )
        return self._create_members([unknown[key] for key in missing])

    # -- channels and threads -----------------------------------------------------------------------

    def _lookup_keyed(
        self, table: Any, cache: _Cache, keys: Iterable[tuple[str, str]], id_column: str = "id"
    ) -> None:
        """Fill `cache` with the ids of rows of `table` keyed by (platform, external_id)."""
        if not cache.store_may_know_more:
            return
        by_platform: dict[str, list[str]] = defaultdict(list)
        known = cache.ids
        for key in keys:
            if key not in known:
                by_platform[key[0]].append(key[1])
        for platform, external_ids in by_platform.items():
            for chunk in batched(external_ids, 2000):
                sql = self._keys_in(
                    f"SELECT t.external_id, t.{id_column} FROM {table.name} t",
                    "t.community_id = ? AND t.platform = ?",
                    "t.external_id",
                    len(chunk),
                )
                for external_id, row_id in self.conn.exec_driver_sql(
                    sql, self._key_params(platform, chunk)
                ):
                    cache.put((platform, external_id), row_id)

    def _keys_in(self, select_from: str, where: str, column: str, count: int) -> str:
        """`select_from` narrowed by `where` (community, platform) and `column` among a list of keys.

        On PostgreSQL the keys are an array joined to the table: during a long import the planner has no
        statistics for the rows this transaction added and reads `IN (...)` as a filter over the whole
        community (an import grew quadratic); a join on the unique key is an index probe per key."""
        if self.conn.dialect.name == "postgresql":
            return driver_sql(
                self.conn,
                f"{select_from} JOIN unnest(?::text[]) AS k(key) ON {column} = k.key WHERE {where}",
            )
        return driver_sql(
            self.conn, f"{select_from} WHERE {where} AND {column} IN ({_placeholders(count)})"
        )

    def _key_params(self, platform: str, keys: list[str]) -> tuple[Any, ...]:
        if self.conn.dialect.name == "postgresql":
            return (keys, self.cid, platform)
        return (self.cid, platform, *keys)

    def _ensure_keyed(
        self, table: Any, cache: _Cache, wanted: dict[tuple[str, str], dict[str, Any]]
    ) -> list[int]:
        """Insert the rows of `wanted` not yet in `table` (keyed by platform, external_id). Returns their ids."""
        self._lookup_keyed(table, cache, wanted)
        new = {key: row for key, row in wanted.items() if key not in cache.ids}
        if not new:
            return []
        # plain tuples through the driver; every row of `wanted` has the same keys
        names = list(next(iter(new.values())))
        instants = {name for name in names if isinstance(table.c[name].type, Timestamp)}
        return self._insert_returning(
            table,
            ("community_id", "platform", "external_id", *names),
            [
                (
                    self.cid,
                    key[0],
                    key[1],
                    *(
                        _micros_or_none(row[name]) if name in instants else row[name]
                        for name in names
                    ),
                )
                for key, row in new.items()
            ],
            cache,
        )

    def _upsert_channels(self, records: list[ChannelRecord]) -> None:
        wanted = {(r.source, r.external_id): {"name": r.name} for r in records}
        self.counts.channels_added += len(self._ensure_keyed(channels, self.channels, wanted))

    def _upsert_threads(self, records: list[ThreadRecord]) -> None:
        self._ensure_channels(
            {(r.source, r.channel_external_id) for r in records if r.channel_external_id}
        )
        starters = {
            (r.source, r.started_by_external_id) for r in records if r.started_by_external_id
        }
        self._lookup_members(starters)
        wanted = {}
        for r in records:
            wanted[(r.source, r.external_id)] = {
                "title": r.title,
                "started_at": r.started_at,
                "channel_id": self.channels.get((r.source, r.channel_external_id))
                if r.channel_external_id
                else None,
                "started_by": self.members.get((r.source, r.started_by_external_id))
                if r.started_by_external_id
                else None,
            }
        self.counts.threads_added += len(self._ensure_keyed(threads, self.threads, wanted))

    def _ensure_channels(self, keys: set[tuple[str, str | None]]) -> list[int]:
        wanted = {(p, e): {"name": None} for p, e in keys if e}
        created = self._ensure_keyed(channels, self.channels, wanted) if wanted else []
        self.counts.channels_added += len(created)
        return created

    def _ensure_threads(self, rows: list[tuple[Any, ...]]) -> list[int]:
        wanted: dict[tuple[str, str], dict[str, Any]] = {}
        for source, thread, channel in dict.fromkeys(
            map(itemgetter(SOURCE, THREAD, CHANNEL), rows)
        ):
            if thread and (source, thread) not in wanted:
                wanted[(source, thread)] = {
                    "title": None,
                    "started_at": None,
                    "started_by": None,
                    "channel_id": self.channels.get((source, channel)) if channel else None,
                }
        created = self._ensure_keyed(threads, self.threads, wanted) if wanted else []
        self.counts.threads_added += len(created)
        return created

    # -- activities ---------------------------------------------------------------------------------

    def _insert_activities(self, records: list[tuple[Any, ...]]) -> None:
        """Insert the batch, leaving out what is already stored (the unique key decides, in the same
        statement), then bring every rollup up to date from the rows really inserted.

        An activity stored earlier must not create anything (the author of an old post may have another
        id in a newer export): members, channels and threads the batch created for activities that
        turned out to be stored already are removed again (`_drop_unused`). Checking first cost a
        query per batch on every fresh import; this costs one only when both happen."""
        created_members = self._ensure_members(records)
        created_channels = self._ensure_channels(
            {key for key in map(itemgetter(SOURCE, CHANNEL), records) if key[1]}
        )
        created_threads = self._ensure_threads(records)
        before = self._max_activity_id()
        rows = self._activity_rows(records)
        self._insert_activity_rows(rows)
        added = self._count_new_rows(before)
        self.counts.activities_added += added
        self.counts.activities_unchanged += len(records) - added
        if added < len(records) and (created_members or created_channels or created_threads):
            self._drop_unused(before, created_members, created_channels, created_threads)
        if added:
            if self.events_after is None:
                self.events_after = before
            self.pending_rows += added
            if self.tally is not None:
                self._tally(rows, before, every_row_in=added == len(rows))
                return
            if self.pending_after is None:
                self.pending_after = before
            if self.pending_rows >= self.rollup_every and not self.in_bulk:
                self._flush_rollups()

    def _maybe_set_indexes_aside(self) -> None:
        """Adding a row to a B-tree index costs a random seek per index and row, growing with the table;
        building the index at the end from all rows is one sort. On a 100,000-activity import into a
        table of as many rows, the four secondary indexes of activities cost 1.5 s of the insert's 2.3 s,
        and building them again 0.3 s (benchmarks/import_speed.py). So once an ingest has written
        BULK_AFTER activities (from the first batch when the database holds fewer: building indexes over so
        few rows again costs next to nothing) and at least a quarter of the rows it held before, the non-unique
        indexes of the big tables are dropped, inside the transaction, and finish() creates them again
        with the same statements. Unique indexes stay: they enforce the keys the inserts rely on. SQLite
        only: a transaction's schema change is invisible to other connections until it commits (and is
        undone with it), whereas on PostgreSQL dropping an index locks the table against every reader."""
        added = self.counts.activities_added
        if not self.bulk or self.set_aside:
            return
        if not self.in_bulk and (
            added * 4 < self.held_before or (added < BULK_AFTER and self.held_before >= BULK_AFTER)
        ):
            return
        if not getattr(self.conn.connection.dbapi_connection, "in_transaction", False):
            # Python's sqlite3 opens the transaction at the first write: a DROP INDEX before it would be
            # committed on its own, and a failed import would leave the indexes dropped
            return
        tables = ", ".join(f"'{name}'" for name in BULK_TABLES)
        self.set_aside = [
            (name, sql)
            for name, sql in self.conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                f"AND tbl_name IN ({tables}) ORDER BY name"
            )
            if not sql.lstrip().upper().startswith("CREATE UNIQUE")
        ]
        for name, _sql in self.set_aside:
            self.conn.exec_driver_sql(f'DROP INDEX "{name}"')

    def _restore_indexes(self) -> None:
        """Build the indexes set aside again. Each build sorts every row of its table, and SQLite's sorter
        keeps as much in memory as the page cache may hold (200 MB here) before it spills: a 1 GB
        export's import peaked at 667 MB of RSS. The builds run with a small cache (imports also keep
        SQLite's spills in files: `import_settings`)."""
        if not self.set_aside:
            return
        with self._sorting():
            for _name, sql in self.set_aside:
                self.conn.exec_driver_sql(sql)
        self.set_aside = []

    @contextmanager
    def _sorting(self) -> Iterator[None]:
        """SQLite: a small page cache while statements sort millions of rows (the index builds, the bulk
        path's rollups), since the sorter holds as much as the cache may before it spills to files."""
        if self.conn.dialect.name != "sqlite":
            yield
            return
        run = self.conn.exec_driver_sql
        cache_size = run("PRAGMA cache_size").scalar_one()
        run(f"PRAGMA cache_size = -{SORT_MEMORY_KB}")
        try:
            yield
        finally:
            run(f"PRAGMA cache_size = {int(cache_size)}")

    def _tally(self, rows: list[tuple[Any, ...]], before: int, *, every_row_in: bool) -> None:
        """The bulk path: count a batch whose every row went in; fold any other batch (some of its rows
        were stored already, or came twice) by SQL over the rows really inserted, at once."""
        assert self.tally is not None
        if not every_row_in:
            self.tally.written_elsewhere()
            self._after_insert(before)
            return
        if self.tallied_after is None:
            self.tallied_after = before
        self.tally.add(rows, member=1, kind=2, at=3, extra=13)
        self.tally.write_some(self.conn)

    def _flush_rollups(self) -> None:
        if self.tally is not None and (self.tally or self.tallied_after is not None):
            self.tally.finish(self.conn, days_per_query=BULK_DAYS_PER_QUERY)
            if self.tallied_after is not None:
                self._update_thread_starts(self.tallied_after)
            self.tallied_after = None
        if self.pending_after is not None:
            self._after_insert(self.pending_after)
        self.pending_after, self.pending_rows = None, 0

    def _drop_unused(
        self,
        before: int,
        created_members: list[int],
        created_channels: list[int],
        created_threads: list[int],
    ) -> None:
        """Remove what this batch created for activities that were stored already (none of the rows
        inserted, those with an id above `before`, uses it)."""
        where = new_rows_where(self.conn)
        params = (self.cid, before)
        for cache, created, column, table, counter in (
            (self.threads, created_threads, "thread_id", threads, "threads_added"),
            (self.channels, created_channels, "channel_id", channels, "channels_added"),
            (self.members, created_members, "member_id", members, "members_added"),
        ):
            if not created:
                continue
            used = {
                row_id
                for (row_id,) in self.conn.exec_driver_sql(
                    driver_sql(
                        self.conn, f"SELECT DISTINCT {column} FROM activities WHERE {where}"
                    ),
                    params,
                )
            }
            if table is channels:  # a thread kept may name a channel created with it
                used.update(
                    self.conn.execute(
                        select(threads.c.channel_id)
                        .distinct()
                        .where(
                            threads.c.community_id == self.cid, threads.c.channel_id.in_(created)
                        )
                    ).scalars()
                )
            unused = [row_id for row_id in created if row_id not in used]
            if not unused:
                continue
            gone = set(unused)
            for key in [key for key, row_id in cache.ids.items() if row_id in gone]:
                del cache.ids[key]
            for chunk in batched(unused, 2000):
                if table is members:
                    self.conn.execute(
                        identities.delete().where(
                            identities.c.community_id == self.cid, identities.c.member_id.in_(chunk)
                        )
                    )
                self.conn.execute(
                    table.delete().where(table.c.community_id == self.cid, table.c.id.in_(chunk))
                )
            setattr(self.counts, counter, getattr(self.counts, counter) - len(unused))

    def _after_insert(self, after_id: int) -> None:
        """The one place where the rollups follow new activities: every activity of this community with
        an id above `after_id` was inserted by this ingest since the last call, and only those are folded
        in, so a re-import never counts twice. Each step works on the whole set at once (SQL, or numpy).
        (rollups.new_contribution_days gives the UTC days these activities touched.)"""
        self.conn.exec_driver_sql(
            _stats_from_rows_sql(self.conn, new_rows_where(self.conn)), (self.cid, after_id)
        )
        self._update_member_dates(after_id)
        if not self.rollup_every:  # folded after every batch: callers may not call finish()
            self._apply_join_leave_events()
        # after the member dates: the monthly rows carry the member's join month
        apply_new_activities(self.conn, self.cid, after_id=after_id)
        if self.in_bulk:  # the days touched, from member_days: memory bounded by a few days' rows
            days = new_contribution_days(self.conn, self.cid, after_id=after_id)
            refresh_days(self.conn, self.cid, days, per_query=BULK_DAYS_PER_QUERY)
        else:
            add_activities_after(
                self.conn, self.cid, after_id=after_id
            )  # the segments' packed days
        self._update_thread_starts(after_id)

    def _max_activity_id(self) -> int:
        return int(
            self.conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM activities").scalar_one()
        )

    def _count_new_rows(self, after_id: int) -> int:
        sql = driver_sql(
            self.conn, f"SELECT count(*) FROM activities WHERE {new_rows_where(self.conn)}"
        )
        return int(self.conn.exec_driver_sql(sql, (self.cid, after_id)).scalar_one())

    def _insert_activity_rows(self, rows: list[tuple[Any, ...]]) -> None:
        """One executemany of plain tuples through the driver (SQLAlchemy's per-row parameter processing
        cost more than the insert itself). Values are converted as the column types would (Timestamp,
        JSON). ON CONFLICT DO NOTHING: an activity already stored, or twice in the batch, is left out by
        the unique index the insert maintains anyway, instead of being looked up first. PostgreSQL:
        COPY into a staging table, then one INSERT ... SELECT in the batch's order (`_staged`)."""
        listed = ", ".join(ACTIVITY_COLUMNS)
        conflict = "ON CONFLICT (community_id, source, source_id) DO NOTHING"
        if self.conn.dialect.name == "postgresql":
            if self.fresh_keys is not None and self.fresh_keys.add_new(
                map(itemgetter(11, 12), rows)  # source, source_id
            ):
                copy_rows(self.conn, "activities", ACTIVITY_COLUMNS, rows)
                return
            stage = self._staged("activities", ACTIVITY_COLUMNS, rows)
            self.conn.exec_driver_sql(
                f"INSERT INTO activities ({listed}) SELECT {listed} FROM {stage} ORDER BY seq {conflict}"
            )
            return
        self.conn.exec_driver_sql(
            f"INSERT INTO activities ({listed}) "
            f"VALUES ({_placeholders(len(ACTIVITY_COLUMNS))}) {conflict}",
            rows,
        )

    def _activity_rows(self, records: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """The insert's tuples (ACTIVITY_COLUMNS) of activity rows (importers/packed.py)."""
        cid = self.cid
        member_ids, thread_ids, channel_ids = self.members.ids, self.threads.ids, self.channels.ids
        return [
            (
                cid,
                member_ids[(source, member)],
                kind,
                at,
                thread_ids[(source, thread)] if thread else None,
                None,
                parent,
                channel_ids[(source, channel)] if channel else None,
                text_,
                url,
                language,
                source,
                source_id,
                JSON_NULL if extra is None else extra,
            )
            for (
                source,
                source_id,
                member,
                kind,
                at,
                thread,
                parent,
                channel,
                text_,
                url,
                language,
                _name,
                extra,
            ) in records
        ]

    def _update_member_dates(self, after_id: int) -> None:
        """joined_at follows the first activity of members without a platform join date (set-based).
        The join and leave events wait for finish() (`_apply_join_leave_events`)."""
        first_seen = (
            "UPDATE members SET joined_at = n.first_at FROM (SELECT member_id, min(occurred_at) AS first_at "
            f"FROM activities WHERE {new_rows_where(self.conn)} GROUP BY member_id) AS n "
            "WHERE members.id = n.member_id AND NOT members.joined_at_exact "
        )
        params = (self.cid, after_id)
        # a member without a join date has no activity yet, so no monthly rollup to follow
        self.conn.exec_driver_sql(
            driver_sql(self.conn, first_seen + "AND members.joined_at IS NULL"), params
        )
        moved = self.conn.exec_driver_sql(
            driver_sql(
                self.conn, first_seen + "AND members.joined_at > n.first_at RETURNING members.id"
            ),
            params,
        )
        sync_join_months(self.conn, self.cid, sorted(member_id for (member_id,) in moved))

    def _apply_join_leave_events(self) -> None:
        """Members with join or leave events among everything this ingest inserted go through
        member_dates_after once, from their state before (the first activities already folded in).
        Once, not per fold: member_dates_after reads a member's events together, so applying them in
        groups would make the result depend on where batches or folds happened to cut (a member who left
        and came back in one export), and the bulk and per-batch paths would disagree."""
        if self.events_after is None:
            return
        events = self._join_leave_events(self.events_after)
        self.events_after = None
        if events:
            before = self._member_states(sorted(events))
            sync_join_months(self.conn, self.cid, sorted(self._write_member_dates(events, before)))

    def _join_leave_events(self, after_id: int) -> dict[int, tuple[int, list[int], list[int]]]:
        """(first activity, joins, leaves) among the new activities, of each member who joined or left.
        Two scans of the new rows, no subquery: PostgreSQL without statistics re-ran one per row."""
        where = new_rows_where(self.conn)
        events = self.conn.exec_driver_sql(
            driver_sql(
                self.conn,
                f"SELECT member_id, kind, occurred_at FROM activities WHERE {where} "
                "AND kind IN ('joined', 'left')",
            ),
            (self.cid, after_id),
        ).all()
        if not events:
            return {}
        firsts: dict[int, int] = {
            int(member_id): int(at)
            for member_id, at in self.conn.exec_driver_sql(
                driver_sql(
                    self.conn,
                    f"SELECT member_id, min(occurred_at) FROM activities WHERE {where} GROUP BY member_id",
                ),
                (self.cid, after_id),
            )
        }
        found: dict[int, tuple[int, list[int], list[int]]] = {}
        for member_id, kind, at in events:
            _first, joins, leaves = found.setdefault(
                int(member_id), (firsts[int(member_id)], [], [])
            )
            (joins if kind == JOINED else leaves).append(int(at))
        return found

    def _member_states(
        self, member_ids: list[int]
    ) -> dict[int, tuple[datetime | None, bool, datetime | None]]:
        states = {}
        for chunk in batched(member_ids, 2000):
            for found in self.conn.execute(
                select(
                    members.c.id, members.c.joined_at, members.c.joined_at_exact, members.c.left_at
                ).where(members.c.community_id == self.cid, members.c.id.in_(chunk))
            ):
                states[found.id] = (found.joined_at, found.joined_at_exact, found.left_at)
        return states

    def _write_member_dates(
        self,
        events: dict[int, tuple[int, list[int], list[int]]],
        before: dict[int, tuple[datetime | None, bool, datetime | None]],
    ) -> list[int]:
        """Write member_dates_after of each member with events (over whatever the set-based update did);
        returns those whose joined_at moved."""
        rows, rejoined = [], []
        for member_id, (first, joins, leaves) in events.items():
            state = before[member_id]
            joined_at, exact, left_at = member_dates_after(
                state,
                from_micros(first),
                [from_micros(at) for at in joins],
                [from_micros(at) for at in leaves],
            )
            if joined_at != state[0]:
                rejoined.append(member_id)
            rows.append((_micros_or_none(joined_at), exact, _micros_or_none(left_at), member_id))
        self.conn.exec_driver_sql(
            driver_sql(
                self.conn,
                "UPDATE members SET joined_at = ?, joined_at_exact = ?, left_at = ? WHERE id = ?",
            ),
            rows,
        )
        return rejoined

    def _update_thread_starts(self, after_id: int) -> None:
        """A thread starts with its earliest post (the first inserted, on a tie)."""
        where = new_rows_where(self.conn)
        self.conn.exec_driver_sql(
            driver_sql(
                self.conn,
                (
                    "UPDATE threads SET started_at = s.first_at, started_by = s.first_by FROM ("
                    "SELECT thread_id, occurred_at AS first_at, member_id AS first_by FROM ("
                    "SELECT thread_id, occurred_at, member_id, "
                    "row_number() OVER (PARTITION BY thread_id ORDER BY occurred_at, id) AS place FROM activities "
                    f"WHERE {where} AND kind = 'post' AND thread_id IS NOT NULL) AS p WHERE place = 1) AS s "
                    "WHERE threads.id = s.thread_id "
                    "AND (threads.started_at IS NULL OR threads.started_at >= s.first_at)"
                ),
            ),
            (self.cid, after_id),
        )


@dataclass(frozen=True)
class StoredRows:
    """What the store holds before an import, as the bulk path's costs see it: the activities table's
    rows (all communities: SQLite builds each index set aside over the whole table again) and the
    community's own activities (its days' contributor rows are recomputed from member_days)."""

    table: int
    community: int


def count_stored_activities(conn: Connection, community_id: int) -> StoredRows:
    """Cheap counts for `bulk_pays`: the table's newest id, and the community's counted activities from
    its members' rollups (no scan of the activities)."""
    table = int(conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM activities").scalar_one())
    community = conn.exec_driver_sql(
        driver_sql(
            conn,
            "SELECT coalesce(sum(contributions + reactions), 0) FROM member_stats "
            "WHERE community_id = ?",
        ),
        (community_id,),
    ).scalar_one()
    return StoredRows(table=table, community=int(community))


# Measured costs, in microseconds (benchmarks/import_speed.py --scale 0.5 --paths, docs/importers.md
# "Which path"): per activity added by the per-batch path and by the bulk path (parsing included), and per
# activity already stored that the bulk path reads again (SQLite: its indexes built again over the whole
# table; PostgreSQL: the days it touches recomputed from member_days, bounded by the community's own
# rows). CPU of the import's processes, and on PostgreSQL of the server's too (it does most of the work).
PATH_COSTS_US = {
    "sqlite": {"batches": 40.5, "bulk": 31.9, "stored": 6.5},
    "postgresql": {"batches": 68.5, "bulk": 57.3, "stored": 5.0},
}


def bulk_pays(*, expected: int, stored: StoredRows, dialect: str) -> bool:
    """Whether an import expected to add `expected` activities costs less by the bulk path: it saves
    (batches - bulk) per new activity and pays `stored` per row it must read again."""
    costs = PATH_COSTS_US.get(dialect, PATH_COSTS_US["sqlite"])
    again = stored.table if dialect == "sqlite" else stored.community
    return expected * (costs["batches"] - costs["bulk"]) > again * costs["stored"]


def _micros_or_none(moment: datetime | None) -> int | None:
    return None if moment is None else to_micros(moment)


def member_dates_after(
    state: tuple[datetime | None, bool, datetime | None],
    first_seen: datetime,
    joins: list[datetime],
    leaves: list[datetime],
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
        pick = (
            ("LEAST" if op == "<" else "GREATEST")
            if conn.dialect.name == "postgresql"
            else ("min" if op == "<" else "max")
        )
        return (
            f"{name} = {pick}(coalesce(member_stats.{name}, excluded.{name}), "
            f"coalesce(excluded.{name}, member_stats.{name}))"
        )

    contribution = "kind IN ('post', 'reply', 'comment')"
    counted = {
        "contributions": contribution,
        "posts": "kind = 'post'",
        "replies": "kind = 'reply'",
        "comments": "kind = 'comment'",
        "reactions": "kind = 'reaction'",
    }
    selects = [f"count(CASE WHEN {counted[name]} THEN 1 END)" for name in STAT_COUNTERS] + [
        "min(occurred_at)",
        "max(occurred_at)",
        f"min(CASE WHEN {contribution} THEN occurred_at END)",
        f"max(CASE WHEN {contribution} THEN occurred_at END)",
    ]
    updates = [f"{name} = member_stats.{name} + excluded.{name}" for name in STAT_COUNTERS] + [
        widen(name, "<" if name.startswith("first") else ">") for name in STAT_INSTANTS
    ]
    columns = ("member_id", "community_id", *STAT_COUNTERS, *STAT_INSTANTS)
    return driver_sql(
        conn,
        (
            f"INSERT INTO member_stats ({', '.join(columns)}) "
            f"SELECT member_id, community_id, {', '.join(selects)} FROM activities "
            f"WHERE {where} AND kind NOT IN ('joined', 'left', 'message_sent') "
            "GROUP BY member_id, community_id ORDER BY member_id "
            f"ON CONFLICT (member_id) DO UPDATE SET {', '.join(updates)}"
        ),
    )


def do_recompute_member_stats(conn: Connection, community_id: int, member_ids: list[int]) -> None:
    """Rebuild rollups from the activities, for members whose history changed other than by insertion
    (a merge, a deletion)."""
    for chunk in batched(member_ids, 2000):
        conn.execute(
            member_stats.delete().where(
                member_stats.c.community_id == community_id, member_stats.c.member_id.in_(chunk)
            )
        )
        conn.exec_driver_sql(_stats_from_rows_sql(conn, members_where(chunk)), (community_id,))
    rebuild_member_rollups(conn, community_id, member_ids)
