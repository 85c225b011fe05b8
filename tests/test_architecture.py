"""The layers of docs/architecture.md, checked by import-linter on every test run (so CI enforces them):
the shells (cli, web, api) call actions/ only, and no package imports one above it."""

from __future__ import annotations

from pathlib import Path

import importlinter.api  # noqa: F401  (configures import-linter before its use cases run)
import pytest
from importlinter.application.use_cases import lint_imports

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_the_import_contracts_are_kept(capsys: pytest.CaptureFixture[str]) -> None:
    kept = lint_imports(str(PYPROJECT), cache_dir=None, no_logo=True)
    report = capsys.readouterr().out
    assert kept, "uv run lint-imports fails:\n" + report
    assert "3 kept, 0 broken" in report
