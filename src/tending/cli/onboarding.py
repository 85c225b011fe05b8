"""`tending onboarding`, `tending outbox`, `tending run` and `tending worker`: thin shells over
actions/onboarding.py, actions/outbox.py, playbooks/ and delivery/."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tending.cli.context import (
    AppContext,
    community_option,
    echo_json,
    format_option,
    pass_app,
    say,
)
from tending.config import data_home
from tending.errors import UsageError
from tending.models import Community
from tending.texts import T_, TN_, Text, cli_language, translate
from tending.timeutil import get_zone, isoformat_utc, parse_instant, utcnow

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from tending.actions.run import TickSummary

now_option = click.option(
    "--now",
    "now_text",
    metavar="ISO",
    help="Act as if it were this instant (default: now). A bare date is midnight in the "
    "community's time zone.",
)


def _now(text: str | None, community: Community | None = None, field: str = "--now") -> datetime:
    if text is None:
        return utcnow()
    zone = get_zone(community.timezone) if community else None
    return (
        parse_instant(text, default_tz=zone, field=field)
        if zone
        else parse_instant(text, field=field)
    )


def _external(conn: Connection, community: Community, member_ids: list[int]) -> dict[int, str]:
    from tending.actions.onboarding import get_external_ids

    return get_external_ids(conn, community.id, member_ids)


# -- onboarding ------------------------------------------------------------------------------------------


@click.group()
def onboarding() -> None:
    """Onboarding playbooks: welcomes, follow-ups and check-ins, drafted into the outbox.

    \b
    Example:
      tending onboarding enable                      # the built-in playbook, from now on
      tending onboarding plan --format json          # what running it now would draft
      tending run                                    # one tick: draft what is due, send what is approved
    """


@onboarding.command("enable")
@click.option(
    "--playbook",
    "playbook_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A playbook file (YAML). Default: the built-in playbook.",
)
@click.option(
    "--since",
    "since_text",
    metavar="ISO",
    help="Act only on what comes due from this instant "
    "(default: now), so imported history never triggers old welcomes.",
)
@community_option
@pass_app
def enable_command(
    app: AppContext, playbook_path: Path | None, since_text: str | None, community_name: str | None
) -> None:
    """Start a playbook in a community (replaces the one enabled before).

    Example: tending onboarding enable --playbook ./my-playbook.yaml --since 2026-03-01
    """
    from tending.actions.onboarding import default_playbook, do_enable_playbook, load_playbook

    playbook = load_playbook(playbook_path) if playbook_path else default_playbook()
    with app.engine.begin() as conn:
        community = app.community(conn, community_name)
        since = _now(since_text, community, "--since")
        do_enable_playbook(conn, community, playbook, since=since, actor="cli")
    click.echo(
        f"Enabled playbook '{playbook.name}' ({len(playbook.rules)} rules) in {community.name}, "
        f"acting on what comes due from {isoformat_utc(since)}."
    )


@onboarding.command("plan")
@now_option
@community_option
@format_option("table", "json")
@pass_app
def plan_command(
    app: AppContext, now_text: str | None, community_name: str | None, output_format: str
) -> None:
    """Show what running the playbook now would create, without writing anything.

    Example: tending onboarding plan --now 2026-03-08T18:00:00+01:00 --format json
    """
    from tending.actions.onboarding import get_plan

    with app.engine.connect() as conn:
        community = app.community(conn, community_name)
        _, plan = get_plan(conn, community, now=_now(now_text, community))
    items = plan.to_json()
    if output_format == "json":
        echo_json(items)
        return
    if not items:
        click.echo(say(T_("Nothing would be created.")))
    for item in items:
        what = item["channel"] or item["action"]
        note = f" (skipped: {item['reason']})" if item["status"] == "skip" else ""
        click.echo(
            f"{item['due_at']}  {item['rule']:<18} {what:<8} "
            + say(TN_("%(n)s member", "%(n)s members"), n=len(item["members"]))
            + note
        )


@onboarding.command("rules")
@click.option(
    "--playbook",
    "playbook_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Show this file's rules instead of the enabled playbook's.",
)
@click.option(
    "--registry", is_flag=True, help="List the available triggers, conditions and actions instead."
)
@community_option
@format_option("table", "json")
@pass_app
def rules_command(
    app: AppContext,
    playbook_path: Path | None,
    registry: bool,
    community_name: str | None,
    output_format: str,
) -> None:
    """List the rules of the enabled playbook (or of a file, or the built-in one).

    Example: tending onboarding rules --registry
    """
    from tending.actions.onboarding import (
        describe_rules,
        get_registry,
        get_rules_playbook,
        load_playbook,
    )

    if registry:
        entries = get_registry()
        if output_format == "json":
            echo_json(entries)
            return
        for kind, listed in entries.items():
            click.echo(f"{kind}:")
            for entry in listed:
                fields = ", ".join(f["name"] for f in entry["fields"])
                click.echo(
                    f"  {entry['name']:<22} {entry['doc']}" + (f" [{fields}]" if fields else "")
                )
        return
    if playbook_path:
        playbook = load_playbook(playbook_path)
    else:
        with app.engine.connect() as conn:
            playbook = get_rules_playbook(conn, app.community(conn, community_name))
    rows: list[dict[str, Any]] = [
        {
            "name": r.name,
            "trigger": r.trigger,
            "trigger_fields": r.trigger_params,
            "conditions": dict(r.conditions),
            "actions": [{a.name: a.params} for a in r.actions],
            "max_delay_days": r.max_delay.total_seconds() / 86400,
            "holdout": r.holdout,
        }
        for r in playbook.rules
    ]
    if output_format == "json":
        echo_json(rows)
        return
    # in plain words, in the reader's language: "every Sunday at 18:00, up to 100 people per post"
    language = cli_language()
    words = describe_rules(playbook, language)
    for row in rows:
        said = words[row["name"]]
        when = (
            translate(
                T_("%(trigger)s, if %(conditions)s"),
                language,
                trigger=said.trigger,
                conditions="; ".join(said.conditions),
            )
            if said.conditions
            else said.trigger
        )
        actions = ", ".join(next(iter(a)) for a in row["actions"])
        click.echo(f"{row['name']:<18} {when}  ->  {actions}")


@onboarding.command("report")
@now_option
@click.option(
    "--days", default=30, show_default=True, help="Contribution window after each message."
)
@community_option
@format_option("table", "json")
@pass_app
def report_command(
    app: AppContext, now_text: str | None, days: int, community_name: str | None, output_format: str
) -> None:
    """Compare contribution rates of messaged members and the holdout, per rule, with a 95% interval.

    Example: tending onboarding report --format json
    """
    from tending.actions.onboarding import get_holdout_report

    with app.engine.connect() as conn:
        community = app.community(conn, community_name)
        reports = get_holdout_report(conn, community, now=_now(now_text, community), days=days)
    if output_format == "json":
        echo_json([r.as_dict() for r in reports])
        return
    if not reports:
        click.echo(
            "No rule has a holdout: add `holdout: 0.1` to a rule to measure whether its message helps."
        )
    for report in reports:
        data: dict[str, Any] = report.as_dict()
        click.echo(f"{report.rule}: contributed within {days} days")
        for label, key in (("messaged", "messaged"), ("holdout ", "holdout_group")):
            group: Any = data[key]
            rate = "-" if group["rate"] is None else f"{group['rate']:.1%}"
            click.echo(f"  {label}  {group['contributed']}/{group['members']}  {rate}")
        if data["difference"] is None:
            click.echo("  difference: not enough members yet")
        else:
            low, high = data["difference_interval"]
            click.echo(
                f"  difference: {data['difference']:+.1%} (95% interval {low:+.1%} to {high:+.1%})"
            )


# -- outbox -----------------------------------------------------------------------------------------------


@click.group()
def outbox() -> None:
    """The messages tending will send, is sending, or sent: review, approve, edit, skip, send.

    \b
    Example:
      tending outbox list --status drafted
      tending outbox approve 12 13
      tending outbox send 12
    """


def _message_json(message: Any, external: dict[int, str], *, full: bool = False) -> dict[str, Any]:
    data = {
        "id": message.id,
        "rule": message.rule,
        "channel": message.channel,
        "members": [external.get(m, str(m)) for m in message.member_ids],
        "due_at": isoformat_utc(message.due_at),
        "status": message.status,
        "subject": message.subject,
        "language": message.language,
        "attempts": message.attempts,
        "needs_check": message.needs_check,
        "last_error": message.last_error,
        "skip_reason": message.skip_reason,
        "sent_at": isoformat_utc(message.sent_at),
        "key": message.key,
    }
    if full:
        data.update(
            {
                "body": message.body,
                "external_ref": message.external_ref,
                "next_attempt_at": isoformat_utc(message.next_attempt_at),
            }
        )
    return data


@outbox.command("list")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(["drafted", "approved", "sending", "sent", "failed", "skipped"]),
    help="Only these states (repeatable).",
)
@click.option("--rule", "rules", multiple=True, help="Only this rule's messages (repeatable).")
@click.option(
    "--channel",
    "channels",
    multiple=True,
    type=click.Choice(["private", "email", "post", "staff"]),
    help="Only this channel (repeatable).",
)
@click.option("--language", "languages", multiple=True, help="Only this language, e.g. fr.")
@click.option(
    "--member", "members", multiple=True, help="Only messages to this member: platform id or #N."
)
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 100_000))
@click.option(
    "--offset", default=0, show_default=True, type=click.IntRange(min=0), help="Skip the latest N."
)
@community_option
@format_option("table", "json", "csv")
@pass_app
def list_command(
    app: AppContext,
    statuses: tuple[str, ...],
    rules: tuple[str, ...],
    channels: tuple[str, ...],
    languages: tuple[str, ...],
    members: tuple[str, ...],
    limit: int,
    offset: int,
    community_name: str | None,
    output_format: str,
) -> None:
    """List outbox messages: the latest due --limit, shown oldest due first, and how many match.

    --format csv writes the texts too (one row per message, members separated by spaces), like the
    outbox page's export.

    \b
    Example:
      tending outbox list --status drafted --rule welcome --format json
      tending outbox list --status drafted --format csv --limit 10000 > drafts.csv
    """
    from tending.actions.outbox_queue import (
        OUTBOX_EXPORT_COLUMNS,
        build_outbox_filter,
        get_export_rows,
        get_outbox_listing,
    )

    with app.engine.connect() as conn:
        community = app.community(conn, community_name)
        where = build_outbox_filter(
            conn,
            community,
            now=utcnow(),
            statuses=statuses,
            rules=rules,
            channels=channels,
            languages=languages,
            members=members,
        )
        listing = get_outbox_listing(conn, community, where, limit=limit, offset=offset)
        messages = sorted(listing.messages, key=lambda m: (m.due_at, m.id))
        external = _external(conn, community, [m for msg in messages for m in msg.member_ids])
        exported = get_export_rows(conn, community, messages) if output_format == "csv" else []
    rows = [_message_json(m, external) for m in messages]
    shown = len(rows)
    more = (
        say(
            TN_(
                "Showing %(shown)s of %(n)s message (the latest due, from --offset %(offset)s).",
                "Showing %(shown)s of %(n)s messages (the latest due, from --offset %(offset)s).",
            ),
            shown=shown,
            n=listing.total,
            offset=str(offset),
        )
        if shown < listing.total
        else None
    )
    if output_format == "csv":
        _write_csv(exported, OUTBOX_EXPORT_COLUMNS)
        if more:
            click.echo(more, err=True)
        return
    if output_format == "json":
        echo_json(rows)
        if more:
            click.echo(more, err=True)
        return
    if not rows:
        click.echo(
            say(
                T_("The outbox is empty.") if not listing.total else T_("No message past --offset.")
            )
        )
    else:
        _echo_outbox_header()
    for row in rows:
        flag = "  " + say(T_("CHECK")) if row["needs_check"] else ""
        status = _shown_status(row["status"])
        click.echo(
            f"{row['id']:>5}  {row['due_at']}  {status:<{_status_width()}} {row['rule']:<18} "
            f"{row['channel']:<8} "
            + say(TN_("%(n)s member", "%(n)s members"), n=len(row["members"]))
            + flag
        )
    if more:
        click.echo(more)


def _write_csv(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    from tending.lib.csvsafe import SafeDictWriter

    writer = SafeDictWriter(sys.stdout, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {k: " ".join(row[k]) if isinstance(row[k], list) else row[k] for k in columns}
        )


OUTBOX_HEADERS = (T_("id"), T_("due (UTC)"), T_("status"), T_("rule"), T_("channel"), T_("members"))


# a message's status as the table shows it; JSON and CSV keep the stored English value. The msgids say
# what they are, for "drafted" is already a check-in's column (feminine in French) and the catalogue has no
# context: English shows the stored value itself.
OUTBOX_STATUSES = {
    "drafted": T_("drafted (an outbox message's status)"),
    "approved": T_("approved (an outbox message's status)"),
    "sending": T_("sending (an outbox message's status)"),
    "sent": T_("sent (an outbox message's status)"),
    "failed": T_("failed (an outbox message's status)"),
    "skipped": T_("skipped (an outbox message's status)"),
}


def _shown_status(status: str) -> str:
    language = cli_language()
    if language == "en" or status not in OUTBOX_STATUSES:
        return status
    return translate(OUTBOX_STATUSES[status], language)


def _status_width() -> int:
    return max(8, *(len(_shown_status(status)) for status in OUTBOX_STATUSES))


def _echo_outbox_header() -> None:
    """The headers over `tending outbox list`'s rows, in the CLI's language, at the rows' widths."""
    h = [translate(header, cli_language()) for header in OUTBOX_HEADERS]
    click.echo(f"{h[0]:>5}  {h[1]:<20}  {h[2]:<{_status_width()}} {h[3]:<18} {h[4]:<8} {h[5]}")


