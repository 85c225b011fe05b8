"""`tending communities`: list, create, configure and delete communities."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from tending.cli.context import AppContext, echo_json, format_option, pass_app, say
from tending.texts import T_, TN_, Text

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from tending.models import Community


@click.group()
def communities() -> None:
    """The communities this database holds.

    \b
    Example:
      tending communities list
      tending communities add "Chats diabétiques" --platform facebook --timezone Europe/Paris --language fr
    """


@communities.command("list")
@format_option("table", "json")
@pass_app
def list_command(app: AppContext, output_format: str) -> None:
    """List the communities.

    Example: tending communities list --format json
    """
    from tending.actions.communities import get_communities

    with app.engine.connect() as conn:
        found = get_communities(conn)
    if output_format == "json":
        echo_json(
            [
                {
                    "id": c.id,
                    "name": c.name,
                    "platform": c.platform,
                    "timezone": c.timezone,
                    "language": c.language,
                }
                for c in found
            ]
        )
        return
    if not found:
        click.echo(
            say(T_("No community yet. Import an export (tending import) or run tending demo."))
        )
        return
    from tending.cli.members import print_table

    click.echo(say(TN_("%(n)s community.", "%(n)s communities."), n=len(found)))
    print_table(
        [T_("id"), T_("name"), T_("platform"), T_("time zone"), T_("language")],
        [[c.id, c.name, c.platform, c.timezone, c.language] for c in found],
    )


@communities.command("add")
@click.argument("name")
@click.option("--platform", default="other", show_default=True, help="Where the community lives.")
@click.option(
    "--timezone", default="UTC", show_default=True, help="IANA time zone, e.g. Europe/Paris."
)
@click.option("--language", default="en", show_default=True, help="Default language (en or fr).")
@pass_app
def add_command(app: AppContext, name: str, platform: str, timezone: str, language: str) -> None:
    """Create a community.

    Example: tending communities add "Cat diabetes support" --timezone America/New_York
    """
    from tending.actions.communities import do_create_community, find_community
    from tending.errors import UsageError

    with app.engine.begin() as conn:
        if find_community(conn, name) is not None:
            raise UsageError(f"a community named '{name}' already exists.")
        community = do_create_community(
            conn, name, platform=platform, timezone=timezone, language=language, actor="cli"
        )
    click.echo(f"Created community {community.id}: {community.name}.")


@communities.command("set")
@click.argument("name")
@click.option("--language", metavar="LANG", help="The language of its drafts and pages (en or fr).")
@click.option("--timezone", metavar="ZONE", help="IANA time zone of its dates, e.g. Europe/Paris.")
@click.option("--name", "new_name", metavar="NEW", help="A new name for the community.")
@click.option(
    "--start-url",
    metavar="URL",
    help='The "start here" link its onboarding messages offer (in place of the playbook\'s).',
)
@pass_app
def set_command(
    app: AppContext,
    name: str,
    language: str | None,
    timezone: str | None,
    new_name: str | None,
    start_url: str | None,
) -> None:
    """Change a community's language, time zone, name or "start here" link. Each change is audited.

    \b
    Example:
      tending communities set "Chats diabétiques" --language fr --timezone Europe/Paris \\
          --start-url https://www.facebook.com/groups/chatsdiabetiques/announcements
    """
    from tending.actions.communities import do_set_start_url, do_update_community
    from tending.errors import UsageError

    if language is None and timezone is None and new_name is None and start_url is None:
        raise UsageError("nothing to change: give --language, --timezone, --name or --start-url.")
    with app.engine.begin() as conn:
        community = app.community(conn, name)
        community = do_update_community(
            conn, community, name=new_name, timezone=timezone, language=language, actor="cli"
        )
        if (
            start_url is not None
        ):  # after the language: the link's title is in the community's language
            community = do_set_start_url(conn, community, start_url, actor="cli")
    links = ", ".join(link["url"] for link in community.settings.get("onboarding_links", []))
    values = {
        "id": str(community.id),  # an id, not a count: never grouped
        "name": community.name,
        "platform": community.platform,
        "timezone": community.timezone,
        "language": community.language,
    }
    if links:
        said = T_(
            "Community %(id)s: %(name)s (%(platform)s, %(timezone)s, %(language)s); "
            "start here: %(links)s."
        )
        click.echo(say(said, links=links, **values))
    else:
        said = T_("Community %(id)s: %(name)s (%(platform)s, %(timezone)s, %(language)s).")
        click.echo(say(said, **values))


# what the confirmation lists, in this order (other tables are counted in "other rows")
DELETION_LINES = (
    ("members", "members"),
    ("activities", "posts, replies, comments and reactions"),
    ("outbox", "outbox messages"),
    ("moderation_items", "moderation findings"),
    ("imports", "imports in the log"),
    ("member_tombstones", "tombstones of erased members"),
)


@communities.command("delete")
@click.argument("name")
@click.option(
    "--tombstones-to",
    "tombstones_to",
    metavar="NAME",
    help="The community that takes over this one's tombstones of erased members (needed when it has any).",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_app
def delete_command(app: AppContext, name: str, tombstones_to: str | None, yes: bool) -> None:
    """Delete a community and everything tending holds about it, in one transaction.

    Asks first, listing what goes. The deletion is recorded (who, when, how many rows) in the installation's
    log of deletions. Tombstones of members erased in it keep those people out of later imports, so a
    community holding any is deleted only with --tombstones-to naming the community that keeps them.

    \b
    Example (a re-import without --community doubled a group):
      tending communities delete "Chats diabétiques (2)" --tombstones-to "Chats diabétiques"
    """
    from tending.actions.communities import do_delete_community, get_community_footprint
    from tending.errors import UsageError

    with app.engine.connect() as conn:
        community = _named(conn, name, option="NAME")
        footprint = get_community_footprint(conn, community)
        if tombstones_to is not None:
            _named(conn, tombstones_to, option="--tombstones-to")
    if footprint.count("member_tombstones") and tombstones_to is None:
        raise UsageError(
            Text(
                TN_(
                    "'%(name)s' holds %(n)s tombstone of erased members, which keep them from being "
                    "imported again; give --tombstones-to COMMUNITY to hand them to the community that "
                    "stays.",
                    "'%(name)s' holds %(n)s tombstones of erased members, which keep them from being "
                    "imported again; give --tombstones-to COMMUNITY to hand them to the community that "
                    "stays.",
                ),
                name=community.name,
                n=footprint.count("member_tombstones"),
            )
        )
    if not yes:
        click.echo(f"Deleting '{community.name}' ({community.platform}) removes for good:")
        listed = 0
        for table, words in DELETION_LINES:
            listed += footprint.count(table)
            click.echo(f"  {footprint.count(table):>10,}  {words}")
        click.echo(f"  {footprint.total - listed:>10,}  other rows (threads, scores, audit log...)")
        click.confirm(f"Delete '{community.name}'? This cannot be undone", abort=True)
    with app.engine.begin() as conn:
        community = _named(conn, name, option="NAME")
        heir = _named(conn, tombstones_to, option="--tombstones-to") if tombstones_to else None
        removed = do_delete_community(conn, community, actor="cli", tombstones_to=heir)
    moved = f"; its tombstones went to '{heir.name}'" if heir is not None else ""
    click.echo(
        f"Deleted community {community.id}: {community.name} ({removed.count('members'):,} members, "
        f"{removed.total:,} rows){moved}."
    )


def _named(conn: Connection, name: str, *, option: str) -> Community:
    from tending.actions.communities import find_community, get_communities
    from tending.errors import UsageError

    found = find_community(conn, name)
    if found is None:
        known = ", ".join(c.name for c in get_communities(conn)) or "none yet"
        raise UsageError(f"{option}: no community named '{name}' (known: {known}).")
    return found
