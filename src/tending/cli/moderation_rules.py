"""`tending moderate rules` (the moderation rules in force, as YAML) and `tending moderate backtest`
(what changed rules would have queued differently). Registered in the `moderate` group by
tending.cli.moderation."""

from __future__ import annotations

from pathlib import Path

import click

from tending.cli.context import AppContext, community_option, pass_app
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
