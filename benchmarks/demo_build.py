"""Time and database size of `tending demo --members N --no-serve`, next to a baseline measured in the
same run: the time to generate the same records without writing them (the generator alone).

    uv run python benchmarks/demo_build.py                  # 100,000 members
    uv run python benchmarks/demo_build.py --members 1000000 --dir /tmp/demo-1m

The build runs in-process through the CLI, on a fresh SQLite file in --dir (a temporary directory by
default, removed afterwards unless --dir is given). Wall time depends on what else the machine runs;
CPU time of this process is printed too.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path


def measure(label: str, action) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label:<44} {wall:9.1f} s wall {cpu:9.1f} s cpu", flush=True)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--dir", type=Path, default=None, help="where the demo database goes (kept)"
    )
    args = parser.parse_args()
    home = args.dir or Path(tempfile.mkdtemp(prefix="tending-demo-bench-"))
    home.mkdir(parents=True, exist_ok=True)
    os.environ["TENDING_HOME"] = str(home)
    os.environ.pop("TENDING_DATABASE_URL", None)

    from tending.cli import main as cli_main
    from tending.demo.generator import generate_demo_records

    now = datetime.now(UTC)
    summary = None

    def baseline() -> None:
        nonlocal summary
        summary = generate_demo_records(seed=args.seed, members=args.members, now=now)

    def build() -> None:
        cli_main(
            [
                "demo",
                "--members",
                str(args.members),
                "--seed",
                str(args.seed),
                "--no-serve",
                "--fresh",
            ]
        )

    print(f"tending demo --members {args.members:,} --seed {args.seed} (SQLite in {home})")
    base_wall, base_cpu = measure("baseline: generate the records, no writing", baseline)
    assert summary is not None
    wall, cpu = measure("tending demo --no-serve (generate + ingest)", build)
    db = home / "demo.db"
    size = sum(p.stat().st_size for p in home.glob("demo.db*"))
    total = summary.total_activities
    print(
        f"activities {total:,}; database {size / 1e6:,.0f} MB ({size / total:.0f} bytes per activity)"
    )
    print(
        f"build: {total / wall:,.0f} activities/s wall, {wall / base_wall:.1f}x the baseline "
        f"({total / base_wall:,.0f} activities/s); cpu {cpu / base_cpu:.1f}x"
    )
    if args.dir is None:
        shutil.rmtree(home, ignore_errors=True)
    else:
        print(f"kept {db}")


if __name__ == "__main__":
    main()
