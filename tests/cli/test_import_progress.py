"""The import's progress on a terminal names each phase and its rate (issue 21)."""

from __future__ import annotations

import re

import pytest

from tending.actions.imports import ImportProgress
from tending.cli.importing import _ProgressBar


def test_each_phase_ends_with_what_it_did_and_its_rate(capsys: pytest.CaptureFixture[str]) -> None:
    bar = _ProgressBar()
    total = 50_000_000
    bar.update(ImportProgress("reading", 0, total, total))
    for records in (5000, 10_000):
        bar.update(ImportProgress("writing", records, records * 4000, total))
    bar.update(ImportProgress("rollups", 10_000, total, total, rows=9500))
    bar.update(ImportProgress("indexes", 10_000, total, total, rows=9500))
    bar.close()
    lines = re.findall(
        r"^(\w+): ([\d,]+) (\w+) in [\d.]+ s \([\d,]+ (\w+)/s\)$", capsys.readouterr().err, re.M
    )
    assert [line[:3] for line in lines] == [
        ("reading", "50", "MB"),
        ("writing", "10,000", "records"),
        ("rollups", "9,500", "activities"),
        ("indexes", "9,500", "rows"),
    ]
    assert all(line[2] == line[3] for line in lines)
