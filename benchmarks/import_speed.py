"""Import speed and memory: large generated exports (jsonl, Discourse, Stack Exchange), the bare parser
next to the full import into SQLite on the same files, in the same run; and peak RSS on two sizes of
one file (it should stay flat).

Targets (issue 21): jsonl into a new SQLite community at least 70,000 activities/s and half as fast as
bare parsing; Discourse and Stack Exchange at least half as fast as bare parsing; PostgreSQL at least
50,000 activities/s; under 500 MB of RSS and 2 minutes on a 1 GB export; the incremental path (a newer
export adding a little) no slower than before.

    uv run python benchmarks/import_speed.py            # default sizes (a few minutes on 2 cores)
    uv run python benchmarks/import_speed.py --scale 0.2  # a quick look
    uv run python benchmarks/import_speed.py --skip-speed --rss-mb 1000  # memory on a 1 GB export
    uv run python benchmarks/import_speed.py --postgres postgresql+psycopg://postgres@127.0.0.1:55432/postgres
    uv run python benchmarks/import_speed.py --paths --skip-speed --skip-memory  # both paths, incremental

On PostgreSQL, most of an import's work is the server's: its CPU during the import (read from /proc,
when the server runs on this machine) is printed too.

"import CPU s" is the import's processes together, "writer CPU s" the writing process alone (the rest
is its parsing child): on a quiet machine the import takes about the larger of the two, plus the final
phases; on a busy one (other work on the two cores) the wall-clock rates drop, the CPU seconds much less.

--paths times a small newer export (1% new) into a database holding an older one, and a new community,
by both paths (`do_import(method=...)`): the figures behind store/ingest.py PATH_COSTS_US (on
PostgreSQL, "CPU us/added" counts the server's CPU too).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

T0 = datetime(2020, 1, 1, tzinfo=UTC)
WORDS = (
    "chat",
    "insuline",
    "vétérinaire",
    "merci",
    "bonjour",
    "dose",
    "glycémie",
    "croquettes",
    "question",
    "help",
    "thanks",
    "welcome",
    "cat",
    "sugar",
    "curve",
    "vet",
    "hello",
)


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 25)))


# -- generators -------------------------------------------------------------------------------------


def make_jsonl(path: Path, activities: int, members: int = 20_000, seed: int = 1) -> int:
    rng = random.Random(seed)
    kinds = ("post", "reply", "reply", "comment", "reaction")
    with open(path, "w", encoding="utf-8") as out:
        for i in range(activities):
            member = rng.randrange(members)
            at = T0 + timedelta(seconds=i * 17)
            kind = kinds[i % len(kinds)]
            row = {
                "member_id": f"m{member}",
                "member_name": f"Member {member}",
                "kind": kind,
                "occurred_at": at.isoformat(),
                "source_id": f"a{i}",
                "thread_id": f"t{i // 10}",
                "text": sentence(rng) if kind != "reaction" else None,
            }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return activities


def make_discourse(folder: Path, topics: int, posts_per_topic: int = 20, seed: int = 2) -> int:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    post_id = 0
    for topic in range(topics):
        posts = []
        for number in range(1, posts_per_topic + 1):
            post_id += 1
            user = rng.randrange(5000)
            at = T0 + timedelta(minutes=topic * 30 + number)
            posts.append(
                {
                    "id": post_id,
                    "post_number": number,
                    "post_type": 1,
                    "user_id": user,
                    "username": f"user{user}",
                    "name": f"User {user}",
                    "created_at": at.isoformat(),
                    "cooked": f"<p>{sentence(rng)}</p>",
                    "reply_to_post_number": None if number < 3 else 2,
                    "deleted_at": None,
                    "user_deleted": False,
                    "actions_summary": [{"id": 2, "count": 1}],
                    "reads": 10,
                    "staff": False,
                }
            )
        topic_json = {
            "id": topic,
            "title": f"Topic {topic}",
            "category_id": topic % 12,
            "archetype": "regular",
            "post_stream": {"posts": posts, "stream": [p["id"] for p in posts]},
        }
        (folder / f"t-{topic}.json").write_text(json.dumps(topic_json), encoding="utf-8")
    return topics * posts_per_topic


def make_stackexchange(folder: Path, questions: int, seed: int = 3) -> int:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    users = max(1000, questions // 4)
    with open(folder / "Users.xml", "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="utf-8"?>\n<users>\n')
        for user in range(1, users + 1):
            at = (T0 + timedelta(minutes=user)).strftime("%Y-%m-%dT%H:%M:%S.000")
            out.write(
                f'  <row Id="{user}" Reputation="1" CreationDate="{at}" DisplayName="User {user}" />\n'
            )
        out.write("</users>\n")
    post_id, comment_id, activities = 0, 0, users
    with (
        open(folder / "Posts.xml", "w", encoding="utf-8") as posts,
        open(folder / "Comments.xml", "w", encoding="utf-8") as comments,
    ):
        posts.write('<?xml version="1.0" encoding="utf-8"?>\n<posts>\n')
        comments.write('<?xml version="1.0" encoding="utf-8"?>\n<comments>\n')
        for question in range(questions):
            post_id += 1
            qid = post_id
            at = T0 + timedelta(minutes=question * 7)
            body = quoteattr(f"<p>{sentence(rng)}</p>")
            posts.write(
                f'  <row Id="{qid}" PostTypeId="1" CreationDate="{at:%Y-%m-%dT%H:%M:%S}.000" Score="3" '
                f'Body={body} OwnerUserId="{rng.randint(1, users)}" Title="Question {qid}" />\n'
            )
            activities += 1
            for answer in range(2):
                post_id += 1
                when = at + timedelta(minutes=answer + 1)
                posts.write(
                    f'  <row Id="{post_id}" PostTypeId="2" ParentId="{qid}" '
                    f'CreationDate="{when:%Y-%m-%dT%H:%M:%S}.000" Score="1" Body={body} '
                    f'OwnerUserId="{rng.randint(1, users)}" />\n'
                )
                comment_id += 1
                text = quoteattr(sentence(rng))
                comments.write(
                    f'  <row Id="{comment_id}" PostId="{post_id}" Score="0" Text={text} '
                    f'CreationDate="{when:%Y-%m-%dT%H:%M:%S}.500" UserId="{rng.randint(1, users)}" />\n'
                )
                activities += 2
        posts.write("</posts>\n")
        comments.write("</comments>\n")
    return activities


# -- measures -----------------------------------------------------------------------------------------


def bare_parse(kind: str, path: Path) -> tuple[int, float]:
    from tending.importers import get_importer
    from tending.models import ActivityRecord

    start = time.perf_counter()
    count = sum(1 for item in get_importer(kind).parse(path) if isinstance(item, ActivityRecord))
    return count, time.perf_counter() - start


def full_import(
    kind: str, path: Path, db: Path | str, method: str = "auto", community: str = "bench"
) -> tuple[int, float, float]:
    """(activities added, seconds, CPU seconds of this process and its children) of one import into the
    SQLite file `db` or the database URL `db`. The writing process's own share is kept in WRITER_CPU."""
    from tending.actions.imports import do_import
    from tending.store import open_store

    engine = open_store(db if isinstance(db, str) else f"sqlite:///{db}")
    server = postgres_cpu() if isinstance(db, str) and db.startswith("postgresql") else None
    start, cpu, own = time.perf_counter(), cpu_seconds(), cpu_seconds(children=False)
    summary = do_import(engine, kind, path, community_name=community, method=method)
    elapsed, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    WRITER_CPU[0] = cpu_seconds(children=False) - own
    engine.dispose()  # the server's process for this import ends: its CPU is counted once reaped
    time.sleep(0.2)
    after = postgres_cpu() if server is not None else None
    SERVER_CPU[0] = after - server if server is not None and after is not None else 0.0
    return summary.counts.activities_added, elapsed, cpu


