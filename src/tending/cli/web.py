"""`tending serve` (the dashboard) and `tending users` (who may log in to it, with which role)."""

from __future__ import annotations

import sys

import click

from tending.cli.context import AppContext, echo_json, format_option, pass_app
from tending.errors import UsageError
from tending.models import LANGUAGES, ROLES
from tending.timeutil import isoformat_utc, utcnow


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (keep 127.0.0.1 unless a reverse proxy with HTTPS is in front).",
)
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port to listen on.",
)
@click.option(
    "--proxy-headers/--no-proxy-headers",
    default=None,
    help="Behind a reverse proxy: believe its X-Forwarded-Proto, -Host and -For headers (config: "
    "[web] proxy_headers = true). Default: ignored.",
)
@click.option(
    "--forwarded-allow-ips",
    metavar="IPS",
    help="The proxy's addresses or networks, comma-separated, whose X-Forwarded-* headers are believed "
    "(config: [web] forwarded_allow_ips). Default: 127.0.0.1,::1.",
)
@pass_app
def serve(
    app: AppContext,
    host: str,
    port: int,
    proxy_headers: bool | None,
    forwarded_allow_ips: str | None,
) -> None:
    """Serve the web dashboard.

    \b
    Example:
      tending users add ada@example.org --role admin
      tending serve --port 8000      # then open http://127.0.0.1:8000/
      tending serve --proxy-headers --forwarded-allow-ips 127.0.0.1   # behind Caddy or nginx (docs/web.md)
    """
    from tending.web.server import serve as run

    app.engine  # noqa: B018 -- open and migrate the database before printing the address
    run(
        app.settings.database_url,
        host=host,
        port=port,
        proxy_headers=proxy_headers,
        forwarded_allow_ips=forwarded_allow_ips,
    )


@click.group()
def users() -> None:
    """Who may log in to the dashboard, with which role (admin, moderator or viewer).

    Roles apply to every community of the database. Viewers read; moderators also act on members,
    check-ins, the outbox and moderation; admins also manage users, settings and imports.

    \b
    Example:
      tending users add ada@example.org --role admin
      echo "$PASSWORD" | tending users add bruno@example.org --role viewer --password-stdin
      tending users list
    """


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise UsageError("--password-stdin: standard input held no password.")
        return line
    value: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


@users.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the user may do.")
@click.option(
    "--language",
    type=click.Choice(LANGUAGES),
    default="en",
    show_default=True,
    help="The dashboard's language for this user (they can switch it).",
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input.",
)
@pass_app
def add_command(
    app: AppContext, email: str, role: str, language: str, password_stdin: bool
) -> None:
    """Add a user; the password is prompted for (or read with --password-stdin).

    Example: tending users add chloe@example.org --role moderator --language fr
    """
    from tending.actions import web_users as accounts

    email = accounts.check_email(email)
    password = accounts.check_password(_read_password(password_stdin))
    with app.engine.begin() as conn:
        user = accounts.do_add_user(
            conn, email, password=password, role=role, language=language, actor="cli", now=utcnow()
        )
    click.echo(f"Added {user.email} ({user.role}).")


@users.command("list")
@format_option("table", "json")
@pass_app
def list_command(app: AppContext, output_format: str) -> None:
    """List the users and their roles.

    Example: tending users list --format json
    """
    from tending.actions import web_users as accounts

    with app.engine.connect() as conn:
        found = accounts.get_users(conn)
    if output_format == "json":
        echo_json(
            [
                {
                    "email": u.email,
                    "role": u.role,
                    "language": u.language,
                    "created_at": isoformat_utc(u.created_at),
                }
                for u in found
            ]
        )
        return
    if not found:
        click.echo("No user yet. Add one: tending users add EMAIL --role admin")
    for u in found:
        click.echo(f"{u.email}  {u.role}  {u.language}")


