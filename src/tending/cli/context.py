"""What every command gets: the database (opened and migrated on first use) and output helpers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import click

from tending.config import Settings, demo_fallback, load_settings
from tending.models import Community
from tending.texts import Message, cli_language, translate

if TYPE_CHECKING:  # the database libraries load on first use, so `tending --help` starts fast
    from sqlalchemy import Connection, Engine


@dataclass
class AppContext:
    db_option: str | None = None
    for_demo: bool = False
    _engine: Engine | None = field(default=None, repr=False)
    _settings: Settings | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.db_option, for_demo=self.for_demo)
        return self._settings

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from tending.actions.database import check_database_exists, open_store

            url = self.settings.database_url
            creating = _creating_command()
            demo = None if creating else demo_fallback(self.settings)
            if demo is not None:  # right after `tending demo`, the tour reads the demo's database
                click.echo(
                    f"(No database of your own yet: reading the demo's, {demo.split(':///', 1)[1]}.)",
                    err=True,
                )
                url = demo
            check_database_exists(url, creating=creating)
            self._engine = open_store(url)
        return self._engine

    def community(self, conn: Connection, name: str | None) -> Community:
        from tending.actions.communities import resolve_community

        return resolve_community(conn, name)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


# commands that may start a new database; the others (listings, reports, status) refuse to make one
CREATING = ("import", "demo", "users add", "communities add", "serve")


def _creating_command() -> bool:
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return True
    path = " ".join(ctx.command_path.split()[1:])
    return any(path == name or path.startswith(name + " ") for name in CREATING)


pass_app = click.make_pass_decorator(AppContext)

community_option = click.option(
    "--community",
    "community_name",
    metavar="NAME",
    help="The community to work on (needed when the database holds several).",
)


def format_option(*choices: str, default: str = "table") -> Any:
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(list(choices)),
        default=default,
        show_default=True,
        help="Output format.",
    )


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def say(message: Message, /, **values: Any) -> str:
    """`message` in the CLI's language (tending.texts): a whole number among its values is written as that
    language groups it (1,234 in English, 1 234 in French), and a plural message takes the form for its `n`."""
    language = cli_language()
    count = values.get("n")
    shown = {k: _grouped(v, language) if _whole(v) else v for k, v in values.items()}
    if isinstance(message, tuple) and _whole(count):
        shown["count"] = count
    return translate(message, language, **shown)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _grouped(n: int, language: str) -> str:
    return f"{n:,}" if language == "en" else f"{n:,}".replace(",", "\u202f")
