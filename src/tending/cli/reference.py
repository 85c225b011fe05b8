"""The CLI reference in docs/cli.md is generated from --help, so it cannot drift.

Regenerate it with: uv run python -m tending.cli.reference > docs/cli.md
"""

from __future__ import annotations

from collections.abc import Iterator

import click

from tending.cli import cli


def walk(command: click.Command, path: list[str]) -> Iterator[tuple[list[str], click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        ctx = click.Context(command, info_name=path[-1], help_option_names=["-h", "--help"])
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                yield from walk(sub, [*path, name])


def help_text(path: list[str], command: click.Command) -> str:
    parent = None
    ctx = None
    for depth, name in enumerate(path):
        ctx = click.Context(
            command if depth == len(path) - 1 else cli,
            info_name=name,
            parent=parent,
            terminal_width=100,
            max_content_width=100,
            help_option_names=["-h", "--help"],
        )
        parent = ctx
    assert ctx is not None
    return command.get_help(ctx)


def render_reference() -> str:
    parts = [
        "# CLI reference",
        "",
        "Generated from `--help` by `uv run python -m tending.cli.reference > docs/cli.md`; "
        "a test fails when it is out of date.",
        "",
    ]
    for path, command in walk(cli, ["tending"]):
        parts += [
            f"## `{' '.join(path)}`",
            "",
            "```text",
            help_text(path, command).rstrip(),
            "```",
            "",
        ]
    return "\n".join(parts)


def commands_without_example() -> list[str]:
    return [
        " ".join(path)
        for path, command in walk(cli, ["tending"])
        if not isinstance(command, click.Group) and "example" not in (command.help or "").lower()
    ]


if __name__ == "__main__":
    click.echo(render_reference(), nl=False)
