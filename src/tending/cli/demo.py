"""`tending demo`: build (or reuse) the demo community, print what it holds, then serve the dashboard."""

from __future__ import annotations

import sys
import time
from contextlib import AbstractContextManager, nullcontext
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tending.cli.context import AppContext, pass_app
from tending.config import demo_database_url
from tending.errors import UsageError
from tending.models import Community, DemoSummary
from tending.timeutil import get_zone, utcnow

if TYPE_CHECKING:
    from tending.actions.demo import ProgressFn

COMMIT_EVERY = 200_000  # activities per transaction: big builds keep a small write-ahead log
KIND_ORDER = ("post", "reply", "comment", "reaction", "joined", "left")


@click.command()
@click.option(
    "--seed",
    type=int,
    default=42,
    show_default=True,
    help="Seed of the generator: same seed, same community.",
)
@click.option(
    "--members",
    type=int,
    default=2000,
    show_default=True,
    help="How many members (at least 10; 1000000 works, for benchmarks).",
)
@click.option(
    "--no-serve", is_flag=True, help="Build and print the summary, do not start the dashboard."
)
@click.option("--fresh", is_flag=True, help="Rebuild the demo community even if it already exists.")
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address the dashboard listens on."
)
@click.option("--port", type=int, default=8765, show_default=True, help="Port of the dashboard.")
@pass_app
def demo(
    app: AppContext, seed: int, members: int, no_serve: bool, fresh: bool, host: str, port: int
) -> None:
    """Create (or reuse) a realistic demo community and open the dashboard on it.

    The community is a bilingual (French/English) support forum for people whose cat has diabetes: two
    years of history generated from --seed, with staff, bots, lurkers, regulars who go quiet, members who
    leave, unanswered questions, and trouble to moderate (spam, self-promotion, reposts, insults). It lives
    in its own database (~/.local/share/tending/demo.db) unless --db names another.

    \b
    Examples:
      tending demo
      tending demo --members 100000 --no-serve
      tending demo --seed 7 --fresh --port 9000
    """
    from tending.actions.demo import MIN_MEMBERS, get_database_size

    if members < MIN_MEMBERS:
        raise UsageError(
            f"--members: {members} is too few; the demo needs at least {MIN_MEMBERS} members."
        )
    if not 0 < port < 65536:
        raise UsageError(f"--port: {port} is not a port number (1-65535).")
    app.for_demo = True
    url = app.settings.database_url
    if fresh and url == demo_database_url():
        _remove_sqlite_file(url)
    started = time.perf_counter()
    summary, reused = _build_or_reuse(app, seed=seed, members=members, fresh=fresh)
    elapsed = time.perf_counter() - started
    with app.engine.connect() as conn:
        size = get_database_size(conn)
    _print_summary(summary, reused=reused, url=url, size=size, elapsed=elapsed)
    if not no_serve:
        _serve(url, summary.community_id, host, port)


def _build_or_reuse(
    app: AppContext, *, seed: int, members: int, fresh: bool
) -> tuple[DemoSummary, bool]:
    from tending.actions.communities import find_community
    from tending.actions.demo import DEMO_NAME, build_demo, delete_community_rows, get_demo_summary

    engine = app.engine
    with engine.begin() as conn:
        existing = find_community(conn, DEMO_NAME)
        if existing is not None and not fresh and _matches(existing, seed=seed, members=members):
            return get_demo_summary(conn, existing), True
        if existing is not None:
            reason = "--fresh" if fresh else _mismatch(existing, seed=seed, members=members)
            click.echo(f"Rebuilding the demo community ({reason}).", err=True)
            delete_community_rows(conn, existing.id)
    with engine.connect() as conn, _progress() as progress:
        summary = build_demo(
            conn,
            seed=seed,
            members=members,
            now=utcnow(),
            progress=progress,
            commit_every=COMMIT_EVERY,
        )
        conn.commit()
    from tending.actions.demo import SCAN_DAYS, do_scan_recent

    if sys.stderr.isatty():
        click.echo(f"Scanning the last {SCAN_DAYS} days for the moderation queue…", err=True)
    with engine.begin() as conn:
        scan = do_scan_recent(conn, summary.community_id, now=utcnow())
    summary.queued = dict(scan.new_items)
    return summary, False


def _matches(community: Community, *, seed: int, members: int) -> bool:
    settings = community.settings.get("demo", {})
    return (
        bool(settings.get("complete"))
        and settings.get("seed") == seed
        and settings.get("members") == members
    )


def _mismatch(community: Community, *, seed: int, members: int) -> str:
    settings = community.settings.get("demo", {})
    if not settings.get("complete"):
        return "the previous build did not finish"
    return f"it was built with --seed {settings.get('seed')} --members {settings.get('members')}"


def _remove_sqlite_file(url: str) -> None:
    from tending.actions.database import sqlite_path

    path = sqlite_path(url)
    if path is None:
        return
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _progress() -> AbstractContextManager[ProgressFn | None]:
    if not sys.stderr.isatty():
        return nullcontext(None)
    return _RichProgress()


class _RichProgress:
    """A progress bar on the terminal, by simulated day."""

    def __enter__(self) -> ProgressFn:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(
            TextColumn("Building the demo community"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} days"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.bar.__enter__()
        self.task = self.bar.add_task("build", total=None)

        def update(done: int, total: int) -> None:
            self.bar.update(self.task, completed=done, total=total)

        return update

    def __exit__(self, *exc: Any) -> None:
        self.bar.__exit__(*exc)


def _print_summary(
    summary: DemoSummary, *, reused: bool, url: str, size: int | None, elapsed: float
) -> None:
    from tending.actions.database import sqlite_path
    from tending.actions.demo import SCAN_DAYS, TIMEZONE

    how = "reused" if reused else "built"
    kinds = ", ".join(f"{summary.activities.get(kind, 0):,} {kind}" for kind in KIND_ORDER)
    lines = [
        f"Demo community “{summary.community_name}” ({how}, seed {summary.seed})",
        f"  members     {summary.members:,} ({summary.staff} staff, {summary.bots} bots); "
        f"{summary.never_contributed_share:.1%} never contributed",
        f"  activities  {summary.total_activities:,}: {kinds}",
        f"  threads     {summary.threads:,}, {summary.unanswered_threads:,} unanswered",
        f"  history     {_day(summary.first_at)} to {_day(summary.last_at)} ({TIMEZONE})",
    ]
    if summary.truth:
        planted = ", ".join(f"{count:,} {label}" for label, count in summary.truth.items())
        lines.append(f"  trouble     {planted} (labelled in activities.extra.demo_truth)")
    if summary.queued:
        queued = ", ".join(
            f"{count:,} {signal}" for signal, count in sorted(summary.queued.items())
        )
        lines.append(f"  to review   {queued} (the last {SCAN_DAYS} days scanned)")
    where = sqlite_path(url) or url.split("@")[-1]
    lines.append(
        f"  database    {where}" + (f" ({size / 1e6:,.1f} MB)" if size is not None else "")
    )
    lines.append(f"  time        {elapsed:.1f} s")
    click.echo("\n".join(lines))


def _day(moment: Any) -> str:
    from tending.actions.demo import TIMEZONE

    if moment is None:
        return "-"
    day: date = moment.astimezone(get_zone(TIMEZONE)).date()
    return day.isoformat()


def _serve(url: str, community_id: int, host: str, port: int) -> None:
    from tending.web.server import serve_demo

    serve_demo(url, community_id, host, port)
