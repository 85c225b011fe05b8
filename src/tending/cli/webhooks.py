"""`tending webhooks`: tell another system when something happens in a community (signed JSON POSTs)."""

from __future__ import annotations

import click

from tending.cli.context import AppContext, community_option, echo_json, format_option, pass_app
from tending.timeutil import isoformat_utc, utcnow

EVENT_NAMES = ("moderation.item", "alert.raised", "member.joined")


@click.group()
def webhooks() -> None:
    """Webhooks out: a signed JSON POST to a URL for each new event.

    Events: moderation.item (a new item in the review queue), alert.raised (an early warning),
    member.joined (a new member, bots left out). The worker's tick (tending run, tending worker) sends
    them; each payload is signed with HMAC-SHA256 in the X-Tending-Signature-256 header (docs/web.md).

    \b
    Example:
      tending webhooks add https://hooks.example.org/tending --community Cats --event moderation.item
      tending webhooks list --community Cats
      tending webhooks remove 2 --community Cats
    """


@webhooks.command("add")
@click.argument("url")
@click.option(
    "--event",
    "events",
    multiple=True,
    type=click.Choice(EVENT_NAMES),
    required=True,
    help="An event to send (repeat for several).",
)
@community_option
@pass_app
def add_command(
    app: AppContext, url: str, events: tuple[str, ...], community_name: str | None
) -> None:
    """Add a webhook and print its signing secret (the only time it is shown).

    Only events from now on are sent, not the history. Plain http is accepted for 127.0.0.1 and
    localhost only.

    Example: tending webhooks add https://hooks.example.org/t --event alert.raised --event member.joined
    """
    from tending.actions.webhooks import do_add_webhook

    with app.engine.begin() as conn:
        community = app.community(conn, community_name)
        made = do_add_webhook(conn, community, url, events=list(events), actor="cli", now=utcnow())
    click.echo(made.secret)
    click.echo(
        f"Webhook {made.webhook.id} for {', '.join(made.webhook.events)}: the line above is its signing "
        "secret; keep it now, it is not shown again.",
        err=True,
    )


@webhooks.command("list")
@community_option
@format_option("table", "json")
@pass_app
def list_command(app: AppContext, community_name: str | None, output_format: str) -> None:
    """List the community's webhooks (never their secrets) and what each has delivered.

    Example: tending webhooks list --format json
    """
    from tending.actions.webhooks import get_delivery_counts, get_webhooks

    with app.engine.connect() as conn:
        community = app.community(conn, community_name)
        found = get_webhooks(conn, community)
        tallies = get_delivery_counts(conn, community)
    if output_format == "json":
        echo_json(
            [
                {
                    "id": w.id,
                    "url": w.url,
                    "events": list(w.events),
                    "created_at": isoformat_utc(w.created_at),
                    "created_by": w.created_by,
                    "deliveries": tallies[w.id],
                }
                for w in found
            ]
        )
        return
    if not found:
        click.echo("No webhook yet. Add one: tending webhooks add URL --event moderation.item")
    for w in found:
        done = (
            ", ".join(f"{n} {status}" for status, n in tallies[w.id].items() if n)
            or "nothing delivered yet"
        )
        click.echo(f"{w.id}  {w.url}  {' '.join(w.events)}  ({done})")


@webhooks.command("remove")
@click.argument("webhook_id", metavar="ID", type=click.IntRange(min=1, max=2**62))
@community_option
@pass_app
def remove_command(app: AppContext, webhook_id: int, community_name: str | None) -> None:
    """Remove a webhook and its pending deliveries.

    Example: tending webhooks remove 2
    """
    from tending.actions.webhooks import do_remove_webhook

    with app.engine.begin() as conn:
        community = app.community(conn, community_name)
        do_remove_webhook(conn, community, webhook_id, actor="cli", now=utcnow())
    click.echo(f"Webhook {webhook_id} removed.")
