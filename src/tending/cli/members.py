"""`tending members`, `tending segments`, `tending checkins`: who has gone quiet, the 90-9-1 picture, and
private check-ins. Thin: parse, call actions/, print. Tables show dates in the community's time zone;
JSON and CSV give instants in UTC (ISO 8601 with a Z)."""

from __future__ import annotations

import sys
from dataclasses import asdict
from datetime import datetime
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
from tending.lib.csvsafe import SafeDictWriter
from tending.lib.lifecycle import INACTIVE_KINDS, STATES, usual_gap
from tending.lib.lifecycle import inactive_kind as kind_of
from tending.lib.segments import NIELSEN, SEGMENTS
from tending.models import Community
from tending.texts import T_, TN_, Text, cli_language, translate
from tending.timeutil import ensure_utc, get_zone, isoformat_utc, parse_instant, utcnow

if TYPE_CHECKING:
    from tending.actions.members import MemberRow

LIST_COLUMNS = (
    "id",
    "member_id",
    "name",
    "handle",
    "platform",
    "joined_at",
    "last_contribution_at",
    "contributions",
    "state",
)


def as_of_option(
    help_text: str = "The instant to answer for (ISO 8601; a bare date is midnight in the "
    "community's time zone). Default: now.",
) -> Any:
    return click.option("--as-of", "as_of_text", metavar="ISO", help=help_text)


def resolve_as_of(community: Community, text: str | None, field: str = "--as-of") -> datetime:
    if text is None:
        return utcnow()
    return parse_instant(text, default_tz=get_zone(community.timezone), field=field)


def local_day(community: Community, moment: datetime | None) -> str:
    return (
        "" if moment is None else moment.astimezone(get_zone(community.timezone)).date().isoformat()
    )


INACTIVE_WORDS = {"went_quiet": T_("went quiet"), "never_contributed": T_("never contributed")}
# a member list's first line, by what it lists (None: every member; else the inactive kind, or "any")
LIST_HEADS = {
    None: TN_(
        "%(n)s member listed as of %(day)s (%(zone)s).",
        "%(n)s members listed as of %(day)s (%(zone)s).",
    ),
    "any": TN_(
        "%(n)s member inactive for %(days)s as of %(day)s (%(zone)s).",
        "%(n)s members inactive for %(days)s as of %(day)s (%(zone)s).",
    ),
    "went_quiet": TN_(
        "%(n)s member inactive for %(days)s who went quiet as of %(day)s (%(zone)s).",
        "%(n)s members inactive for %(days)s who went quiet as of %(day)s (%(zone)s).",
    ),
    "never_contributed": TN_(
        "%(n)s member inactive for %(days)s who never contributed as of %(day)s (%(zone)s).",
        "%(n)s members inactive for %(days)s who never contributed as of %(day)s (%(zone)s).",
    ),
}
NOUNS = {  # the footer of a list that was cut, by what it lists
    "members": TN_("%(which)s of %(total)s member", "%(which)s of %(total)s members"),
    "people": TN_("%(which)s of %(total)s person", "%(which)s of %(total)s people"),
    "imports": TN_("%(which)s of %(total)s import", "%(which)s of %(total)s imports"),
}


def member_json(row: MemberRow, segment: str | None = None) -> dict[str, Any]:
    m, f = row.member, row.facts
    data: dict[str, Any] = {
        "id": m.external_id,
        "member_id": m.id,
        "name": m.display_name,
        "handle": m.handle,
        "platform": m.platform,
        "joined_at": isoformat_utc(f.joined_at),
        "last_contribution_at": isoformat_utc(f.last_contribution_at),
        "contributions": f.contributions,
        "state": row.state,
    }
    if segment is not None:
        data["segment"] = segment
    return data


def grouped(n: int, language: str) -> str:
    """A count as English writes it (1,234), or with the language's grouping (1 234 in French)."""
    return f"{n:,}" if language == "en" else f"{n:,}".replace(",", "\u202f")


