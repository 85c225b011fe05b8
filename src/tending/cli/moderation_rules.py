"""`tending moderate rules` (the moderation rules in force, as YAML) and `tending moderate backtest`
(what changed rules would have queued differently). Registered in the `moderate` group by
tending.cli.moderation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from tending.cli.context import AppContext, community_option, echo_json, format_option, pass_app
from tending.errors import BadInputError


def read_rules_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise BadInputError("not a UTF-8 text file.", path=str(path)) from None
    except OSError as error:
        raise BadInputError(
            f"cannot be read ({error.strerror or type(error).__name__}).", path=str(path)
        ) from None


@click.command("rules")
@click.option(
    "--set",
    "set_file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Check FILE and make it the community's rules (over the shipped ones).",
)
@click.option("--reset", is_flag=True, help="Go back to the shipped rules.")
@click.option(
    "--check",
    "check_file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Only check FILE (nothing is saved).",
)
@community_option
@pass_app
def rules_command(
    app: AppContext,
    set_file: Path | None,
    reset: bool,
    check_file: Path | None,
    community_name: str | None,
) -> None:
    """Print the moderation rules in force as a rules file (YAML); --set FILE or --reset changes them.

    A rules file overrides the shipped rules field by field: signals (enabled, threshold, action,
    severity) and contexts (introduction, new_account, repeat_offender). Reference:
    docs/moderation-rules.md.

    \b
    Example:
      tending moderate rules > rules.yaml
      tending moderate backtest --rules rules.yaml --since 2026-01-01
      tending moderate rules --set rules.yaml
    """
    from tending.actions.moderation_rules import (
        check_rules_text,
        do_reset_rules,
        do_set_rules,
        get_rules_text,
    )
    from tending.timeutil import utcnow

    if sum(bool(x) for x in (set_file, reset, check_file)) > 1:
        raise click.UsageError("--set, --check and --reset cannot be combined.")
    if check_file is not None:
        check_rules_text(read_rules_file(check_file), path=str(check_file))
        click.echo(f"{check_file}: the rules are valid.")
        return
    with app.engine.begin() as conn:
        community = app.community(conn, community_name)
        if set_file is not None:
            do_set_rules(
                conn,
                community,
                read_rules_file(set_file),
                path=str(set_file),
                actor="cli",
                now=utcnow(),
            )
            click.echo(f"The moderation rules of '{community.name}' are now {set_file}'s.")
            return
        if reset:
            had = do_reset_rules(conn, community, actor="cli", now=utcnow())
            click.echo(
                f"'{community.name}' uses the shipped moderation rules"
                + ("." if had else " (it had no rules of its own).")
            )
            return
        click.echo(get_rules_text(conn, community), nl=False)


@click.command("backtest")
@click.option(
    "--rules",
    "rules_file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    required=True,
    help="The proposed rules file (over the shipped rules, as with `rules --set`).",
)
@click.option(
    "--since",
    metavar="ISO",
    required=True,
    help="Replay the contributions from this instant on (a date or date-time, community local time).",
)
@click.option(
    "--samples",
    type=click.IntRange(0, 100),
    default=5,
    show_default=True,
    help="Examples shown of each difference.",
)
@community_option
@format_option("table", "json")
@pass_app
def backtest_command(
    app: AppContext,
    rules_file: Path,
    since: str,
    samples: int,
    community_name: str | None,
    output_format: str,
) -> None:
    """Replay the community's history under proposed rules: what they would have queued that the rules
    in force did not, and the reverse, by signal and by regulars versus newcomers. Nothing is saved.

    \b
    Example:
      tending moderate rules > rules.yaml     # then edit rules.yaml
      tending moderate backtest --rules rules.yaml --since 2026-01-01
    """
    from tending.actions.backtest import get_backtest
    from tending.actions.moderation_rules import check_rules_text
    from tending.timeutil import get_zone, parse_instant

    proposed = check_rules_text(read_rules_file(rules_file), path=str(rules_file))
    with app.engine.connect() as conn:
        community = app.community(conn, community_name)
        zone = get_zone(community.timezone)
        start = parse_instant(since, default_tz=zone, field="--since")
        result = get_backtest(conn, community, proposed, since=start, samples=samples)
    if output_format == "json":
        echo_json(result.as_json())
        return
    _print_backtest(result, zone)


def _print_backtest(result: Any, zone: Any) -> None:
    since = result.since.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    click.echo(f"Replayed {result.replayed} contributions since {since} ({zone.key}).")
    if result.changes:
        click.echo("Changed: " + "; ".join(result.changes) + ".")
    else:
        click.echo("The proposed rules are the rules in force.")
    signals = sorted(set(result.current) | set(result.proposed))
    click.echo(f"\n{'signal':16} {'current':>8} {'proposed':>9} {'only new':>9} {'only now':>9}")
    for name in signals:
        click.echo(
            f"{name:16} {result.current[name]:>8} {result.proposed[name]:>9} "
            f"{result.only_proposed.by_signal[name]:>9} {result.only_current.by_signal[name]:>9}"
        )
    for title, diff in (
        ("Only the proposed rules would queue", result.only_proposed),
        ("Only the rules in force queue", result.only_current),
    ):
        click.echo(
            f"\n{title} {diff.total} ({diff.regulars} from regulars, {diff.newcomers} from newcomers)"
            + (":" if diff.samples else ".")
        )
        for f in diff.samples:
            when = f.occurred_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
            who = "newcomer" if f.newcomer else "regular"
            text = " ".join(f.text.split())[:80]
            click.echo(
                f"  {f.activity_id or '-':>8}  {f.signal:15} {f.score:.2f}  {when}  {who:8}  {text}"
            )
    click.echo(
        "\n(" + ", ".join(result.compared_by_queue) + ": compared on/off from the queue's items; "
        "the other signals are replayed in full.)"
    )


@click.command("notices")
@click.option("--on/--off", "enabled", default=None, help="Post team notices, or stop.")
@click.option(
    "--include-text/--no-include-text",
    default=None,
    help="Whether a notice quotes the message it is about (default: never).",
)
@click.option("--per-hour", type=click.IntRange(1, 1000), help="At most this many notices an hour.")
@click.option(
    "--dashboard-url",
    metavar="URL",
    help="The dashboard's address as the team reaches it, for the links in notices.",
)
@click.option("--test", "send_test", is_flag=True, help="Queue a test notice on the staff channel.")
@community_option
@pass_app
def notices_command(
    app: AppContext,
    enabled: bool | None,
    include_text: bool | None,
    per_hour: int | None,
    dashboard_url: str | None,
    send_test: bool,
    community_name: str | None,
) -> None:
    """Team notices: a short note on the team's staff channel (a Matrix room, a Slack or Discord webhook,
    e-mail; see docs/delivery.md) for each new high-severity item, alert and appeal. Without options,
    prints the settings.

    \b
    Example:
      tending moderate notices --on --dashboard-url https://tending.example.org --test
      tending outbox send ID     # or let the worker deliver it
    """
    from tending.actions.notices import (
        do_send_test_notice,
        do_set_notice_settings,
        get_notice_settings,
    )
    from tending.timeutil import utcnow

    with app.engine.begin() as conn:
        community = app.community(conn, community_name)
        community = do_set_notice_settings(
            conn,
            community,
            actor="cli",
            enabled=enabled,
            include_text=include_text,
            per_hour=per_hour,
            dashboard_url=dashboard_url,
        )
        settings = get_notice_settings(community)
        test_id = do_send_test_notice(conn, community, now=utcnow()) if send_test else None
    click.echo(
        f"Team notices of '{community.name}': {'on' if settings.enabled else 'off'}, "
        f"{'with' if settings.include_text else 'without'} message texts, at most "
        f"{settings.per_hour} an hour"
        + (f", links to {settings.dashboard_url}" if settings.dashboard_url else "")
        + "."
    )
    if send_test:
        click.echo(
            f"Test notice queued as outbox message {test_id}."
            if test_id is not None
            else "No test notice: notices are off, or the hour's limit is reached."
        )
