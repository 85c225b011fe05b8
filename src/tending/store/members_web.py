"""The few member fields the dashboard edits: do-not-contact, notes, tags (SQL only; see
tending.actions.members_web for the actions that call these and audit them)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update

from tending.store.schema import member_tags, members


def set_member_fields(conn: Connection, community_id: int, member_id: int, *, at: datetime,
                      **values: object) -> None:
    conn.execute(update(members).where(members.c.community_id == community_id, members.c.id == member_id)
                 .values(updated_at=at, **values))


def get_member_tags(conn: Connection, community_id: int, member_id: int) -> set[str]:
    return {tag for (tag,) in conn.execute(select(member_tags.c.tag).where(
        member_tags.c.community_id == community_id, member_tags.c.member_id == member_id))}


def add_member_tag(conn: Connection, community_id: int, member_id: int, tag: str) -> None:
    conn.execute(insert(member_tags).values(community_id=community_id, member_id=member_id, tag=tag))


def remove_member_tag(conn: Connection, community_id: int, member_id: int, tag: str) -> None:
    conn.execute(delete(member_tags).where(member_tags.c.community_id == community_id,
                                           member_tags.c.member_id == member_id, member_tags.c.tag == tag))