def echo_of_total(offset: int, shown: int, total: int, noun: str) -> None:
    """The footer of a list that was cut: "50 of 470 members (--offset for more)", "51-100 of 470 ...",
    in the CLI's language; `noun` is one of NOUNS."""
    if shown == 0 or (offset == 0 and shown >= total):
        return
    language = cli_language()
    first, last = grouped(offset + 1, language), grouped(offset + shown, language)
    which = f"{first}-{last}" if offset else grouped(shown, language)
    said = translate(
        NOUNS[noun], language, which=which, total=grouped(total, language), count=total
    )
    more = translate(T_(" (--offset for more)"), language) if offset + shown < total else ""
    click.echo(f"{said}{more}")


def print_table(headers: list[str], rows: list[list[Any]]) -> None:
    """A table under its headers, which are the back end's texts (T_): they read in the CLI's language."""
    language = cli_language()
    headers = [translate(h, language) for h in headers]
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


# -- tending members ---------------------------------------------------------------------------------------------


@click.group(invoke_without_command=True)
@click.option(
    "--inactive-days",
    type=click.IntRange(min=0),
    metavar="N",
    help="Only members with no contribution in the last N days (who joined at least N days ago).",
)
@as_of_option()
@click.option("--state", type=click.Choice(STATES), help="Only members in this state.")
@click.option("--segment", type=click.Choice(SEGMENTS), help="Only members in this 90-9-1 segment.")
@click.option(
    "--window-days",
    type=click.IntRange(min=1),
    metavar="DAYS",
    help="The window for --segment (default: the community's segments_window_days, else 90).",
)
@click.option(
    "--inactive-kind",
    type=click.Choice(INACTIVE_KINDS),
    help="With --inactive-days: only those who went quiet (contributed, then fell silent), or only those "
    "who never contributed.",
)
@click.option("--limit", type=click.IntRange(min=1), metavar="N", help="Show at most N members.")
@click.option(
    "--offset", type=click.IntRange(min=0), default=0, metavar="N", help="Skip the first N members."
)
@community_option
@format_option("table", "csv", "json")
@click.pass_context
def members(
    ctx: click.Context,
    inactive_days: int | None,
    as_of_text: str | None,
    state: str | None,
    segment: str | None,
    window_days: int | None,
    inactive_kind: str | None,
    limit: int | None,
    offset: int,
    community_name: str | None,
    output_format: str,
) -> None:
    """List members, who has gone quiet, and change what tending knows about one member.

    Without a subcommand, lists members (bots and merged-away members are never listed).

    \b
    Examples:
      tending members --inactive-days 60
      tending members --inactive-days 60 --inactive-kind went_quiet --limit 50 --offset 50
      tending members --state quiet --format json
      tending members --segment heavy_core --as-of 2026-03-01
      tending members show U024BE7LH
      tending members set U024BE7LH --do-not-contact --note "Asked for a break"
    """
    if ctx.invoked_subcommand is not None:
        return
    from tending.actions.members import get_member_list

    app = ctx.find_object(AppContext)
    assert app is not None
    with app.engine.connect() as conn:
        community = app.community(conn, community_name)
        as_of = resolve_as_of(community, as_of_text)
        found = get_member_list(
            conn,
            community,
            as_of=as_of,
            inactive_days=inactive_days,
            state=state,
            segment=segment,
            window_days=window_days,
            limit=limit,
            offset=offset,
            kind=inactive_kind,
        )
    segment_of = found.segment_of or {}
    # JSON and CSV keep their keys: who never contributed has no last_contribution_at
    if output_format == "json":
        echo_json([member_json(r, segment_of.get(r.member.id)) for r in found.rows])
        return
    if output_format == "csv":
        columns = [*LIST_COLUMNS, "segment"] if segment else list(LIST_COLUMNS)
        writer = SafeDictWriter(sys.stdout, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for r in found.rows:
            writer.writerow(member_json(r, segment_of.get(r.member.id) if segment else None))
        return
    _print_member_list(community, found, as_of=as_of, inactive_kind=inactive_kind)


def _print_member_list(
    community: Community, found: Any, *, as_of: datetime, inactive_kind: str | None
) -> None:
    """The header ("N members ... as of DAY (ZONE), showing X to Y."), the table, and for an inactive list
    how many went quiet and how many never contributed."""
    days = found.inactive_days
    language = cli_language()
    head = LIST_HEADS[None if days is None else (inactive_kind or "any")]
    shown = len(found.rows)
    said = translate(
        head,
        language,
        n=grouped(found.total, language),
        count=found.total,
        days=Text(TN_("%(n)s day", "%(n)s days"), n=days or 0),
        day=local_day(community, as_of),
        zone=community.timezone,
    )
    click.echo(said)
    if found.rows:
        headers = [
            T_("id"),
            T_("name"),
            T_("platform"),
            T_("joined"),
            T_("last contribution"),
            T_("contributions"),
            T_("state"),
        ]
        print_table(
            headers + ([T_("why inactive")] if days is not None else []),
            [
                [
                    r.member.external_id,
                    r.member.display_name or r.member.handle,
                    r.member.platform,
                    local_day(community, r.facts.joined_at),
                    local_day(community, r.facts.last_contribution_at),
                    r.facts.contributions,
                    r.state,
                ]
                + (
                    [translate(INACTIVE_WORDS[kind_of(r.facts)], language)]
                    if days is not None
                    else []
                )
                for r in found.rows
            ],
        )
    echo_of_total(found.offset, shown, found.total, "members")
    if days is not None and found.went_quiet is not None and inactive_kind is None:
        said = T_(
            "Of these, %(quiet)s went quiet (contributed, then fell silent) and %(never)s never "
            "contributed (--inactive-kind went_quiet or never_contributed lists one kind)."
        )
        quiet, never = found.went_quiet, found.never_contributed
        click.echo(
            translate(
                said, language, quiet=grouped(quiet, language), never=grouped(never, language)
            )
        )


@members.command("show")
@click.argument("member_ref", metavar="ID")
@as_of_option()
@community_option
@format_option("table", "json")
@pass_app
def show_command(
    app: AppContext,
    member_ref: str,
    as_of_text: str | None,
    community_name: str | None,
    output_format: str,
) -> None:
    """Everything tending knows about one member.

    ID is the member's id as the import gave it (PLATFORM:ID when several platforms share it, #N for
    tending's own number).

    Example: tending members show U024BE7LH
    """
    from tending.actions.members import get_member_profile, resolve_member

    with app.engine.connect() as conn:
        community = app.community(conn, community_name)
        as_of = resolve_as_of(community, as_of_text)
        member = resolve_member(conn, community, member_ref)
        profile = get_member_profile(conn, community, member.id, as_of=as_of)
    assert (
        profile is not None and profile.row is not None
    )  # resolve_member leads to the member kept
    row, accounts, history = profile.row, profile.identities, profile.checkins
    gap = usual_gap(row.facts)
    if output_format == "json":
        echo_json(
            {
                **member_json(row),
                "joined_at_exact": member.joined_at_exact,
                "left_at": isoformat_utc(member.left_at),
                "is_staff": member.is_staff,
                "is_bot": member.is_bot,
                "do_not_contact": member.do_not_contact,
                "tags": member.tags,
                "note": member.notes,
                "usual_gap_days": None if gap is None else round(gap.total_seconds() / 86_400, 2),
                "identities": [asdict(account) for account in accounts],
                "checkins": [
                    {
                        "id": c.id,
                        "reason": c.reason,
                        "drafted_at": isoformat_utc(c.drafted_at),
                        "outcome": c.outcome,
                    }
                    for c in history
                ],
            }
        )
        return
    f = row.facts
    lines = [
        ("member", f"{member.display_name or member.handle or ''} (#{member.id})"),
        (
            "accounts",
            ", ".join(
                f"{a.platform}:{a.external_id}" + (f" @{a.handle}" if a.handle else "")
                for a in accounts
            ),
        ),
        ("state", f"{row.state} as of {local_day(community, as_of)}"),
        (
            "joined",
            local_day(community, f.joined_at) + ("" if member.joined_at_exact else " (first seen)"),
        ),
        ("left", local_day(community, member.left_at) or "-"),
        ("contributions", str(f.contributions)),
        ("last contribution", local_day(community, f.last_contribution_at) or "never"),
        ("usual gap", "-" if gap is None else f"{gap.total_seconds() / 86_400:.1f} days"),
        ("do not contact", "yes" if member.do_not_contact else "no"),
        ("tags", ", ".join(member.tags) or "-"),
        ("note", member.notes or "-"),
        (
            "check-ins",
            "; ".join(
                f"{local_day(community, c.drafted_at)} {c.reason} ({c.outcome or 'pending'})"
                for c in history
            )
            or "none",
        ),
    ]
    for label, value in lines:
        click.echo(f"{label + ':':<19}{value}")


@members.command("find")
@click.argument("text")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--offset", default=0, show_default=True, type=click.IntRange(0))
@community_option
@format_option("table", "json")
@pass_app
def find_command(
    app: AppContext,
    text: str,
    limit: int,
    offset: int,
    community_name: str | None,
    output_format: str,
) -> None:
    """Find members by name or handle (case ignored), as the dashboard's search does.

    Example: tending members find "chloé"
    """
    from tending.actions.members import MemberFilter, count_members, get_members_page

    wanted = MemberFilter(search=text.strip(), kind="all")
    with app.engine.connect() as conn:
        community = app.community(conn, community_name)
        total = count_members(conn, community.id, wanted)
        rows = get_members_page(conn, community.id, wanted, offset=offset, limit=limit)
    if output_format == "json":
        items = [
            {
                "id": r.id,
                "name": r.name,
                "handle": r.handle,
                "platform": r.platform,
                "joined_at": isoformat_utc(r.joined_at) if r.joined_at else None,
                "last_contribution_at": isoformat_utc(r.last_contribution_at)
                if r.last_contribution_at
                else None,
                "contributions": r.contributions,
            }
            for r in rows
        ]
        echo_json({"total": total, "limit": limit, "offset": offset, "items": items})
        return
    if not rows:
        click.echo(f"No member matches '{text}'.")
        return
    zone = get_zone(community.timezone)

    def day(moment: Any) -> str:
        return ensure_utc(moment).astimezone(zone).strftime("%Y-%m-%d") if moment else "-"

    click.echo(f"{'#':>6}  {'name':<28}  {'handle':<18}  {'joined':<10}  {'last contribution':<17}")
    for r in rows:
        click.echo(
            f"{'#' + str(r.id):>6}  {r.name[:28]:<28}  {(r.handle or '-')[:18]:<18}  "
            f"{day(r.joined_at):<10}  {day(r.last_contribution_at):<17}"
        )
    click.echo(
        f"{len(rows)} of {total} members"
        + (" (--offset for more)" if offset + len(rows) < total else "")
    )


@members.command("set")
@click.argument("member_ref", metavar="ID")
@click.option(
    "--do-not-contact/--contact-ok",
    "do_not_contact",
    default=None,
    help="Never (or again) suggest or draft a check-in for this member.",
)
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="Add a tag (repeatable).")
@click.option("--untag", "untags", multiple=True, metavar="TAG", help="Remove a tag (repeatable).")
@click.option("--note", metavar="TEXT", help='Replace the private note ("" clears it).')
@community_option
@pass_app
def set_command(
    app: AppContext,
    member_ref: str,
    do_not_contact: bool | None,
    tags: tuple[str, ...],
    untags: tuple[str, ...],
    note: str | None,
    community_name: str | None,
) -> None:
    """Change what tending keeps about one member: do-not-contact, tags, a private note.

    Example: tending members set U024BE7LH --do-not-contact --tag mentor --note "Prefers e-mail"
    """
    from tending.actions import members as actions
    from tending.actions.members import resolve_member
    from tending.errors import UsageError

    if do_not_contact is None and not tags and not untags and note is None:
        raise UsageError(
            "members set: nothing to change (give --do-not-contact, --contact-ok, --tag, --untag "
            "or --note)."
        )
    changes = []
    with app.engine.begin() as conn:
        community = app.community(conn, community_name)
        member = resolve_member(conn, community, member_ref)
        if do_not_contact is not None and actions.do_set_do_not_contact(
            conn, community, member.id, do_not_contact, actor="cli"
        ):
            changes.append("do not contact" if do_not_contact else "contact ok")
        for tag in tags:
            if actions.do_add_tag(conn, community, member.id, tag, actor="cli"):
                changes.append(f"+{tag.strip()}")
        for tag in untags:
            if actions.do_remove_tag(conn, community, member.id, tag, actor="cli"):
                changes.append(f"-{tag.strip()}")
        if note is not None and actions.do_set_note(conn, community, member.id, note, actor="cli"):
            changes.append("note")
    click.echo(
        f"Member #{member.id}: " + (", ".join(changes) if changes else "nothing changed") + "."
    )


