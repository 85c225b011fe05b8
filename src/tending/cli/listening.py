"""`tending listen` and `tending mentions`: thin shells over actions/listening.py."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from tending.cli.context import AppContext, community_option, echo_json, format_option, pass_app
from tending.connectors.listening import SOURCES
from tending.timeutil import ensure_utc, get_zone, parse_instant

if TYPE_CHECKING:
    from tending.actions.listening import ListenResult

SENTIMENT_CHOICES = ("negative", "neutral", "positive")
STATE_CHOICES = ("new", "answered", "routed", "ignored")


@click.group("listen")
def listen() -> None:
    """Listening: hear what is said about the community elsewhere (Mastodon, Bluesky, RSS and Atom
    feeds, Hacker News). Queries run with tending sync and tending worker; what they hear is in
    tending mentions. Definitions: docs/listening.md.

    \b
    Examples:
      tending listen add --community Brand --keyword tending --keyword "mon produit" \\
          --keyword -emploi --source mastodon --url https://mastodon.social
      tending listen list
    """


@listen.command("add")
@click.option(
    "--community", "community_name", metavar="NAME", required=True, help="The community listening."
)
@click.option(
    "--keyword",
    "keywords",
    metavar="WORD",
    multiple=True,
    required=True,
    help='A word or a phrase ("mon produit"), any case and accents; -word excludes. Repeat it.',
)
@click.option("--source", type=click.Choice(list(SOURCES)), required=True, help="Where to listen.")
@click.option(
    "--url",
    metavar="URL",
    help="The Mastodon instance, the Bluesky or Algolia API, or the feed (required for rss).",
)
@click.option(
    "--interval",
    "interval_s",
    type=int,
    default=600,
    show_default=True,
    metavar="SECONDS",
    help="How often tending worker runs it.",
)
@pass_app
def add(
    app: AppContext,
    community_name: str,
    keywords: tuple[str, ...],
    source: str,
    url: str | None,
    interval_s: int,
) -> None:
    """Record a listening query: keywords and phrases (French and English, accents folded), exclusions
    written -word, on one source. A post is a mention when it has one keyword and no exclusion.

    \b
    Examples:
      tending listen add --community Brand --keyword tending --source hackernews
      tending listen add --community Brand --keyword "mon produit" --keyword -emploi \\
          --source rss --url https://news.google.com/rss/search?q=tending
    """
    from tending.actions.listening import do_add_query

    info = do_add_query(
        app.engine,
        community_name=community_name,
        keywords=list(keywords),
        source=source,
        url=url,
        interval_s=interval_s,
    )
    click.echo(
        f"Listening query {info.id} recorded: {info.source} {info.url} for {info.community}, "
        f"keywords {', '.join(info.keywords)}; run every {info.interval_s} s by tending worker."
    )
    click.echo(f"Next: tending sync, then tending mentions --community {info.community!r}")


@listen.command("list")
@community_option
@format_option("table", "json")
@pass_app
def list_queries(app: AppContext, community_name: str | None, output_format: str) -> None:
    """The listening queries: source, keywords, state (ok, failing with the reason, paused), last run.

    Example: tending listen list --format json
    """
    from tending.actions.listening import get_listen_queries

    found = get_listen_queries(app.engine, community_name=community_name)
    if output_format == "json":
        echo_json([q.as_dict() for q in found])
        return
    if not found:
        click.echo(
            "No listening query yet: tending listen add --community NAME --keyword WORD --source SOURCE."
        )
        return
    click.echo(
        f"{'ID':>4}  {'COMMUNITY':<20} {'SOURCE':<10} {'STATE':<8} {'LAST RUN':<21} KEYWORDS"
    )
    for q in found:
        last = q.last_run_at.strftime("%Y-%m-%d %H:%M:%S") + "Z" if q.last_run_at else "never"
        click.echo(
            f"{q.id:>4}  {q.community[:20]:<20} {q.source:<10} {q.state:<8} {last:<21} "
            f"{', '.join(q.keywords)}"
        )
        click.echo(f"      {q.url}")
        if q.state == "failing" and q.reason:
            click.echo(f"      failing: {q.reason}")
    click.echo(f"{len(found)} of {len(found)} listening queries.")


def _change(what: str) -> Any:
    @click.argument("query_id", metavar="ID", type=int)
    @pass_app
    def command(app: AppContext, query_id: int) -> None:
        from tending.actions import listening as actions

        if what == "remove":
            info = actions.do_remove_query(app.engine, query_id)
            done = "removed (the mentions it heard stay)"
        else:
            info = actions.do_set_query_state(
                app.engine, query_id, actions.PAUSED if what == "pause" else actions.OK
            )
            done = "paused" if what == "pause" else "resumed"
        click.echo(f"Listening query {info.id} ({info.source}, {info.community}) {done}.")

    return command


listen.command(
    "pause", help="Stop running query ID until resumed.\n\nExample: tending listen pause 2"
)(_change("pause"))
listen.command("resume", help="Run query ID again.\n\nExample: tending listen resume 2")(
    _change("resume")
)
listen.command(
    "remove",
    help="Forget query ID; the mentions it heard stay.\n\nExample: tending listen remove 2",
)(_change("remove"))


@click.group("mentions", invoke_without_command=True)
@community_option
@click.option(
    "--since",
    metavar="ISO",
    help="Only mentions published since (a bare date is midnight, community time).",
)
@click.option("--sentiment", type=click.Choice(SENTIMENT_CHOICES), help="Only this sentiment.")
@click.option("--state", "state", type=click.Choice(STATE_CHOICES), help="Only this state.")
@click.option("--source", type=click.Choice(list(SOURCES)), help="Only this source.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--offset", default=0, show_default=True, type=click.IntRange(0))
@format_option("table", "json")
@click.pass_context
def mentions(
    ctx: click.Context,
    community_name: str | None,
    since: str | None,
    sentiment: str | None,
    state: str | None,
    source: str | None,
    limit: int,
    offset: int,
    output_format: str,
) -> None:
    """The mentions inbox, newest first: what the listening queries heard, with its sentiment
    (negative, neutral, positive), its scores (sentiment, complaint, toxicity) and its state (new,
    answered, routed, ignored). The author is the platform's public handle, never a member.

    \b
    Examples:
      tending mentions --community Brand --sentiment negative
      tending mentions --since 2026-03-01 --format json
      tending mentions act 12 answered --note "replied on Mastodon"
    """
    if ctx.invoked_subcommand is not None:
        return
    from tending.actions.communities import resolve_community
    from tending.actions.listening import get_mentions_page

    app = ctx.find_object(AppContext)
    assert app is not None
    with app.engine.connect() as conn:
        community = resolve_community(conn, community_name)
        moment = (
            parse_instant(since, default_tz=get_zone(community.timezone), field="--since")
            if since
            else None
        )
        page = get_mentions_page(
            conn,
            community,
            since=moment,
            sentiment=sentiment,
            state=state,
            source=source,
            limit=limit,
            offset=offset,
        )
    if output_format == "json":
        echo_json(
            {
                "total": page.total,
                "limit": limit,
                "offset": offset,
                "items": [m.as_dict() for m in page.items],
            }
        )
        return
    if not page.items:
        click.echo(f"No mention here ({page.total} in all): tending listen add, then tending sync.")
        return
    zone = get_zone(community.timezone)
    click.echo(
        f"{'ID':>5}  {'when (' + community.timezone + ')':<22} {'SOURCE':<10} {'SENTIMENT':<9} "
        f"{'STATE':<8} AUTHOR"
    )
    for m in page.items:
        when = ensure_utc(m.published_at).astimezone(zone).strftime("%Y-%m-%d %H:%M")
        flag = " complaint" if m.complaint else ""
        click.echo(
            f"{m.id:>5}  {when:<22} {m.source:<10} {m.sentiment:<9} {m.state:<8} "
            f"{m.author or '-'}{flag}"
        )
        text = " ".join(m.text.split()) if not m.deleted else "(deleted by its author)"
        click.echo(f"       {text[:140]}")
        if m.url:
            click.echo(f"       {m.url}")
    first = offset + 1
    click.echo(f"{first}-{offset + len(page.items)} of {page.total} mentions.")


@mentions.command("act")
@click.argument("mention_id", metavar="ID", type=int)
@click.argument("state", metavar="answered|routed|ignored", type=click.Choice(STATE_CHOICES[1:]))
@click.option("--note", metavar="TEXT", help="What was done (kept with the mention, never sent).")
@community_option
@pass_app
def act(
    app: AppContext, mention_id: int, state: str, note: str | None, community_name: str | None
) -> None:
    """Mark mention ID answered, routed (to whoever can help) or ignored.

    Example: tending mentions act 12 routed --note "sent to support"
    """
    from tending.actions.listening import do_act_on_mention

    mention = do_act_on_mention(
        app.engine, mention_id, state, note=note, community_name=community_name
    )
    click.echo(f"Mention {mention.id} ({mention.source}) marked {mention.state}.")


def print_listens(results: list[ListenResult], *, quiet: bool = True) -> None:
    """One line per query run; quiet (the worker): only those that heard something new or failed."""
    for result in results:
        head = f"Listening query {result.query_id} ({result.source}, {result.community})"
        if not result.ok:
            click.echo(f"{head}: failing: {result.reason}")
            continue
        if quiet and not (result.added or result.erased):
            continue
        click.echo(
            f"{head}: {result.added} new mentions, {result.again} heard again"
            + (f", {result.erased} deleted by their authors" if result.erased else "")
            + f"; {result.requests} requests, {result.duration_s:.1f} s."
        )