def _resolve(app: AppContext, conn: Connection, community_name: str | None) -> Community:
    return app.community(conn, community_name)


@outbox.command("show")
@click.argument("message_id", type=int)
@community_option
@format_option("table", "json")
@pass_app
def show_command(
    app: AppContext, message_id: int, community_name: str | None, output_format: str
) -> None:
    """Show one message in full.

    Example: tending outbox show 12
    """
    from tending.actions.outbox import get_message

    with app.engine.connect() as conn:
        community = _resolve(app, conn, community_name)
        message = get_message(conn, community.id, message_id)
        if message is None:
            raise UsageError(f"the outbox of '{community.name}' has no message {message_id}.")
        data = _message_json(message, _external(conn, community, message.member_ids), full=True)
    if output_format == "json":
        echo_json(data)
        return
    for key in (
        "id",
        "rule",
        "channel",
        "status",
        "due_at",
        "members",
        "subject",
        "language",
        "attempts",
        "last_error",
        "needs_check",
        "skip_reason",
        "sent_at",
        "external_ref",
    ):
        if data[key] not in (None, [], False):
            click.echo(f"{key:<12} {data[key]}")
    click.echo("")
    click.echo(data["body"])


OUTBOX_WHERE = ("status", "rule", "channel", "language", "member")
WOULD_APPROVE = T_(
    "Would approve %(messages)s (%(rules)s) for %(members)s. Nothing was changed (--dry-run)."
)
WOULD_SKIP = T_(
    "Would skip %(messages)s (%(rules)s) for %(members)s. Nothing was changed (--dry-run)."
)