@users.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
@pass_app
def set_role_command(app: AppContext, email: str, role: str) -> None:
    """Change a user's role (the last admin keeps theirs).

    Example: tending users set-role bruno@example.org moderator
    """
    from tending.actions import web_users as accounts

    with app.engine.begin() as conn:
        user = accounts.do_set_role(conn, email, role=role, actor="cli", now=utcnow())
    click.echo(f"{user.email} is now {user.role}.")


@users.command("set-password")
@click.argument("email")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input.",
)
@pass_app
def set_password_command(app: AppContext, email: str, password_stdin: bool) -> None:
    """Set a user's password.

    Example: tending users set-password ada@example.org
    """
    from tending.actions import web_users as accounts

    password = accounts.check_password(_read_password(password_stdin))
    with app.engine.begin() as conn:
        accounts.do_set_password(conn, email, password=password, actor="cli", now=utcnow())
    click.echo("Password changed.")


@users.command("remove")
@click.argument("email")
@pass_app
def remove_command(app: AppContext, email: str) -> None:
    """Remove a user and end their sessions (the last admin cannot be removed).

    Example: tending users remove bruno@example.org
    """
    from tending.actions import web_users as accounts

    with app.engine.begin() as conn:
        accounts.do_remove_user(conn, email, actor="cli", now=utcnow())
    click.echo(f"Removed {email}.")


@users.group("token")
def token_group() -> None:
    """API tokens for scripts: each acts with its user's role on the JSON API (/api/v1).

    The token is printed once, when made; tending keeps only its SHA-256. Send it as
    `Authorization: Bearer TOKEN`.

    \b
    Example:
      tending users token add ada@example.org
      tending users token list
      tending users token revoke 3
    """


@token_group.command("add")
@click.argument("email")
@pass_app
def token_add_command(app: AppContext, email: str) -> None:
    """Make an API token for an existing user and print it (the only time it is shown).

    Example: tending users token add ada@example.org
    """
    from tending.actions.api_tokens import do_add_token

    with app.engine.begin() as conn:
        made = do_add_token(conn, email, actor="cli", now=utcnow())
    click.echo(made.secret)
    click.echo(
        f"Token {made.token.id} for {made.token.email}: keep it now, it is not shown again.",
        err=True,
    )


@token_group.command("list")
@format_option("table", "json")
@pass_app
def token_list_command(app: AppContext, output_format: str) -> None:
    """List the API tokens: id, user, created, last used, prefix (never the token itself).

    Example: tending users token list --format json
    """
    from tending.actions.api_tokens import get_tokens

    with app.engine.connect() as conn:
        found = get_tokens(conn)
    rows = [
        {
            "id": t.id,
            "email": t.email,
            "created_at": isoformat_utc(t.created_at),
            "last_used_at": isoformat_utc(t.last_used_at),
            "prefix": t.prefix,
            "revoked_at": isoformat_utc(t.revoked_at),
        }
        for t in found
    ]
    if output_format == "json":
        echo_json(rows)
        return
    if not rows:
        click.echo("No API token yet. Make one: tending users token add EMAIL")
    for row in rows:
        state = (
            f"revoked {row['revoked_at']}"
            if row["revoked_at"]
            else f"last used {row['last_used_at'] or 'never'}"
        )
        click.echo(
            f"{row['id']}  {row['email']}  created {row['created_at']}  {state}  {row['prefix']}…"
        )


@token_group.command("revoke")
@click.argument("token_id", metavar="ID", type=click.IntRange(min=1, max=2**62))
@pass_app
def token_revoke_command(app: AppContext, token_id: int) -> None:
    """Revoke an API token: requests with it are refused from now on.

    Example: tending users token revoke 3
    """
    from tending.actions.api_tokens import do_revoke_token

    with app.engine.begin() as conn:
        token = do_revoke_token(conn, token_id, actor="cli", now=utcnow())
    click.echo(f"Token {token.id} ({token.email}) is revoked.")
