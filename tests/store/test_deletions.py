"""Edits and deletions a live connector saw (store/deletions.py through the ingest): an edit updates the
text it names, a deletion removes the message and the reactions to it with exact rollups, is recorded
once, and keeps a later import of an old export from bringing the message back."""

from __future__ import annotations

from sqlalchemy import Engine, select, update

from tending.models import ActivityDeletion, ActivityEdit
from tending.store.schema import activities, member_stats, members
from tests.store.test_ingest import T0, act, ingest, story


def stats(engine: Engine) -> dict[str, tuple[int, int, int]]:
    with engine.connect() as conn:
        return {
            row.external_id: (row.contributions, row.replies, row.reactions)
            for row in conn.execute(
                select(members.c.external_id, member_stats).join(
                    member_stats, member_stats.c.member_id == members.c.id
                )
            )
        }


def text_of(engine: Engine, source_id: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(
            select(activities.c.text).where(activities.c.source_id == source_id)
        ).scalar()


def test_an_edit_updates_the_text_once_and_never_brings_a_removed_text_back(engine: Engine) -> None:
    ingest(engine, [*story(), act("p9", "ada", "post", T0, text="Insulin: 2 units?")])
    edit = ActivityEdit(source="forum", source_id="p9", text="Insulin: 2 units, twice a day")
    assert ingest(engine, [edit])["activities_edited"] == 1
    assert ingest(engine, [edit]).get("activities_edited", 0) == 0  # already applied
    assert text_of(engine, "p9") == "Insulin: 2 units, twice a day"
    with engine.begin() as conn:  # retention (or an erasure) removed the text
        conn.execute(update(activities).where(activities.c.source_id == "p9").values(text=None))
    assert ingest(engine, [edit]).get("activities_edited", 0) == 0
    assert text_of(engine, "p9") is None


def test_a_deletion_removes_the_message_and_its_reactions_and_is_recorded_once(
    engine: Engine,
) -> None:
    ingest(engine, story())
    before = stats(engine)
    assert before["bruno"] == (1, 1, 0) and before["ada"] == (1, 0, 1)
    gone = ActivityDeletion(source="forum", source_id="p2")  # bruno's reply, which ada reacted to
    assert ingest(engine, [gone])["activities_deleted"] == 1
    after = stats(engine)
    assert after.get("bruno", (0, 0, 0)) == (0, 0, 0) and after["ada"] == (1, 0, 0)
    assert ingest(engine, [gone]).get("activities_deleted", 0) == 0
    again = ingest(engine, story())  # the old export again: the reply and the reaction stay out
    assert again["activities_added"] == 0
    assert text_of(engine, "p2") is None and stats(engine) == after
    with engine.connect() as conn:
        assert conn.execute(select(activities.c.source_id)).scalars().all().count("p3") == 0