def _outbox_where(
    app: AppContext, conn: Connection, community: Community, pairs: tuple[str, ...]
) -> Any:
    """--where NAME=VALUE with the names of `tending outbox list`'s filters."""
    from tending.actions.outbox_queue import build_outbox_filter

    values: dict[str, list[str]] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip().removeprefix("--")
        if not sep or name not in OUTBOX_WHERE:
            raise UsageError(
                f"--where: write NAME=VALUE with NAME one of {', '.join(OUTBOX_WHERE)}."
            )
        values.setdefault(name, []).append(value.strip())
    return build_outbox_filter(
        conn,
        community,
        now=utcnow(),
        statuses=tuple(values.get("status", ())),
        rules=tuple(values.get("rule", ())),
        channels=tuple(values.get("channel", ())),
        languages=tuple(values.get("language", ())),
        members=tuple(values.get("member", ())),
    )


def _bulk_outbox(
    app: AppContext,
    verb: str,
    message_ids: tuple[int, ...],
    where: tuple[str, ...],
    dry_run: bool,
    community_name: str | None,
) -> None:
    from tending.actions.outbox_queue import do_bulk_outbox, get_outbox_preview

    with app.engine.begin() as conn:
        community = _resolve(app, conn, community_name)
        selection = _outbox_where(app, conn, community, where) if where else None
        if dry_run:
            preview = get_outbox_preview(conn, community, list(message_ids), verb, where=selection)
            rules = ", ".join(f"{n} {rule}" for rule, n in preview.by_rule.items())
            would = WOULD_APPROVE if verb == "approve" else WOULD_SKIP
            click.echo(
                say(
                    would,
                    messages=Text(
                        TN_("%(n)s message", "%(n)s messages"), n=len(preview.message_ids)
                    ),
                    rules=rules,
                    members=Text(TN_("%(n)s member", "%(n)s members"), n=preview.members),
                )
            )
            click.echo(
                say(T_("Messages: %(ids)s"), ids=" ".join(str(i) for i in preview.message_ids))
            )
            return
        done = do_bulk_outbox(
            conn, community, list(message_ids), verb, actor="cli", where=selection
        )
    done_said = (
        TN_("Approved %(n)s message.", "Approved %(n)s messages.")
        if verb == "approve"
        else TN_("Skipped %(n)s message.", "Skipped %(n)s messages.")
    )
    click.echo(say(done_said, n=len(done)))


