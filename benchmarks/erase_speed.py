"""How long erasing one member with 100,000 activities takes (target: under 5 s), next to a bare DELETE of the
same member's activities measured in the same run (the least any erasure must do to those rows).

A SQLite community is built through the ingest path (the member's activities, plus as many by 2,000 others, in
threads and on two platforms, the member's accounts merged), copied twice, then:
- baseline: `DELETE FROM activities WHERE member_id IN (...)` on one copy, in one transaction;
- tending: `do_erase_member` on the other copy, in one transaction, committed.

    uv run python benchmarks/erase_speed.py                    # 100,000 activities
    uv run python benchmarks/erase_speed.py --activities 20000 # quicker
    uv run python benchmarks/erase_speed.py --postgres postgresql+psycopg://postgres@127.0.0.1:55445/postgres
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from tending.actions.members import do_merge_members
from tending.actions.rights import do_erase_member
from tending.models import ActivityRecord, MemberRecord
from tending.store import open_store
from tending.store.communities import do_create_community
from tending.store.ingest import Ingestor
from tending.store.members import resolve_member

START = datetime(2024, 1, 1, tzinfo=UTC)
KINDS = ("post", "reply", "reply", "comment", "reaction")


def records(activities: int, others: int) -> list[MemberRecord | ActivityRecord]:
    found: list[MemberRecord | ActivityRecord] = [
        MemberRecord(
            source="forum",
            external_id="target",
            display_name="Target Person",
            handle="target",
            email="target@example.org",
        ),
        MemberRecord(
            source="slack", external_id="UTARGET", display_name="Target Person", handle="target"
        ),
    ]
    found += [
        MemberRecord(source="forum", external_id=f"m{i}", display_name=f"Member {i}")
        for i in range(others)
    ]
    for i in range(activities):
        source, who = ("slack", "UTARGET") if i % 4 == 0 else ("forum", "target")
        found.append(
            ActivityRecord(
                source=source,
                source_id=f"t{i}",
                member_external_id=who,
                kind=KINDS[i % 5],
                occurred_at=START + timedelta(minutes=i),
                thread_external_id=f"th{i // 20}",
                text=f"the target's message number {i}",
            )
        )
        found.append(
            ActivityRecord(
                source="forum",
                source_id=f"o{i}",
                member_external_id=f"m{i % others}",
                kind=KINDS[(i + 1) % 5],
                occurred_at=START + timedelta(minutes=i, seconds=30),
                thread_external_id=f"th{i // 20}",
                text=f"someone else's message {i}",
            )
        )
    return found


def build(url: str, activities: int, others: int) -> None:
    engine = open_store(url)
    with engine.begin() as conn:
        community = do_create_community(conn, "Bench", platform="forum", actor="bench")
        Ingestor(conn, community, bulk=True, rollup_every=50_000).add_all(
            records(activities, others)
        )
        keep = resolve_member(conn, community, "forum:target").id
        other = resolve_member(conn, community, "slack:UTARGET").id
        do_merge_members(conn, community, keep, other, actor="bench")
    engine.dispose()


def time_baseline(url: str) -> float:
    engine = open_store(url)
    with engine.begin() as conn:
        ids = [
            row[0]
            for row in conn.execute(
                text("SELECT id FROM members WHERE external_id IN ('target', 'UTARGET')")
            )
        ]
        started = time.perf_counter()
        conn.execute(
            text(f"DELETE FROM activities WHERE member_id IN ({', '.join(map(str, ids))})")
        )
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def time_erase(url: str) -> tuple[float, int]:
    engine = open_store(url)
    from tending.store.communities import find_community

    with engine.connect() as conn:
        community = find_community(conn, "Bench")
    assert community is not None
    started = time.perf_counter()
    with engine.begin() as conn:
        result = do_erase_member(conn, community, "forum:target", actor="bench")
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed, result.changed["activities"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--activities", type=int, default=100_000)
    parser.add_argument("--others", type=int, default=2_000)
    parser.add_argument(
        "--postgres", metavar="URL", help="also measure on PostgreSQL (an admin URL)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        built = Path(folder) / "built.db"
        started = time.perf_counter()
        build(f"sqlite:///{built}", args.activities, args.others)
        print(
            f"built {args.activities:,} activities of one member (+ as many by {args.others:,} others) "
            f"in {time.perf_counter() - started:.1f} s"
        )
        for name in ("baseline.db", "erase.db"):
            shutil.copy(built, Path(folder) / name)
        baseline = time_baseline(f"sqlite:///{Path(folder) / 'baseline.db'}")
        erase, changed = time_erase(f"sqlite:///{Path(folder) / 'erase.db'}")
        print(
            f"SQLite: bare DELETE of the member's activities {baseline:.2f} s; "
            f"tending erase ({changed:,} activities anonymised) {erase:.2f} s; ratio {erase / baseline:.1f}x"
        )
    if args.postgres:
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        names = [f"tending_bench_{uuid.uuid4().hex[:8]}" for _ in range(2)]
        base = args.postgres.rsplit("/", 1)[0]
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{names[0]}"'))
            build(f"{base}/{names[0]}", args.activities, args.others)
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{names[1]}" TEMPLATE "{names[0]}"'))
            baseline = time_baseline(f"{base}/{names[0]}")
            erase, changed = time_erase(f"{base}/{names[1]}")
            print(
                f"PostgreSQL: bare DELETE {baseline:.2f} s; tending erase ({changed:,} activities) {erase:.2f} s; "
                f"ratio {erase / baseline:.1f}x"
            )
        finally:
            with admin.connect() as conn:
                for name in names:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
