"""Members' rights: `tending members export | erase | tombstones` and `tending retention`. Thin: parse, call
tending.actions.rights, print. See docs/privacy.md."""

from __future__ import annotations

import json
from pathlib import Path

import click

from tending.cli.context import AppContext, community_option, echo_json, format_option, pass_app
from tending.errors import UsageError
from tending.timeutil import get_zone, isoformat_utc, parse_instant

ERASURE_LINES = (
    ("accounts", "accounts (platform ids, handles, e-mail addresses)"),
    ("texts", "texts of their activities (the activities stay, anonymous, for the counts)"),
    ("tags", "tags"),
    ("notes", "private notes"),
    (
        "messages",
        "messages drafted or sent to them (texts removed; their name removed from shared posts)",
    ),
    ("checkins", "check-ins (kept for the counts, without any text)"),
    ("moderation_items", "moderation findings about them"),
)


@click.command("export")
@click.argument("member_ref", metavar="ID")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["json", "html"]),
    default="json",
    show_default=True,
    help="json for machines, html for the person (in the community's language).",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PATH",
    help="Write to this file instead of standard output.",
)
@community_option
@pass_app
def export_command(
    app: AppContext,
    member_ref: str,
    output_format: str,
    out_path: Path | None,
    community_name: str | None,
) -> None:
    """Everything tending holds about one person (an access request): profile, accounts, tags, notes, every
    activity with its text, messages, check-ins, moderation findings and decisions, audit rows.

    ID as in `members show`: the id the import gave, PLATFORM:ID, or #N. Merged accounts are included.

    \b
    Examples:
      tending members export U024BE7LH --format html --out ada.html
      tending members export '#42' > member-42.json
    """
    from tending.actions.rights import get_member_export
    from tending.lib.export_html import render_member_export

    with app.engine.connect() as conn:
        community = app.community(conn, community_name)
        export = get_member_export(conn, community, member_ref)
    data = export.as_dict()
    text = (
        render_member_export(data, language=export.language, timezone=export.timezone)
        if output_format == "html"
        else json.dumps(data, ensure_ascii=False, indent=2, default=str)
    )
    if out_path is None:
        click.echo(text)
        return
    try:
        out_path.write_text(text + "\n", encoding="utf-8")
    except OSError as error:
        raise UsageError(f"--out: cannot write {out_path} ({error.strerror}).") from None
    click.echo(f"Wrote the export of member #{export.member_id} to {out_path}.", err=True)


@click.command("erase")
@click.argument("member_ref", metavar="ID")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@community_option
@pass_app
def erase_command(app: AppContext, member_ref: str, yes: bool, community_name: str | None) -> None:
    """Erase one person (an erasure request), across their merged accounts, for good.

    Their names, handles, e-mail addresses, accounts, texts, notes, tags, messages and moderation findings are
    deleted or irreversibly anonymised; the counts everyone else sees stay exact (the person stays as one
    anonymous member). A tombstone keeps later imports from bringing them back (`tombstones lift` undoes it).

    Example: tending members erase U024BE7LH --yes
    """
    from tending.actions.rights import do_erase_member, get_erasure_preview

    with app.engine.connect() as conn:
        community = app.community(conn, community_name)
        preview = get_erasure_preview(conn, community, member_ref)
    if not yes:
        click.echo(
            f"Erasing member #{preview.member_id}"
            + (
                f" and {len(preview.member_ids) - 1} merged accounts"
                if len(preview.member_ids) > 1
                else ""
            )
            + " removes for good:"
        )
        for key, words in ERASURE_LINES:
            click.echo(f"  {preview.counts.get(key, 0):>8}  {words}")
        click.confirm("Erase this member? This cannot be undone", abort=True)
    with app.engine.begin() as conn:
        community = app.community(conn, community_name)
        result = do_erase_member(conn, community, member_ref, actor="cli")
    click.echo(
        f"Erased member #{result.member_id}: {result.changed.get('accounts', 0)} accounts, "
        f"{result.changed.get('activities', 0)} activities anonymised, {result.tombstones} tombstones."
    )