_where_option = click.option(
    "--where",
    "where",
    multiple=True,
    metavar="NAME=VALUE",
    help="Also the messages `outbox list` shows with this filter (repeatable): status, rule, "
    "channel, language, member; e.g. rule=welcome.",
)
_dry_run_option = click.option(
    "--dry-run", is_flag=True, help="Show what would be done, change nothing."
)


@outbox.command("approve")
@click.argument("message_ids", type=int, nargs=-1)
@_where_option
@_dry_run_option
@community_option
@pass_app
def approve_command(
    app: AppContext,
    message_ids: tuple[int, ...],
    where: tuple[str, ...],
    dry_run: bool,
    community_name: str | None,
) -> None:
    """Approve drafted messages (they go when due), or queue failed ones again: all in one
    transaction, one audit row each; if one cannot be approved, none is.

    \b
    Example:
      tending outbox approve 12 13
      tending outbox approve --where rule=welcome --where status=drafted --dry-run
    """
    _bulk_outbox(app, "approve", message_ids, where, dry_run, community_name)


@outbox.command("skip")
@click.argument("message_ids", type=int, nargs=-1)
@_where_option
@_dry_run_option
@community_option
@pass_app
def skip_command(
    app: AppContext,
    message_ids: tuple[int, ...],
    where: tuple[str, ...],
    dry_run: bool,
    community_name: str | None,
) -> None:
    """Decide messages will not be sent: all in one transaction, one audit row each.

    \b
    Example:
      tending outbox skip 14
      tending outbox skip --where rule=checkin --where status=drafted
    """
    _bulk_outbox(app, "skip", message_ids, where, dry_run, community_name)