@members.command("merge")
@click.argument("keep_ref", metavar="KEEP_ID")
@click.argument("other_ref", metavar="OTHER_ID")
@community_option
@pass_app
def merge_command(
    app: AppContext, keep_ref: str, other_ref: str, community_name: str | None
) -> None:
    """Join two members who are one person (for example the same someone on Slack and on Discourse).

    OTHER_ID's accounts, activities, tags and check-ins move to KEEP_ID; OTHER_ID then leads to KEEP_ID.

    Example: tending members merge slack:U024BE7LH discourse:1234
    """
    from tending.actions.members import do_merge_members, resolve_member
    from tending.errors import UsageError

    with app.engine.begin() as conn:
        community = app.community(conn, community_name)
        keep = resolve_member(conn, community, keep_ref)
        other = resolve_member(conn, community, other_ref)
        if keep.id == other.id:
            raise UsageError(
                f"members merge: {keep_ref} and {other_ref} are already the same member (#{keep.id})."
            )
        moved = do_merge_members(conn, community, keep.id, other.id, actor="cli")
    skipped = moved["duplicates_skipped"]
    click.echo(
        f"Merged #{other.id} into #{keep.id}: {moved['identities']} accounts, {moved['activities']} "
        f"activities, {moved['tags']} tags, {moved['checkins']} check-ins, {moved['messages']} outbox "
        f"messages, {moved['moderation_items']} moderation items moved"
        + (f"; {skipped} duplicate messages skipped." if skipped else ".")
    )