@click.group("tombstones", invoke_without_command=True)
@click.pass_context
def tombstones_group(ctx: click.Context) -> None:
    """The tombstones of erased members, which keep imports from bringing them back.

    \b
    Examples:
      tending members tombstones list
      tending members tombstones lift 3
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_tombstones_command)


@tombstones_group.command("list")
@click.option(
    "--limit", type=click.IntRange(min=1), default=50, show_default=True, help="Show at most N."
)
@click.option(
    "--offset", type=click.IntRange(min=0), default=0, show_default=True, help="Skip the first N."
)
@community_option
@format_option("table", "json")
@pass_app
def list_tombstones_command(
    app: AppContext, limit: int, offset: int, community_name: str | None, output_format: str
) -> None:
    """List the tombstones (number, platform, when, by whom): no id or name is kept to show.

    Example: tending members tombstones list --format json
    """
    from tending.actions.rights import get_tombstone_list

    with app.engine.connect() as conn:
        community = app.community(conn, community_name)
        found = get_tombstone_list(conn, community, limit=limit, offset=offset)
    if output_format == "json":
        echo_json(
            {
                "total": found.total,
                "tombstones": [
                    {
                        "tombstone": t.id,
                        "platform": t.platform,
                        "member_id": t.member_id,
                        "erased_at": isoformat_utc(t.erased_at),
                        "actor": t.actor,
                    }
                    for t in found.rows
                ],
            }
        )
        return
    click.echo(f"{len(found.rows)} of {found.total} tombstones.")
    zone = get_zone(community.timezone)
    for t in found.rows:
        click.echo(
            f"{t.id:>6}  {t.platform:<12} erased {t.erased_at.astimezone(zone).date().isoformat()} "
            f"by {t.actor} (anonymous member #{t.member_id})"
        )


@tombstones_group.command("lift")
@click.argument("ref", metavar="TOMBSTONE_OR_ID")
@community_option
@pass_app
def lift_command(app: AppContext, ref: str, community_name: str | None) -> None:
    """Let an erased identity be imported again: a tombstone number, or the id the import gives (PLATFORM:ID).

    What was erased stays erased; only later imports bring the person back, as a new member.

    Example: tending members tombstones lift slack:U024BE7LH
    """
    from tending.actions.rights import do_lift_tombstone

    with app.engine.begin() as conn:
        community = app.community(conn, community_name)
        lifted = do_lift_tombstone(conn, community, ref, actor="cli")
    click.echo(
        f"Lifted {lifted} tombstone{'s' if lifted != 1 else ''}: the next import may bring this identity back."
    )


@click.command("retention")
@click.option("--dry-run", is_flag=True, help="Say what would be removed; change nothing.")
@click.option(
    "--text-days",
    type=click.IntRange(min=1, max=36_500),
    metavar="DAYS",
    help="Set the community's retention.text_days first: keep message texts this many days.",
)
@click.option("--keep-texts", is_flag=True, help="Clear retention.text_days: keep message texts.")
@click.option(
    "--now",
    "now_text",
    metavar="ISO",
    help="The instant to count the days back from (default: now).",
)
@community_option
@format_option("table", "json")
@pass_app
def retention(
    app: AppContext,
    dry_run: bool,
    text_days: int | None,
    keep_texts: bool,
    now_text: str | None,
    community_name: str | None,
    output_format: str,
) -> None:
    """Remove message texts older than the community's retention.text_days (the worker does it nightly).

    Counts, rollups, threads and instants stay, so every metric is unchanged.

    \b
    Examples:
      tending retention --text-days 365 --dry-run
      tending retention
    """
    from tending.actions.rights import do_apply_retention, do_set_retention_days, get_retention_plan

    if text_days is not None and keep_texts:
        raise UsageError("retention: give --text-days or --keep-texts, not both.")
    now = parse_instant(now_text, field="--now") if now_text else None
    with app.engine.begin() as conn:
        community = app.community(conn, community_name)
        if text_days is not None or keep_texts:
            community = do_set_retention_days(
                conn, community, None if keep_texts else text_days, actor="cli"
            )
        plan = get_retention_plan(conn, community, now=now)
    if plan.days is None:
        message = f"{community.name} keeps message texts (retention.text_days is not set): nothing to remove."
        if output_format == "json":
            echo_json({"text_days": None, "texts": 0, "message_bodies": 0, "applied": False})
        else:
            click.echo(message)
        return
    if dry_run:
        if output_format == "json":
            echo_json(
                {
                    "text_days": plan.days,
                    "cutoff": isoformat_utc(plan.cutoff),
                    "texts": plan.texts,
                    "message_bodies": plan.message_bodies,
                    "applied": False,
                }
            )
        else:
            click.echo(
                f"Would remove the texts of {plan.texts} activities and {plan.message_bodies} sent messages "
                f"older than {plan.days} days (before {isoformat_utc(plan.cutoff)})."
            )
        return
    result = do_apply_retention(app.engine, community, now=now, actor="cli")
    if output_format == "json":
        echo_json(
            {
                "text_days": result.days,
                "cutoff": isoformat_utc(result.cutoff),
                "texts": result.texts,
                "message_bodies": result.message_bodies,
                "applied": True,
                "batches": result.batches,
            }
        )
        return
    click.echo(
        f"Removed the texts of {result.texts} activities and {result.message_bodies} sent messages older "
        f"than {result.days} days, in {result.batches} batches."
    )
