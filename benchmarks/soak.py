"""Soak: three `tending worker` processes deliver e-mails to an SMTP sink (aiosmtpd) while a `tending import`
writes a large export and dashboard readers load pages from `tending serve`, all on one SQLite file, for a
bounded time. Reports e-mails sent, duplicates, losses, 5xx answers and page latency (p50, p95), next to
the latency of /healthz (no database work) measured in the same run as the baseline.

    uv run python benchmarks/soak.py                      # 10 minutes
    uv run python benchmarks/soak.py --duration 60        # a short run

New approved e-mails are drafted every second during the run; at the end the workers get --drain seconds
to send what is due, then every drafted e-mail must have arrived exactly once (or be flagged for a human
check, counted apart). Targets (issue 15): 0 duplicates, 0 losses, no 5xx, every worker alive at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from tending.actions.outbox import do_draft_message
from tending.actions.web_users import do_add_user
from tending.models import MemberRecord
from tending.store import open_store
from tending.store.communities import do_create_community
from tending.store.ingest import Ingestor
from tending.store.outbox import outbox
from tending.store.schema import members

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
PASSWORD = "soak test password"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Sink:
    def __init__(self) -> None:
        self.received: Counter[str] = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(0.01)
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.received[rcpt] += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def seed(url: str, people: int) -> tuple[Any, dict[str, int]]:
    engine = open_store(url)
    with engine.begin() as conn:
        community = do_create_community(
            conn, "Soak", platform="forum", timezone="UTC", language="en"
        )
        Ingestor(conn, community).add_all(
            [
                MemberRecord(
                    source="forum",
                    external_id=f"p{i}",
                    display_name=f"P {i}",
                    email=f"p{i}@soak.example",
                    joined_at=T0,
                )
                for i in range(people)
            ]
        )
        do_add_user(
            conn, "reader@soak.example", password=PASSWORD, role="viewer", actor="soak", now=T0
        )
        ids = dict(
            conn.execute(
                select(members.c.external_id, members.c.id).where(
                    members.c.community_id == community.id
                )
            ).all()
        )
    engine.dispose()
    return community, ids


def feeder(
    url: str,
    community: Any,
    ids: dict[str, int],
    stop: threading.Event,
    drafted: list[str],
    per_second: int,
) -> None:
    engine = open_store(url)
    people = sorted(ids)
    n = 0
    while not stop.is_set():
        batch = []
        try:
            with engine.begin() as conn:
                for i in range(n, n + per_second):
                    who = people[i % len(people)]
                    do_draft_message(
                        conn,
                        community,
                        member_ids=[ids[who]],
                        rule="soak",
                        channel="email",
                        body=f"Message {i}",
                        subject="Soak",
                        due_at=T0,
                        key=f"soak:{i}",
                        approved=True,
                    )
                    batch.append(f"{who}@soak.example#{i}")
        except (
            Exception
        ) as error:  # the database may be busy (an import): nothing of this batch was kept
            print(f"feeder: {type(error).__name__}", file=sys.stderr)
        else:
            drafted.extend(batch)
            n += per_second
        stop.wait(1.0)
    engine.dispose()


def export(path: Path, lines: int) -> Path:
    with path.open("w") as handle:
        for i in range(lines):
            handle.write(
                json.dumps(
                    {
                        "platform": "forum",
                        "member_id": f"i{i % 20000}",
                        "member_name": f"I {i % 20000}",
                        "kind": "post",
                        "occurred_at": (T0 + timedelta(seconds=i)).isoformat(),
                        "source_id": f"s{i}",
                        "text": "Bonjour tout le monde",
                    }
                )
                + "\n"
            )
    return path


def reader(
    base: str,
    stop: threading.Event,
    latencies: dict[str, list[float]],
    statuses: Counter[int],
    community_id: int,
) -> None:
    with httpx.Client(base_url=base, timeout=60) as client:
        page = client.get("/login")
        token = CSRF.search(page.text)
        client.post(
            "/login",
            data={
                "email": "reader@soak.example",
                "password": PASSWORD,
                "csrf_token": token.group(1) if token else "",
                "next": "/",
            },
        )
        paths = [f"/c/{community_id}/overview", f"/c/{community_id}/members", "/healthz"]
        n = 0
        while not stop.is_set():
            path = paths[n % len(paths)]
            started = time.perf_counter()
            try:
                status = client.get(path).status_code
            except httpx.HTTPError:
                status = 599
            latencies["healthz" if path == "/healthz" else "pages"].append(
                time.perf_counter() - started
            )
            statuses[status] += 1
            n += 1
            stop.wait(0.2)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--duration", type=float, default=600.0, help="seconds of load (default 600)"
    )
    parser.add_argument(
        "--drain", type=float, default=60.0, help="seconds the workers get to finish afterwards"
    )
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--per-second", type=int, default=5, help="e-mails drafted each second")
    parser.add_argument("--import-lines", type=int, default=300_000)
    parser.add_argument("--readers", type=int, default=2)
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="tending-soak-"))
    url = f"sqlite:///{home / 'soak.db'}"
    community, ids = seed(url, args.people)
    sink = Sink()
    smtp_port, web_port = free_port(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    config = home / "config.toml"
    config.write_text(
        f'[delivery.smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"\n'
        'sender = "Soak <soak@soak.example>"\n'
    )
    env = {**os.environ, "TENDING_CONFIG": str(config), "TENDING_HOME": str(home)}
    env.pop("TENDING_DATABASE_URL", None)
    tending = [sys.executable, "-m", "tending", "--db", url]
    logs = [open(home / f"worker{i}.log", "wb") for i in range(3)]  # noqa: SIM115 (closed at the end)
    workers = [
        subprocess.Popen([*tending, "worker", "--interval", "1"], env=env, stdout=log, stderr=log)
        for log in logs
    ]
    server = subprocess.Popen(
        [*tending, "serve", "--port", str(web_port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{web_port}"
    for _ in range(200):
        try:
            httpx.get(f"{base}/healthz", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    stop = threading.Event()
    drafted: list[str] = []
    latencies: dict[str, list[float]] = {"pages": [], "healthz": []}
    statuses: Counter[int] = Counter()
    threads = [
        threading.Thread(target=feeder, args=(url, community, ids, stop, drafted, args.per_second))
    ]
    threads += [
        threading.Thread(target=reader, args=(base, stop, latencies, statuses, community.id))
        for _ in range(args.readers)
    ]
    for thread in threads:
        thread.start()
    imports = Counter[str]()
    started = time.monotonic()
    print(
        f"soak for {args.duration:g} s in {home}: 3 workers, {args.readers} readers, imports of "
        f"{args.import_lines:,} lines, {args.per_second} e-mails drafted a second",
        flush=True,
    )
    source = export(home / "export.jsonl", args.import_lines)
    while time.monotonic() - started < args.duration:
        remaining = args.duration - (time.monotonic() - started)
        run = subprocess.run(
            [*tending, "import", "jsonl", str(source), "--community", "Imported"],
            env=env,
            capture_output=True,
            timeout=max(remaining, 1) + 600,
        )
        imports[
            "ok" if run.returncode == 0 else run.stderr.decode(errors="replace").strip()[:120]
        ] += 1
    stop.set()
    for thread in threads:
        thread.join()
    engine = open_store(url)

    def unsent() -> int:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count()).where(outbox.c.status.in_(("approved", "sending")))
                ).scalar_one()
            )

    deadline = time.monotonic() + args.drain
    while unsent() and time.monotonic() < deadline:
        time.sleep(1)
    alive = sum(w.poll() is None for w in workers)
    for process in (*workers, server):
        process.send_signal(signal.SIGINT)
    for process in (*workers, server):
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
    controller.stop()
    with engine.connect() as conn:
        by_status = Counter(
            {
                ("needs_check" if check else status): n
                for status, check, n in conn.execute(
                    select(outbox.c.status, outbox.c.needs_check, func.count()).group_by(
                        outbox.c.status, outbox.c.needs_check
                    )
                )
            }
        )
    engine.dispose()
    expected = Counter(entry.split("#", 1)[0] for entry in drafted)
    duplicates = sum(max(0, sink.received[a] - n) for a, n in expected.items())
    losses = (
        sum(max(0, n - sink.received[a]) for a, n in expected.items()) - by_status["needs_check"]
    )
    five_xx = sum(n for status, n in statuses.items() if status >= 500)
    print(
        f"e-mails drafted {len(drafted):,}; sent {by_status['sent']:,}; received {sum(sink.received.values()):,}; "
        f"duplicates {duplicates}; losses {max(losses, 0)}; needs check {by_status['needs_check']}; "
        f"still queued {by_status['approved'] + by_status['sending']}; failed {by_status['failed']}"
    )
    print(f"workers alive at the end: {alive} of 3; imports: {dict(imports)}")
    print(
        f"page requests {sum(statuses.values()):,}; 5xx {five_xx}; statuses {dict(sorted(statuses.items()))}"
    )
    print(
        f"pages   p50 {percentile(latencies['pages'], 0.5) * 1000:7.1f} ms   "
        f"p95 {percentile(latencies['pages'], 0.95) * 1000:7.1f} ms"
    )
    print(
        f"healthz p50 {percentile(latencies['healthz'], 0.5) * 1000:7.1f} ms   "
        f"p95 {percentile(latencies['healthz'], 0.95) * 1000:7.1f} ms   (baseline: no database work)"
    )
    for log in logs:
        log.close()
    shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