@outbox.command("reopen")
@click.argument("message_ids", type=int, nargs=-1)
@click.option(
    "--last",
    is_flag=True,
    help="Your latest approval or skip of the last hour instead (all the messages of a bulk one).",
)
@community_option
@pass_app
def reopen_command(
    app: AppContext, message_ids: tuple[int, ...], last: bool, community_name: str | None
) -> None:
    """Undo an approval or a skip: the messages are drafted again, to be decided anew; one audit
    row each. A message sent, being sent, posted by hand or skipped by tending itself (a holdout)
    cannot be reopened; if one cannot, none is.

    \b
    Example:
      tending outbox reopen 12 13
      tending outbox reopen --last
    """
    from tending.actions.outbox_queue import do_reopen_messages, do_undo_last_outbox_decision

    if last == bool(message_ids):
        raise UsageError("MESSAGE_IDS: name the messages to reopen, or --last (not both).")
    with app.engine.begin() as conn:
        community = _resolve(app, conn, community_name)
        if last:
            done = do_undo_last_outbox_decision(conn, community, actor="cli", now=utcnow())
            ids = done.message_ids
        else:
            ids = do_reopen_messages(conn, community, list(message_ids), actor="cli", now=utcnow())
    click.echo(
        say(
            TN_(
                "Reopened %(n)s message: drafted again (%(ids)s).",
                "Reopened %(n)s messages: drafted again (%(ids)s).",
            ),
            n=len(ids),
            ids=" ".join(str(i) for i in ids),
        )
    )