@members.command("suggest-merges")
@community_option
@format_option("table", "json")
@pass_app
def suggest_merges_command(app: AppContext, community_name: str | None, output_format: str) -> None:
    """Members who may be one person: the same e-mail address, or the same handle on different platforms.

    Nothing is merged: run `tending members merge` on the ones you are sure of.

    Example: tending members suggest-merges
    """
    from tending.actions.members import get_members_by_id, get_merge_suggestions

    with app.engine.connect() as conn:
        community = app.community(conn, community_name)
        suggestions = get_merge_suggestions(conn, community)
        people = get_members_by_id(
            conn, community.id, {i for s in suggestions for i in s.member_ids}
        )
    if output_format == "json":
        echo_json(
            [
                {
                    "reason": s.reason,
                    "platforms": list(s.platforms),
                    "members": [
                        {
                            "id": people[i].external_id,
                            "member_id": i,
                            "platform": people[i].platform,
                            "name": people[i].display_name,
                        }
                        for i in s.member_ids
                    ],
                }
                for s in suggestions
            ]
        )
        return
    if not suggestions:
        click.echo("No merge to suggest.")
        return
    words = {
        "same_email": "same e-mail address",
        "same_handle": "same handle on different platforms",
    }
    for s in suggestions:
        names = ", ".join(
            f"{people[i].platform}:{people[i].external_id} ({people[i].display_name or '?'})"
            for i in s.member_ids
        )
        click.echo(f"{words.get(s.reason, s.reason)}: {names}")


