"""`tending communities`: list and create communities."""

from __future__ import annotations

import click

from tending.cli.context import AppContext, echo_json, format_option, pass_app


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
        click.echo("No community yet. Import an export (tending import) or run tending demo.")
    for c in found:
        click.echo(f"{c.id:>4}  {c.name}  ({c.platform}, {c.timezone}, {c.language})")


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
    click.echo(
        f"Community {community.id}: {community.name} ({community.platform}, {community.timezone}, "
        f"{community.language})" + (f"; start here: {links}" if links else "") + "."
    )