@outbox.command("mark-sent")
@click.argument("message_id", type=int)
@click.option(
    "--by-hand",
    is_flag=True,
    help="You copied the message and posted it yourself (a platform tending cannot post to): "
    "a drafted, approved or failed message is recorded as sent.",
)
@community_option
@pass_app
def mark_sent_command(
    app: AppContext, message_id: int, by_hand: bool, community_name: str | None
) -> None:
    """Record a failed message as delivered, after checking on the platform that it arrived; with
    --by-hand, a message you posted yourself. Either counts as sent for holdouts and reports.

    \b
    Example:
      tending outbox mark-sent 15
      tending outbox mark-sent 16 --by-hand
    """
    from tending.actions.outbox import do_confirm_sent, do_mark_posted_by_hand
    from tending.timeutil import utcnow

    with app.engine.begin() as conn:
        community = _resolve(app, conn, community_name)
        if by_hand:
            do_mark_posted_by_hand(conn, community, message_id, actor="cli", now=utcnow())
        else:
            do_confirm_sent(conn, community, message_id, actor="cli")
    click.echo(f"Message {message_id} recorded as {'posted by hand' if by_hand else 'sent'}.")


@outbox.command("edit")
@click.argument("message_id", type=int)
@click.option("--body", help="The new text.")
@click.option(
    "--body-file",
    type=click.File("r", encoding="utf-8"),
    help="Read the new text from a file (- for stdin).",
)
@click.option("--subject", help="The new subject.")
@click.option("--due", "due_text", metavar="ISO", help="The new due instant.")
@community_option
@pass_app
def edit_command(
    app: AppContext,
    message_id: int,
    body: str | None,
    body_file: Any,
    subject: str | None,
    due_text: str | None,
    community_name: str | None,
) -> None:
    """Change a message's text, subject or due instant before it goes.

    Example: tending outbox edit 12 --body "Bienvenue, Ada ! On se retrouve jeudi ?"
    """
    from tending.actions.outbox import do_edit

    if body_file is not None:
        body = body_file.read()
    if body is None and subject is None and due_text is None:
        raise UsageError("nothing to change: give --body, --body-file, --subject or --due.")
    with app.engine.begin() as conn:
        community = _resolve(app, conn, community_name)
        due = _now(due_text, community, "--due") if due_text else None
        do_edit(conn, community, message_id, actor="cli", body=body, subject=subject, due_at=due)
    click.echo(f"Message {message_id} updated.")


@outbox.command("send")
@click.argument("message_id", type=int)
@click.option("--approve", "approve_first", is_flag=True, help="Approve it first if it is a draft.")
@community_option
@pass_app
def send_command(
    app: AppContext, message_id: int, approve_first: bool, community_name: str | None
) -> None:
    """Send one approved message now, even before it is due.

    Example: tending outbox send 12 --approve
    """
    from tending.actions.run import do_send_now

    with app.engine.connect() as conn:
        community = _resolve(app, conn, community_name)
    after = do_send_now(
        app.engine,
        community,
        message_id,
        now=utcnow(),
        approve_first=approve_first,
        delivery_settings=app.settings.section("delivery"),
        actor="cli",
    )
    if after.status != "sent":
        raise UsageError(
            f"message {message_id} was not sent: {after.last_error} (now {after.status})."
        )
    click.echo(f"Message {message_id} sent.")


# -- run and worker ---------------------------------------------------------------------------------------


def tick(app: AppContext, *, now: datetime | None, community_name: str | None) -> list[TickSummary]:
    """Evaluate each community's playbook, then deliver what is approved and due. Returns one summary each."""
    from tending.actions.worker import do_tick_named

    return do_tick_named(
        app.engine,
        app.settings.section("delivery"),
        now=now,
        community_name=community_name,
        templates=data_home() / "templates",
    )


# what a tick delivered, each count in the CLI's language (English keeps the words it always printed)
DELIVERED = {
    "sent": TN_("%(n)s sent", "%(n)s sent"),
    "retrying": TN_("%(n)s retrying", "%(n)s retrying"),
    "failed": TN_("%(n)s failed", "%(n)s failed"),
    "skipped": TN_("%(n)s skipped", "%(n)s skipped"),
    "needs_check": TN_("%(n)s needs check", "%(n)s needs check"),
    "recovered": TN_("%(n)s recovered", "%(n)s recovered"),
}