# -- tending segments ---------------------------------------------------------------------------------------------


@click.command()
@click.option(
    "--window-days",
    type=click.IntRange(min=1),
    metavar="DAYS",
    help="The window (default: the community's segments_window_days setting, else 90).",
)
@as_of_option()
@community_option
@format_option("table", "json")
@pass_app
def segments(
    app: AppContext,
    window_days: int | None,
    as_of_text: str | None,
    community_name: str | None,
    output_format: str,
) -> None:
    """The 90-9-1 picture of a window: lurkers, occasional contributors, the heavy core, and the Gini coefficient.

    The heavy core is the smallest set of members who made half of the window's contributions.

    Example: tending segments --window-days 90 --as-of 2026-03-01
    """
    from tending.actions.members import get_segments_report

    with app.engine.connect() as conn:
        community = app.community(conn, community_name)
        report = get_segments_report(
            conn, community, as_of=resolve_as_of(community, as_of_text), window_days=window_days
        )
    shares = report.shares()

    def percent(share: float | None) -> str:
        return "-" if share is None else f"{100 * share:.1f}%"

    if output_format == "json":
        echo_json(
            {
                "as_of": isoformat_utc(report.as_of),
                "window_start": isoformat_utc(report.window_start),
                "window_days": report.window_days,
                "members": report.members,
                "contributions": report.contributions,
                "segments": {
                    name: {
                        "count": report.counts[name],
                        "share": shares[name],
                        "reference_share": NIELSEN[name],
                        "contributions": report.contributions_by_segment[name],
                    }
                    for name in SEGMENTS
                },
                "gini": report.gini,
            }
        )
        return
    click.echo(
        f"{report.members:,} members, {report.contributions:,} contributions in the "
        f"{report.window_days} days "
        f"up to {local_day(community, report.as_of)} ({community.timezone})."
    )
    print_table(
        [T_("segment"), T_("members"), T_("share"), "90-9-1", T_("contributions")],
        [
            [
                name,
                report.counts[name],
                percent(shares[name]),
                f"{100 * NIELSEN[name]:g}%",
                report.contributions_by_segment[name],
            ]
            for name in SEGMENTS
        ],
    )
    click.echo(
        "Gini coefficient of contributions: "
        + ("-" if report.gini is None else f"{report.gini:.3f}")
    )


