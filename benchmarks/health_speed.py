"""The whole `tending health` report on 1,000,000 members and 20,000,000 activities, on SQLite and
PostgreSQL, next to a straightforward pandas computation of the same figures measured in the same run.

    uv run python benchmarks/health_speed.py                    # SQLite (+ PostgreSQL if reachable)
    uv run python benchmarks/health_speed.py --members 100000 --activities 2000000   # a quick, smaller run
    TENDING_BENCH_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:55432/postgres  (default: that URL)

The data is generated once with numpy (seeded) and bulk-loaded: SQLite through executemany into a file
cached under benchmarks/.cache/ (gitignored), PostgreSQL through COPY into a database `tending_bench_health_*`.
The rollups (member_days, member_months) and member_stats are built with INSERT ... SELECT, as
store/rollups.rebuild_community_rollups does. Generating 20M rows takes minutes: run it with `nice`.

What is timed: get_health_report() on a warm database (best of 3, every query of the report), and the
pandas figures on DataFrames already in memory (loading them is not counted, which favours pandas).
Both must agree on the figures they share; the script says so.
"""

from __future__ import annotations

import argparse
import io
import os
import sqlite3
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Connection, create_engine, inspect, text

from tending.models import Community
from tending.store import open_store
from tending.store.health import get_health_report
from tending.store.rollups import fill_join_months, rebuild_community_rollups
from tending.timeutil import MICROS_PER_DAY, to_micros

CACHE = Path(__file__).parent / ".cache"
START = to_micros(datetime(2023, 1, 1, tzinfo=UTC))
END = to_micros(datetime(2026, 1, 1, tzinfo=UTC))
AS_OF = datetime(2025, 12, 20, 12, 0, tzinfo=UTC)
WINDOW = 28
KINDS = np.array(["post", "reply", "comment", "reaction"])
ACTIVITY_INDEXES = [
    ("ix_activities_community_id_member_id_occurred_at", "community_id, member_id, occurred_at"),
    ("ix_activities_community_id_occurred_at", "community_id, occurred_at"),
    ("ix_activities_community_id_thread_id_occurred_at", "community_id, thread_id, occurred_at"),
]
UNIQUE = ("uq_activities_community_id_source_source_id", "community_id, source, source_id")


# -- data -----------------------------------------------------------------------------------------------


