"""Live connectors: a first sync of 10,000 messages from a local Discourse (target under 10 s), a sync
with nothing new (target under 50 ms and one request per page it must check), and the idle worker's
check for due connectors, each next to a baseline measured in the same run.

    uv run python benchmarks/connector_speed.py                   # 10,000 posts in 400 topics of 25
    uv run python benchmarks/connector_speed.py --posts 2000      # a quick run

The forum is tests/connectors/forum.py (answering as docs.discourse.org shows: /latest.json pages of 30,
/t/{id}.json with the first 20 posts, /t/{id}/posts.json for the rest) served from a child process, so the
CPU seconds printed are the syncing process's own. Baselines:
- first sync: `tending import discourse` of the same topics as /t/{id}.json files (the same records
  through the same ingest, without the network);
- nothing new: one bare GET of /latest.json with httpx (the floor any sync with one request pays);
- idle worker: do_sync_due with no connector due, once per worker tick (60 s by default).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import shutil
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.connectors.forum import Forum, serving

from tending.actions.connectors import do_connect, do_sync, do_sync_due
from tending.actions.imports import do_import
from tending.store import open_store

POSTS_PER_TOPIC = 25


def build(posts: int) -> Forum:
    forum = Forum()
    for number in range(posts // POSTS_PER_TOPIC):
        forum.new_topic(f"Topic {number}", user=number % 5, replies=POSTS_PER_TOPIC - 1)
    return forum


def serve(posts: int, queue: multiprocessing.Queue[str]) -> None:
    with serving(build(posts)) as url:
        queue.put(url)
        time.sleep(3600)


def export(forum: Forum, folder: Path) -> None:
    for topic_id, topic in forum.topics.items():
        body = {k: v for k, v in topic.items() if k != "posts"}
        body["post_stream"] = {"posts": topic["posts"], "stream": [p["id"] for p in topic["posts"]]}
        (folder / f"{topic_id}.json").write_text(json.dumps(body), encoding="utf-8")


def timed(function):  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=10_000)
    args = parser.parse_args()
    queue: multiprocessing.Queue[str] = multiprocessing.Queue()
    server = multiprocessing.get_context("fork").Process(
        target=serve, args=(args.posts, queue), daemon=True
    )
    server.start()
    url = queue.get(timeout=60)
    work = Path(tempfile.mkdtemp(prefix="tending-bench-conn-"))
    try:
        folder = work / "export"
        folder.mkdir()
        export(build(args.posts), folder)
        imported_engine = open_store(f"sqlite:///{work / 'import.db'}")
        summary, import_wall, import_cpu = timed(
            lambda: do_import(imported_engine, "discourse", folder, community_name="Forum")
        )
        engine = open_store(f"sqlite:///{work / 'sync.db'}")
        do_connect(engine, "discourse", url, community_name="Forum", fields={})
        [first], sync_wall, sync_cpu = timed(lambda: do_sync(engine))
        assert (
            first.ok
            and first.counts.activities_added == summary.counts.activities_added == args.posts
        ), first
        print(
            f"first sync of {args.posts:,} posts: {sync_wall:.2f} s ({sync_cpu:.2f} CPU s, {first.requests} requests)"
            f"  | import of the same files: {import_wall:.2f} s ({import_cpu:.2f} CPU s)"
            f"  | ratio {sync_wall / import_wall:.1f}x  (target: under 10 s)"
        )
        idle = []
        for _ in range(7):
            [again], wall, cpu = timed(lambda: do_sync(engine))
            assert again.ok and again.records == 0
            idle.append((wall, cpu, again.requests))
        wall, cpu, requests = sorted(idle)[len(idle) // 2]
        with httpx.Client() as client:
            bare = sorted(timed(lambda: client.get(f"{url}/latest.json"))[1] for _ in range(7))[3]
        print(
            f"sync with nothing new: {wall * 1000:.1f} ms median ({cpu * 1000:.1f} CPU ms, {requests} request)"
            f"  | one bare GET /latest.json: {bare * 1000:.1f} ms  | ratio {wall / bare:.1f}x"
            "  (target: under 50 ms, one request)"
        )
        ticks = sorted(timed(lambda: do_sync_due(engine))[2] for _ in range(21))[10]
        print(
            f"idle worker: {ticks * 1000:.2f} CPU ms per tick with nothing due = "
            f"{ticks / 60 * 100:.4f} % of a core at one tick a minute  (target: under 2 %)"
        )
    finally:
        server.terminate()
        server.join(10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
