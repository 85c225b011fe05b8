"""Opening databases: migrations from empty, upgrades of older files, refusal of newer ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from tending.errors import TendingError, UsageError
from tending.store import open_store
from tending.store.engine import alembic_config, create_db_engine, current_revisions, migrate
from tending.store.schema import metadata


def test_an_empty_database_gets_every_table(db_url: str) -> None:
    engine = open_store(db_url)
    tables = set(inspect(engine).get_table_names())
    assert {t.name for t in metadata.sorted_tables if t.name in FOUNDATION} <= tables
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    assert current_revisions(engine) == heads
    assert migrate(engine) == []  # opening again changes nothing
    engine.dispose()


FOUNDATION = {
    "communities",
    "members",
    "member_tags",
    "identities",
    "channels",
    "threads",
    "activities",
    "member_stats",
    "audit_events",
    "imports",
}


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 'wal.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    engine.dispose()


def test_an_older_database_is_upgraded_after_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    engine = create_db_engine(f"sqlite:///{path}")
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001_foundation")
    applied = migrate(engine)
    heads = set(ScriptDirectory.from_config(config).get_heads())
    assert current_revisions(engine) == heads
    if heads == {"0001_foundation"}:
        assert applied == [] and not list(tmp_path.glob("old.db.before-*"))
    else:
        assert applied and (tmp_path / "old.db.before-0001_foundation").exists()
    engine.dispose()


def test_a_database_from_a_newer_tending_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    engine = open_store(f"sqlite:///{path}")
    with engine.begin() as conn:
        # one head among possibly several (parallel branches each add a head)
        conn.execute(
            text(
                "UPDATE alembic_version SET version_num = '9999_future' "
                "WHERE version_num = (SELECT min(version_num) FROM alembic_version)"
            )
        )
    with pytest.raises(TendingError, match="newer version of tending"):
        migrate(engine)
    with engine.connect() as conn:
        assert "9999_future" in set(
            conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
        )
    engine.dispose()


def test_a_url_that_is_no_database_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="not a database URL"):
        create_db_engine("nonsense://")
