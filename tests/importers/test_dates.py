"""Dates as people have them (issue: a volunteer admin's first week): numeric dates as a French
spreadsheet re-saves them, the forms a Facebook group shows, relative ones resolved against the export's
date, and refusals that name the line, the field and an accepted form."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from tending.actions.imports import do_import
from tending.errors import BadInputError
from tending.importers.dates import AmbiguousDate, parse_numeric_date, parse_relative_date
from tending.store.communities import do_create_community
from tending.store.schema import activities
from tests.conftest import CliResult

PARIS = ZoneInfo("Europe/Paris")
SAVED = datetime(2026, 12, 3, 11, 0, tzinfo=UTC)  # a Thursday, 12:00 in Paris


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS).astimezone(UTC)


@pytest.mark.parametrize(
    ("text", "day_first", "expected"),
    [
        ("12/10/2026 18:30", True, at(2026, 10, 12, 18, 30)),
        ("12/10/2026 18:30", False, at(2026, 12, 10, 18, 30)),
        ("06.10.2026", True, at(2026, 10, 6)),
        ("6-10-26 9h05", True, at(2026, 10, 6, 9, 5)),
        ("12/10/2026 18:30:00", True, at(2026, 10, 12, 18, 30)),
        ("10/12/2026 6:30 PM", False, at(2026, 10, 12, 18, 30)),
    ],
)
def test_numeric_dates_read_in_the_order_asked(
    text: str, day_first: bool, expected: datetime
) -> None:
    assert parse_numeric_date(text, PARIS, day_first=day_first) == expected


def test_a_numeric_date_only_the_other_order_reads_is_refused_not_guessed() -> None:
    with pytest.raises(AmbiguousDate, match=r"reads only day first.*--day-first"):
        parse_numeric_date("25/10/2026", PARIS, day_first=False)
    assert parse_numeric_date("31/02/2026", PARIS, day_first=True) is None
    assert parse_numeric_date("2026-10-12", PARIS, day_first=True) is None  # ISO is read elsewhere


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5 octobre à 18:30", at(2026, 10, 5, 18, 30)),
        ("25 décembre à 10:00", at(2025, 12, 25, 10, 0)),  # still to come this year: last year's
        ("October 5 at 6:30 PM", at(2026, 10, 5, 18, 30)),
        ("Hier à 18:30", at(2026, 12, 2, 18, 30)),
        ("Yesterday at 6:30 PM", at(2026, 12, 2, 18, 30)),
        ("Aujourd'hui à 9:15", at(2026, 12, 3, 9, 15)),
        ("Mardi à 21:05", at(2026, 12, 1, 21, 5)),
        ("jeudi à 8:00", at(2026, 11, 26, 8, 0)),  # the export's own weekday is a week back
        ("il y a 2 semaines", datetime(2026, 11, 19, 11, 0, tzinfo=UTC)),
        ("Il y a 3 jours", datetime(2026, 11, 30, 11, 0, tzinfo=UTC)),
        ("il y a une heure", datetime(2026, 12, 3, 10, 0, tzinfo=UTC)),
        ("5 h", datetime(2026, 12, 3, 6, 0, tzinfo=UTC)),
        ("2 sem", datetime(2026, 11, 19, 11, 0, tzinfo=UTC)),
        ("2w", datetime(2026, 11, 19, 11, 0, tzinfo=UTC)),
        ("3 weeks ago", datetime(2026, 11, 12, 11, 0, tzinfo=UTC)),
        ("1 an", datetime(2025, 12, 3, 11, 0, tzinfo=UTC)),
    ],
)
def test_the_forms_facebook_shows_resolve_against_the_export_date(
    text: str, expected: datetime
) -> None:
    assert parse_relative_date(text, PARIS, now=SAVED) == expected


@pytest.mark.parametrize(
    "text",
    ["yesterday", "soon", "il y a longtemps", "Blursday à 9:00", "30 février à 9:00", "12 a m"],
)
def test_what_is_no_date_stays_none(text: str) -> None:
    assert parse_relative_date(text, PARIS, now=SAVED) is None


def write_csv(path: Path, lines: list[str]) -> Path:
    path.write_text(
        "member_id;member_name;kind;occurred_at;text\n" + "\n".join(lines) + "\n", encoding="utf-8"
    )
    return path


def stored_instants(engine: Engine) -> list[datetime]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(activities.c.occurred_at).order_by(activities.c.occurred_at)
        ).scalars()
        return [
            row.replace(tzinfo=UTC) if row.tzinfo is None else row.astimezone(UTC) for row in rows
        ]


def test_a_french_community_reads_a_semicolon_csv_day_first_and_relative(
    engine: Engine, tmp_path: Path
) -> None:
    with engine.begin() as conn:
        do_create_community(
            conn, "Chats", platform="custom", timezone="Europe/Paris", language="fr"
        )
    path = write_csv(
        tmp_path / "groupe.csv",
        [
            "ada;Ada;post;12/10/2026 18:30;Bonjour",
            "bruno;Bruno;post;Hier à 18:30;Coucou",
            "chloe;Chloé;post;il y a 2 semaines;Salut",
        ],
    )
    summary = do_import(engine, "csv", path, community_name="Chats", exported_at=SAVED)
    assert summary.counts.activities_added == 3
    assert stored_instants(engine) == [
        at(2026, 10, 12, 18, 30),
        datetime(2026, 11, 19, 11, 0, tzinfo=UTC),
        at(2026, 12, 2, 18, 30),
    ]


def test_without_exported_at_relative_dates_count_from_the_file_modification(
    engine: Engine, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "groupe.csv", ["ada;Ada;post;il y a 3 jours;Bonjour"])
    saved = datetime(2026, 6, 10, 12, 0, tzinfo=UTC).timestamp()
    os.utime(path, (saved, saved))
    do_import(engine, "csv", path, community_name="Chats")
    assert stored_instants(engine) == [datetime(2026, 6, 7, 12, 0, tzinfo=UTC)]


def test_an_english_community_refuses_a_day_first_date_naming_line_field_and_flag(
    engine: Engine, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "group.csv",
        ["ada;Ada;post;10/12/2026 18:30;Hi", "bruno;Bruno;post;25/10/2026;Hey"],
    )
    with pytest.raises(BadInputError) as failure:
        do_import(engine, "csv", path, community_name="Cats")
    assert str(failure.value) == (
        f"{path}, line 3: field 'occurred_at': '25/10/2026' reads only day first; "
        "say how the file writes dates (--day-first)."
    )
    summary = do_import(engine, "csv", path, community_name="Cats", day_first=True)
    assert summary.counts.activities_added == 2


def test_the_cli_takes_day_first_and_exported_at(
    run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "groupe.csv",
        ["ada;Ada;post;13/10/2026 18:30;Bonjour", "bruno;Bruno;post;Hier à 9:00;Oui"],
    )
    db = str(tmp_path / "t.db")
    result = run_cli(
        "--db",
        db,
        "import",
        "csv",
        str(path),
        "--community",
        "Chats",
        "--day-first",
        "--exported-at",
        "2026-12-03T12:00",
        "--timezone",
        "Europe/Paris",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    bad = run_cli(
        "--db", db, "import", "csv", str(path), "--community", "Chats", "--exported-at", "demain"
    )
    assert bad.exit_code == 2
    assert "'demain' is not a date and time: use ISO 8601" in bad.stderr
