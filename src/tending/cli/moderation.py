"""`tending moderate` (the review queue) and `tending train` (the moderation models)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from tending.cli.context import (
    AppContext,
    community_option,
    echo_json,
    format_option,
    pass_app,
    say,
)
from tending.errors import BadInputError, UsageError, shown_value
from tending.texts import T_, TN_, Text, cli_language, translate

if TYPE_CHECKING:
    from tending.models import QueueItem

CLASSIFY_BATCH = 512


@click.group()
def moderate() -> None:
    """Moderation triage: spam, self-promotion, reposts, insults, heated threads, off-topic drift.

    \b
    Example:
      tending moderate scan --since 2026-03-01
      tending moderate queue
      tending moderate act 12 nudge
      echo '{"id": 1, "text": "check out my channel!!"}' | tending moderate classify
    """


@moderate.command("scan")
@click.option(
    "--since", metavar="ISO", help="Only activities from this instant on (a date or date-time)."
)
@click.option(
    "--media-root",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder that relative attachment paths of the export are relative to (for image reposts).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Processes that analyse the texts (default: one per core from 20,000 contributions on).",
)
@community_option
@format_option("table", "json")
@pass_app
def scan_command(
    app: AppContext,
    since: str | None,
    media_root: Path | None,
    workers: int | None,
    community_name: str | None,
    output_format: str,
) -> None:
    """Scan contributions and fill the review queue (rescanning adds nothing twice).

    Example: tending moderate scan --since 2026-03-01 --community "Chats diabétiques"
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from tending.actions.moderation import do_scan_community
    from tending.actions.review import count_scannable
    from tending.timeutil import get_zone, parse_instant, utcnow

    with app.engine.begin() as conn:
        community = app.community(conn, community_name)
        start = (
            parse_instant(since, default_tz=get_zone(community.timezone), field="--since")
            if since
            else None
        )
        total = count_scannable(conn, community.id, since=start)
        columns = (TextColumn("scanning"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(
            *columns, transient=True, console=_stderr_console(), disable=output_format == "json"
        ) as bar:
            task = bar.add_task("scan", total=total)
            summary = do_scan_community(
                conn,
                community,
                now=utcnow(),
                since=start,
                media_root=media_root,
                actor="cli",
                progress=lambda n: bar.advance(task, n),
                workers=workers,
            )
    if output_format == "json":
        echo_json(summary.as_dict())
        return
    found = (
        ", ".join(f"{n} {signal}" for signal, n in sorted(summary.new_items.items()))
        or "nothing new"
    )
    click.echo(
        f"Scanned {summary.scanned} contributions ({summary.skipped_staff_or_bots} by staff or bots skipped): "
        f"{found}."
    )
    if summary.images_missing:
        click.echo(
            f"{summary.images_missing} attached images could not be read (see --media-root)."
        )


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


# -- the queue: listing, decisions, claims, reopening, appeals, the log ----------------------------------

WHERE_NAMES = (
    "status",
    "signal",
    "channel",
    "language",
    "min-score",
    "max-score",
    "member",
    "older-than",
    "newer-than",
    "account-younger-than",
    "claimed-by",
)
MULTIPLE = ("signal", "channel", "language", "member")


def _filter_options(command: Any) -> Any:
    """The listing's filters; `act` and the exports take the same names after --where."""
    options = [
        click.option(
            "--status",
            type=click.Choice(["open", "done", "all"]),
            default="open",
            show_default=True,
            help="Which items.",
        ),
        click.option(
            "--signal", "signals", multiple=True, help="Only this signal, e.g. spam (repeatable)."
        ),
        click.option(
            "--channel", "channels", multiple=True, help="Only this channel's items (repeatable)."
        ),
        click.option(
            "--language",
            "languages",
            multiple=True,
            help="Only items in this language, e.g. fr (repeatable).",
        ),
        click.option("--min-score", type=float, help="Only scores at least this (0 to 1)."),
        click.option("--max-score", type=float, help="Only scores at most this (0 to 1)."),
        click.option(
            "--member",
            "members",
            multiple=True,
            help="Only this member's items: platform id, PLATFORM:ID or #N (repeatable).",
        ),
        click.option(
            "--older-than", metavar="AGE", help="Items older than this: 30m, 12h, 2d, 1w."
        ),
        click.option(
            "--newer-than", metavar="AGE", help="Items newer than this: 30m, 12h, 2d, 1w."
        ),
        click.option(
            "--account-younger-than",
            metavar="AGE",
            help="Items whose author's account was younger than this when they posted (e.g. 2d).",
        ),
        click.option(
            "--claimed-by",
            metavar="WHO",
            help="Only items this moderator holds ('nobody': the unclaimed ones).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _build_filter(conn: Any, community: Any, now: Any, values: dict[str, Any]) -> Any:
    from tending.actions.moderation_queue import build_filter

    claimed = values.get("claimed_by")
    return build_filter(
        conn,
        community,
        now=now,
        status=values.get("status") or "open",
        signals=tuple(values.get("signals") or ()),
        channels=tuple(values.get("channels") or ()),
        languages=tuple(values.get("languages") or ()),
        min_score=values.get("min_score"),
        max_score=values.get("max_score"),
        members=tuple(values.get("members") or ()),
        older_than=values.get("older_than"),
        newer_than=values.get("newer_than"),
        account_younger_than=values.get("account_younger_than"),
        claimed_by="" if claimed == "nobody" else claimed,
    )


def _parse_where(pairs: tuple[str, ...]) -> dict[str, Any]:
    """--where NAME=VALUE pairs, NAME one of the listing's filters, into the filter's values."""
    values: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip().removeprefix("--")
        if not sep or name not in WHERE_NAMES:
            raise UsageError(
                f"--where: write NAME=VALUE with NAME one of {', '.join(WHERE_NAMES)}."
            )
        key = {"signal": "signals", "channel": "channels", "language": "languages"}.get(name)
        key = key or ("members" if name == "member" else name.replace("-", "_"))
        if name in MULTIPLE:
            values.setdefault(key, []).append(value.strip())
        elif name in ("min-score", "max-score"):
            try:
                values[key] = float(value)
            except ValueError:
                raise UsageError(f"--where: {name} is a number from 0 to 1.") from None
        else:
            values[key] = value.strip()
    return values


QUEUE_COLUMNS = (
    "id",
    "signal",
    "score",
    "status",
    "date",
    "author",
    "member_id",
    "state",
    "held_by",
    "evidence",
)
# the table's headers (the CSV keeps QUEUE_COLUMNS, in English, for the programs that read it)
QUEUE_HEADERS = (
    T_("id"),
    T_("signal"),
    T_("score"),
    T_("date"),
    T_("author"),
    T_("state"),
    T_("evidence"),
)


def _queue_row(item: QueueItem, zone: Any) -> dict[str, Any]:
    from tending.actions.moderation_queue import short_evidence

    state = item["action"] if item["status"] == "done" else f"suggest {item['suggested_action']}"
    return {
        "id": item["id"],
        "signal": item["signal"],
        "score": f"{item['score']:.2f}",
        "status": item["status"],
        "date": item["occurred_at"].astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        "author": item["author"] or "",
        "member_id": item["member_id"] or "",
        "state": state,
        "held_by": item["held_by"] or "",
        "evidence": short_evidence(item),
    }


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@moderate.command("queue")
@_filter_options
@click.option(
    "--sort",
    type=click.Choice(["newest", "oldest", "score"]),
    default="newest",
    show_default=True,
    help="Order of the items.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1, max=10_000),
    default=100,
    show_default=True,
    help="At most this many items.",
)
@click.option(
    "--offset", type=click.IntRange(min=0), default=0, show_default=True, help="Skip this many."
)
@community_option
@format_option("table", "json", "csv")
@pass_app
def queue_command(
    app: AppContext,
    sort: str,
    limit: int,
    offset: int,
    community_name: str | None,
    output_format: str,
    **filters: Any,
) -> None:
    """List the review queue, newest first: date (local time), author, signal, score, the suggested
    action or the decision, who holds the item, and the evidence's start.

    \b
    Example:
      tending moderate queue --signal spam --account-younger-than 2d
      tending moderate queue --status all --format csv --limit 1000 > queue.csv
    """
    from tending.actions.moderation_queue import get_queue_listing
    from tending.timeutil import get_zone, isoformat_utc, utcnow

    now = utcnow()
    with app.engine.connect() as conn:
        community = app.community(conn, community_name)
        where = _build_filter(conn, community, now, filters)
        listing = get_queue_listing(
            conn, community, where, now=now, sort=sort, limit=limit, offset=offset
        )
    zone = get_zone(community.timezone)
    more = _more_sentence(listing.total, offset, listing.shown)
    if output_format == "json":
        echo_json(
            [
                {
                    **{k: v for k, v in item.items() if k != "community_id"},
                    "occurred_at": isoformat_utc(item["occurred_at"]),
                    "created_at": isoformat_utc(item["created_at"]),
                    "acted_at": isoformat_utc(item["acted_at"]),
                    "claimed_until": isoformat_utc(item["claimed_until"]),
                }
                for item in listing.items
            ]
        )
        if more:
            click.echo(more, err=True)
        return
    rows = [_queue_row(item, zone) for item in listing.items]
    if output_format == "csv":
        _write_csv(rows, QUEUE_COLUMNS)
        if more:
            click.echo(more, err=True)
        return
    if not rows:
        click.echo(
            say(T_("The queue is empty."))
            if filters.get("status") == "open" and listing.total == 0 and not offset
            else say(T_("No item."))
        )
        return
    heads = [translate(h, cli_language()).upper() for h in QUEUE_HEADERS]
    click.echo(
        f"{heads[0]:>6}  {heads[1]:<16} {heads[2]:<5} {heads[3]:<17} {heads[4]:<18} {heads[5]:<15} "
        f"{heads[6]}"
    )
    for row in rows:
        held = " " + say(T_("[held by %(who)s]"), who=row["held_by"]) if row["held_by"] else ""
        click.echo(
            f"{row['id']:>6}  {row['signal']:<16} {row['score']:<5} {row['date']:<17} "
            f"{_fit(row['author'], 18):<18} {row['state']:<15} {row['evidence']}{held}"
        )
    counted = more or say(TN_("%(n)s item.", "%(n)s items."), n=listing.total)
    click.echo(counted + " " + say(T_("Dates in %(zone)s time."), zone=community.timezone))


def _more_sentence(total: int, offset: int, shown: int) -> str | None:
    """Said whenever the listing shows fewer items than match."""
    if shown >= total and offset == 0:
        return None
    if shown == 0:
        return say(
            TN_(
                "No item past --offset %(offset)s: %(n)s matches.",
                "No item past --offset %(offset)s: %(n)s match.",
            ),
            offset=str(offset),
            n=total,
        )
    following = (
        say(T_("; the next with --offset %(offset)s"), offset=str(offset + shown))
        if offset + shown < total
        else ""
    )
    said = say(
        TN_(
            "Showing %(first)s-%(last)s of %(n)s item", "Showing %(first)s-%(last)s of %(n)s items"
        ),
        first=offset + 1,
        last=offset + shown,
        n=total,
    )
    return f"{said}{following}."


def _write_csv(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    from tending.lib.csvsafe import SafeDictWriter

    writer = SafeDictWriter(sys.stdout, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: row.get(k, "") for k in columns})


def _item_ids(values: tuple[str, ...]) -> list[int]:
    ids = []
    for value in values:
        if not value.strip().isdigit():
            raise UsageError(f"ITEM_ID: {shown_value(value)} is not an item id (a number).")
        ids.append(int(value))
    return ids


@moderate.command("act")
@click.argument("ids_and_action", nargs=-1, required=True, metavar="ID [ID...] ACTION")
@click.option(
    "--where",
    "where",
    multiple=True,
    metavar="NAME=VALUE",
    help="Act on the items the listing's filter NAME shows (repeatable), e.g. signal=spam, "
    "account-younger-than=2d; with IDs, both are acted on.",
)
@click.option("--note", help="A note for the other moderators, kept with the items.")
@click.option(
    "--by",
    "--as",
    "actor",
    default="cli",
    show_default=True,
    help="Who decides (recorded in the audit log; their claims are theirs to act on).",
)
@click.option("--dry-run", is_flag=True, help="Show what would be done, and change nothing.")
@community_option
@format_option("table", "json")
@pass_app
def act_command(
    app: AppContext,
    ids_and_action: tuple[str, ...],
    where: tuple[str, ...],
    note: str | None,
    actor: str,
    dry_run: bool,
    community_name: str | None,
    output_format: str,
) -> None:
    """Decide on queue items: leave, nudge (public reply), note (private), warn, or remove.

    Many items at once are decided in one transaction, one audit row each; if any cannot be (unknown,
    closed, held by another moderator), none is. tending records the decision and drafts the reply;
    acting on the platform stays yours.

    \b
    Example:
      tending moderate act 12 nudge --by chloe
      tending moderate act 12 13 14 remove --by chloe@example.org
      tending moderate act remove --where signal=spam --where account-younger-than=2d --dry-run
    """
    from tending.actions.moderation_queue import check_action, do_act_on_items, get_bulk_preview
    from tending.timeutil import utcnow

    *raw_ids, action = ids_and_action
    check_action(action)
    ids = _item_ids(tuple(raw_ids))
    now = utcnow()
    with app.engine.begin() as conn:
        community = app.community(conn, community_name)
        selection = _build_filter(conn, community, now, _parse_where(where)) if where else None
        if dry_run:
            preview = get_bulk_preview(
                conn, community, ids, action, holder=actor, now=now, where=selection
            )
            _print_preview(preview, output_format)
            return
        results = do_act_on_items(
            conn,
            community,
            ids,
            action,
            actor=actor,
            holder=actor,
            now=now,
            where=selection,
            note=note,
        )
    if output_format == "json":
        echo_json(
            results[0].__dict__
            if len(results) == 1 and not where
            else [r.__dict__ for r in results]
        )
        return
    if len(results) == 1 and not where:
        result = results[0]
        click.echo(
            say(T_("Item %(id)s: %(action)s recorded."), id=str(result.item_id), action=action)
        )
    else:
        click.echo(
            say(
                TN_(
                    "%(n)s item: %(action)s recorded (one audit row each).",
                    "%(n)s items: %(action)s recorded (one audit row each).",
                ),
                n=len(results),
                action=action,
            )
        )
    if action == "remove":
        click.echo(
            say(T_("Remove the messages on the platform yourself; tending only keeps the record."))
        )
    for result in results:
        if result.not_contacted:
            click.echo(
                f"Item {result.item_id}: the member asked not to be contacted; no private message drafted."
            )
        if result.reply and len(results) == 1:
            click.echo(f"Suggested reply:\n{result.reply}")


def _print_preview(preview: Any, output_format: str) -> None:
    if output_format == "json":
        echo_json({**preview.__dict__, "dry_run": True})
        return
    signals = ", ".join(f"{n} {signal}" for signal, n in preview.by_signal.items())
    click.echo(
        f"Would record {preview.action} on {len(preview.item_ids)} items ({signals}) about "
        f"{preview.members} members: {preview.replies} replies drafted, {preview.counted} findings "
        "counted against their members. Nothing was changed (--dry-run)."
    )
    click.echo("Items: " + " ".join(str(i) for i in preview.item_ids))


@moderate.command("claim")
@click.argument("item_ids", type=int, nargs=-1, required=True)
@click.option("--as", "holder", required=True, metavar="EMAIL", help="Who claims the items.")
@click.option(
    "--minutes",
    type=click.IntRange(1, 7 * 24 * 60),
    help="How long the claim holds (default 30 minutes).",
)
@community_option
@pass_app
def claim_command(
    app: AppContext,
    item_ids: tuple[int, ...],
    holder: str,
    minutes: int | None,
    community_name: str | None,
) -> None:
    """Claim items: the other moderators see who holds them, and none of them can decide on them until
    the claim ends or is handed back.

    Example: tending moderate claim 12 13 --as chloe@example.org
    """

    _claim(
        app,
        list(item_ids),
        holder=holder,
        actor=holder,
        minutes=minutes,
        community_name=community_name,
    )


@moderate.command("assign")
@click.argument("item_ids", type=int, nargs=-1, required=True)
@click.option("--to", "holder", required=True, metavar="EMAIL", help="Who the items go to.")
@click.option("--as", "actor", required=True, metavar="EMAIL", help="Who assigns them.")
@click.option(
    "--minutes",
    type=click.IntRange(1, 7 * 24 * 60),
    help="How long the assignment holds (default a day).",
)
@community_option
@pass_app
def assign_command(
    app: AppContext,
    item_ids: tuple[int, ...],
    holder: str,
    actor: str,
    minutes: int | None,
    community_name: str | None,
) -> None:
    """Assign items to a moderator: their claim, made by you.

    Example: tending moderate assign 12 --to bruno@example.org --as chloe@example.org
    """
    _claim(
        app,
        list(item_ids),
        holder=holder,
        actor=actor,
        minutes=minutes,
        community_name=community_name,
    )


def _claim(
    app: AppContext,
    item_ids: list[int],
    *,
    holder: str,
    actor: str,
    minutes: int | None,
    community_name: str | None,
) -> None:
    from tending.actions.moderation_queue import do_claim_items
    from tending.timeutil import get_zone, utcnow

    with app.engine.begin() as conn:
        community = app.community(conn, community_name)
        result = do_claim_items(
            conn, community, item_ids, holder=holder, actor=actor, now=utcnow(), minutes=minutes
        )
    assert result.until is not None
    until = result.until.astimezone(get_zone(community.timezone))
    click.echo(
        say(
            TN_(
                "%(n)s item held by %(who)s until %(until)s (%(zone)s).",
                "%(n)s items held by %(who)s until %(until)s (%(zone)s).",
            ),
            n=len(result.item_ids),
            who=holder,
            until=f"{until:%Y-%m-%d %H:%M}",
            zone=community.timezone,
        )
    )


@moderate.command("release")
@click.argument("item_ids", type=int, nargs=-1, required=True)
@click.option("--as", "holder", required=True, metavar="EMAIL", help="Who hands the items back.")
@community_option
@pass_app
def release_command(
    app: AppContext, item_ids: tuple[int, ...], holder: str, community_name: str | None
) -> None:
    """Hand claimed items back to the queue.

    Example: tending moderate release 12 --as chloe@example.org
    """
    from tending.actions.moderation_queue import do_release_items
    from tending.timeutil import utcnow

    with app.engine.begin() as conn:
        community = app.community(conn, community_name)
        result = do_release_items(
            conn, community, list(item_ids), holder=holder, actor=holder, now=utcnow()
        )
    click.echo(
        say(TN_("%(n)s item handed back.", "%(n)s items handed back."), n=len(result.item_ids))
    )


@moderate.command("reopen")
@click.argument("item_id", type=int)
@click.option("--by", "--as", "actor", default="cli", show_default=True, help="Who reopens it.")
@click.option("--reason", help="Why, for the log (kept short).")
@community_option
@pass_app
def reopen_command(
    app: AppContext, item_id: int, actor: str, reason: str | None, community_name: str | None
) -> None:
    """Undo a decision: the item is open again and no longer counts against the member; the undone
    decision stays in the log.

    Example: tending moderate reopen 12 --by chloe@example.org
    """
    from tending.actions.moderation_queue import do_reopen_item
    from tending.timeutil import utcnow

    with app.engine.begin() as conn:
        community = app.community(conn, community_name)
        result = do_reopen_item(conn, community, item_id, actor=actor, now=utcnow(), reason=reason)
    click.echo(f"Item {item_id} is open again (its {result.previous_action} was undone).")


@moderate.command("appeal")
@click.argument("item_id", type=int)
@click.option("--statement", help="What the member says (kept with the appeal, for the team).")
@click.option("--by", "--as", "actor", default="cli", show_default=True, help="Who records it.")
@community_option
@pass_app
def appeal_command(
    app: AppContext, item_id: int, statement: str | None, actor: str, community_name: str | None
) -> None:
    """A member disputes a decision: the item reopens with its history and the original reply; the
    next decision on it records the outcome (upheld, changed or overturned).

    Example: tending moderate appeal 12 --statement "It was a joke between friends"
    """
    from tending.actions.moderation_queue import do_open_appeal
    from tending.timeutil import utcnow

    with app.engine.begin() as conn:
        community = app.community(conn, community_name)
        result = do_open_appeal(
            conn, community, item_id, actor=actor, now=utcnow(), statement=statement
        )
    click.echo(
        f"Appeal {result.appeal_id} opened: item {item_id} is open again (it was {result.previous_action}); "
        "decide it again to record the outcome."
    )
    if result.original_reply:
        click.echo(f"The reply it drafted then:\n{result.original_reply}")


LOG_COLUMNS = ("at", "actor", "action", "item_id", "member_id", "details")
LOG_HEADERS = (T_("WHEN"), T_("WHO"), T_("WHAT"), T_("ITEM"), T_("DETAILS"))  # the table's, shown


@moderate.command("log")
@click.option("--actor", help="Only this moderator's events.")
@click.option(
    "--action", "actions", multiple=True, help="Only this event, e.g. remove, claimed (repeatable)."
)
@click.option("--item", "item_id", type=int, help="Only this item's events.")
@click.option("--member", "member", help="Only this member's: platform id, PLATFORM:ID or #N.")
@click.option("--since", metavar="ISO", help="From this instant (a date or date-time).")
@click.option("--until", metavar="ISO", help="Before this instant.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=100, show_default=True)
@click.option("--offset", type=click.IntRange(min=0), default=0, show_default=True)
@community_option
@format_option("table", "json", "csv")
@pass_app
def log_command(
    app: AppContext,
    actor: str | None,
    actions: tuple[str, ...],
    item_id: int | None,
    member: str | None,
    since: str | None,
    until: str | None,
    limit: int,
    offset: int,
    community_name: str | None,
    output_format: str,
) -> None:
    """The moderation log: who did what, when, to which item, newest first.

    Example: tending moderate log --actor chloe@example.org --since 2026-03-01 --format csv
    """
    from tending.actions.moderation_queue import build_filter, get_moderation_log
    from tending.timeutil import get_zone, isoformat_utc, parse_instant, utcnow

    with app.engine.connect() as conn:
        community = app.community(conn, community_name)
        zone = get_zone(community.timezone)
        member_ids = (
            build_filter(conn, community, now=utcnow(), members=(member,)).member_ids
            if member
            else ()
        )
        page = get_moderation_log(
            conn,
            community,
            actor=actor,
            actions=actions,
            item_id=item_id,
            member_id=member_ids[0] if member_ids else None,
            since=parse_instant(since, default_tz=zone, field="--since") if since else None,
            until=parse_instant(until, default_tz=zone, field="--until") if until else None,
            limit=limit,
            offset=offset,
        )
    rows = [
        {
            "at": isoformat_utc(e.at)
            if output_format == "json"
            else f"{e.at.astimezone(zone):%Y-%m-%d %H:%M}",
            "actor": e.actor,
            "action": e.action,
            "item_id": e.item_id,
            "member_id": e.member_id,
            "details": e.details
            if output_format == "json"
            else json.dumps(
                {k: v for k, v in e.details.items() if k != "item_id"}, ensure_ascii=False
            ),
        }
        for e in page.entries
    ]
    more = _more_sentence(page.total, offset, len(rows))
    if output_format == "json":
        echo_json(rows)
    elif output_format == "csv":
        _write_csv(rows, LOG_COLUMNS)
    else:
        when, who, what, item, details = (say(header) for header in LOG_HEADERS)
        item_width = max(6, len(item))  # "ÉLÉMENT" is longer than the English "ITEM"
        if not rows:
            click.echo(say(T_("No moderation event.")))
        else:
            click.echo(f"{when:<17} {who:<24} {what:<15} {item:<{item_width}} {details}")
        for row in rows:
            click.echo(
                f"{row['at']:<17} {_fit(str(row['actor']), 24):<24} {row['action']:<15} "
                f"{row['item_id'] or '':<{item_width}} {_fit(str(row['details']), 60)}"
            )
    if output_format == "table":
        counted = more or say(TN_("%(n)s event.", "%(n)s events."), n=page.total)
        click.echo(counted + " " + say(T_("Times in %(zone)s."), zone=community.timezone))
    elif more:
        click.echo(more, err=True)


@moderate.command("case")
@click.argument("member")
@click.option("--limit", type=click.IntRange(1, 10_000), default=200, show_default=True)
@community_option
@format_option("table", "json")
@pass_app
def case_command(
    app: AppContext, member: str, limit: int, community_name: str | None, output_format: str
) -> None:
    """A member's case file across platforms: every finding, decision, warning, note, reopening,
    appeal, message and check-in, newest first.

    Example: tending moderate case '#42'
    """
    from tending.actions.moderation_queue import get_case_file, get_case_member
    from tending.timeutil import get_zone, isoformat_utc

    with app.engine.connect() as conn:
        community = app.community(conn, community_name)
        case = get_case_file(conn, community, get_case_member(conn, community, member), limit=limit)
    zone = get_zone(community.timezone)
    if output_format == "json":
        echo_json(
            {
                "member_id": case.member_id,
                "open_items": case.open_items,
                "offender": case.offender,
                "total": case.total,
                "entries": [
                    {
                        "at": isoformat_utc(e.at),
                        "kind": e.kind,
                        "actor": e.actor,
                        "item_id": e.item_id,
                        "summary": e.summary,
                    }
                    for e in case.entries
                ],
            }
        )
        return
    counts = case.offender
    click.echo(
        say(
            T_("Member #%(member)s: %(open)s; %(findings)s (%(warnings)s, %(removals)s)."),
            member=str(case.member_id),
            open=Text(TN_("%(n)s open item", "%(n)s open items"), n=case.open_items),
            findings=Text(
                TN_("%(n)s confirmed finding", "%(n)s confirmed findings"), n=counts.get("flags", 0)
            ),
            warnings=Text(TN_("%(n)s warning", "%(n)s warnings"), n=counts.get("warnings", 0)),
            removals=Text(TN_("%(n)s removal", "%(n)s removals"), n=counts.get("removals", 0)),
        )
    )
    for e in case.entries:
        item = f"item {e.item_id}" if e.item_id else ""
        click.echo(
            f"{e.at.astimezone(zone):%Y-%m-%d %H:%M}  {e.summary:<50} {item:<12} {e.actor or ''}"
        )
    if len(case.entries) < case.total:
        click.echo(
            say(
                TN_(
                    "Showing the latest %(shown)s of %(n)s entry (--limit).",
                    "Showing the latest %(shown)s of %(n)s entries (--limit).",
                ),
                shown=len(case.entries),
                n=case.total,
            )
        )


@moderate.command("classify")
def classify_command() -> None:
    """Score JSON lines from stdin: {"id", "text", optional "author", "thread", "lang"}.

    Writes one JSON line per input: {"id", "scores": {"spam", "toxic", "self_promotion", "insult", "hate",
    "threat", "profanity"}, "labels", "lang"}. A message the models cannot read (empty, only emoji or a
    link, another language) gets scores of 0 and its "lang" ("und" when there is nothing to read).

    Example: echo '{"id": 1, "text": "Abonnez-vous à ma chaîne !"}' | tending moderate classify
    """
    from tending.actions.review import shipped_classifier

    classifier = shipped_classifier()
    out = sys.stdout
    for batch, error in _batches(sys.stdin):
        if batch:
            ids, texts, langs = zip(*batch, strict=True)
            for result in classifier.classify(ids, texts, langs):
                out.write(json.dumps(result.as_json(), ensure_ascii=False) + "\n")
            out.flush()
        if error is not None:
            raise error


def _batches(
    stream: TextIO,
) -> Iterator[tuple[list[tuple[Any, str, str | None]], BadInputError | None]]:
    """Parsed lines in batches; a bad line ends the stream with the batch before it and the error."""
    batch: list[tuple[Any, str, str | None]] = []
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            parsed = _parse_line(line, number)
        except BadInputError as error:
            yield batch, error
            return
        batch.append(parsed)
        if len(batch) >= CLASSIFY_BATCH:
            yield batch, None
            batch = []
    yield batch, None


def _parse_line(line: str, number: int) -> tuple[Any, str, str | None]:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as error:
        raise BadInputError(f"not valid JSON ({error.msg})", path="stdin", line=number) from None
    if not isinstance(value, dict):
        raise BadInputError("expected a JSON object", path="stdin", line=number)
    if "id" not in value:
        raise BadInputError("missing", path="stdin", line=number, field="id")
    text = value.get("text")
    if not isinstance(text, str):
        raise BadInputError("missing or not a string", path="stdin", line=number, field="text")
    lang = value.get("lang")
    return value["id"], text, lang if isinstance(lang, str) else None


@click.command()
@click.option(
    "--data",
    "data_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of labelled data laid out like shared/data (spam/, toxicity/, sentiment/).",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write the models (*.npz and manifest.json).",
)
@click.option(
    "--model",
    "names",
    multiple=True,
    type=click.Choice(
        ["spam", "self_promotion", "toxic_fr", "toxic_en", "sentiment_fr", "sentiment_en"]
    ),
    help="Retrain only this model (repeatable); the others' files and manifest entries are kept.",
)
def train(data_dir: Path, out_dir: Path, names: tuple[str, ...]) -> None:
    """Train the spam, self-promotion, toxicity (fr, en) and sentiment (fr, en) models from labelled data.

    The sentiment models go to the folder sentiment/ inside --out, with their own manifest.

    \b
    Example (reproduces the shipped models):
      tending train --data ../shared/data --out src/tending/moderation/models
    Only the spam model:
      tending train --data ../shared/data --out src/tending/moderation/models --model spam
    """
    from tending.actions.review import (
        MODEL_NAMES,
        SENTIMENT_NAMES,
        train_all,
        train_sentiment_models,
    )

    if not data_dir.is_dir():
        raise click.UsageError(f"--data: {data_dir} is not a folder.")
    chosen = names or (*MODEL_NAMES, *SENTIMENT_NAMES)
    progress = lambda message: click.echo(message, err=True)  # noqa: E731
    moderation = [name for name in chosen if name not in SENTIMENT_NAMES]
    report = train_all(data_dir, out_dir, names=moderation, progress=progress) if moderation else {}
    for name, entry in report.items():
        metrics = entry["out_of_fold"]
        click.echo(
            f"{name:15} threshold {entry['threshold']:.3f}  precision {metrics['precision']:.3f}  "
            f"recall {metrics['recall']:.3f}  ROC-AUC {metrics['roc_auc']:.3f}  ({entry['examples']} examples)"
        )
    moods = [name for name in chosen if name in SENTIMENT_NAMES]
    for name, entry in (
        train_sentiment_models(data_dir, out_dir / "sentiment", names=moods, progress=progress)
        if moods
        else {}
    ).items():
        metrics = entry["out_of_fold"]
        click.echo(
            f"{name:15} confident negative at {entry['threshold']:.3f}  out-of-fold macro-F1 "
            f"{metrics['macro_f1']:.3f}  ({entry['examples']} examples)"
        )
    click.echo(f"Models written to {out_dir}.")


def _register() -> None:
    """The rules and backtest commands live in their own module (tending.cli.moderation_rules)."""
    from tending.cli.moderation_rules import backtest_command, notices_command, rules_command

    moderate.add_command(rules_command)
    moderate.add_command(backtest_command)
    moderate.add_command(notices_command)


_register()
