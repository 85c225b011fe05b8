"""The nightly retention pass over a large community: how long it takes, and above all how long it holds the
write lock at a time (target: never more than 1 s), next to one UPDATE of the same rows (the baseline: one
statement, one lock for its whole length), measured in the same run on copies of one database.

A writer thread inserts an audit row every 20 ms while each pass runs; its longest wait is the figure another
writer (an import, the web) would see. Defaults are short for the shared machine (2,000,000 activities); the
pass is linear in the number of activities (one primary-key range per batch), so 20,000,000 take ten times
as long in as many more batches, each batch holding the lock as long as here.

    uv run python benchmarks/retention_speed.py
    uv run python benchmarks/retention_speed.py --activities 500000
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tending.actions.rights import do_apply_retention, do_set_retention_days
from tending.store import open_store
from tending.store.communities import do_create_community, find_community
from tending.timeutil import to_micros

END = datetime(2026, 1, 1, tzinfo=UTC)
SPAN_DAYS = 730


def build(path: Path, activities: int, members: int) -> None:
    engine = open_store(f"sqlite:///{path}")
    with engine.begin() as conn:
        community = do_create_community(conn, "Retention", platform="forum", actor="bench")
        do_set_retention_days(conn, community, 365, actor="bench")
    engine.dispose()
    db = sqlite3.connect(path)
    now = to_micros(END)
    db.executemany(
        "INSERT INTO members (id, community_id, platform, external_id, display_name, joined_at_exact, "
        "is_staff, is_bot, do_not_contact, created_at, updated_at) VALUES (?, 1, 'forum', ?, ?, 0, 0, 0, 0, "
        "?, ?)",
        ((i + 1, f"m{i}", f"Member {i}", now, now) for i in range(members)),
    )
    step = SPAN_DAYS * 86_400_000_000 // activities
    start = now - SPAN_DAYS * 86_400_000_000
    db.executemany(
        "INSERT INTO activities (community_id, member_id, kind, occurred_at, text, source, source_id) "
        "VALUES (1, ?, 'reply', ?, ?, 'forum', ?)",
        (
            (
                i % members + 1,
                start + i * step,
                f"message number {i}, a sentence or two of text",
                f"a{i}",
            )
            for i in range(activities)
        ),
    )
    db.commit()
    db.close()


class Writer(threading.Thread):
    """Writes a small row every 20 ms and records how long each write waited."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path, self.stop, self.waits = path, threading.Event(), [0.0]

    def run(self) -> None:
        db = sqlite3.connect(self.path, timeout=120)
        while not self.stop.is_set():
            started = time.perf_counter()
            db.execute(
                "INSERT INTO audit_events (community_id, occurred_at, actor, action) "
                "VALUES (1, 0, 'bench', 'x')"
            )
            db.commit()
            self.waits.append(time.perf_counter() - started)
            time.sleep(0.02)
        db.close()


def while_writing(path: Path, work: object) -> tuple[float, float, object]:
    writer = Writer(path)
    writer.start()
    started = time.perf_counter()
    result = work()  # type: ignore[operator]
    elapsed = time.perf_counter() - started
    writer.stop.set()
    writer.join()
    return elapsed, max(writer.waits), result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--activities", type=int, default=2_000_000)
    parser.add_argument("--members", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        built = Path(folder) / "built.db"
        started = time.perf_counter()
        build(built, args.activities, args.members)
        print(f"built {args.activities:,} activities in {time.perf_counter() - started:.0f} s")
        baseline_db, tending_db = Path(folder) / "baseline.db", Path(folder) / "tending.db"
        shutil.copy(built, baseline_db)
        shutil.copy(built, tending_db)
        cutoff = to_micros(END - timedelta(days=365))

        def one_update() -> int:
            db = sqlite3.connect(baseline_db)
            changed = db.execute(
                "UPDATE activities SET text = NULL WHERE community_id = 1 AND occurred_at < ? "
                "AND text IS NOT NULL",
                (cutoff,),
            ).rowcount
            db.commit()
            db.close()
            return changed

        elapsed, wait, changed = while_writing(baseline_db, one_update)
        print(
            f"baseline, one UPDATE: {changed:,} texts in {elapsed:.2f} s; another writer waited up to {wait:.2f} s"
        )

        engine = open_store(f"sqlite:///{tending_db}")
        with engine.connect() as conn:
            community = find_community(conn, "Retention")
        assert community is not None
        elapsed, wait, result = while_writing(
            tending_db, lambda: do_apply_retention(engine, community, now=END)
        )
        engine.dispose()
        print(
            f"tending retention: {result.texts:,} texts in {elapsed:.2f} s, {result.batches} batches, the longest "
            f"{result.longest_batch_s:.3f} s; another writer waited up to {wait:.2f} s"
        )
        per_million = elapsed / args.activities * 1_000_000
        print(
            f"extrapolated to 20,000,000 activities: about {per_million * 20:.0f} s in "
            f"{result.batches * 20_000_000 // max(args.activities, 1):,} batches of the same length"
        )


if __name__ == "__main__":
    main()
