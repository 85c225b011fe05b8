"""The discord and slack connectors: a first sync of 10,000 messages from a local API (target under
10 s) and a sync with nothing new (target under 50 ms and one request), each next to a baseline
measured in the same run.

    uv run python benchmarks/chat_connector_speed.py                      # 10,000 messages each
    uv run python benchmarks/chat_connector_speed.py --messages 2000      # a quick run

The APIs are tests/connectors/discord_api.py and slack_api.py (answering as the platforms'
documentation shows: Discord's pages of 100 by `after`, Slack's pages of 200 by `next_cursor`), served
from a child process, so the CPU seconds printed are the syncing process's own. Baselines:
- first sync: the same number of messages' pages read with bare httpx GETs, without parsing or storing
  (the floor of what the network costs);
- nothing new: one bare GET of the page the sync reads (the floor any sync with one request pays).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.connectors import discord_api, slack_api
from tests.connectors.jsonserver import serving

from tending.actions.connectors import do_connect, do_sync
from tending.store import open_store


def build(kind: str, messages: int) -> Any:
    if kind == "discord":
        api: Any = discord_api.DiscordApi()
        for number in range(messages):
            api.say(("ada", "bruno", "bot")[number % 3], f"message {number}", minutes=1)
        return api
    api = slack_api.SlackApi()
    for number in range(messages):
        api.say(slack_api.USERS[number % 2]["id"], f"message {number}")
    return api


def serve(kind: str, messages: int, queue: multiprocessing.Queue[str]) -> None:
    with serving(build(kind, messages)) as url:
        queue.put(url)
        time.sleep(3600)


def timed(function):  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def bare_pages(kind: str, url: str, messages: int) -> float:
    """Read every page of the channel with plain GETs: the network's share of a first sync."""
    start = time.perf_counter()
    with httpx.Client() as client:
        if kind == "discord":
            after = "0"
            headers = {"Authorization": f"Bot {discord_api.TOKEN}"}
            while True:
                page = client.get(
                    f"{url}/api/v10/channels/{discord_api.CHANNEL}/messages",
                    params={"limit": 100, "after": after},
                    headers=headers,
                ).json()
                if not page:
                    break
                after = page[0]["id"]
        else:
            headers = {"Authorization": f"Bearer {slack_api.TOKEN}"}
            params: dict[str, Any] = {"channel": slack_api.CHANNEL, "limit": 200}
            while True:
                data = client.get(
                    f"{url}/conversations.history", params=params, headers=headers
                ).json()
                if not data["has_more"]:
                    break
                params = {**params, "cursor": data["response_metadata"]["next_cursor"]}
    return time.perf_counter() - start


def bench(kind: str, messages: int, work: Path) -> None:
    queue: multiprocessing.Queue[str] = multiprocessing.Queue()
    server = multiprocessing.get_context("fork").Process(
        target=serve, args=(kind, messages, queue), daemon=True
    )
    server.start()
    url = queue.get(timeout=120)
    try:
        engine = open_store(f"sqlite:///{work / f'{kind}.db'}")
        if kind == "discord":
            os.environ["BENCH_TOKEN"] = discord_api.TOKEN
            target, fields = discord_api.CHANNEL, {"api_url": f"{url}/api/v10"}
        else:
            os.environ["BENCH_TOKEN"] = slack_api.TOKEN
            target, fields = slack_api.CHANNEL, {"api_url": url}
        do_connect(
            engine, kind, target, community_name=kind, fields={"token": "env:BENCH_TOKEN", **fields}
        )
        [first], wall, cpu = timed(lambda: do_sync(engine))
        assert first.ok and first.counts.activities_added == messages, first
        floor = bare_pages(kind, url, messages)
        print(
            f"{kind}: first sync of {messages:,} messages: {wall:.2f} s ({cpu:.2f} CPU s, "
            f"{first.requests} requests)  | the same pages by bare GETs: {floor:.2f} s"
            f"  | ratio {wall / floor:.1f}x  (target: under 10 s)"
        )
        idle = []
        for _ in range(7):
            [again], wall, cpu = timed(lambda: do_sync(engine))
            assert again.ok and again.records == 0, again
            idle.append((wall, cpu, again.requests))
        wall, cpu, requests = sorted(idle)[len(idle) // 2]
        with httpx.Client() as client:
            if kind == "discord":
                page = f"{url}/api/v10/channels/{discord_api.CHANNEL}/messages?limit=100"
                headers = {"Authorization": f"Bot {discord_api.TOKEN}"}
            else:
                page = f"{url}/conversations.history?channel={slack_api.CHANNEL}&limit=200"
                headers = {"Authorization": f"Bearer {slack_api.TOKEN}"}
            bare = sorted(timed(lambda: client.get(page, headers=headers))[1] for _ in range(7))[3]
        print(
            f"{kind}: sync with nothing new: {wall * 1000:.1f} ms median ({cpu * 1000:.1f} CPU ms, "
            f"{requests} request)  | one bare GET of its page: {bare * 1000:.1f} ms"
            f"  | ratio {wall / bare:.1f}x  (target: under 50 ms, one request)"
        )
        engine.dispose()
    finally:
        server.terminate()
        server.join(10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tending-bench-chat-"))
    try:
        for kind in ("discord", "slack"):
            bench(kind, args.messages, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
