"""The bulk path and the per-batch path write the same database, bit for bit (issue 21).

The same exports go through both paths, and through a mix of both (an older export in bulk then a newer
one batch by batch, and the reverse), each into a fresh database; every table is then compared row by
row, ids included. Only the wall-clock instants (when a row was created, when an import ran) differ.
Small batches, and the per-batch path folding its rollups every other batch, so that both paths really
differ in how they got there. SQLite always, PostgreSQL when a server is given (tests/conftest.py).
"""

from __future__ import annotations

import json
import random
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, create_engine, select, text

from tending.actions import imports
from tending.actions.imports import do_import
from tending.store import open_store, tally
from tending.store.ingest import StoredRows, bulk_pays
from tests.conftest import POSTGRES_URL, _with_database

T0 = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
FIXTURES = Path(__file__).resolve().parents[1] / "importers" / "fixtures"
# columns that hold when something happened on this machine, not what the export says
CLOCK_COLUMNS = {
    "members": {"created_at", "updated_at"},
    "communities": {"created_at"},
    "imports": {"started_at", "finished_at", "duration_ms"},
    "audit_events": {"occurred_at"},
}


def export_lines(count: int, seed: int = 21, prefix: str = "") -> list[dict[str, Any]]:
    """A forum's history: members who join (some leave, some come back), start threads, reply to posts,
    comment and react, in channels; a few bots and staff; in time order."""
    rng = random.Random(seed)
    lines: list[dict[str, Any]] = []
    posts: list[tuple[str, str]] = []  # (source_id, thread)
    joined: set[str] = set()
    for i in range(count):
        who = f"m{int(rng.paretovariate(1.1)) % 180}"
        at = (T0 + timedelta(minutes=37 * i + rng.randrange(30))).isoformat()
        base = {"platform": "forum", "member_id": who, "member_name": f"Member {who}"}
        if who not in joined and rng.random() < 0.5:
            joined.add(who)
            lines.append(
                {**base, "kind": "joined", "occurred_at": at, "source_id": f"{prefix}j{i}"}
            )
            continue
        if who in joined and rng.random() < 0.02:
            joined.discard(who)
            lines.append({**base, "kind": "left", "occurred_at": at, "source_id": f"{prefix}l{i}"})
            continue
        kind = rng.choice(("post", "reply", "reply", "comment", "reaction", "reaction"))
        row: dict[str, object] = {
            **base,
            "kind": kind,
            "occurred_at": at,
            "source_id": f"{prefix}a{i}",
        }
        if kind == "post" or not posts:
            row["kind"] = "post"
            row["thread_id"] = f"{prefix}t{i}"
            row["thread_title"] = f"Thread {i}"
            row["channel"] = rng.choice(("entraide", "annonces", "cafe"))
            posts.append((f"{prefix}a{i}", f"{prefix}t{i}"))
        else:
            parent, thread = rng.choice(posts[-40:])
            row["thread_id"], row["parent_id"] = thread, parent
        if row["kind"] != "reaction":
            row["text"] = f"message {i}"
        row["is_staff"] = who == "m1"
        row["is_bot"] = who == "m7"
        lines.append(row)
    return lines


