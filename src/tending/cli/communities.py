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
