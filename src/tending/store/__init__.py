"""All SQL lives here, one module per group of tables. `open_store` gives a migrated engine."""

from __future__ import annotations

from sqlalchemy import Engine

from tending.store.engine import create_db_engine, migrate


def open_store(url: str, *, run_migrations: bool = True) -> Engine:
    engine = create_db_engine(url)
    if run_migrations:
        migrate(engine)
    return engine


__all__ = ["open_store"]
