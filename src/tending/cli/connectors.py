"""`tending connect`, `tending connectors` and `tending sync`: thin shells over actions/connectors.py."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from tending.cli.context import AppContext, community_option, echo_json, format_option, pass_app
from tending.connectors import KINDS, get_connector
from tending.errors import UsageError

if TYPE_CHECKING:
    from tending.actions.connectors import SyncResult


def _fields(pairs: tuple[str, ...]) -> dict[str, str]:
    found: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise UsageError(
                f"credentials are given as NAME=VALUE (e.g. api_key=env:FORUM_KEY); got '{name}'."
            )
        found[name.strip()] = value.strip()
    return found


@click.command("connect", context_settings={"ignore_unknown_options": True})  # chat ids: -100...
@click.argument("kind", metavar="KIND")
@click.argument("target", metavar="URL-OR-ID")
@click.option(
    "--community",
    "community_name",
    metavar="NAME",
    required=True,
    help="The community the connector feeds (created if it does not exist yet).",
)
@click.argument("credentials", nargs=-1, metavar="[NAME=VALUE]...")
@click.option(
    "--interval",
    "interval_s",
    type=int,
    default=300,
    show_default=True,
    metavar="SECONDS",
    help="How often `tending worker` syncs it.",
)
@pass_app
def connect(
    app: AppContext,
    kind: str,
    target: str,
    community_name: str,
    credentials: tuple[str, ...],
    interval_s: int,
) -> None:
    """Connect a community to its platform: record the connector, check it once, say what it can see.

    KIND is one of: KINDS_LIST. Secrets are given by reference, never as values:
    env:VARIABLE (an environment variable) or config:KEY (a key of the config file's [connectors]
    table); only the reference is stored. See docs/connectors.md for each platform's fields.

    \b
    Examples:
      tending connect discourse https://forum.example.org --community "Cat owners"
      tending connect discourse https://forum.example.org --community "Cat owners" \\
          api_key=env:FORUM_API_KEY api_username=system
      tending connect rss https://blog.example.org/comments/feed/ --community "Blog readers"
      tending connect matrix '!abc:example.org' --community Entraide \\
          homeserver=https://matrix.example.org access_token=env:MATRIX_BOT_TOKEN
      tending connect telegram -1001234567890 --community Entraide token=env:TELEGRAM_BOT_TOKEN
      tending connect discord 1089521338827427852 --community Entraide \\
          token=env:DISCORD_BOT_TOKEN
      tending connect slack C0123ABCD --community "Data viz Houston" token=env:SLACK_BOT_TOKEN
    """
    from tending.actions.connectors import do_connect

    get_connector(kind)
    connected = do_connect(
        app.engine,
        kind,
        target,
        community_name=community_name,
        fields=_fields(credentials),
        file_values=app.settings.file_values,
        interval_s=interval_s,
    )
    info = connected.connector
    click.echo(
        f"Connector {info.id} recorded: {info.kind} {info.target} for {info.community}, "
        f"synced every {info.interval_s} s by tending worker."
    )
    click.echo(f"It sees: {connected.seen.summary}")
    click.echo(f"Next: tending sync --connector {info.id}")


connect.help = (connect.help or "").replace("KINDS_LIST", ", ".join(KINDS))


@click.group("connectors", invoke_without_command=True)
@community_option
@format_option("table", "json")
@click.pass_context
def connectors(ctx: click.Context, community_name: str | None, output_format: str) -> None:
    """The live connectors: state (ok, failing with the reason, paused), last sync, items fetched, cursor.

    \b
    Examples:
      tending connectors
      tending connectors --format json
      tending connectors pause 2
    """
    if ctx.invoked_subcommand is not None:
        return
    from tending.actions.connectors import get_connectors

    app = ctx.find_object(AppContext)
    assert app is not None
    found = get_connectors(app.engine, community_name=community_name)
    if output_format == "json":
        echo_json([c.as_dict() for c in found])
        return
    if not found:
        click.echo("No connector yet: tending connect KIND URL --community NAME.")
        return
    click.echo(
        f"{'ID':>4}  {'COMMUNITY':<20} {'KIND':<10} {'STATE':<8} {'LAST SYNC':<21} "
        f"{'ITEMS':>8}  TARGET"
    )
    for c in found:
        last = c.last_sync_at.strftime("%Y-%m-%d %H:%M:%S") + "Z" if c.last_sync_at else "never"
        click.echo(
            f"{c.id:>4}  {c.community[:20]:<20} {c.kind:<10} {c.state:<8} {last:<21} "
            f"{c.items_fetched:>8}  {c.target}"
        )
        if c.state == "failing" and c.reason:
            click.echo(f"      failing: {c.reason}")
        if c.cursor:
            click.echo(f"      cursor: {_cursor_text(c.cursor)}")
    click.echo(f"{len(found)} of {len(found)} connectors.")


def _cursor_text(cursor: dict[str, Any]) -> str:
    parts = [f"{k}={v}" for k, v in cursor.items() if not isinstance(v, list | dict)]
    return ", ".join(parts) or "-"


def _change(state: str) -> Any:
    @click.argument("connector_id", metavar="ID", type=int)
    @pass_app
    def command(app: AppContext, connector_id: int) -> None:
        from tending.actions import connectors as actions

        action = {
            "pause": actions.do_pause,
            "resume": actions.do_resume,
            "remove": actions.do_remove,
        }[state]
        info = action(app.engine, connector_id)
        done = {"pause": "paused", "resume": "resumed", "remove": "removed (what it synced stays)"}[
            state
        ]
        click.echo(f"Connector {info.id} ({info.kind} {info.target}, {info.community}) {done}.")

    return command


connectors.command(
    "pause", help="Stop syncing connector ID until resumed.\n\nExample: tending connectors pause 2"
)(_change("pause"))
connectors.command(
    "resume", help="Sync connector ID again.\n\nExample: tending connectors resume 2"
)(_change("resume"))
connectors.command(
    "remove",
    help="Forget connector ID; what it synced stays.\n\nExample: tending connectors remove 2",
)(_change("remove"))


@click.command("sync")
@community_option
@click.option(
    "--connector", "connector_id", type=int, metavar="ID", help="Only this connector (even paused)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@pass_app
def sync(
    app: AppContext, community_name: str | None, connector_id: int | None, as_json: bool
) -> None:
    """One incremental pass of every connector that is not paused: only what is new since its cursor;
    then every listening query that is not paused (tending listen), unless --connector names one.

    A failing connector or query is marked failing with its reason and the others still sync; the exit
    code is then 1.

    \b
    Examples:
      tending sync
      tending sync --community "Cat owners" --json
      tending sync --connector 2
    """
    from tending.actions.connectors import do_sync
    from tending.actions.listening import do_listen
    from tending.cli.listening import print_listens

    results = do_sync(
        app.engine,
        community_name=community_name,
        connector_id=connector_id,
        file_values=app.settings.file_values,
    )
    heard = do_listen(app.engine, community_name=community_name) if connector_id is None else []
    if as_json:
        echo_json([r.as_dict() for r in results] + [r.as_dict() for r in heard])
    elif not results and not heard:
        click.echo(
            "Nothing to sync: no connector or listening query, or every one is paused "
            "(see tending connectors, tending listen list)."
        )
    if not as_json:
        print_syncs(results, quiet=False)
        print_listens(heard, quiet=False)
    if any(not r.ok for r in results) or any(not r.ok for r in heard):
        sys.exit(1)


def print_syncs(results: list[SyncResult], *, quiet: bool = True) -> None:
    """One line per connector synced; quiet (the worker): only those that added something or failed."""
    for result in results:
        head = f"Connector {result.connector_id} ({result.kind}, {result.community})"
        if not result.ok:
            click.echo(f"{head}: failing: {result.reason}")
            continue
        c = result.counts
        changed = c.activities_edited or c.activities_deleted
        if quiet and not (c.activities_added or c.members_added or c.threads_added or changed):
            continue
        edits = f", {c.activities_edited} edited, {c.activities_deleted} deleted" if changed else ""
        click.echo(
            f"{head}: {c.activities_added} new activities, {c.members_added} new members, "
            f"{c.threads_added} new threads{edits}; {result.requests} requests, "
            f"{result.duration_s:.1f} s."
        )