# -- tending checkins ---------------------------------------------------------------------------------------------


@click.group(invoke_without_command=True)
@as_of_option()
@click.option("--limit", type=click.IntRange(min=1), metavar="N", help="Show at most N people.")
@click.option(
    "--offset", type=click.IntRange(min=0), default=0, metavar="N", help="Skip the first N people."
)
@community_option
@format_option("table", "json")
@click.pass_context
def checkins(
    ctx: click.Context,
    as_of_text: str | None,
    limit: int | None,
    offset: int,
    community_name: str | None,
    output_format: str,
) -> None:
    """Who to check in on privately, most urgent first, with the reason. For your eyes only: tending never
    publishes a list of inactive members.

    Never lists bots, members who left, members marked do-not-contact, or anyone checked in on in the last 90
    days (the checkin_cooldown_days setting).

    \b
    Examples:
      tending checkins
      tending checkins draft U024BE7LH
      tending checkins outcomes
    """
    if ctx.invoked_subcommand is not None:
        return
    from tending.actions.checkins import get_checkin_list
    from tending.lib.checkins import describe_reasons

    app = ctx.find_object(AppContext)
    assert app is not None
    with app.engine.connect() as conn:
        community = app.community(conn, community_name)
        as_of = resolve_as_of(community, as_of_text)
        lines = get_checkin_list(conn, community, as_of=as_of)
    shown = lines[offset:] if limit is None else lines[offset : offset + limit]
    if output_format == "json":
        echo_json(
            [
                {
                    "priority": n,
                    "id": line.member.external_id,
                    "member_id": line.member.id,
                    "name": line.member.display_name,
                    "handle": line.member.handle,
                    "platform": line.member.platform,
                    "reason": line.entry.reason,
                    "reasons": [{"code": r.code, **r.details} for r in line.entry.reasons],
                    "silent_days": line.entry.silent_days,
                }
                for n, line in enumerate(shown, start=offset + 1)
            ]
        )
        return
    click.echo(
        say(
            TN_(
                "%(n)s person to check in on as of %(day)s (%(zone)s).",
                "%(n)s people to check in on as of %(day)s (%(zone)s).",
            ),
            n=len(lines),
            day=local_day(community, as_of),
            zone=community.timezone,
        )
    )
    if shown:
        language = community.language
        print_table(
            ["#", T_("id"), T_("name"), T_("platform"), T_("why")],
            [
                [
                    n,
                    line.member.external_id,
                    line.member.display_name or line.member.handle,
                    line.member.platform,
                    "; ".join(describe_reasons(line.entry.reasons, language)),
                ]
                for n, line in enumerate(shown, start=offset + 1)
            ],
        )
        echo_of_total(offset, len(shown), len(lines), "people")
        click.echo(say(T_("Draft a private message: tending checkins draft ID")))


