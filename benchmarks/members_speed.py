"""How fast tending answers "who is inactive" and "the 90-9-1 picture" on a big community.

With 1,000,000 members and 20,000,000 activities in SQLite, time:
- the inactive list (count + first page of 50) for N = 60 days as of the newest activity (rollup path),
- the segments over a 90-day window (from the packed per-day contributors, store/contributor_days.py),
each next to a pandas group-by over the same activities (already in memory) measured in the same run.
The same questions for a past --as-of are timed too, for information.

The database is generated once with bulk SQL into benchmarks/.cache/ (gitignored); it takes minutes. A cached
database is brought to the current schema on opening (migrations), and its rollups are filled if missing:
    nice uv run python benchmarks/members_speed.py --build-only
    uv run python benchmarks/members_speed.py
Smaller: uv run python benchmarks/members_speed.py --members 100000 --activities 2000000
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

CACHE = Path(__file__).resolve().parent / ".cache"
VERSION = 2  # bump when the generated shape or the schema it relies on changes
START = datetime(2023, 1, 1, tzinfo=UTC)
END = datetime(2026, 1, 1, tzinfo=UTC)
MICROS = 1_000_000
KINDS = np.array(["reaction", "post", "reply", "comment"])
KIND_SHARES = [0.40, 0.15, 0.30, 0.15]
COMMUNITY = "Benchmark forum"


def micros(moment: datetime) -> int:
    return int(moment.timestamp()) * MICROS


# -- generation -------------------------------------------------------------------------------------------


def generate_arrays(n_members: int, n_activities: int, seed: int = 7) -> dict[str, np.ndarray]:
    """Members joining over three years, a few bots and leavers, and activities from a heavy-tailed few:
    12% of members ever contribute, 40% ever react, with Pareto-distributed appetites (a 90-9-1 shape).
    A member's share of activities grows with how long they have been a member, so the community's daily
    activity grows with its membership, as in life (a 90-day window then holds about 15% of it)."""
    rng = np.random.default_rng(seed)
    start, end = micros(START), micros(END)
    joined = np.sort(rng.integers(start, end, n_members))
    is_bot = rng.random(n_members) < 0.01
    leaves = rng.random(n_members) < 0.03
    left = np.where(leaves, joined + (rng.random(n_members) * (end - joined)).astype(np.int64), -1)
    last_possible = np.where(leaves, left, end)

    def pick(share: float, size: int) -> np.ndarray:
        chosen = rng.choice(n_members, int(n_members * share), replace=False)
        weights = (rng.pareto(1.2, chosen.size) + 1e-3) * (
            last_possible[chosen] - joined[chosen] + 1
        )
        return chosen[np.searchsorted(np.cumsum(weights) / weights.sum(), rng.random(size))]

    kinds = rng.choice(len(KINDS), n_activities, p=KIND_SHARES).astype(np.int8)
    member = np.empty(n_activities, dtype=np.int64)
    is_reaction = kinds == 0
    member[is_reaction] = pick(0.40, int(is_reaction.sum()))
    member[~is_reaction] = pick(0.12, int((~is_reaction).sum()))
    span = last_possible[member] - joined[member]
    occurred = joined[member] + (rng.random(n_activities) * span).astype(np.int64)
    order = np.argsort(occurred, kind="stable")
    return {
        "joined": joined,
        "is_bot": is_bot,
        "left": left,
        "member": member[order],
        "kind": kinds[order],
        "occurred": occurred[order],
    }


def build_database(path: Path, arrays: dict[str, np.ndarray]) -> None:
    from tending.store import open_store
    from tending.store.communities import do_create_community

    tmp = path.with_suffix(".building")
    for leftover in tmp.parent.glob(tmp.name + "*"):
        leftover.unlink()
    engine = open_store(f"sqlite:///{tmp}")
    with engine.begin() as conn:
        community = do_create_community(conn, COMMUNITY, platform="forum", actor="benchmark")
    engine.dispose()
    db = sqlite3.connect(tmp, isolation_level=None)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-1000000")
    indexes = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('members', 'identities', 'activities', 'member_stats')"
    ).fetchall()
    for name, _sql in indexes:
        db.execute(f"DROP INDEX {name}")
    db.execute("BEGIN")
    insert_members(db, community.id, arrays)
    insert_activities(db, community.id, arrays)
    insert_stats(db, community.id, arrays)
    db.execute("COMMIT")
    for name, sql in indexes:
        step(f"index {name}")
        db.execute(sql)
    db.close()
    fill_rollups(tmp)
    db = sqlite3.connect(tmp, isolation_level=None)
    step("analyze")
    db.execute("ANALYZE")
    db.close()
    tmp.rename(path)


def fill_rollups(path: Path) -> None:
    """Fill the rollups the write path keeps (member_days, member_months, contributor_days) when they are
    missing: a database generated by bulk SQL, or one cached before a rollup existed (migrations fill their
    own tables from the activities, but a cache built on an already-migrated empty schema has none)."""
    from tending.store import open_store
    from tending.store.contributor_days import rebuild_all
    from tending.store.rollups import rebuild_community_rollups

    engine = open_store(f"sqlite:///{path}")
    with engine.begin() as conn:

        def has(sql: str) -> bool:
            return conn.exec_driver_sql(sql).first() is not None

        if has("SELECT 1 FROM activities LIMIT 1") and not has("SELECT 1 FROM member_days LIMIT 1"):
            step("rollups: member_days, member_months, contributor_days")
            conn.exec_driver_sql("PRAGMA cache_size=-1000000")
            rebuild_community_rollups(conn, None, with_reads=False)
        elif has("SELECT 1 FROM member_days WHERE contributions > 0 LIMIT 1") and not has(
            "SELECT 1 FROM contributor_days LIMIT 1"
        ):
            step("rollups: contributor_days")
            rebuild_all(conn)
    engine.dispose()


def step(what: str) -> None:
    print(f"  {time.strftime('%H:%M:%S')} {what}", file=sys.stderr, flush=True)


def insert_members(db: sqlite3.Connection, cid: int, a: dict[str, np.ndarray]) -> None:
    step("members")
    now = micros(END)
    rows = (
        (
            i + 1,
            cid,
            f"u{i + 1}",
            f"Member {i + 1}",
            f"member{i + 1}",
            int(j),
            None if lft < 0 else int(lft),
            int(bot),
            now,
        )
        for i, (j, lft, bot) in enumerate(zip(a["joined"], a["left"], a["is_bot"], strict=True))
    )
    db.executemany(
        "INSERT INTO members (id, community_id, platform, external_id, display_name, handle, joined_at, "
        "joined_at_exact, left_at, is_staff, is_bot, do_not_contact, created_at, updated_at) "
        "VALUES (?, ?, 'forum', ?, ?, ?, ?, 1, ?, 0, ?, 0, ?, ?9)",
        rows,
    )
    db.execute(
        "INSERT INTO identities (community_id, member_id, platform, external_id, handle) "
        "SELECT community_id, id, platform, external_id, handle FROM members"
    )


def insert_activities(db: sqlite3.Connection, cid: int, a: dict[str, np.ndarray]) -> None:
    total = a["member"].size
    names = KINDS.tolist()
    for begin in range(0, total, 1_000_000):
        step(f"activities {begin:,}/{total:,}")
        chunk = range(begin, min(begin + 1_000_000, total))
        members, kinds, occurred = (
            a["member"][chunk.start : chunk.stop].tolist(),
            a["kind"][chunk.start : chunk.stop].tolist(),
            a["occurred"][chunk.start : chunk.stop].tolist(),
        )
        db.executemany(
            "INSERT INTO activities (community_id, member_id, kind, occurred_at, source, source_id) "
            f"VALUES ({cid}, ?, ?, ?, 'forum', ?)",
            (
                (m + 1, names[k], t, f"a{begin + i:09d}")
                for i, (m, k, t) in enumerate(zip(members, kinds, occurred, strict=True))
            ),
        )


def insert_stats(db: sqlite3.Connection, cid: int, a: dict[str, np.ndarray]) -> None:
    """The rollups store/ingest.py would keep, computed with numpy (activities are sorted by time)."""
    step("member_stats")
    n = a["joined"].size
    member, kind, occurred = a["member"], a["kind"], a["occurred"]
    counts = {
        k: np.bincount(member[kind == i], minlength=n)
        for i, k in enumerate(("reactions", "posts", "replies", "comments"))
    }
    contributions = counts["posts"] + counts["replies"] + counts["comments"]

    def first_last(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        who, when = member[mask], occurred[mask]
        first = np.full(n, -1, dtype=np.int64)
        last = np.full(n, -1, dtype=np.int64)
        first[who[::-1]] = when[::-1]  # the last write wins: the earliest instant
        last[who] = when
        return first, last

    fa, la = first_last(np.ones(member.size, dtype=bool))
    fc, lc = first_last(kind > 0)
    active = np.flatnonzero(fa >= 0)

    def value(x: np.ndarray, i: Any) -> int | None:
        return None if x[i] < 0 else int(x[i])

    db.executemany(
        "INSERT INTO member_stats (member_id, community_id, first_activity_at, last_activity_at, "
        "first_contribution_at, last_contribution_at, contributions, posts, replies, comments, "
        "reactions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (
                int(i) + 1,
                cid,
                value(fa, i),
                value(la, i),
                value(fc, i),
                value(lc, i),
                int(contributions[i]),
                int(counts["posts"][i]),
                int(counts["replies"][i]),
                int(counts["comments"][i]),
                int(counts["reactions"][i]),
            )
            for i in active
        ),
    )


def cached_dataset(n_members: int, n_activities: int) -> tuple[Path, dict[str, np.ndarray]]:
    CACHE.mkdir(exist_ok=True)
    stem = CACHE / f"members-{n_members}-{n_activities}-v{VERSION}"
    db_path, npz_path = stem.with_suffix(".db"), stem.with_suffix(".npz")
    if npz_path.exists():
        with np.load(npz_path) as loaded:
            arrays = {k: loaded[k] for k in loaded.files}
    else:
        step("generating arrays")
        arrays = generate_arrays(n_members, n_activities)
        np.savez(npz_path, **arrays)  # type: ignore[arg-type]
    if not db_path.exists():
        started = time.perf_counter()
        build_database(db_path, arrays)
        step(f"built {db_path.name} in {time.perf_counter() - started:.0f} s")
    return db_path, arrays


# -- measuring -----------------------------------------------------------------------------------------------


def best_of(fn: Callable[[], Any], repeat: int = 5) -> tuple[float, float, float, Any]:
    """(first call, best, median) in seconds, and the result."""
    timings, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        timings.append(time.perf_counter() - started)
    return timings[0], min(timings), statistics.median(timings), result


def sync_indexes(db_path: Path) -> None:
    """Give a cached database the current schema: newer migrations, and the indexes of the big tables as the
    current migrations define them (rebuilding only those that changed)."""
    from tending.store import open_store

    open_store(f"sqlite:///{db_path}").dispose()
    fill_rollups(db_path)
    tables = "('members', 'identities', 'activities', 'member_stats')"
    with tempfile.TemporaryDirectory() as scratch:
        fresh = Path(scratch) / "fresh.db"
        open_store(f"sqlite:///{fresh}").dispose()
        wanted = dict(
            sqlite3.connect(fresh)
            .execute(
                f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN {tables}"
            )
            .fetchall()
        )
    db = sqlite3.connect(db_path, isolation_level=None)
    have = dict(
        db.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN {tables}"
        ).fetchall()
    )
    for name, sql in wanted.items():
        if have.get(name) != sql:
            step(f"rebuilding index {name} (its definition changed)")
            db.execute(f"DROP INDEX IF EXISTS {name}")
            db.execute(sql)
            db.execute(f"ANALYZE {name}")
    db.close()


def pandas_inactive(
    df: Any, a: dict[str, np.ndarray], as_of: int, cutoff: int
) -> tuple[int, list[int]]:
    """The same question with a pandas group-by over the activities: count, and the first page of 50."""
    last = df[df["kind"] > 0].groupby("member")["occurred"].max()
    last_by_member = np.full(a["joined"].size, -1, dtype=np.int64)
    last_by_member[last.index.to_numpy()] = last.to_numpy()
    eligible = (a["joined"] <= cutoff) & ~a["is_bot"] & ((a["left"] < 0) | (a["left"] > as_of))
    inactive = np.flatnonzero(eligible & (last_by_member <= cutoff))
    silent = inactive[last_by_member[inactive] >= 0]
    order = np.lexsort((-silent, -last_by_member[silent]))[:50]
    page = silent[order].tolist()
    if len(page) < 50:
        page += inactive[last_by_member[inactive] < 0][: 50 - len(page)].tolist()
    return int(inactive.size), [m + 1 for m in page]


def pandas_segments(
    df: Any, a: dict[str, np.ndarray], as_of: int, start: int
) -> tuple[int, int, int, int, float]:
    window = df[(df["kind"] > 0) & (df["occurred"] > start) & (df["occurred"] <= as_of)]
    counts = window.groupby("member").size()
    population = ~a["is_bot"] & (a["joined"] <= as_of) & ((a["left"] < 0) | (a["left"] > start))
    counts = counts[population[counts.index.to_numpy()]]
    ordered = np.sort(counts.to_numpy())[::-1]
    core = int(np.searchsorted(np.cumsum(ordered) * 2, ordered.sum(), side="left")) + 1
    n = int(population.sum())
    ascending = ordered[::-1]
    ranks = np.arange(n - ascending.size + 1, n + 1)
    gini = 2 * float((ranks * ascending).sum()) / (n * float(ascending.sum())) - (n + 1) / n
    return n, n - ordered.size, ordered.size - core, core, gini


def same_segments(report: Any, pandas_answer: tuple[int, int, int, int, float]) -> bool:
    n, lurkers, occasional, core, gini = pandas_answer
    return (
        report.members,
        report.counts["lurkers"],
        report.counts["occasional"],
        report.counts["heavy_core"],
    ) == (n, lurkers, occasional, core) and abs(report.gini - gini) < 1e-9


def segment_parts(conn: Any, community_id: int, as_of: datetime) -> str:
    """The segments' three reads, timed alone: the window's counts (packed days + edges), the members outside
    the population, the population count."""
    from tending.store.contributor_days import window_counts
    from tending.store.members import count_population, get_outside_population

    start = as_of - timedelta(days=90)
    timed = {
        "packed days + edges": lambda: window_counts(
            conn, community_id, start=micros(start), end=micros(as_of)
        ),
        "outside the population": lambda: get_outside_population(
            conn, community_id, as_of=as_of, window_start=start
        ),
        "population count": lambda: count_population(
            conn, community_id, as_of=as_of, window_start=start
        ),
    }
    return ", ".join(f"{name} {best_of(fn)[1]:.3f} s" for name, fn in timed.items())


def measure(db_path: Path, arrays: dict[str, np.ndarray]) -> None:
    import pandas as pd

    from tending.actions.members import get_lifecycle_settings, get_segments_report
    from tending.store import open_store
    from tending.store.communities import find_community
    from tending.store.members import get_inactive_members

    sync_indexes(db_path)
    engine = open_store(f"sqlite:///{db_path}")
    as_of = END  # at the newest activity: the rollups answer
    past = END - timedelta(days=180)
    rows = []
    with engine.connect() as conn:
        community = find_community(conn, COMMUNITY)
        assert community is not None
        lifecycle = get_lifecycle_settings(community)
        members = conn.exec_driver_sql("SELECT count(*) FROM members").scalar()
        acts = conn.exec_driver_sql("SELECT count(*) FROM activities").scalar()
        print(
            f"{members:,} members, {acts:,} activities, SQLite {sqlite3.sqlite_version}, {db_path.name}"
        )
        inactive = best_of(
            lambda: get_inactive_members(
                conn, community.id, as_of=as_of, days=60, lifecycle=lifecycle, limit=50
            )
        )
        segments = best_of(
            lambda: get_segments_report(conn, community, as_of=as_of, window_days=90)
        )
        past_inactive = best_of(
            lambda: get_inactive_members(
                conn, community.id, as_of=past, days=60, lifecycle=lifecycle, limit=50
            ),
            repeat=1,
        )
        past_segments = best_of(
            lambda: get_segments_report(conn, community, as_of=past, window_days=90), repeat=3
        )
        parts = segment_parts(conn, community.id, as_of)
    df = pd.DataFrame(
        {"member": arrays["member"], "kind": arrays["kind"], "occurred": arrays["occurred"]}
    )
    end, cutoff = micros(as_of), micros(as_of - timedelta(days=60))
    pd_inactive = best_of(lambda: pandas_inactive(df, arrays, end, cutoff), repeat=3)
    pd_segments = best_of(
        lambda: pandas_segments(df, arrays, end, micros(as_of - timedelta(days=90))), repeat=3
    )
    pd_past = pandas_segments(df, arrays, micros(past), micros(past - timedelta(days=90)))
    total, page = inactive[3]
    report = segments[3]
    agree_inactive = (total, [r.member.id for r in page]) == pd_inactive[3]
    agree_segments = same_segments(report, pd_segments[3])
    rows = [
        ("inactive 60 d: count + first 50", inactive, pd_inactive, agree_inactive),
        ("segments, 90-day window", segments, pd_segments, agree_segments),
    ]
    print(
        f"\n{'question (as of the newest activity)':<38}{'tending SQLite best / median / first':>40}"
        f"{'pandas group-by best / median':>34}  same answer"
    )
    for label, ours, theirs, same in rows:
        print(
            f"{label:<38}{ours[1]:>22.3f} s / {ours[2]:.3f} s / {ours[0]:.3f} s"
            f"{theirs[1]:>22.3f} s / {theirs[2]:.3f} s  {'yes' if same else 'NO'}"
        )
    print(f"\n{total:,} inactive members; segments: {report.counts}, Gini {report.gini:.3f}")
    print(f"segments taken apart (best of 5): {parts}")
    print(
        f"past --as-of (180 days earlier): inactive {past_inactive[1]:.2f} s (from the activities), "
        f"segments {past_segments[1]:.3f} s (packed days; same answer as pandas: "
        f"{'yes' if same_segments(past_segments[3], pd_past) else 'NO'})"
    )
    print(
        "pandas times are the group-by alone, on activities already in memory (loading them is not counted)."
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--activities", type=int, default=20_000_000)
    parser.add_argument(
        "--build-only", action="store_true", help="generate the cached database and stop"
    )
    args = parser.parse_args()
    db_path, arrays = cached_dataset(args.members, args.activities)
    if args.build_only:
        return
    measure(db_path, arrays)


if __name__ == "__main__":
    main()