def generate(members: int, activities: int, seed: int = 7) -> dict[str, np.ndarray]:
    """Members join at a steady pace over three years; activities are spread evenly in time; who acts is
    skewed towards older members (r**3), so most members are lurkers in any window and a small core does
    much of the talking. One activity in ten is a post opening a thread; the rest reply, comment or react
    in a recent thread, more often a very recent one."""
    rng = np.random.default_rng(seed)
    span = END - START
    ids = np.arange(1, members + 1, dtype=np.int64)
    joined = START + ((ids - 1) * (span / members)).astype(np.int64)
    leaves = rng.random(members) < 0.04
    left = np.where(leaves, joined + (rng.random(members) * (END - joined)).astype(np.int64), -1)
    staff = ids % 1000 == 1
    bots = ids % 10007 == 3
    k = np.arange(activities, dtype=np.int64)
    at = (
        START
        + (k * (span / activities)).astype(np.int64)
        + rng.integers(0, max(span // activities, 1), activities)
    )
    frac = (at - START) / span
    member = 1 + np.floor(frac * members * rng.random(activities) ** 3).astype(np.int64)
    member = np.minimum(member, members)
    kind = np.where(
        k % 10 == 0,
        0,
        rng.choice([1, 2, 3], size=activities, p=[0.6 / 0.9, 0.15 / 0.9, 0.15 / 0.9]),
    )
    posts = kind == 0
    earlier = (
        np.maximum(k // 10 - np.floor(200 * rng.random(activities) ** 4).astype(np.int64), 0) + 1
    )
    thread = np.where(posts, k // 10 + 1, earlier)
    return {
        "member_id": ids,
        "joined_at": joined,
        "left_at": left,
        "is_staff": staff,
        "is_bot": bots,
        "id": k + 1,
        "a_member": member,
        "kind": kind.astype(np.int8),
        "occurred_at": at,
        "thread_id": thread,
        "t_id": thread[posts],
        "t_started_at": at[posts],
        "t_started_by": member[posts],
    }


def load_sqlite(path: Path, data: dict[str, np.ndarray]) -> None:
    engine = open_store(f"sqlite:///{path}")
    engine.dispose()
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-1000000")
    for name, _ in [*ACTIVITY_INDEXES, UNIQUE]:
        db.execute(f"DROP INDEX IF EXISTS {name}")
    db.execute(
        "INSERT INTO communities (id, name, platform, timezone, language, settings, created_at) "
        "VALUES (1, 'Bench', 'forum', 'UTC', 'en', '{}', 0)"
    )
    db.executemany(
        "INSERT INTO members (id, community_id, platform, external_id, joined_at, joined_at_exact, left_at, "
        "is_staff, is_bot, do_not_contact, created_at, updated_at) VALUES (?, 1, 'bench', ?, ?, 1, ?, ?, ?, 0, 0, 0)",
        (
            (int(i), str(i), int(j), None if lv < 0 else int(lv), int(s), int(b))
            for i, j, lv, s, b in zip(
                data["member_id"],
                data["joined_at"],
                data["left_at"],
                data["is_staff"],
                data["is_bot"],
                strict=True,
            )
        ),
    )
    db.executemany(
        "INSERT INTO threads (id, community_id, platform, external_id, started_by, started_at) "
        "VALUES (?, 1, 'bench', ?, ?, ?)",
        (
            (int(i), str(i), int(b), int(a))
            for i, b, a in zip(
                data["t_id"], data["t_started_by"], data["t_started_at"], strict=True
            )
        ),
    )
    kinds = KINDS.tolist()
    step = 1_000_000
    for start in range(0, len(data["id"]), step):
        chunk = slice(start, start + step)
        db.executemany(
            "INSERT INTO activities (id, community_id, member_id, kind, occurred_at, thread_id, source, source_id) "
            "VALUES (?, 1, ?, ?, ?, ?, 'bench', ?)",
            zip(
                data["id"][chunk].tolist(),
                data["a_member"][chunk].tolist(),
                [kinds[x] for x in data["kind"][chunk].tolist()],
                data["occurred_at"][chunk].tolist(),
                data["thread_id"][chunk].tolist(),
                map(str, data["id"][chunk].tolist()),
                strict=True,
            ),
        )
        print(f"  sqlite: {start + step:,} activities", file=sys.stderr, flush=True)
    for name, columns in ACTIVITY_INDEXES:
        db.execute(f"CREATE INDEX {name} ON activities ({columns})")
    db.execute(f"CREATE UNIQUE INDEX {UNIQUE[0]} ON activities ({UNIQUE[1]})")
    db.commit()
    db.close()
    finish(f"sqlite:///{path}")


def finish(url: str) -> None:
    """Rollups and member_stats from the activities, in bulk SQL; then statistics for the planner."""
    engine = open_store(
        url
    )  # SQLite with tending's pragmas (a large page cache, temp tables in memory)
    with engine.begin() as conn:
        rebuild_community_rollups(conn, None, with_reads=False)
        conn.execute(text("DELETE FROM member_stats WHERE community_id = 1"))
        conn.execute(
            text(
                "INSERT INTO member_stats (member_id, community_id, first_activity_at, last_activity_at, "
                "first_contribution_at, last_contribution_at, contributions, posts, replies, comments, reactions) "
                "SELECT member_id, 1, MIN(occurred_at), MAX(occurred_at), "
                "MIN(CASE WHEN kind <> 'reaction' THEN occurred_at END), "
                "MAX(CASE WHEN kind <> 'reaction' THEN occurred_at END), "
                "SUM(CASE WHEN kind <> 'reaction' THEN 1 ELSE 0 END), SUM(CASE WHEN kind = 'post' THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN kind = 'reply' THEN 1 ELSE 0 END), SUM(CASE WHEN kind = 'comment' THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN kind = 'reaction' THEN 1 ELSE 0 END) FROM activities WHERE community_id = 1 "
                "GROUP BY member_id"
            )
        )
        conn.execute(text("CREATE TABLE IF NOT EXISTS bench_done (ok INTEGER)"))
        conn.execute(text("INSERT INTO bench_done VALUES (1)"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE" if url.startswith("sqlite") else "VACUUM ANALYZE"))
    engine.dispose()


def load_postgres(admin_url: str, name: str, data: dict[str, np.ndarray]) -> str:
    import psycopg

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    open_store(url).dispose()
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as db:
        for index, _ in ACTIVITY_INDEXES:
            db.execute(f"DROP INDEX IF EXISTS {index}")
        db.execute(f"ALTER TABLE activities DROP CONSTRAINT {UNIQUE[0]}")
        db.execute(
            "INSERT INTO communities (id, name, platform, timezone, language, settings, created_at) "
            "VALUES (1, 'Bench', 'forum', 'UTC', 'en', '{}', 0)"
        )
        members = pd.DataFrame(
            {
                "id": data["member_id"],
                "community_id": 1,
                "platform": "bench",
                "external_id": data["member_id"],
                "joined_at": data["joined_at"],
                "joined_at_exact": True,
                "left_at": pd.array(
                    np.where(data["left_at"] < 0, None, data["left_at"]), dtype="Int64"
                ),
                "is_staff": data["is_staff"],
                "is_bot": data["is_bot"],
                "do_not_contact": False,
                "created_at": 0,
                "updated_at": 0,
            }
        )
        _copy(db, "members", members)
        threads = pd.DataFrame(
            {
                "id": data["t_id"],
                "community_id": 1,
                "platform": "bench",
                "external_id": data["t_id"],
                "started_by": data["t_started_by"],
                "started_at": data["t_started_at"],
            }
        )
        _copy(db, "threads", threads)
        step = 2_000_000
        for start in range(0, len(data["id"]), step):
            chunk = slice(start, start + step)
            frame = pd.DataFrame(
                {
                    "id": data["id"][chunk],
                    "community_id": 1,
                    "member_id": data["a_member"][chunk],
                    "kind": KINDS[data["kind"][chunk]],
                    "occurred_at": data["occurred_at"][chunk],
                    "thread_id": data["thread_id"][chunk],
                    "source": "bench",
                    "source_id": data["id"][chunk],
                }
            )
            _copy(db, "activities", frame)
            print(f"  postgresql: {start + step:,} activities", file=sys.stderr, flush=True)
        for index, columns in ACTIVITY_INDEXES:
            db.execute(f"CREATE INDEX {index} ON activities ({columns})")
        db.execute(f"ALTER TABLE activities ADD CONSTRAINT {UNIQUE[0]} UNIQUE ({UNIQUE[1]})")
        db.commit()
    finish(url)
    return url


def _copy(db: object, table: str, frame: pd.DataFrame) -> None:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False)
    buffer.seek(0)
    columns = ", ".join(frame.columns)
    with (
        db.cursor() as cursor,
        cursor.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy,
    ):  # type: ignore[attr-defined]
        while block := buffer.read(1 << 20):
            copy.write(block)


# -- the pandas baseline -----------------------------------------------------------------------------------


def pandas_figures(data: dict[str, np.ndarray]) -> dict[str, object]:
    """The same figures, the straightforward pandas way, on frames already in memory."""
    t = to_micros(AS_OF)
    s = t - WINDOW * MICROS_PER_DAY
    m = pd.DataFrame(
        {
            "id": data["member_id"],
            "joined_at": data["joined_at"],
            "left_at": data["left_at"],
            "is_staff": data["is_staff"],
            "is_bot": data["is_bot"],
        }
    )
    a = pd.DataFrame(
        {
            "member_id": data["a_member"],
            "kind": data["kind"],
            "occurred_at": data["occurred_at"],
            "thread_id": data["thread_id"],
        }
    )
    th = pd.DataFrame(
        {"id": data["t_id"], "started_at": data["t_started_at"], "started_by": data["t_started_by"]}
    )
    began = time.perf_counter()
    humans = m[~m.is_bot]
    left = humans.left_at.where(humans.left_at >= 0)
    present = humans[(humans.joined_at <= t) & (left.isna() | (left > t))]
    out: dict[str, object] = {
        "members_total": len(present),
        "new_members": int(((humans.joined_at > s) & (humans.joined_at <= t)).sum()),
        "members_left": int(((left > s) & (left <= t)).sum()),
    }
    contrib = a[(a.kind != 3) & ~a.member_id.isin(m.id[m.is_bot])]
    window = contrib[(contrib.occurred_at > s) & (contrib.occurred_at <= t)]
    per_member = window.groupby("member_id").size()
    out["active_contributors"] = len(per_member)
    out["contributions"] = int(per_member.sum())
    day = window.occurred_at // MICROS_PER_DAY
    whole = window[(day >= s // MICROS_PER_DAY + 1) & (day <= (t + 1) // MICROS_PER_DAY - 1)]
    daily = whole.groupby(whole.occurred_at // MICROS_PER_DAY).member_id.nunique()
    n_days = (t + 1) // MICROS_PER_DAY - 1 - (s // MICROS_PER_DAY + 1) + 1
    out["daily_contributors_mean"] = round(daily.sum() / n_days, 4)
    first = contrib.groupby("member_id").occurred_at.min()
    for n in (7, 30):
        lag = n * MICROS_PER_DAY
        cohort = humans[(humans.joined_at > s - lag) & (humans.joined_at <= t - lag)]
        f = first.reindex(cohort.id).to_numpy()
        out[f"activation_rate_{n}d"] = (
            float(np.mean(f <= cohort.joined_at.to_numpy() + lag)) if len(cohort) else None
        )
    started = th[(th.started_at > s) & (th.started_at <= t) & ~th.started_by.isin(m.id[m.is_bot])]
    resp = contrib[
        contrib.kind.isin([1, 2]) & (contrib.occurred_at <= t) & contrib.thread_id.isin(started.id)
    ]
    resp = resp.merge(started, left_on="thread_id", right_on="id")
    resp = resp[resp.member_id != resp.started_by]
    first_resp = resp.groupby("thread_id").occurred_at.min()
    waits = (
        first_resp - started.set_index("id").started_at.reindex(first_resp.index)
    ) / 3_600_000_000
    out["threads_started"] = len(started)
    out["time_to_first_response_hours"] = {
        "median": round(float(waits.median()), 4),
        "mean": round(float(waits.mean()), 4),
        "answered": len(waits),
    }
    staff = set(m.id[m.is_staff])
    out["member_started_threads_share"] = float((~started.started_by.isin(staff)).mean())
    counts = per_member[per_member.index.isin(present.id)]
    values = np.sort(np.concatenate([np.zeros(len(present) - len(counts)), counts.to_numpy()]))
    nn = len(values)
    out["gini"] = round(
        float(2 * np.sum(np.arange(1, nn + 1) * values) / (nn * values.sum()) - (nn + 1) / nn), 4
    )
    ordered = counts.sort_values(ascending=False, kind="stable")
    cum = ordered.cumsum().shift(fill_value=0)
    out["segments_core"] = int((2 * cum < ordered.sum()).sum())
    # retention: join month cohorts and months with a contribution, from datetimes
    months = pd.to_datetime(contrib.occurred_at[contrib.occurred_at <= t], unit="us")
    active = pd.DataFrame(
        {
            "member_id": contrib.member_id[contrib.occurred_at <= t],
            "month": months.dt.year * 12 + months.dt.month - 1,
        }
    ).drop_duplicates()
    jm = pd.to_datetime(humans.joined_at, unit="us")
    cohorts = pd.DataFrame({"member_id": humans.id, "jm": jm.dt.year * 12 + jm.dt.month - 1})
    current = AS_OF.year * 12 + AS_OF.month - 1
    cohorts = cohorts[(cohorts.jm >= current - 12) & (cohorts.jm < current)]
    joined = active.merge(cohorts, on="member_id")
    joined = joined[(joined.month >= joined.jm) & (joined.month < current)]
    table = joined.groupby(["jm", "month"]).size()
    sizes = cohorts.groupby("jm").size()
    out["retention_first_cohort"] = [
        round(table.get((current - 12, mo), 0) / sizes.get(current - 12, 1), 6)
        for mo in range(current - 12, current)
    ]
    out["seconds"] = time.perf_counter() - began
    return out


# -- the run ---------------------------------------------------------------------------------------------


# The members indexes of migration 0006, for caches built before they were added to it (same DDL).
MEMBER_INDEXES = [
    "CREATE INDEX IF NOT EXISTS ix_members_present ON members (community_id, joined_at, left_at, id) "
    "WHERE NOT is_bot AND merged_into IS NULL",
    "CREATE INDEX IF NOT EXISTS ix_members_special ON members (community_id, id, is_bot, is_staff, merged_into) "
    "WHERE is_bot OR is_staff OR merged_into IS NOT NULL",
]


def upgrade_cache(conn: Connection) -> None:
    """Bring a cache built by an earlier draft of migration 0006 to its final shape (same DDL and fill)."""
    columns = {c["name"] for c in inspect(conn).get_columns("member_months")}
    if "join_month" not in columns:
        print(
            "  adding member_months.join_month to the cached database", file=sys.stderr, flush=True
        )
        conn.execute(text("ALTER TABLE member_months ADD COLUMN join_month INTEGER"))
        fill_join_months(conn)
    conn.execute(
        text("DROP INDEX IF EXISTS ix_member_months_community_id_join_month_month_member_id")
    )
    conn.execute(
        text(
            "CREATE INDEX IF NOT EXISTS ix_member_months_community_id_join_month_member_id_month "
            "ON member_months (community_id, join_month, member_id, month)"
        )
    )
    conn.execute(text("ANALYZE member_months"))


def time_report(url: str) -> tuple[float, dict[str, object]]:
    engine = open_store(url)
    with engine.begin() as conn:
        upgrade_cache(conn)
        conn.execute(text("DROP INDEX IF EXISTS ix_members_excluded"))
        for ddl in MEMBER_INDEXES:
            conn.execute(text(ddl))
        conn.execute(text("ANALYZE members"))
    if (
        engine.dialect.name == "postgresql"
    ):  # what autovacuum would have done by now on a live server
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE member_months"))
    community = Community(id=1, name="Bench", platform="forum")
    timings = []
    report: dict[str, object] = {}
    for _ in range(3):
        began = time.perf_counter()
        with engine.connect() as conn:
            report = get_health_report(conn, community, as_of=AS_OF, window_days=WINDOW)
        timings.append(time.perf_counter() - began)
    engine.dispose()
    return min(timings), report


def compare(report: dict, baseline: dict) -> list[str]:
    differences = []
    for key in (
        "members_total",
        "new_members",
        "members_left",
        "active_contributors",
        "contributions",
        "daily_contributors_mean",
        "activation_rate_7d",
        "activation_rate_30d",
        "threads_started",
        "time_to_first_response_hours",
        "member_started_threads_share",
        "gini",
    ):
        if report[key] != baseline[key] and not (
            isinstance(baseline[key], float) and abs(report[key] - baseline[key]) < 1e-6
        ):  # type: ignore[operator]
            differences.append(f"{key}: tending {report[key]} vs pandas {baseline[key]}")
    if report["segments"]["core"]["count"] != baseline["segments_core"]:  # type: ignore[index]
        differences.append("segments.core")
    first = [round(x, 6) for x in report["retention"][0]["months"]]  # type: ignore[index]
    if first != baseline["retention_first_cohort"]:
        differences.append(f"retention: {first} vs {baseline['retention_first_cohort']}")
    return differences


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--activities", type=int, default=20_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    tag = f"{args.members}x{args.activities}"
    began = time.perf_counter()
    data = generate(args.members, args.activities)
    print(
        f"generated {args.members:,} members and {args.activities:,} activities in "
        f"{time.perf_counter() - began:.1f} s",
        file=sys.stderr,
    )
    rows = []
    baseline = pandas_figures(data)
    if args.backend in ("sqlite", "both"):
        CACHE.mkdir(exist_ok=True)
        path = CACHE / f"health-{tag}.db"
        if not _ready_sqlite(path):
            path.unlink(missing_ok=True)
            began = time.perf_counter()
            load_sqlite(path, data)
            print(f"loaded SQLite in {time.perf_counter() - began:.0f} s", file=sys.stderr)
        seconds, report = time_report(f"sqlite:///{path}")
        rows.append(("SQLite", seconds, compare(report, baseline)))
    if args.backend in ("postgresql", "both"):
        admin = os.environ.get(
            "TENDING_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:55432/postgres"
        )
        name = f"tending_bench_health_{tag}"
        url = admin.rsplit("/", 1)[0] + "/" + name
        try:
            ready = _ready_postgres(url)
        except Exception as error:  # no server: say so and go on with what we have
            print(f"PostgreSQL unreachable ({type(error).__name__}); skipped", file=sys.stderr)
            ready = None
        if ready is not None:
            if not ready:
                began = time.perf_counter()
                load_postgres(admin, name, data)
                print(f"loaded PostgreSQL in {time.perf_counter() - began:.0f} s", file=sys.stderr)
            seconds, report = time_report(url)
            rows.append(("PostgreSQL", seconds, compare(report, baseline)))
    print(
        f"\nhealth report, {args.members:,} members, {args.activities:,} activities, window {WINDOW} days"
    )
    print(f"{'engine':<12} {'seconds':>8}  figures vs pandas")
    for engine_name, seconds, differences in rows:
        print(
            f"{engine_name:<12} {seconds:>8.2f}  {'same' if not differences else '; '.join(differences)}"
        )
    print(f"{'pandas':<12} {baseline['seconds']:>8.2f}  (baseline, frames already in memory)")
    print("target: under 5 s for the whole report")


def _ready_sqlite(path: Path) -> bool:
    if not path.exists():
        return False
    try:
        with sqlite3.connect(path) as db:
            return db.execute("SELECT COUNT(*) FROM bench_done").fetchone()[0] > 0
    except sqlite3.Error:
        return False


def _ready_postgres(url: str) -> bool:
    engine = create_engine(url.rsplit("/", 1)[0] + "/postgres")
    name = url.rsplit("/", 1)[1]
    with engine.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).first()
    engine.dispose()
    if not exists:
        return False
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return bool(conn.execute(text("SELECT COUNT(*) FROM bench_done")).scalar())
    except Exception:
        return False
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
