"""`tending health` and `tending alerts`: thin shells over actions/health.py and actions/alerts.py."""

from __future__ import annotations

from typing import Any

import click

from tending.cli.context import (
    AppContext,
    community_option,
    echo_json,
    format_option,
    pass_app,
    say,
)
from tending.errors import UsageError
from tending.lib.alerts import summary_in
from tending.models import HealthReport
from tending.texts import T_, TN_, cli_language, translate
from tending.timeutil import ensure_utc, get_zone, isoformat_utc, parse_instant, utcnow


def _as_of(value: str | None, timezone: str) -> Any:
    return utcnow() if value is None else parse_instant(value, default_tz=get_zone(timezone))


@click.command("health")
@click.option(
    "--as-of",
    "as_of",
    metavar="ISO",
    help="Compute as of this instant (a bare date is midnight in the "
    "community's time zone); nothing after it counts. Default: now.",
)
@click.option(
    "--window-days",
    type=int,
    default=28,
    show_default=True,
    help="Length of the window ending at --as-of.",
)
@click.option(
    "--score/--no-score",
    default=False,
    show_default=True,
    help="Score the window's unscored messages first (sentiment, toxicity) for the trends.",
)
@community_option
@format_option("table", "json")
@pass_app
def health(
    app: AppContext,
    as_of: str | None,
    window_days: int,
    score: bool,
    community_name: str | None,
    output_format: str,
) -> None:
    """Community health: members, contributors, activation, time to first response, who starts the
    conversations, 90-9-1 and Gini, retention, the funnel, trends. Definitions: docs/health.md.

    \b
    Example:
      tending health --as-of 2026-03-01 --window-days 28 --format json
    """
    if window_days < 1 or window_days > 3660:
        raise UsageError("--window-days: give a number of days between 1 and 3660.")
    with app.engine.begin() as conn:
        community = app.community(conn, community_name)
        moment = _as_of(as_of, community.timezone)
        if score:
            from datetime import timedelta

            from tending.actions.alerts import do_score_messages

            do_score_messages(
                conn,
                community,
                since=moment - timedelta(days=window_days),
                until=moment,
                actor="cli",
            )
        from tending.actions.health import get_health_report

        report = get_health_report(conn, community, as_of=moment, window_days=window_days)
    if output_format == "json":
        echo_json(report)
        return
    _print_report(report, community.timezone)


