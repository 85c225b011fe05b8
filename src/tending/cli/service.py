"""`tending check` and `tending status`: is the configuration right, is the worker alive, what is stuck.
Thin shells over actions/worker.py."""

from __future__ import annotations

import click

from tending.cli.context import AppContext, echo_json, format_option, pass_app
from tending.errors import TendingError
from tending.texts import TN_, Text
from tending.timeutil import isoformat_utc


@click.command("check")
@pass_app
def check(app: AppContext) -> None:
    """Check the configuration: the config file, the database, and every delivery transport (the one of
    each channel, and the ones queued messages wait on). Exits 1 and lists each mistake.

    Example: tending check
    """
    from tending.actions.worker import check_configuration

    settings = app.settings  # reading the config file refuses a missing or invalid one
    engine = app.engine
    click.echo(
        f"database: {engine.url.render_as_string(hide_password=True)} is reachable and up to date"
    )
    problems = check_configuration(settings, engine)
    for problem in problems:
        click.echo(f"problem: {problem}")
    if problems:
        raise TendingError(
            Text(
                TN_(
                    "%(n)s problem in the configuration; the worker would not start.",
                    "%(n)s problems in the configuration; the worker would not start.",
                ),
                n=len(problems),
            )
        )
    click.echo("configuration: ok")


@click.command("status")
@format_option("table", "json")
@pass_app
def status(app: AppContext, output_format: str) -> None:
    """What the workers last did and what is stuck (flagged for a check, failed, left sending, overdue).

    Example: tending status
    """
    from tending.actions.worker import get_worker_status

    found = get_worker_status(app.engine)
    if output_format == "json":
        echo_json(found.as_dict())
        return
    if not found.heartbeats:
        click.echo("worker: none has ever run on this database (start one: tending worker)")
    for beat in found.heartbeats:
        state = f"last error: {beat.last_error}" if beat.last_error else "last tick ok"
        click.echo(
            f"worker {beat.worker}: last tick {isoformat_utc(beat.last_tick_at)} ({state}); "
            f"{beat.ticks} ticks since {isoformat_utc(beat.started_at)}"
        )
    click.echo(
        "delivery: a worker is running"
        if found.running
        else "delivery: no worker has ticked in 10 minutes"
    )
    if not found.stuck:
        click.echo("stuck: nothing")
    for community, counts in found.stuck.items():
        shown = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts.items() if n)
        click.echo(f"stuck in {community}: {shown}")
