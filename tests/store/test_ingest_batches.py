"""Members created in one batch keep every field, whatever the first member of the batch lacks."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, select

from tending.models import MemberRecord
from tending.store.communities import do_create_community
from tending.store.ingest import Ingestor
from tending.store.schema import members

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def test_a_batch_of_new_members_keeps_fields_the_first_one_lacks(engine: Engine) -> None:
    with engine.begin() as conn:
        community = do_create_community(conn, "Cats", platform="forum")
        Ingestor(conn, community).add_all(
            [
                MemberRecord(source="forum", external_id="ada"),
                MemberRecord(
                    source="forum",
                    external_id="chloe",
                    display_name="Chloé",
                    handle="chlo",
                    language="fr",
                    left_at=T0,
                ),
            ]
        )
        chloe = conn.execute(select(members).where(members.c.external_id == "chloe")).one()
    assert (chloe.display_name, chloe.handle, chloe.language, chloe.left_at) == (
        "Chloé",
        "chlo",
        "fr",
        T0,
    )