@contextmanager
def postgres_database(url: str) -> Iterator[str]:
    """A fresh database on the server of `url`, dropped afterwards."""
    from sqlalchemy import create_engine, text

    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"tending_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def peak_rss_mb(kind: str, path: Path, db: Path) -> tuple[float, float, float]:
    """Peak RSS of a separate process importing `path` (so earlier work does not count), the peak RSS of
    its parsing child process (0 when it parsed itself), and the import's duration in seconds."""
    code = (
        "import resource, sys, time; from tending.actions.imports import do_import;"
        "from tending.store import open_store; start = time.perf_counter();"
        f"do_import(open_store('sqlite:///{db}'), {kind!r}, {str(path)!r}, community_name='rss');"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,"
        " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, time.perf_counter() - start)"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    own, child, seconds = output.strip().splitlines()[-1].split()
    return int(own) / 1024, int(child) / 1024, float(seconds)


def jsonl_of_size(path: Path, megabytes: float, seed: int) -> None:
    """A jsonl export of about `megabytes` MB (the generator writes about 260 bytes per activity)."""
    make_jsonl(
        path,
        max(1000, int(megabytes * 1e6 / 262)),
        members=max(20_000, int(megabytes * 100)),
        seed=seed,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply every size (default 1.0)"
    )
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument(
        "--rss-mb",
        type=float,
        default=None,
        help="size in MB of the big jsonl of the memory check (default 520 x scale); the "
        "small one is a tenth of it",
    )
    parser.add_argument(
        "--postgres", default=None, help="a PostgreSQL server's URL: time jsonl into it too"
    )
    parser.add_argument("--paths", action="store_true", help="time both paths, new and incremental")
    args = parser.parse_args()
    n = args.scale
    with tempfile.TemporaryDirectory(prefix="tending-bench-") as tmp:
        root = Path(tmp)
        if not args.skip_speed:
            speed(root, n, args.postgres)
        if args.paths:
            paths(root, n, args.postgres)
        if not args.skip_memory:
            memory(root, args.rss_mb or 520 * n)


def speed(root: Path, n: float, postgres: str | None) -> None:
    """Rates by the wall clock; the CPU seconds (the import's, its parsing child's included) tell how much
    a busy machine (other processes on the two cores) distorted them."""
    cases = [
        ("jsonl", root / "activity.jsonl", lambda p: make_jsonl(p, int(500_000 * n))),
        ("discourse", root / "discourse", lambda p: make_discourse(p, int(10_000 * n))),
        ("stackexchange", root / "se", lambda p: make_stackexchange(p, int(60_000 * n))),
    ]
    print(
        f"{'kind':<20}{'activities':>11}{'size MB':>9}{'bare parse/s':>14}{'import/s':>11}{'ratio':>7}"
        f"{'parse CPU s':>13}{'import CPU s':>14}{'writer CPU s':>14}"
    )
    for kind, path, make in cases:
        make(path)
        size = sum(f.stat().st_size for f in ([path] if path.is_file() else path.rglob("*"))) / 1e6
        cpu = cpu_seconds()
        parsed, parse_s = bare_parse(kind, path)
        parse_cpu = cpu_seconds() - cpu
        added, import_s, import_cpu = full_import(kind, path, root / f"{kind}.db")
        assert added == parsed, (kind, added, parsed)
        row(kind, parsed, size, parse_s, parse_cpu, added, import_s, import_cpu)
        if postgres and kind == "jsonl":
            with postgres_database(postgres) as url:
                added, import_s, import_cpu = full_import(kind, path, url)
            row("jsonl (PostgreSQL)", parsed, size, parse_s, parse_cpu, added, import_s, import_cpu)
            print(f"{'':<20}the PostgreSQL server's CPU during that import: {SERVER_CPU[0]:.2f} s")


def row(
    label: str,
    parsed: int,
    size: float,
    parse_s: float,
    parse_cpu: float,
    added: int,
    import_s: float,
    import_cpu: float,
) -> None:
    print(
        f"{label:<20}{parsed:>11,}{size:>9.0f}{parsed / parse_s:>14,.0f}{added / import_s:>11,.0f}"
        f"{(added / import_s) / (parsed / parse_s):>7.2f}{parse_cpu:>13.2f}{import_cpu:>14.2f}"
        f"{WRITER_CPU[0]:>14.2f}",
        flush=True,
    )


def paths(root: Path, n: float, postgres: str | None) -> None:
    """Both paths on the same files: a new community (the whole export), and an incremental import (a
    newer export whose last 1% is new) into a database holding the older one. CPU seconds per activity
    added are the costs store/ingest.py weighs (PATH_COSTS_US)."""
    total = int(200_000 * n)
    older, newer = root / "older.jsonl", root / "newer.jsonl"
    make_jsonl(newer, total)
    lines = newer.read_text(encoding="utf-8").splitlines(keepends=True)
    older.write_text("".join(lines[: total * 99 // 100]), encoding="utf-8")
    print(
        f"{'database':<12}{'case':<14}{'method':<9}{'added':>9}{'s':>8}{'CPU s':>8}{'CPU us/added':>14}"
        f"{'server CPU s':>14}"
    )
    targets: list[tuple[str, Callable[[str], Any]]] = [("sqlite", lambda tag: root / f"{tag}.db")]
    if postgres:
        targets.append(("postgresql", lambda tag: postgres_database(postgres)))
    for database, where in targets:
        for method in ("batches", "bulk"):
            with _target(where(f"paths-{method}")) as db:
                for case, export in (("new", older), ("incremental", newer)):
                    added, seconds, cpu = full_import("jsonl", export, db, method=method)
                    server = SERVER_CPU[0] if database == "postgresql" else 0.0
                    print(
                        f"{database:<12}{case:<14}{method:<9}{added:>9,}{seconds:>8.2f}{cpu:>8.2f}"
                        f"{(cpu + server) / max(added, 1) * 1e6:>14,.1f}{server:>14.2f}",
                        flush=True,
                    )


@contextmanager
def _target(where: Any) -> Iterator[Any]:
    if isinstance(where, Path):
        yield where
    else:
        with where as url:
            yield url


WRITER_CPU = [0.0]
SERVER_CPU = [0.0]


def postgres_cpu() -> float | None:
    """CPU seconds of the local PostgreSQL server's processes so far (Linux /proc): the postmaster's own
    and its reaped children's, plus its live children's. None when no server runs on this machine."""
    ticks = float(os.sysconf("SC_CLK_TCK"))
    procs: dict[int, tuple[str, int, list[str]]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        procs[int(entry.name)] = (name, int(fields[1]), fields)
    total, found = 0.0, False
    for name, parent, fields in procs.values():
        if name != "postgres" and not name.startswith("postgres"):
            continue
        found = True
        own = int(fields[11]) + int(fields[12])  # utime, stime
        if procs.get(parent, ("",))[0] != "postgres":  # the postmaster: its reaped children too
            own += int(fields[13]) + int(fields[14])  # cutime, cstime
        total += own / ticks
    return total if found else None


def cpu_seconds(*, children: bool = True) -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    total = own.ru_utime + own.ru_stime
    if children:
        spawned = resource.getrusage(resource.RUSAGE_CHILDREN)
        total += spawned.ru_utime + spawned.ru_stime
    return total


def memory(root: Path, megabytes: float) -> None:
    for label, size, seed in (("small", megabytes / 10, 5), ("big", megabytes, 6)):
        path = root / f"{label}.jsonl"
        jsonl_of_size(path, size, seed)
        mb = path.stat().st_size / 1e6
        rss, child, seconds = peak_rss_mb("jsonl", path, root / f"{label}.db")
        path.unlink()
        print(
            f"peak RSS, jsonl import of {mb:,.0f} MB ({label}): {rss:,.0f} MB (its parsing process: "
            f"{child:,.0f} MB), {seconds:,.0f} s",
            flush=True,
        )


if __name__ == "__main__":
    main()
