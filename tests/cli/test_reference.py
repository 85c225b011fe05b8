"""Every command is documented: docs/cli.md is what --help says, and every command shows an example."""

from pathlib import Path

from tending.cli.reference import commands_without_example, render_reference

DOCS = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def test_the_cli_reference_is_up_to_date() -> None:
    assert DOCS.read_text(encoding="utf-8") == render_reference(), (
        "docs/cli.md is stale: run `uv run python -m tending.cli.reference > docs/cli.md`"
    )


def test_every_command_gives_an_example() -> None:
    assert commands_without_example() == []
