"""An idle `tending worker`'s CPU share (target: under 2 % of a core), next to `sleep` in the same run.

    uv run python benchmarks/worker_idle.py                  # a 120 s window after 30 s of start-up
    uv run python benchmarks/worker_idle.py --window 60

Two workers run side by side, each on its own SQLite database holding a Discourse connector (the local
forum of tests/connectors/forum.py, 50 topics, already synced, nothing new arrives) and, when Synapse is
installed (scripts/synapse-for-tests), a Matrix connector whose room the worker streams (a long-polled
/sync held open):
- defaults: `tending worker` (a tick every 60 s), connectors every 300 s;
- busy: `tending worker --interval 10`, connectors every 10 s (the shortest `tending connect` allows).
The baseline is `sleep` started at the same moment. CPU seconds are each process's own (user + system,
from /proc/PID/stat), counted over the window only, after the start-up (imports, first tick).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.connectors.forum import Forum, serving
from tests.delivery.synapse import Homeserver, start_synapse

from tending.actions.connectors import do_connect, do_sync
from tending.store import open_store
from tending.store.communities import do_create_community


def serve(queue: multiprocessing.Queue[str]) -> None:
    forum = Forum()
    for number in range(50):
        forum.new_topic(f"Topic {number}", user=number % 5, replies=4)
    with serving(forum) as url:
        queue.put(url)
        time.sleep(3600)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def matrix_room(home: Path) -> tuple[Homeserver, str, str] | None:
    """(homeserver, room id, bot token) on a Synapse started for the run, or None if absent."""

    if not (Path.home() / ".cache" / "tending-synapse" / "venv" / "bin" / "python").exists():
        return None
    server = start_synapse(home)
    bot, bot_token = server.register("tending")
    _ada, ada_token = server.register("ada")
    with server.client(ada_token) as as_ada, server.client(bot_token) as as_bot:
        room = as_ada.post(
            "/_matrix/client/v3/createRoom", json={"name": "Entraide", "invite": [bot]}
        ).json()["room_id"]
        as_bot.post(f"/_matrix/client/v3/join/{room}").raise_for_status()
    return server, room, bot_token


def database(
    path: Path, forum_url: str, matrix: tuple[Homeserver, str, str] | None, interval_s: int
) -> str:
    url = f"sqlite:///{path}"
    engine = open_store(url)
    with engine.begin() as conn:  # platforms whose private messages need no [delivery] table
        do_create_community(conn, "Forum", platform="forum")
        do_create_community(conn, "Room", platform="chat")
    do_connect(
        engine, "discourse", forum_url, community_name="Forum", fields={}, interval_s=interval_s
    )
    if matrix is not None:
        fields = {"homeserver": matrix[0].url, "access_token": "env:BENCH_MATRIX_TOKEN"}
        do_connect(
            engine, "matrix", matrix[1], community_name="Room", fields=fields, interval_s=interval_s
        )
    assert all(result.ok for result in do_sync(engine))
    engine.dispose()
    return url


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--window", type=float, default=120.0, help="Seconds measured.")
    parser.add_argument("--warmup", type=float, default=30.0, help="Seconds of start-up skipped.")
    args = parser.parse_args()
    queue: multiprocessing.Queue[str] = multiprocessing.Queue()
    forum = multiprocessing.get_context("fork").Process(target=serve, args=(queue,), daemon=True)
    forum.start()
    forum_url = queue.get(timeout=60)
    work = Path(tempfile.mkdtemp(prefix="tending-bench-idle-"))
    (work / "synapse").mkdir()
    matrix = matrix_room(work / "synapse")
    if matrix is not None:
        os.environ["BENCH_MATRIX_TOKEN"] = matrix[2]
    config = work / "config.toml"
    config.write_text("")
    env = {**os.environ, "TENDING_CONFIG": str(config), "TENDING_HOME": str(work / "home")}
    env.pop("TENDING_DATABASE_URL", None)
    runs = {
        "defaults (tick 60 s, connectors 300 s)": (
            database(work / "a.db", forum_url, matrix, 300),
            60,
        ),
        "busy (tick 10 s, connectors 10 s)": (database(work / "b.db", forum_url, matrix, 10), 10),
    }
    processes: dict[str, subprocess.Popen[bytes]] = {
        name: subprocess.Popen(
            [sys.executable, "-m", "tending", "--db", url, "worker", "--interval", str(tick)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(work / f"worker-{tick}.log").open("wb"),
        )
        for name, (url, tick) in runs.items()
    }
    processes["baseline: sleep"] = subprocess.Popen(
        ["sleep", str(int(args.warmup + args.window + 5))]
    )
    try:
        time.sleep(args.warmup)
        before = {name: cpu_seconds(p.pid) for name, p in processes.items()}
        started = time.monotonic()
        time.sleep(args.window)
        window = time.monotonic() - started
        after = {name: cpu_seconds(p.pid) for name, p in processes.items()}
        for name, process in processes.items():
            if process.poll() is not None:
                logs = "".join(p.read_text() for p in work.glob("worker-*.log"))
                raise SystemExit(f"{name} exited with {process.returncode}:\n{logs}")
        streams = "with a Matrix room streamed" if matrix else "no Synapse: Discourse only"
        print(f"idle workers over {window:.0f} s ({streams}); load: {os.getloadavg()[0]:.2f}")
        baseline = after["baseline: sleep"] - before["baseline: sleep"]
        print(
            f"  baseline, sleep: {baseline:.2f} CPU s = {baseline / window * 100:.2f} % of a core"
        )
        for name in runs:
            spent = after[name] - before[name]
            print(
                f"  {name}: {spent:.2f} CPU s = {spent / window * 100:.2f} % of a core"
                f"  | {spent - baseline:.2f} CPU s more than sleep  (target: under 2 %)"
            )
    finally:
        for process in processes.values():
            process.terminate()
            process.wait(10)
        forum.terminate()
        forum.join(10)
        if matrix is not None:
            matrix[0].process.terminate()
            matrix[0].process.wait(20)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
