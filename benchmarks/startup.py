"""CPU seconds a command costs from start to exit, next to baselines measured in the same run: the bare
interpreter (`python -c pass`) and the command-line library alone (`python -c "import click"`).

    uv run python benchmarks/startup.py                 # the demo's default 2,000 members, 5 runs each
    uv run python benchmarks/startup.py --members 10000 --runs 9

Targets (issue 18): `tending --help` under 0.3 s of CPU, `tending members --limit 5` on the demo under
0.6 s. Each command runs as its own process (user + system CPU of the child, from getrusage), --runs
times after one warm-up run (not measured) that writes the bytecode caches, as an installed tending has
them: PYTHONDONTWRITEBYTECODE is removed from the commands' environment (set, every run would compile
sqlalchemy's sources again, about 1.5 s). The demo database is built first in a temporary directory (not
measured), and removed afterwards.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

TARGETS = {"tending --help": 0.3, "tending members --limit 5": 0.6}


def child_cpu(command: list[str], env: dict[str, str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=2000, help="size of the demo community")
    parser.add_argument("--runs", type=int, default=5, help="runs of each command")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="tending-startup-"))
    db = home / "demo.db"
    env = {**os.environ, "TENDING_HOME": str(home), "TENDING_DATABASE_URL": str(db)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    tending = [sys.executable, "-m", "tending"]
    try:
        subprocess.run(
            [*tending, "demo", "--members", str(args.members), "--no-serve"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        commands = {
            "python -c pass (baseline)": [sys.executable, "-c", "pass"],
            "python -c 'import click' (baseline)": [sys.executable, "-c", "import click"],
            "tending --help": [*tending, "--help"],
            "tending --version": [*tending, "--version"],
            "tending members --limit 5": [*tending, "members", "--limit", "5"],
        }
        print(
            f"CPU seconds per command ({args.runs} runs, demo of {args.members:,} members in {home})"
        )
        print(f"{'command':<38} {'median':>7} {'min':>7} {'max':>7}  target")
        for label, command in commands.items():
            child_cpu(command, env)  # warm-up: bytecode caches written, files in the page cache
            times = [child_cpu(command, env) for _ in range(args.runs)]
            target = TARGETS.get(label)
            verdict = (
                ""
                if target is None
                else f"< {target} s " + ("ok" if statistics.median(times) < target else "MISSED")
            )
            print(
                f"{label:<38} {statistics.median(times):7.3f} {min(times):7.3f} {max(times):7.3f}  {verdict}"
            )
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
