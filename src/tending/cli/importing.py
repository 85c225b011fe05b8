"""`tending import` (bring an export in) and `tending imports` (the import log)."""

from __future__ import annotations

import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tending.actions.import_kinds import KINDS
from tending.cli.context import (
    AppContext,
    community_option,
    echo_json,
    format_option,
    pass_app,
    say,
)
from tending.texts import T_, TN_, Message, cli_language, translate
from tending.timeutil import isoformat_utc

if TYPE_CHECKING:
    from tending.actions.imports import ImportProgress
    from tending.models import Community, ImportLogEntry

KIND_HELP = ", ".join(KINDS)


@click.command("import")
@click.argument("kind", metavar="KIND")
@click.argument("path", type=click.Path(path_type=Path), metavar="PATH")
@community_option
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Validate and count what would be added, without writing anything.",
)
@click.option(
    "--skip-bad",
    is_flag=True,
    help="Import the rest when some records are malformed, and list them.",
)
@click.option(
    "--timezone",
    metavar="ZONE",
    help="IANA zone of local times in exports without offsets (WhatsApp, old Telegram); also the "
    "new community's zone. Default: the community's zone, else UTC.",
)
@click.option(
    "--day-first/--month-first",
    "day_first",
    default=None,
    help="How numeric dates such as 12/10/2026 read in tending's own CSV and JSON Lines. Default: "
    "day first when the community writes French, else month first.",
)
@click.option(
    "--exported-at",
    metavar="WHEN",
    help='When the export was saved (ISO 8601), for the relative dates Facebook shows ("Hier à '
    '18:30", "il y a 2 semaines"). Default: the file\'s modification time.',
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@pass_app
def import_command(
    app: AppContext,
    kind: str,
    path: Path,
    community_name: str | None,
    check_only: bool,
    skip_bad: bool,
    timezone: str | None,
    day_first: bool | None,
    exported_at: str | None,
    as_json: bool,
) -> None:
    """Import a community export: a file, a folder or an archive (.zip, .tar.gz, .tar.xz).

    KIND is one of: KINDS_LIST. Importing the same export again adds nothing; a newer export of the
    same community adds only what is new. The community is created on the first import, named by
    --community or by the export (Slack archive name, Discord guild, Telegram chat...).

    \b
    Examples:
      tending import slack ./workspace-export.zip --community "Data viz Houston"
      tending import stackexchange ./history.stackexchange.com/ --check
      tending import whatsapp "WhatsApp Chat with Entraide.txt" --timezone Europe/Paris
      tending import csv facebook-group.csv --community "Chats diabétiques" --skip-bad
      tending import csv groupe.csv --community "Chats diabétiques" --day-first --exported-at 2026-12-03T09:00
    """
    from tending.actions.imports import do_import, get_importer, parse_exported_at

    get_importer(kind)  # a wrong KIND fails before the database is opened
    bar = _ProgressBar() if sys.stderr.isatty() and not as_json else None
    try:
        summary = do_import(
            app.engine,
            kind,
            path,
            community_name=community_name,
            check_only=check_only,
            skip_bad=skip_bad,
            timezone=timezone,
            day_first=day_first,
            exported_at=parse_exported_at(exported_at, timezone),
            progress=bar.update if bar else None,
        )
    finally:
        if bar is not None:
            bar.close()
    result = summary.as_dict()
    if as_json:
        echo_json(result)
        return
    language = cli_language()
    click.echo(_summary_text(result, summary.bad_lines(language), language))


import_command.help = (import_command.help or "").replace("KINDS_LIST", KIND_HELP)


def _summary_text(result: dict[str, Any], bad: list[str], language: str = "en") -> str:
    """The import's summary in the reader's language (tending.texts); its JSON stays in English."""

    def say(message: Message, **values: Any) -> str:
        numbers = {
            k: _count(v, language) if isinstance(v, int) and k != "count" else v
            for k, v in values.items()
        }
        return translate(message, language, **numbers)

    def counted(kind: str, n: int) -> str:
        return translate(NOUNS[kind], language, n=_count(n, language), count=n)

    def counts(kinds: tuple[str, ...], numbers: dict[str, int]) -> str:
        return ", ".join(counted(kind, numbers[kind]) for kind in kinds)

    added, unchanged = result["added"], result["unchanged"]
    head = (
        TN_(
            "Checked (nothing written) %(source)s (%(kind)s) into community '%(community)s' in "
            "%(seconds)s s: %(records)s record read.",
            "Checked (nothing written) %(source)s (%(kind)s) into community '%(community)s' in "
            "%(seconds)s s: %(records)s records read.",
        )
        if result["check_only"]
        else TN_(
            "Imported %(source)s (%(kind)s) into community '%(community)s' in %(seconds)s s: "
            "%(records)s record read.",
            "Imported %(source)s (%(kind)s) into community '%(community)s' in %(seconds)s s: "
            "%(records)s records read.",
        )
    )
    lines = [
        say(
            head,
            source=result["source"],
            kind=result["kind"],
            community=result["community"],
            seconds=_decimal(result["duration_s"], language),
            records=result["records"],
            count=result["records"],
        ),
        say(
            T_("  would add: %(counts)s") if result["check_only"] else T_("  added: %(counts)s"),
            counts=counts(("members", "activities", "threads", "channels"), added),
        ),
        say(
            T_("  unchanged: %(counts)s; updated: %(updated)s"),
            counts=counts(("members", "activities"), unchanged),
            updated=counted("members", result["updated"]["members"]),
        ),
    ]
    skipped = result["skipped"]
    if skipped:
        reasons = ", ".join(
            say(T_("%(reason)s: %(n)s"), reason=translate(reason, language), n=n)
            for reason, n in skipped.items()
        )
        said = T_("  skipped on purpose: %(n)s (%(reasons)s)")
        lines.append(say(said, n=sum(skipped.values()), reasons=reasons))
    else:
        lines.append(say(T_("  skipped on purpose: none")))
    if result["bad_records"]:
        lines.append(say(T_("  malformed records skipped: %(n)s"), n=result["bad_records"]))
        lines.extend(f"    {line}" for line in bad)
        if result["bad_records"] > len(bad):
            lines.append(say(T_("    ... and %(n)s more"), n=result["bad_records"] - len(bad)))
    return "\n".join(lines)


STATUSES = {"ok": T_("ok"), "failed": T_("failed"), "running": T_("running")}  # import states
NOUNS = {
    "members": TN_("%(n)s member", "%(n)s members"),
    "activities": TN_("%(n)s activity", "%(n)s activities"),
    "threads": TN_("%(n)s thread", "%(n)s threads"),
    "channels": TN_("%(n)s channel", "%(n)s channels"),
}
UNCHANGED = TN_(
    "%(n)s unchanged", "%(n)s unchanged"
)  # activities, in the import log's result column


def _count(n: int, language: str) -> str:
    """A count as the English summary always wrote it (1,234), or with the language's grouping."""
    return f"{n:,}" if language == "en" else f"{n:,}".replace(",", "\u202f")


def _decimal(value: float, language: str) -> str:
    shown = f"{value:.1f}"
    return shown if language == "en" else shown.replace(".", ",")


PHASE_UNITS = {"reading": "MB", "writing": "records", "rollups": "activities", "indexes": "rows"}


class _ProgressBar:
    """The phase an import is in (reading, writing, rollups, indexes) with its rate, and an ETA while
    the size of the input is known (on stderr, terminals only). Each phase ends with a line of its own:
    what it did, in how long, at what rate."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.console = Console(stderr=True)
        self.progress = Progress(
            TextColumn("{task.fields[phase]:<8}"),
            BarColumn(),
            TextColumn("{task.fields[amount]:,.0f} {task.fields[unit]}"),
            TextColumn("{task.fields[rate]:,.0f}/s"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=self.console,
            transient=True,
        )
        self.task = self.progress.add_task(
            "import", total=None, phase="reading", amount=0, unit="MB", rate=0.0
        )
        self.phase, self.amount = "reading", 0.0
        self.since = time.perf_counter()
        self.progress.start()

    def update(self, where: ImportProgress) -> None:
        if where.phase != self.phase:
            self._phase_done()
            self.phase, self.since = where.phase, time.perf_counter()
        # reading: the input hashed, then parsed up to the first batch; the most read so far
        amount = self._amount(where)
        self.amount = max(self.amount, amount) if where.phase == "reading" else amount
        elapsed = max(time.perf_counter() - self.since, 1e-6)
        self.progress.update(
            self.task,
            completed=where.bytes_done,
            total=where.bytes_total,
            phase=where.phase,
            amount=self.amount,
            unit=PHASE_UNITS.get(where.phase, ""),
            rate=self.amount / elapsed if where.phase in ("reading", "writing") else 0.0,
        )

    def _amount(self, where: ImportProgress) -> float:
        if where.phase == "reading":
            return where.bytes_done / 1e6
        return float(where.records if where.phase == "writing" else where.rows)

    def _phase_done(self) -> None:
        elapsed = max(time.perf_counter() - self.since, 1e-6)
        unit = PHASE_UNITS.get(self.phase, "")
        self.progress.console.print(
            f"{self.phase}: {self.amount:,.0f} {unit} in {elapsed:.1f} s "
            f"({self.amount / elapsed:,.0f} {unit}/s)",
            highlight=False,
        )

    def close(self) -> None:
        self._phase_done()
        self.progress.stop()


@click.command("imports")
@community_option
@click.option(
    "--limit",
    default=20,
    show_default=True,
    type=click.IntRange(min=1),
    help="How many imports to show, most recent first.",
)
@click.option(
    "--offset", type=click.IntRange(min=0), default=0, metavar="N", help="Skip the N most recent."
)
@format_option("table", "json")
@pass_app
def imports_command(
    app: AppContext, community_name: str | None, limit: int, offset: int, output_format: str
) -> None:
    """The import log: what was imported, when, from which file (and its hash), with what result.

    \b
    Example:
      tending imports --community "Data viz Houston"
    """
    from tending.actions.imports import count_imports, get_imports

    with app.engine.connect() as conn:
        community = app.community(conn, community_name)
        rows = get_imports(conn, community.id, limit=limit, offset=offset)
        total = count_imports(conn, community.id)
    if output_format == "json":
        echo_json(
            [
                {
                    **asdict(row),
                    "started_at": isoformat_utc(row.started_at),
                    "finished_at": isoformat_utc(row.finished_at),
                }
                for row in rows
            ]
        )
        return
    if not rows:
        click.echo(
            f"No import yet into '{community.name}'."
            if not total
            else f"No import past the {offset} most recent ({total} in all)."
        )
        return
    _print_imports(community, rows, offset=offset, total=total)


def _print_imports(
    community: Community, rows: list[ImportLogEntry], *, offset: int, total: int
) -> None:
    """A header, one row per import in the community's local time (to the minute), "N of M imports"."""
    from tending.actions.imports import import_error_in
    from tending.cli.members import echo_of_total, print_table
    from tending.timeutil import ensure_utc, get_zone

    zone = get_zone(community.timezone)
    language = cli_language()
    table = []
    for row in rows:
        counts = row.counts or {}
        what = (
            say(
                T_("+%(activities)s, +%(members)s, %(unchanged)s"),
                activities=say(NOUNS["activities"], n=counts.get("activities_added", 0)),
                members=say(NOUNS["members"], n=counts.get("members_added", 0)),
                unchanged=say(UNCHANGED, n=counts.get("activities_unchanged", 0)),
            )
            if row.status == "ok"
            else translate(T_("failed: %(error)s"), language, error=import_error_in(row, language))
        )
        started = ensure_utc(row.started_at).astimezone(zone).strftime("%Y-%m-%d %H:%M")
        table.append(
            [
                row.id,
                started,
                row.kind,
                translate(STATUSES[row.status], language) if row.status in STATUSES else row.status,
                f"{(row.duration_ms or 0) / 1000:.1f} s",
                row.file_hash[:12] if row.file_hash else "-",
                row.source_path,
                what,
            ]
        )
    click.echo(
        say(
            TN_(
                "%(n)s import into '%(name)s', the most recent first.",
                "%(n)s imports into '%(name)s', the most recent first.",
            ),
            n=total,
            name=community.name,
        )
    )
    print_table(
        [
            T_("id"),
            translate(T_("started (%(zone)s)"), cli_language(), zone=community.timezone),
            T_("kind"),
            T_("status"),
            T_("took"),
            T_("file"),
            T_("path"),
            T_("result"),
        ],
        table,
    )
    echo_of_total(offset, len(rows), total, "imports")
