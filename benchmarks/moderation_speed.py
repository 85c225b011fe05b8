"""Speed of moderation: `classify` messages per second on one core, and `scan` over many activities.

Each figure is printed next to a baseline measured in the same run:
- classify: the full pipeline (JSON parse, language id, features, four models, JSON out) against the
  bare minimum any classifier pays (JSON parse + language id);
- scan: do_scan_community over N generated activities against reading the same rows back from SQLite;
  the scan may use every core (worker processes), classify is pinned to one.

Texts are drawn from the real corpora in ../shared/data (mixed and recombined so most are unique).

    uv run python benchmarks/moderation_speed.py --messages 20000 --activities 100000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def one_core() -> set[int]:
    """Pin this process to one core; returns the cores it had (the scan gets them back)."""
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"
    if not hasattr(os, "sched_setaffinity"):
        return set()
    cores = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {sorted(cores)[0]})
    return cores


def children_cpu() -> float:
    """CPU seconds used by finished child processes (the scan's workers)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def corpus_texts() -> list[str]:
    """Real messages, mostly ordinary (forum comments, tweets, YouTube and SMS), a tenth hostile tweets."""
    from tending.moderation import training

    rng = random.Random(7)
    texts: list[str] = []
    if (DATA / "spam" / "youtube").exists():
        texts += [
            e.text
            for rows in training.read_youtube(DATA / "spam" / "youtube").values()
            for e in rows
        ]
        hostile = [
            e.text
            for lang in ("fr", "en")
            for e in training.read_mlma(DATA / "toxicity" / "mlma", lang)
        ]
        texts += rng.sample(hostile, 1500)
        texts += [e.text for e in training.read_sms(DATA / "spam" / "sms")]
        texts += [e.text for e in training.read_umsab(DATA / "sentiment" / "umsab-en", "en")]
        texts += [e.text for e in training.read_umsab(DATA / "sentiment" / "umsab-fr", "fr")]
        stackexchange = DATA / "activity" / "stackexchange-meta-2018"
        texts += [e.text for e in training.read_stackexchange_comments(stackexchange, rng)]
    if not texts:
        sys.exit(f"{DATA} is absent: the benchmark needs the shared corpora.")
    return texts


def messages(
    texts: list[str], n: int, seed: int = 1, parts_per_message: tuple[int, ...] = (1, 1, 2)
) -> list[str]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        parts = rng.sample(texts, rng.choice(parts_per_message))
        out.append(" ".join(parts) + ("" if rng.random() < 0.7 else f" #{i}"))
    return out


def bench_classify(texts: list[str], n: int) -> None:
    from tending.cli.moderation import _parse_line
    from tending.moderation.classifier import shipped_classifier
    from tending.moderation.langid import detect_language

    lines = [
        json.dumps({"id": i, "text": t}, ensure_ascii=False)
        for i, t in enumerate(messages(texts, n))
    ]
    classifier = shipped_classifier()
    classifier.classify([0], ["warm-up"])
    start, cpu = time.perf_counter(), time.process_time()
    for line in lines:
        value = json.loads(line)
        detect_language(value["text"])  # py3langid, one message at a time
    baseline, baseline_cpu = n / (time.perf_counter() - start), n / (time.process_time() - cpu)
    start, cpu = time.perf_counter(), time.process_time()
    written = 0
    for first in range(0, n, 512):
        batch = [
            _parse_line(line, first + k + 1) for k, line in enumerate(lines[first : first + 512])
        ]
        ids, batch_texts, langs = zip(*batch, strict=True)
        for result in classifier.classify(ids, batch_texts, langs):
            written += len(json.dumps(result.as_json(), ensure_ascii=False))
    full, full_cpu = n / (time.perf_counter() - start), n / (time.process_time() - cpu)
    print(
        f"classify  {n} messages, one core: {full:,.0f} messages/s wall clock, {full_cpu:,.0f}/s of CPU time "
        f"(baseline JSON parse + language id: {baseline:,.0f}/s wall, {baseline_cpu:,.0f}/s CPU; "
        "target >= 2,000/s)"
    )


def generate(db_url: str, texts: list[str], n: int) -> None:
    from tending.models import ActivityRecord, ChannelRecord, MemberRecord
    from tending.store import open_store
    from tending.store.communities import do_create_community
    from tending.store.ingest import Ingestor

    rng = random.Random(3)
    engine = open_store(db_url)
    members = max(n // 20, 10)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    bodies = messages(
        texts, n, seed=5, parts_per_message=(2,)
    )  # pairs: mostly unique, a few real reposts
    with engine.begin() as conn:
        community = do_create_community(conn, "Bench", platform="forum")
        ingestor = Ingestor(conn, community)
        ingestor.add(
            [
                ChannelRecord("bench", "intro", "Introductions"),
                ChannelRecord("bench", "general", "General"),
            ]
        )
        ingestor.add(
            [
                MemberRecord(
                    "bench", f"m{i}", f"Member {i}", joined_at=start + timedelta(minutes=i)
                )
                for i in range(members)
            ]
        )
        step = timedelta(days=365) / n
        for first in range(0, n, 5000):
            batch = []
            for i in range(first, min(first + 5000, n)):
                thread = rng.randrange(max(n // 15, 1))
                batch.append(
                    ActivityRecord(
                        "bench",
                        f"a{i}",
                        f"m{rng.randrange(members)}",
                        "post" if rng.random() < 0.1 else "reply",
                        start + step * i,
                        thread_external_id=f"t{thread}",
                        channel_external_id="intro" if rng.random() < 0.02 else "general",
                        text=bodies[i],
                    )
                )
            ingestor.add(batch)
    engine.dispose()


def bench_scan(texts: list[str], n: int, workers: int | None) -> None:
    from sqlalchemy import text

    from tending.actions.moderation import do_scan_community
    from tending.store import open_store
    from tending.store.communities import find_community

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        started = time.perf_counter()
        generate(url, texts, n)
        print(f"generated {n:,} activities in {time.perf_counter() - started:.0f} s")
        engine = open_store(url)
        with engine.connect() as conn:
            start = time.perf_counter()
            rows = sum(
                1 for _ in conn.execute(text("SELECT id, member_id, text, extra FROM activities"))
            )
            baseline = time.perf_counter() - start
        with engine.begin() as conn:
            community = find_community(conn, "Bench")
            assert community is not None
            start, cpu, child = time.perf_counter(), time.process_time(), children_cpu()
            summary = do_scan_community(
                conn, community, now=datetime(2025, 6, 1, tzinfo=UTC), workers=workers
            )
            elapsed = time.perf_counter() - start
            cpu_used = time.process_time() - cpu + children_cpu() - child
        engine.dispose()
    per_million = elapsed * 1_000_000 / n
    used = workers if workers is not None else f"auto ({os.cpu_count()} cores)"
    print(f"scan      workers: {used}; load average before: {os.getloadavg()[0]:.1f}")
    print(
        f"scan      {n:,} activities in {elapsed:.1f} s ({n / elapsed:,.0f}/s); extrapolated to 1,000,000: "
        f"{per_million / 60:.1f} min (target < 10 min); baseline reading {rows:,} rows back: {baseline:.1f} s"
    )
    print(
        f"          CPU time, this process and its workers: {cpu_used:.1f} s ({n / cpu_used:,.0f}/s): 1,000,000 "
        f"would need {cpu_used * 1_000_000 / n / 60:.1f} min of CPU"
    )
    print(f"          queue items found: {dict(summary.new_items)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--activities", type=int, default=100_000)
    parser.add_argument("--skip-scan", action="store_true")
    parser.add_argument("--skip-classify", action="store_true")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="Scan worker processes (default: the scan's own choice, one per core).",
    )
    args = parser.parse_args()
    cores = one_core()
    texts = corpus_texts()
    if not args.skip_classify:
        bench_classify(texts, args.messages)
    if cores:
        os.sched_setaffinity(0, cores)  # classify is measured on one core; scan may use them all
    if not args.skip_scan:
        bench_scan(texts, args.activities, args.workers)


if __name__ == "__main__":
    main()