def write_jsonl(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def fresh_engines(request: pytest.FixtureRequest, db_url: str, tmp_path: Path) -> Iterator[Any]:
    """A factory of fresh, migrated, empty databases of the same kind as `db_url`."""
    made: list[tuple[Engine, str | None]] = []
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT") if POSTGRES_URL else None
    template = (
        request.getfixturevalue("postgres_template") if db_url.startswith("postgres") else None
    )

    def make() -> Engine:
        if template is None:
            path = tmp_path / f"paths-{len(made)}.db"
            shutil.copy(request.getfixturevalue("sqlite_template"), path)
            engine = open_store(f"sqlite:///{path}")
            made.append((engine, None))
            return engine
        assert admin is not None and POSTGRES_URL is not None
        name = f"tending_p_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        engine = open_store(_with_database(POSTGRES_URL, name))
        made.append((engine, name))
        return engine

    yield make
    for engine, name in made:
        engine.dispose()
        if name is not None and admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    if admin is not None:
        admin.dispose()


def every_table(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (the clock columns left out), sorted."""
    reflected = MetaData()
    reflected.reflect(engine)
    found = {}
    with engine.connect() as conn:
        for table in reflected.sorted_tables:
            if table.name == "alembic_version":
                continue
            skip = CLOCK_COLUMNS.get(table.name, set())
            columns = [c for c in table.columns if c.name not in skip]
            rows = conn.execute(select(*columns)).all()
            found[table.name] = sorted((tuple(row) for row in rows), key=repr)
    return found


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 250 records; the per-batch path folds its rollups every 500 activities."""
    monkeypatch.setattr(imports, "BATCH_SIZE", 250)
    monkeypatch.setattr(imports, "ROLLUP_EVERY", 500)


def imported(engine: Engine, steps: list[tuple[Path, str]]) -> dict[str, list[tuple[Any, ...]]]:
    for export, method in steps:
        kind = "discourse" if export.is_dir() else "jsonl"
        do_import(engine, kind, export, community_name="Forum", method=method)
    return every_table(engine)


@pytest.mark.usefixtures("small_batches")
def test_both_paths_and_their_mixes_write_the_same_rows(fresh_engines: Any, tmp_path: Path) -> None:
    lines = export_lines(3000)
    older = write_jsonl(tmp_path / "older.jsonl", lines[:1800])
    newer = write_jsonl(tmp_path / "newer.jsonl", lines[300:])  # overlaps, then goes further
    reference = imported(fresh_engines(), [(older, "batches"), (newer, "batches")])
    assert len(reference["activities"]) == 3000 and reference["contributor_days"]
    assert len(reference["member_days"]) > 500 and reference["member_months"]
    for steps in (
        [(older, "bulk"), (newer, "bulk")],
        [(older, "bulk"), (newer, "batches")],
        [(older, "batches"), (newer, "bulk")],
    ):
        got = imported(fresh_engines(), steps)
        differing = [name for name in reference if got[name] != reference[name]]
        assert differing == [], [method for _, method in steps]


@pytest.mark.usefixtures("small_batches")
def test_the_bulk_tally_written_many_times_over_adds_up_to_the_same_rows(
    fresh_engines: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bulk path's counts (store/tally.py) written after every batch, members met again in later
    writes and days cut across them, against the per-batch path."""
    monkeypatch.setattr(tally, "FLUSH_ROWS", 40)
    monkeypatch.setattr(tally, "FLUSH_MEMBERS", 25)
    lines = export_lines(3000)
    older = write_jsonl(tmp_path / "older.jsonl", lines[:1800])
    newer = write_jsonl(tmp_path / "newer.jsonl", lines[300:])
    reference = imported(fresh_engines(), [(older, "batches"), (newer, "batches")])
    got = imported(fresh_engines(), [(older, "bulk"), (newer, "bulk")])
    assert [name for name in reference if got[name] != reference[name]] == []


@pytest.mark.usefixtures("small_batches")
def test_an_export_naming_activities_twice_lands_the_same_either_way(
    fresh_engines: Any, tmp_path: Path
) -> None:
    """Into a new community, PostgreSQL's bulk path copies a batch straight into activities when none
    of its keys was met before (store/ingest.KeySet); a batch repeating an earlier batch's activity, or
    one of its own, goes the careful way (the unique key decides)."""
    lines = export_lines(1200)
    again = [*lines[:700], lines[40], *lines[700:], lines[900], lines[900]]
    export = write_jsonl(tmp_path / "again.jsonl", again)
    reference = imported(fresh_engines(), [(export, "batches")])
    assert len(reference["activities"]) == 1200
    assert imported(fresh_engines(), [(export, "bulk")]) == reference


@pytest.mark.usefixtures("small_batches")
def test_exports_without_contributions_land_the_same_either_way(
    fresh_engines: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writes of the bulk tally that hold no contribution (joins and reactions only), or nothing
    member_stats counts (joins and leaves only)."""
    monkeypatch.setattr(tally, "FLUSH_ROWS", 40)
    lines = export_lines(1500)
    for name, kinds in (("quiet", {"joined", "left", "reaction"}), ("joins", {"joined", "left"})):
        export = write_jsonl(tmp_path / f"{name}.jsonl", [x for x in lines if x["kind"] in kinds])
        reference = imported(fresh_engines(), [(export, "batches")])
        assert reference["members"] and not any(row for row in reference["member_months"] if row[3])
        assert imported(fresh_engines(), [(export, "bulk")]) == reference, name


@pytest.mark.usefixtures("small_batches")
def test_a_discourse_export_with_read_counts_lands_the_same_either_way(
    fresh_engines: Any,
) -> None:
    export = FIXTURES / "discourse"
    reference = imported(fresh_engines(), [(export, "batches")])
    assert any(row for row in reference["member_days"] if row[-1] is not None)  # reads
    assert imported(fresh_engines(), [(export, "bulk")]) == reference


def test_the_costs_choose_bulk_for_an_export_large_next_to_what_is_stored() -> None:
    empty, holding = StoredRows(table=0, community=0), StoredRows(table=2_000_000, community=0)
    assert bulk_pays(expected=1000, stored=empty, dialect="sqlite")
    assert bulk_pays(expected=5_000_000, stored=holding, dialect="sqlite")
    # a new community of 100,000 activities beside 2,000,000 others: building their indexes again costs more
    assert not bulk_pays(expected=100_000, stored=holding, dialect="sqlite")
    some = StoredRows(table=100_000, community=100_000)
    assert not bulk_pays(expected=1000, stored=some, dialect="sqlite")  # a newer export adding 1%
    # PostgreSQL keeps its indexes; a new community's rows go straight in (docs/importers.md)
    assert bulk_pays(expected=100_000, stored=empty, dialect="postgresql")
    assert not bulk_pays(expected=1000, stored=some, dialect="postgresql")


def test_the_automatic_choice_takes_the_bulk_path_for_a_new_community_only(
    fresh_engines: Any, tmp_path: Path
) -> None:
    lines = export_lines(3000)
    whole = write_jsonl(tmp_path / "whole.jsonl", lines)
    engine = fresh_engines()
    taken: list[str] = []

    def watch(where: imports.ImportProgress) -> None:
        taken.append(where.phase)

    do_import(engine, "jsonl", whole, community_name="Forum", progress=watch)
    assert "rollups" in taken  # the bulk path's own phase
    newer = write_jsonl(tmp_path / "newer.jsonl", [*lines, *export_lines(40, seed=5, prefix="n")])
    taken.clear()
    do_import(engine, "jsonl", newer, community_name="Forum", progress=watch)
    assert "rollups" not in taken and "writing" in taken


def test_an_ingest_goes_on_after_its_caller_commits_between_batches(engine: Engine) -> None:
    """The demo commits as it goes with one Ingestor: PostgreSQL's staging tables, dropped at each
    commit, are made again."""
    from tending.models import ActivityRecord
    from tending.store.communities import do_create_community
    from tending.store.ingest import Ingestor

    def reply(i: int) -> ActivityRecord:
        return ActivityRecord(
            source="forum",
            source_id=f"r{i}",
            member_external_id=f"m{i % 3}",
            kind="reply",
            occurred_at=T0 + timedelta(hours=i),
            member_name="M",
        )

    with engine.connect() as conn:
        conn.begin()
        ingestor = Ingestor(conn, do_create_community(conn, "Cats", platform="forum"))
        ingestor.add([reply(i) for i in range(5)])
        conn.commit()
        ingestor.add([reply(i) for i in range(5, 9)])
        ingestor.finish()
        conn.commit()
        assert conn.execute(text("SELECT count(*) FROM activities")).scalar_one() == 9


@pytest.mark.usefixtures("small_batches")
def test_the_bulk_path_gives_its_connection_back_with_the_engines_page_cache(
    fresh_engines: Any, tmp_path: Path
) -> None:
    """SQLite's bulk path takes a smaller page cache (store/ingest.py BULK_CACHE_KB); the pooled
    connection serves other work afterwards with the engine's 200 MB, after an import that fails
    halfway too."""
    from tending.errors import BadInputError

    engine = fresh_engines()
    if engine.dialect.name != "sqlite":
        pytest.skip("the page cache is SQLite's")

    def cache_size() -> int:
        with engine.connect() as conn:
            return int(conn.exec_driver_sql("PRAGMA cache_size").scalar_one())

    assert cache_size() == -200_000
    lines = export_lines(3000)
    do_import(engine, "jsonl", write_jsonl(tmp_path / "whole.jsonl", lines), method="bulk")
    assert cache_size() == -200_000
    broken = tmp_path / "broken.jsonl"
    broken.write_text(
        "".join(json.dumps(line) + "\n" for line in export_lines(2000, prefix="b")) + "{not json\n",
        encoding="utf-8",
    )
    with pytest.raises(BadInputError, match="line 2001"):
        do_import(engine, "jsonl", broken, community_name="Other", method="bulk")
    assert cache_size() == -200_000
