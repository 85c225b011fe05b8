"""The review queue and the outbox at real volume: the queue pages' latency (p50, p95) with 100,000 open
items and with 100,000 drafted messages (target: p95 under 300 ms), and a bulk decision on 1,000 items
(target: under 2 s), each next to baselines measured in the same run.

    uv run python benchmarks/queue_speed.py                        # 100,000 items and messages
    uv run python benchmarks/queue_speed.py --items 20000 --requests 20   # a quick run
    uv run python benchmarks/queue_speed.py --postgres postgresql+psycopg://postgres@127.0.0.1:55432/postgres

Baselines: a bare SELECT of the same rows the page shows (the store's query alone, in process, no
rendering), /healthz over the same HTTP connection (the server's floor), and for the bulk decision a bare
UPDATE of the same 1,000 rows. Requests go over real HTTP to uvicorn on loopback, one at a time, as one
logged-in admin; the bulk runs in a transaction rolled back, so every repeat acts on the same open items.
The database is kept in benchmarks/results/ and reused.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, func, insert, select, text, update

sys.path.insert(0, str(Path(__file__).resolve().parent))

from web_speed import EMAIL, NOW, PASSWORD, RESULTS, log_in, measure, p95, start_server

from tending.actions.moderation_queue import build_filter, do_act_on_items
from tending.actions.outbox_queue import do_bulk_outbox
from tending.actions.web_users import do_add_user
from tending.models import ChannelRecord, MemberRecord
from tending.store import open_store
from tending.store.communities import do_create_community, get_communities
from tending.store.ingest import Ingestor
from tending.store.moderation import bulk_add_items, moderation_items
from tending.store.outbox import outbox, outbox_recipients
from tending.store.schema import members
from tending.web.server import preload_and_freeze

TARGET_MS = 300.0
BULK_TARGET_S = 2.0
SIGNALS = ("spam", "spam", "toxic", "self_promotion", "repost", "complaint")
TEXTS = {
    "spam": "Cheap pet meds, no prescription needed, fast shipping: https://pills.example/cat",
    "toxic": "You are a complete idiot, nobody cares about your stupid cat",
    "self_promotion": "Check out my YouTube channel and subscribe, new cat videos every week",
    "repost": "Does anyone know a good vet for diabetic cats near Lyon? Thanks in advance",
    "complaint": "My order never arrived and nobody answers my messages, this is unacceptable",
}


def _evidence(signal: str, n: int, rng: random.Random) -> dict[str, Any]:
    found: dict[str, Any] = {
        "text": f"{TEXTS[signal]} ({n})",
        "lang": rng.choice(["en", "fr"]),
        "score": 0.9,
        "threshold": 0.7,
        "matched": ["cheap"] if signal == "spam" else [],
        "context": [],
    }
    if signal == "repost":
        found["earlier"] = {
            "activity_id": None,
            "occurred_at": (NOW - timedelta(days=400)).isoformat(),
            "text": TEXTS[signal],
            "same_member": False,
        }
    return found


def build(url: str, items: int, messages: int, people: int) -> tuple[str, int]:
    engine = open_store(url)
    with engine.begin() as conn:
        existing = get_communities(conn)
    if existing:
        engine.dispose()
        return url, existing[0].id
    started = time.perf_counter()
    rng = random.Random(16)
    with engine.begin() as conn:
        community = do_create_community(
            conn, "Queue benchmark", platform="forum", timezone="Europe/Paris"
        )
        Ingestor(conn, community).add_all(
            [ChannelRecord("bench", f"c{n}", f"channel {n}") for n in range(8)]
            + [
                MemberRecord(
                    "bench",
                    f"m{n}",
                    f"Member {n}",
                    language=rng.choice(["en", "fr"]),
                    joined_at=NOW - timedelta(days=rng.uniform(0, 700)),
                )
                for n in range(people)
            ]
        )
        member_ids = list(conn.execute(select(members.c.id)).scalars())
        channel_ids = [
            int(i) for i in conn.execute(text("SELECT id FROM channels ORDER BY id")).scalars()
        ]
        do_add_user(conn, EMAIL, password=PASSWORD, role="admin", actor="benchmark", now=NOW)
        batch = []
        for n in range(items):
            signal = SIGNALS[n % len(SIGNALS)]
            batch.append(
                {
                    "member_id": rng.choice(member_ids),
                    "signal": signal,
                    "subject_key": f"bench:{n}",
                    "score": round(rng.uniform(0.4, 1.0), 4),
                    "evidence": _evidence(signal, n, rng),
                    "occurred_at": NOW - timedelta(minutes=n * 5),
                    "channel_id": rng.choice(channel_ids),
                    "account_age_days": rng.choice([0.5, 1.5, 30.0, 300.0]),
                }
            )
            if len(batch) == 10_000:
                bulk_add_items(conn, community.id, batch, now=NOW)
                batch = []
        bulk_add_items(conn, community.id, batch, now=NOW)
        _draft_messages(conn, community.id, messages, member_ids, rng)
    engine.dispose()
    print(
        f"built {items:,} open items and {messages:,} drafted messages in "
        f"{time.perf_counter() - started:.0f} s"
    )
    return url, community.id


def _draft_messages(
    conn: Any, cid: int, count: int, member_ids: list[int], rng: random.Random
) -> None:
    """Drafted rows written directly (do_draft_message's row and recipient, without its audit row)."""
    rules = ("welcome", "two_months", "checkin", "anniversary")
    for start in range(0, count, 5000):
        rows, people = [], []
        for n in range(start, min(start + 5000, count)):
            rows.append(
                {
                    "community_id": cid,
                    "key": f"bench:{n}",
                    "rule": rules[n % len(rules)],
                    "channel": "private",
                    "body": f"Hello, welcome to the group! (message {n})",
                    "language": "en",
                    "due_at": NOW + timedelta(minutes=n),
                    "status": "drafted",
                    "attempts": 0,
                    "needs_check": False,
                    "created_by": "benchmark",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
        conn.execute(insert(outbox), rows)
        ids = conn.execute(
            select(outbox.c.id).where(outbox.c.key.in_([r["key"] for r in rows]))
        ).scalars()
        people = [
            {
                "community_id": cid,
                "outbox_id": i,
                "member_id": rng.choice(member_ids),
                "position": 0,
            }
            for i in ids
        ]
        conn.execute(insert(outbox_recipients), people)


def bare_select(url: str, statement: Any, requests: int) -> list[float]:
    engine = open_store(url)
    times = []
    with engine.connect() as conn:
        for _ in range(requests + 3):
            started = time.perf_counter()
            rows = conn.execute(statement).all()
            assert rows
            times.append((time.perf_counter() - started) * 1000)
    engine.dispose()
    return times[3:]


def bulk(url: str, cid: int, repeats: int) -> dict[str, tuple[float, float]]:
    """Seconds (wall, CPU) of the best of `repeats`: do_act_on_items on 1,000 open items, a bare UPDATE
    of the same rows, and do_bulk_outbox approving 1,000 drafted messages."""
    from tending.store.communities import get_community_by_id

    engine = open_store(url)
    found: dict[str, list[tuple[float, float]]] = {"act": [], "update": [], "approve": []}
    with engine.connect() as conn:
        community = get_community_by_id(conn, cid)
        ids = [
            int(i)
            for i in conn.execute(
                select(moderation_items.c.id)
                .where(moderation_items.c.status == "open")
                .order_by(moderation_items.c.id)
                .limit(1000)
            ).scalars()
        ]
        messages = [
            int(i)
            for i in conn.execute(
                select(outbox.c.id)
                .where(outbox.c.status == "drafted")
                .order_by(outbox.c.id)
                .limit(1000)
            ).scalars()
        ]
    for _ in range(repeats):
        for name, work in (
            (
                "act",
                lambda conn: do_act_on_items(
                    conn, community, ids, "remove", actor="bench", holder="bench", now=NOW
                ),
            ),
            (
                "update",
                lambda conn: conn.execute(
                    update(moderation_items)
                    .where(moderation_items.c.id.in_(ids), moderation_items.c.status == "open")
                    .values(status="done", action="remove", acted_by="bench", acted_at=NOW)
                ),
            ),
            (
                "approve",
                lambda conn: do_bulk_outbox(conn, community, messages, "approve", actor="bench"),
            ),
        ):
            with engine.connect() as conn:
                transaction = conn.begin()
                wall, cpu = time.perf_counter(), time.process_time()
                work(conn)
                found[name].append((time.perf_counter() - wall, time.process_time() - cpu))
                transaction.rollback()
    engine.dispose()
    return {name: min(times) for name, times in found.items()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=None, help="default: as many as --items")
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="measure on PostgreSQL instead (an admin URL; the database is made, then dropped)",
    )
    args = parser.parse_args()
    messages = args.messages if args.messages is not None else args.items
    RESULTS.mkdir(exist_ok=True)
    name = f"queue-speed-{args.items}-{messages}-{args.members}"
    if not args.postgres:
        path: Any = RESULTS / f"{name}.db"
        run(f"sqlite:///{path}", path, args, messages)
        return
    admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
    database = name.replace("-", "_")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{database}"'))
        base = args.postgres.rsplit("/", 1)[0]
        run(f"{base}/{database}", f"PostgreSQL database {database}", args, messages)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


def run(url: str, path: Any, args: argparse.Namespace, messages: int) -> None:
    url, cid = build(url, args.items, messages, args.members)
    if url.startswith("postgresql"):
        # the statistics autovacuum would have gathered within a minute of the build: without them
        # the planner guesses, and the bare SELECT of 30 open items took 53 ms instead of 0.3
        analyzing = create_engine(url, isolation_level="AUTOCOMMIT")
        with analyzing.connect() as conn:
            conn.execute(text("ANALYZE"))
        analyzing.dispose()
    engine = open_store(url)
    with engine.connect() as conn:
        open_items = conn.execute(
            select(func.count())
            .select_from(moderation_items)
            .where(moderation_items.c.status == "open")
        ).scalar_one()
        drafted = conn.execute(
            select(func.count()).select_from(outbox).where(outbox.c.status == "drafted")
        ).scalar_one()
        from tending.store.communities import get_community_by_id

        where = build_filter(conn, get_community_by_id(conn, cid), now=NOW)
        assert where.status == "open"
    engine.dispose()
    print(f"database {path}: {open_items:,} open items, {drafted:,} drafted messages")
    app, base, thread, server = start_server(url)
    preload_and_freeze()  # what the real server's warmer does once the models load
    pages = {
        "moderation, first page (30)": f"/c/{cid}/moderation",
        "moderation, 200 a page": f"/c/{cid}/moderation?per=200",
        "moderation, page 1,000": f"/c/{cid}/moderation?page=1000",
        "moderation, spam from new accounts": f"/c/{cid}/moderation?signal=spam&account_younger_than=2d",
        "moderation, channel and score band": f"/c/{cid}/moderation?channel=channel+3&min_score=0.8",
        "moderation, export CSV (10,000)": f"/c/{cid}/moderation/export.csv",
        "outbox (onboarding page, 50)": f"/c/{cid}/onboarding",
        "outbox, one rule, page 100": f"/c/{cid}/onboarding?rule=welcome&page=100",
        "moderation log": f"/c/{cid}/moderation/log",
    }
    results: dict[str, list[float]] = {}
    try:
        with httpx.Client(base_url=base, timeout=120) as client:
            log_in(client)
            results["baseline: /healthz over HTTP"] = measure(client, "/healthz", args.requests)
            for name, page in pages.items():
                requests = max(args.requests // 4, 5) if "export" in name else args.requests
                results[name] = measure(client, page, requests)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.state.web.engine.dispose()
    results["baseline: bare SELECT of the page's 30 items"] = bare_select(
        url,
        select(moderation_items)
        .where(moderation_items.c.community_id == cid, moderation_items.c.status == "open")
        .order_by(moderation_items.c.occurred_at.desc(), moderation_items.c.id.desc())
        .limit(30),
        args.requests,
    )
    results["baseline: bare SELECT of the page's 50 messages"] = bare_select(
        url,
        select(outbox)
        .where(
            outbox.c.community_id == cid,
            outbox.c.status.in_(["drafted", "approved", "failed", "sending"]),
        )
        .order_by(outbox.c.due_at.desc(), outbox.c.id.desc())
        .limit(50),
        args.requests,
    )
    print(f"\n{'page':<50} {'p50 ms':>8} {'p95 ms':>8}  (n)")
    for name, times in results.items():
        mark = ""
        if not name.startswith("baseline") and "export" not in name:
            mark = "  ok" if p95(times) < TARGET_MS else f"  OVER {TARGET_MS:.0f} ms"
        print(
            f"{name:<50} {statistics.median(times):>8.1f} {p95(times):>8.1f}  ({len(times)}){mark}"
        )
    timed = bulk(url, cid, args.repeats)
    print(
        f"\n{'bulk, 1,000 items (best of ' + str(args.repeats) + ')':<50} {'wall s':>8} {'CPU s':>8}"
    )
    for name, label in (
        ("act", "do_act_on_items: remove, one audit row each"),
        ("update", "baseline: bare UPDATE of the same rows"),
        ("approve", "do_bulk_outbox: approve 1,000 drafted"),
    ):
        wall, cpu = timed[name]
        mark = ""
        if name != "update":
            mark = "  ok" if wall < BULK_TARGET_S else f"  OVER {BULK_TARGET_S:.0f} s"
        print(f"{label:<50} {wall:>8.2f} {cpu:>8.2f}{mark}")
    ratio = timed["act"][0] / max(timed["update"][0], 1e-6)
    print(f"do_act_on_items / bare UPDATE: {ratio:.0f}x")


if __name__ == "__main__":
    main()