def _print_summary(summary: TickSummary) -> None:
    drafted = summary.drafted
    parts = []
    if drafted is not None:
        parts.append(
            say(
                T_("%(new)s, %(skipped)s"),
                new=say(TN_("%(n)s new", "%(n)s new"), n=drafted.drafted + drafted.approved),
                skipped=say(
                    TN_("%(n)s recorded as skipped", "%(n)s recorded as skipped"), n=drafted.skipped
                ),
            )
        )
    parts.append(
        ", ".join(say(DELIVERED[k], n=v) for k, v in summary.delivered.as_dict().items() if v)
        or say(T_("nothing to send"))
    )
    hooks = summary.webhooks
    if hooks is not None and any(hooks.as_dict().values()):
        counts = ", ".join(say(DELIVERED[k], n=v) for k, v in hooks.as_dict().items() if v)
        parts.append(say(T_("webhooks: %(counts)s"), counts=counts))
    at = isoformat_utc(summary.now.replace(microsecond=0))  # a log line: UTC, to the second
    said = parts[0]
    for part in parts[1:]:
        said = say(T_("%(before)s; %(after)s"), before=said, after=part)
    click.echo(
        say(
            T_("%(at)s  %(community)s: %(summary)s"),
            at=at,
            community=summary.community,
            summary=said,
        )
    )


@click.command("run")
@now_option
@community_option
@format_option("table", "json")
@pass_app
def run(
    app: AppContext, now_text: str | None, community_name: str | None, output_format: str
) -> None:
    """One tick: evaluate the playbooks, then deliver what is approved and due.

    Example: tending run --now 2026-03-08T18:05:00+01:00
    """
    now = parse_instant(now_text, field="--now") if now_text else None
    summaries = tick(app, now=now, community_name=community_name)
    if output_format == "json":
        echo_json([summary.as_json() for summary in summaries])
        return
    for summary in summaries:
        _print_summary(summary)


def sync_and_listen(
    app: AppContext, community_name: str | None, woken: set[int] | frozenset[int] = frozenset()
) -> None:
    """The worker's pass before each tick: the connectors, then the listening queries, that are due
    (and the connectors a live stream woke)."""
    from tending.actions.connectors import do_sync_due
    from tending.actions.listening import do_listen
    from tending.cli.connectors import print_syncs
    from tending.cli.listening import print_listens

    print_syncs(
        do_sync_due(
            app.engine,
            community_name=community_name,
            file_values=app.settings.file_values,
            woken=woken,
        )
    )
    print_listens(do_listen(app.engine, community_name=community_name, due_only=True))


@click.command("worker")
@click.option("--interval", default=60, show_default=True, help="Seconds between ticks.")
@community_option
@pass_app
def worker(app: AppContext, interval: int, community_name: str | None) -> None:
    """Tick every minute until interrupted (Ctrl-C stops it cleanly between two sends): first the
    connectors and listening queries that are due (each at its own interval), then the playbooks and the deliveries.
    Connectors that stream (Matrix, Telegram, the Discord Gateway, Slack Socket Mode with app_token) are held open, and
    synced as soon as something happens.

    Example: tending worker --interval 60
    """
    import logging

    from tending.actions.streams import Streams
    from tending.actions.worker import WorkerLoop, refuse_invalid_configuration

    refuse_invalid_configuration(app.settings, app.engine)
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(message)s", datefmt="%Y-%m-%dT%H:%M:%S"
    )
    click.echo(f"Worker started: a tick every {interval} s. Ctrl-C to stop.")

    def report(summaries: list[TickSummary]) -> None:
        for summary in summaries:
            if (
                (summary.drafted is not None and any(summary.drafted.as_dict().values()))
                or any(summary.delivered.as_dict().values())
                or (summary.webhooks is not None and any(summary.webhooks.as_dict().values()))
            ):
                _print_summary(summary)

    try:
        WorkerLoop(
            app.engine,
            app.settings.section("delivery"),
            interval,
            community_name,
            data_home() / "templates",
            report=report,
            sync=lambda woken: sync_and_listen(app, community_name, woken),
            streams=Streams(
                app.engine, community_name=community_name, file_values=app.settings.file_values
            ),
        ).run()
    except KeyboardInterrupt:
        click.echo("Worker stopped. A message interrupted mid-send is recovered at the next start.")
