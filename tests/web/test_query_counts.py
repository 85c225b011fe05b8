"""The hot paths send a fixed number of statements: the overview, the member list and the outbox's claim."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from tending.actions.members import get_member_list
from tending.actions.outbox import do_draft_message
from tending.actions.overview import get_overview
from tending.store import open_store
from tending.store.communities import get_community_by_id
from tending.store.outbox import claim_rows
from tests.queries import count_queries
from tests.web.conftest import NOW, member_id


@pytest.fixture
def store(seeded: tuple[str, int]) -> Iterator[Engine]:
    engine = open_store(seeded[0])
    yield engine
    engine.dispose()


def test_the_overview(store: Engine, cid: int) -> None:
    with store.connect() as conn:
        community = get_community_by_id(conn, cid)
        with count_queries(store) as statements:
            get_overview(conn, community, now=NOW)
    # the health report's pieces, the daily series, the joins, the thread starts, the top contributors;
    # on PostgreSQL, two SET LOCAL (jit off, work_mem) before the health report's big reads; one for
    # the mentions heard outside (the window and the one before, read together)
    assert len(statements) == {"sqlite": 44, "postgresql": 46}[store.dialect.name]


def test_the_member_list(store: Engine, cid: int) -> None:
    with store.connect() as conn:
        community = get_community_by_id(conn, cid)
        with count_queries(store) as everyone:
            get_member_list(conn, community, as_of=NOW, limit=5)
        with count_queries(store) as inactive:
            get_member_list(conn, community, as_of=NOW, inactive_days=1, limit=5)
        with count_queries(store) as quiet:
            get_member_list(conn, community, as_of=NOW, state="quiet", limit=5)
    # the inactive list counts once, plus once how many went quiet (the list says how many of each kind)
    assert (len(everyone), len(inactive), len(quiet)) == (2, 9, 2)


def test_claiming_due_rows(seeded: tuple[str, int], store: Engine, cid: int) -> None:
    with store.begin() as conn:
        community = get_community_by_id(conn, cid)
        for name in ("ada", "bruno", "chloe"):
            do_draft_message(
                conn,
                community,
                member_ids=[member_id(seeded[0], name)],
                rule="test",
                channel="private",
                body=f"Hello {name}",
                due_at=NOW - timedelta(minutes=1),
                key=f"test:{name}",
                approved=True,
            )
    with store.begin() as conn, count_queries(store) as statements:
        claimed = claim_rows(conn, cid, now=NOW, token="worker-1", limit=2)
    # SQLite: one conditional UPDATE, then the ids it took; PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED,
    # then the UPDATE
    assert len(claimed) == 2 and len(statements) == 2
