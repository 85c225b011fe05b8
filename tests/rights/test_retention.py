"""Retention: texts older than retention.text_days go, every figure stays; the worker's tick does it once a day."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, select

from tending.actions.rights import (
    do_apply_retention,
    do_nightly_retention,
    do_set_retention_days,
    get_retention_plan,
)
from tending.store.schema import activities, threads
from tests.conftest import CliResult
from tests.rights.cast import T, build
from tests.rights.test_erasure import dump, figures, quokkas


def texts(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(
            t
            for t in conn.execute(
                select(activities.c.text).where(activities.c.text.is_not(None))
            ).scalars()
        )


def test_texts_older_than_the_setting_go_and_the_figures_stay(
    engine: Engine, tmp_path: Path
) -> None:
    build(engine, tmp_path)
    before = figures(engine)
    with engine.begin() as conn:
        community = do_set_retention_days(conn, quokkas(engine), 60, actor="test")
        plan = get_retention_plan(conn, community, now=T)
    assert plan.texts == 3 and plan.cutoff == T - timedelta(
        days=60
    )  # p1, p2 and p3 are 98-100 days old
    result = do_apply_retention(
        engine, community, now=T, batch_ids=2
    )  # tiny batches: many transactions
    assert result.texts == 3 and result.batches > 3
    assert texts(engine) == [
        "bruno on slack",
        "chloe says hello",
        "slack-quokka-three",
        "slack-quokka-three again",
    ]
    assert figures(engine) == before
    with engine.connect() as conn:  # threads keep their starts; activities their instants
        assert (
            conn.execute(select(threads.c.started_at).where(threads.c.external_id == "p1")).scalar()
            is not None
        )
    assert "knitting-quokka-one" not in dump(engine)
    again = do_apply_retention(engine, community, now=T)
    assert again.texts == 0


def test_the_nightly_pass_runs_once_a_local_day(engine: Engine, tmp_path: Path) -> None:
    build(engine, tmp_path)
    with engine.begin() as conn:
        community = do_set_retention_days(conn, quokkas(engine), 60, actor="test")
    first = do_nightly_retention(engine, community, now=T)
    assert first is not None and first.texts == 3
    assert (
        do_nightly_retention(engine, community, now=T + timedelta(hours=5)) is None
    )  # same day in Paris?
    later = do_nightly_retention(engine, community, now=T + timedelta(days=1))
    assert later is not None and later.texts == 0


def test_retention_cli_dry_run_then_apply(
    db_url: str, engine: Engine, tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    build(engine, tmp_path)
    now = "2025-06-01T12:00:00Z"
    unset = run_cli("--db", db_url, "retention", "--dry-run", "--now", now)
    assert unset.exit_code == 0 and "keeps message texts" in unset.stdout
    dry = run_cli(
        "--db",
        db_url,
        "retention",
        "--text-days",
        "60",
        "--dry-run",
        "--now",
        now,
        "--format",
        "json",
    )
    assert json.loads(dry.stdout) == {
        "text_days": 60,
        "cutoff": "2025-04-02T12:00:00Z",
        "texts": 3,
        "message_bodies": 0,
        "applied": False,
    }
    assert len(texts(engine)) == 7
    applied = run_cli("--db", db_url, "retention", "--now", now)
    assert applied.exit_code == 0 and applied.stdout.startswith("Removed the texts of 3 activities")
    assert len(texts(engine)) == 4
    assert run_cli("--db", db_url, "retention", "--text-days", "0").exit_code == 2


def test_the_worker_tick_applies_retention(
    db_url: str, engine: Engine, tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    build(engine, tmp_path)
    run_cli("--db", db_url, "retention", "--text-days", "60", "--dry-run")
    first = run_cli("--db", db_url, "run", "--now", "2025-06-01T12:00:00Z", "--format", "json")
    assert first.exit_code == 0, first.stderr
    assert json.loads(first.stdout)[0]["retention"] == {"texts": 3, "message_bodies": 0}
    second = run_cli("--db", db_url, "run", "--now", "2025-06-01T12:01:00Z", "--format", "json")
    assert "retention" not in json.loads(second.stdout)[0]  # once a day
