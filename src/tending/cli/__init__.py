"""The `tending` command: thin shells over actions/ and lib/.

Commands live one module per area and are loaded lazily (start-up stays fast, and each area owns its
file). A user's mistake prints one line and exits 2 (usage) or 1 (failure), never a traceback.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from tending.cli.context import AppContext
from tending.errors import TendingError, describe_unexpected

# command name -> "module:attribute", imported when the command is listed or run (start-up stays fast)
COMMANDS: dict[str, str] = {
    "demo": "tending.cli.demo:demo",
    "communities": "tending.cli.communities:communities",
    "import": "tending.cli.importing:import_command",
    "imports": "tending.cli.importing:imports_command",
    "members": "tending.cli.members:members",
    "segments": "tending.cli.members:segments",
    "checkins": "tending.cli.members:checkins",
    "onboarding": "tending.cli.onboarding:onboarding",
    "outbox": "tending.cli.onboarding:outbox",
    "run": "tending.cli.onboarding:run",
    "worker": "tending.cli.onboarding:worker",
    "moderate": "tending.cli.moderation:moderate",
    "train": "tending.cli.moderation:train",
    "retention": "tending.cli.rights:retention",
    "health": "tending.cli.health:health",
    "alerts": "tending.cli.health:alerts",
    "serve": "tending.cli.web:serve",
    "users": "tending.cli.web:users",
    "webhooks": "tending.cli.webhooks:webhooks",
    "check": "tending.cli.service:check",
    "status": "tending.cli.service:status",
    "connect": "tending.cli.connectors:connect",
    "connectors": "tending.cli.connectors:connectors",
    "sync": "tending.cli.connectors:sync",
    "listen": "tending.cli.listening:listen",
    "mentions": "tending.cli.listening:mentions",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._load(cmd_name)

    @staticmethod
    def _load(name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(command, click.Command), target
        return command


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--db",
    "db",
    metavar="URL",
    envvar="TENDING_DATABASE_URL",
    help="Database: a SQLite file path or URL, or postgresql+psycopg://user@host/db. "
    "Default: ~/.local/share/tending/tending.db (env TENDING_DATABASE_URL).",
)
@click.version_option(None, "--version", package_name="tending", prog_name="tending")  # read lazily
@click.pass_context
def cli(ctx: click.Context, db: str | None) -> None:
    """tending: a workbench for the people who run online communities.

    \b
    Start with the demo community:
      tending demo
    Then import your own community's export:
      tending import slack ./workspace-export.zip --community "Data viz Houston"
    """
    ctx.obj = AppContext(db_option=db)
    ctx.call_on_close(ctx.obj.close)


def main(argv: list[str] | None = None) -> Any:
    try:
        return cli.main(args=argv, prog_name="tending", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except TendingError as error:
        from tending.texts import T_, cli_language, translate

        language = cli_language()
        said = error.in_language(language)
        click.echo(translate(T_("Error: %(message)s"), language, message=said), err=True)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted; nothing half-written was kept.", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except (
        Exception
    ) as error:  # a bug or a damaged database: one line, never a traceback or the data involved
        if _is_database_error(error):  # a locked SQLite file, an unreachable server
            from tending.actions.database import describe_database_error

            click.echo(f"Error: {describe_database_error(error)}.", err=True)
        else:
            click.echo(f"Error: {describe_unexpected(error)}", err=True)
        sys.exit(1)


def _is_database_error(error: Exception) -> bool:
    """Whether `error` is SQLAlchemy's DBAPIError, without importing SQLAlchemy for commands that never
    loaded it (`tending --help` starts fast)."""
    exc = sys.modules.get("sqlalchemy.exc")
    return exc is not None and isinstance(error, exc.DBAPIError)