def _local(moment: str, zone: str) -> str:
    """An instant as a person reads it: local, to the minute, naming the zone (JSON keeps UTC ISO)."""
    local = ensure_utc(parse_instant(moment)).astimezone(get_zone(zone))
    return f"{local:%Y-%m-%d %H:%M} ({zone})"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _num(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _print_report(r: HealthReport, zone: str = "UTC") -> None:
    ttfr = r["time_to_first_response_hours"]
    rows = [
        (
            "Members",
            f"{r['members_total']:,}  (+{r['new_members']:,} joined, {r['members_left']:,} left)",
        ),
        (
            "Active contributors",
            f"{r['active_contributors']:,}  ({r['contributions']:,} contributions)",
        ),
        (
            "Daily / window contributors",
            f"{_num(r['daily_contributors_mean'])} a day, ratio "
            f"{_num(r['daily_to_monthly_contributors'], 3)}",
        ),
        ("Reads", "not in this export" if r["reads"] is None else f"{r['reads']:,}"),
        (
            "Activation 7 / 30 days",
            f"{_pct(r['activation_rate_7d'])} of {r['activation_cohort_7d']:,} / "
            f"{_pct(r['activation_rate_30d'])} of {r['activation_cohort_30d']:,}",
        ),
        ("Threads started", f"{r['threads_started']:,}, {r['unanswered_threads']:,} unanswered"),
        ("First response (hours)", f"median {_num(ttfr['median'])}, mean {_num(ttfr['mean'])}"),
        ("Started by members", _pct(r["member_started_threads_share"])),
        ("Gini of contributions", _num(r["gini"], 3)),
    ]
    when = _local(r["as_of"], zone)
    click.echo(f"{r['community']}: health as of {when} over {r['window_days']} days")
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        click.echo(f"  {label:<{width}}  {value}")
    seg = r["segments"]
    click.echo(
        "  90-9-1: "
        + ", ".join(
            f"{name} {_pct(seg[name]['share'])} ({seg[name]['count']:,})"
            for name in ("lurkers", "occasional", "core")
        )
    )
    f = r["funnel"]
    click.echo(
        f"  Funnel ({f['cohorts'][0]}..{f['cohorts'][1]}): joined {f['joined']:,} → first contribution "
        f"{f['first_contribution']:,} → regular {f['regular']:,} → core {f['core']:,}"
    )
    click.echo("  Retention (share contributing in month 0, 1, 2, ... after joining):")
    for row in r["retention"]:
        if row["members"]:
            click.echo(
                f"    {row['cohort']} ({row['members']:,}): "
                + " ".join("  —  " if x is None else f"{x:5.0%}" for x in row["months"])
            )
    outside = r.get("outside")
    if outside and outside["mentions"]:
        sources = ", ".join(f"{k} {v:,}" for k, v in outside["by_source"].items())
        trend = outside["negative_share_trend"]
        click.echo(
            f"  Outside: {outside['mentions']:,} mentions ({sources}); negative "
            f"{_pct(outside['negative_share'])}"
            + ("" if trend is None else f" ({trend * 100:+.1f} points on the window before)")
            + f"; answered {_pct(outside['answered_share'])}; median time to answer a negative one "
            + (
                "—"
                if outside["median_hours_to_answer_negative"] is None
                else f"{outside['median_hours_to_answer_negative']:.1f} h"
            )
        )
    if r["trends"]:
        last = r["trends"][-7:]
        click.echo(
            "  Sentiment, last days: "
            + ", ".join(
                f"{d['day'][5:]} {_num(d['sentiment_mean'], 2)} ({_pct(d['negative_share'])} neg.)"
                for d in last
            )
        )


@click.group("alerts", invoke_without_command=True)
@click.option("--as-of", "as_of", metavar="ISO", help="Evaluate as of this instant. Default: now.")
@click.option(
    "--deliver", is_flag=True, help="Draft a message to every staff member through the outbox."
)
@click.option(
    "--no-score", "no_score", is_flag=True, help="Do not score recent unscored messages first."
)
@community_option
@format_option("table", "json")
@pass_app
@click.pass_context
def alerts(
    ctx: click.Context,
    app: AppContext,
    as_of: str | None,
    deliver: bool,
    no_score: bool,
    community_name: str | None,
    output_format: str,
) -> None:
    """Early warnings: volume spikes and drops, negative or toxic messages, flags, unanswered questions
    piling up, heated threads. New alerts are stored once (rate-limited per kind and day).

    \b
    Examples:
      tending alerts --as-of 2026-03-01T18:00:00Z --deliver
      tending alerts list --limit 20          # the alerts raised so far, the latest first
    """
    if ctx.invoked_subcommand is not None:
        return
    with app.engine.begin() as conn:
        community = app.community(conn, community_name)
        moment = _as_of(as_of, community.timezone)
        from tending.actions.alerts import do_raise_alerts

        result = do_raise_alerts(
            conn, community, as_of=moment, deliver=deliver, score=not no_score, actor="cli"
        )
    if output_format == "json":
        echo_json(result)
        return
    if not result["raised"]:
        click.echo(
            f"No new alert as of {_local(result['as_of'], community.timezone)} "
            f"({result['duplicates']} already raised, "
            f"{result['rate_limited']} over the daily limit)."
        )
        return
    language = cli_language()
    for alert in result["raised"]:
        said = summary_in(alert["kind"], alert["figures"], alert["summary"], language)
        click.echo(f"[{alert['severity']}] {said}")
        if alert["thread_ids"]:
            click.echo(f"    threads: {', '.join(str(t) for t in alert['thread_ids'][:10])}")
        if alert["message_ids"]:
            click.echo(f"    messages: {', '.join(str(m) for m in alert['message_ids'][:10])}")
    if deliver:
        click.echo(
            say(
                TN_("%(n)s message drafted for staff.", "%(n)s messages drafted for staff."),
                n=result["drafted"],
            )
        )


@alerts.command("list")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--offset", default=0, show_default=True, type=click.IntRange(0))
@community_option
@format_option("table", "json")
@pass_app
def list_alerts(
    app: AppContext, limit: int, offset: int, community_name: str | None, output_format: str
) -> None:
    """The alerts raised so far, the latest first, with their time in the community's zone.

    Example: tending alerts list --limit 20 --format json
    """
    from tending.actions.alerts import get_alerts_page

    with app.engine.connect() as conn:
        community = app.community(conn, community_name)
        page = get_alerts_page(conn, community, limit=limit, offset=offset)
    if output_format == "json":
        echo_json(
            {
                "total": page.total,
                "limit": limit,
                "offset": offset,
                "items": [
                    {
                        "id": a.id,
                        "kind": a.kind,
                        "severity": a.severity,
                        "as_of": isoformat_utc(a.as_of),
                        "summary": a.summary,
                    }
                    for a in page.alerts
                ],
            }
        )
        return
    zone = get_zone(community.timezone)
    if not page.alerts:
        click.echo(
            say(T_("No alert raised yet (%(n)s in all)."), n=page.total)
            if not offset
            else say(
                T_("No alert past the first %(offset)s (%(n)s in all)."),
                offset=offset,
                n=page.total,
            )
        )
        return
    language = cli_language()
    when, severity, kind, summary = (
        translate(T_("when (%(zone)s)"), language, zone=community.timezone),
        translate(T_("severity"), language),
        translate(T_("kind"), language),
        translate(T_("summary"), language),
    )
    click.echo(f"{when:<22}  {severity:<8}  {kind:<20}  {summary}")
    for alert in page.alerts:
        when = ensure_utc(alert.as_of).astimezone(zone).strftime("%Y-%m-%d %H:%M")
        said = summary_in(alert.kind, alert.details["figures"], alert.summary, language)
        click.echo(f"{when:<22}  {alert.severity:<8}  {alert.kind:<20}  {said}")
    first, last = say("%(n)s", n=offset + 1), say("%(n)s", n=offset + len(page.alerts))
    shown = f"{first}-{last}" if offset else last
    more = say(T_(" (--offset for more)")) if offset + len(page.alerts) < page.total else ""
    said = say(
        TN_("%(which)s of %(n)s alert", "%(which)s of %(n)s alerts"), which=shown, n=page.total
    )
    click.echo(said + more)
