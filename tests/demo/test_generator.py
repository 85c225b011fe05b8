"""The demo generator: deterministic from its seed, and shaped like a real support community."""

from __future__ import annotations

import shutil
import statistics
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from tending.demo.generator import DEMO_NAME, build_demo, generate_demo_records
from tending.models import DemoSummary
from tending.store import open_store
from tending.store.communities import find_community
from tending.store.demo import get_demo_summary
from tending.store.schema import activities, member_stats, members, threads

NOW = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
SIZE = 600


def build(engine: Engine, *, seed: int = 42, size: int = SIZE, now: datetime = NOW) -> DemoSummary:
    with engine.begin() as conn:
        return build_demo(conn, seed=seed, members=size, now=now)


def content(engine: Engine) -> dict[str, list[tuple]]:
    """Every row the demo wrote, without the columns the store stamps with the wall clock."""
    stamped = {"created_at", "updated_at"}
    with engine.connect() as conn:
        return {
            table.name: [
                tuple(v for k, v in row._mapping.items() if k not in stamped)
                for row in conn.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in (members, threads, activities, member_stats)
        }


@pytest.fixture
def second_engine(tmp_path: Path, sqlite_template: Path) -> Iterator[Engine]:
    path = tmp_path / "second.db"
    shutil.copy(sqlite_template, path)
    engine = open_store(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    engine = open_store(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}")
    build(engine)
    return engine


def test_same_seed_same_rows_and_later_the_same_day_too(
    sqlite_engine: Engine, second_engine: Engine
) -> None:
    build(sqlite_engine, size=200)
    build(second_engine, size=200, now=NOW + timedelta(hours=12))  # same local day in Paris
    first, second = content(sqlite_engine), content(second_engine)
    assert len(first["activities"]) > 2000
    assert first == second


def test_another_seed_gives_another_community() -> None:
    one = generate_demo_records(seed=1, members=200, now=NOW)
    two = generate_demo_records(seed=2, members=200, now=NOW)
    assert one.activities != two.activities


def test_the_generator_counts_what_the_store_holds(engine: Engine) -> None:
    built = build(engine, size=300)
    with engine.connect() as conn:
        community = find_community(conn, DEMO_NAME)
        assert community is not None and community.settings["demo"]["complete"] is True
        stored = get_demo_summary(conn, community)
    assert stored == built
    assert built.members == 300 and built.staff == 3 and built.bots == 2


def test_history_spans_two_years_before_now(demo_db: Engine) -> None:
    with demo_db.connect() as conn:
        community = find_community(conn, DEMO_NAME)
        assert community is not None
        summary = get_demo_summary(conn, community)
    assert summary.first_at is not None and summary.last_at is not None
    assert summary.last_at < NOW and summary.last_at > NOW - timedelta(days=2)
    assert timedelta(days=725) < summary.last_at - summary.first_at < timedelta(days=731)


def test_most_members_never_contribute_and_a_few_post_every_day(demo_db: Engine) -> None:
    with demo_db.connect() as conn:
        rows = conn.execute(
            select(members.c.is_staff, members.c.is_bot, member_stats.c.contributions).join(
                member_stats, member_stats.c.member_id == members.c.id, isouter=True
            )
        ).all()
    ordinary = [count or 0 for staff, bot, count in rows if not staff and not bot]
    never = sum(1 for count in ordinary if count == 0) / len(ordinary)
    assert 0.70 <= never <= 0.90
    assert statistics.median(ordinary) == 0
    assert max(ordinary) >= 365  # someone posts about every day


def test_staff_start_many_threads_and_some_questions_stay_unanswered(demo_db: Engine) -> None:
    with demo_db.connect() as conn:
        starters = conn.execute(
            select(members.c.is_staff, members.c.is_bot).join(
                threads, threads.c.started_by == members.c.id
            )
        ).all()
        community = find_community(conn, DEMO_NAME)
        assert community is not None
        summary = get_demo_summary(conn, community)
    by_staff = sum(1 for staff, _ in starters if staff)
    by_members = sum(1 for staff, bot in starters if not staff and not bot)
    assert by_staff > 0.15 * len(starters) and by_members > 0.4 * len(starters)
    assert 0.03 * summary.threads < summary.unanswered_threads < 0.5 * summary.threads


def test_members_leave_and_regulars_go_quiet(demo_db: Engine) -> None:
    with demo_db.connect() as conn:
        left = conn.execute(select(members.c.id).where(members.c.left_at.is_not(None))).all()
        regulars = (
            conn.execute(
                select(member_stats.c.last_contribution_at)
                .join(members, members.c.id == member_stats.c.member_id)
                .where(
                    member_stats.c.contributions >= 20,
                    members.c.is_staff.is_(False),
                    members.c.left_at.is_(None),
                )
            )
            .scalars()
            .all()
        )
    assert len(left) >= 0.03 * SIZE
    quiet = [at for at in regulars if at < NOW - timedelta(days=60)]
    assert quiet and len(quiet) < len(regulars)


def test_both_languages_and_every_kind_of_trouble(demo_db: Engine) -> None:
    with demo_db.connect() as conn:
        languages = Counter(conn.execute(select(members.c.language)).scalars())
        rows = conn.execute(
            select(activities.c.text, activities.c.language, activities.c.extra)
        ).all()
    assert 0.4 < languages["fr"] / SIZE < 0.7 and languages["en"] > 0.3 * SIZE
    labelled: dict[str, list[tuple[str, str]]] = {}
    for text, language, extra in rows:
        if extra:
            labelled.setdefault(extra["demo_truth"], []).append((text, language))
    assert set(labelled) == {"spam", "self_promo", "repost", "insult", "heated"}
    for label in ("spam", "insult", "repost", "heated"):
        assert {language for _, language in labelled[label]} == {"fr", "en"}, label
    assert len(labelled["self_promo"]) >= 2
    assert all("http" in text.lower() for text, _ in labelled["spam"] + labelled["self_promo"])
    spam = Counter(text for text, _ in labelled["spam"])
    assert spam.most_common(1)[0][1] >= 2  # the same spam reposted word for word
    every_text = Counter(text for text, _, _ in rows)
    assert any(
        every_text[text] >= 2 for text, _ in labelled["repost"]
    )  # a cross-post matches its original


def test_too_few_members_is_refused(sqlite_engine: Engine) -> None:
    with sqlite_engine.begin() as conn, pytest.raises(ValueError, match="at least 10"):
        build_demo(conn, seed=1, members=5, now=NOW)
