"""`tending users` and `tending serve --help`: accounts from the command line."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result

from tending.cli import cli
from tending.errors import UsageError


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from argon2 import PasswordHasher

    from tending.actions import web_users

    monkeypatch.setattr(
        web_users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    yield


def run(db_url: str, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["--db", db_url, *args], input=stdin)


def test_ada_adds_users_and_lists_them(db_url: str) -> None:
    added = run(
        db_url,
        "users",
        "add",
        "Ada@Example.org",
        "--role",
        "admin",
        "--password-stdin",
        stdin="a long enough password\n",
    )
    assert added.exit_code == 0, added.output
    assert added.output == "Added ada@example.org (admin).\n"
    prompted = run(
        db_url,
        "users",
        "add",
        "bruno@example.org",
        "--role",
        "viewer",
        "--language",
        "fr",
        stdin="another long password\nanother long password\n",
    )
    assert prompted.exit_code == 0, prompted.output
    listed = json.loads(run(db_url, "users", "list", "--format", "json").output)
    assert [(u["email"], u["role"], u["language"]) for u in listed] == [
        ("ada@example.org", "admin", "en"),
        ("bruno@example.org", "viewer", "fr"),
    ]
    assert "another long password" not in prompted.output.replace("Password", "")


def test_set_role_and_remove(db_url: str) -> None:
    run(
        db_url,
        "users",
        "add",
        "ada@example.org",
        "--role",
        "admin",
        "--password-stdin",
        stdin="0123456789ab\n",
    )
    run(
        db_url,
        "users",
        "add",
        "bruno@example.org",
        "--role",
        "viewer",
        "--password-stdin",
        stdin="0123456789ab\n",
    )
    assert (
        run(db_url, "users", "set-role", "bruno@example.org", "moderator").output
        == "bruno@example.org is now moderator.\n"
    )
    last_admin = run(db_url, "users", "set-role", "ada@example.org", "viewer")
    assert isinstance(last_admin.exception, UsageError) and "last admin" in str(
        last_admin.exception
    )
    assert run(db_url, "users", "remove", "bruno@example.org").exit_code == 0
    assert [
        u["email"] for u in json.loads(run(db_url, "users", "list", "--format", "json").output)
    ] == ["ada@example.org"]


def test_mistakes_get_one_clear_sentence(db_url: str) -> None:
    short = run(
        db_url,
        "users",
        "add",
        "ada@example.org",
        "--role",
        "admin",
        "--password-stdin",
        stdin="short\n",
    )
    assert isinstance(short.exception, UsageError) and "at least 10 characters" in str(
        short.exception
    )
    not_email = run(
        db_url, "users", "add", "ada", "--role", "admin", "--password-stdin", stdin="0123456789ab\n"
    )
    assert isinstance(not_email.exception, UsageError) and "is not an e-mail address" in str(
        not_email.exception
    )
    bad_role = run(db_url, "users", "add", "ada@example.org", "--role", "owner")
    assert bad_role.exit_code == 2 and "'owner' is not one of" in bad_role.output
    missing = run(db_url, "users", "remove", "nobody@example.org")
    assert isinstance(missing.exception, UsageError) and "no user 'nobody@example.org'" in str(
        missing.exception
    )


@pytest.mark.parametrize(
    "command",
    [
        ["serve"],
        ["users"],
        ["users", "add"],
        ["users", "list"],
        ["users", "set-role"],
        ["users", "set-password"],
        ["users", "remove"],
    ],
)
def test_every_command_has_an_example(command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0 and "Example" in result.output