@checkins.command("draft")
@click.argument("member_ref", metavar="ID")
@click.option("--message", metavar="TEXT", help="Your own words instead of the suggested message.")
@click.option("--now", "now_text", metavar="ISO", help="The instant to record (default: now).")
@community_option
@pass_app
def draft_command(
    app: AppContext,
    member_ref: str,
    message: str | None,
    now_text: str | None,
    community_name: str | None,
) -> None:
    """Act on a check-in: record it and draft a private message to the member (in the outbox when there is one).

    Example: tending checkins draft U024BE7LH --message "Hi Ada, how are you doing?"
    """
    from tending.actions.checkins import do_checkin
    from tending.actions.members import resolve_member

    with app.engine.begin() as conn:
        community = app.community(conn, community_name)
        now = resolve_as_of(community, now_text, field="--now")
        member = resolve_member(conn, community, member_ref)
        checkin = do_checkin(conn, community, member.id, actor="cli", now=now, message=message)
    if checkin.message_ref is not None:
        click.echo(
            f"Check-in {checkin.id} recorded; the private message is drafted in the outbox "
            f"({checkin.message_ref}): review it there before it goes out."
        )
    else:
        click.echo(
            f"Check-in {checkin.id} recorded. Send this privately, in your own words if you prefer:\n"
        )
        click.echo(checkin.draft_text or "")


@checkins.command("outcomes")
@click.option(
    "--now", "now_text", metavar="ISO", help="The instant to settle outcomes at (default: now)."
)
@community_option
@format_option("table", "json")
@pass_app
def outcomes_command(
    app: AppContext, now_text: str | None, community_name: str | None, output_format: str
) -> None:
    """What came of past check-ins: did the member contribute within 30 days after (checkin_outcome_days)?

    Example: tending checkins outcomes --format json
    """
    from tending.actions.checkins import do_settle_outcomes, get_checkins
    from tending.actions.members import get_members_by_id

    with app.engine.begin() as conn:
        community = app.community(conn, community_name)
        now = resolve_as_of(community, now_text, field="--now")
        do_settle_outcomes(conn, community, now=now, actor="cli")
        history = get_checkins(conn, community.id, limit=500)
        people = get_members_by_id(conn, community.id, {c.member_id for c in history})
    if output_format == "json":
        echo_json(
            [
                {
                    "checkin": c.id,
                    "id": people[c.member_id].external_id,
                    "member_id": c.member_id,
                    "reason": c.reason,
                    "drafted_at": isoformat_utc(c.drafted_at),
                    "actor": c.actor,
                    "outcome": c.outcome,
                    "contributed_at": isoformat_utc(c.outcome_at),
                }
                for c in history
            ]
        )
        return
    settled = [c for c in history if c.outcome is not None]
    came_back = sum(1 for c in settled if c.outcome == "contributed")
    click.echo(
        say(
            T_(
                "%(checkins)s; %(came_back)s of %(settled)s were followed by a contribution within the "
                "follow-up window."
            ),
            checkins=Text(TN_("%(n)s check-in", "%(n)s check-ins"), n=len(history)),
            came_back=came_back,
            settled=Text(TN_("%(n)s settled one", "%(n)s settled ones"), n=len(settled)),
        )
    )
    if history:
        print_table(
            [T_("check-in"), T_("id"), T_("reason"), T_("drafted"), T_("outcome")],
            [
                [
                    c.id,
                    people[c.member_id].external_id,
                    c.reason,
                    local_day(community, c.drafted_at),
                    c.outcome or "pending",
                ]
                for c in history
            ],
        )


# -- members' rights (tending.cli.rights) -------------------------------------------------------------------------


def _add_rights_commands() -> None:
    from tending.cli.rights import erase_command, export_command, tombstones_group

    for command in (export_command, erase_command, tombstones_group):
        members.add_command(command)


_add_rights_commands()
